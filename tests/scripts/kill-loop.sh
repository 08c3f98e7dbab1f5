#!/usr/bin/env bash
# The kill loop of issue 15: `fuzzfarm run --data D` SIGKILLed N times in its first seconds, then a clean run.
# Prints: kills, findings (the ledger's, from the clean run's summary), files, lost, duplicated, empty, temporary.
# Exit 1 when a ledger finding lacks its files or anything is duplicated/empty/left over.
# Usage: tests/scripts/kill-loop.sh [FUZZFARM_DLL] [KILLS]
set -euo pipefail
dll=${1:-src/FuzzFarm.Cli/bin/Debug/net10.0/fuzzfarm.dll}
kills=${2:-4}
dir=$(mktemp -d /tmp/fuzzfarm-killloop-XXXXXX)
trap 'rm -rf "$dir"' EXIT
data=$dir/data
port=$((20000 + RANDOM % 20000))
args=(run --data "$data" --http off --silo-port "$port" --gateway-port $((port + 1)))
delays=()
for _ in $(seq "$kills"); do
  dotnet "$dll" "${args[@]}" --max-seconds 120 >"$dir/run.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do grep -q "machine grains (" "$dir/run.log" && break; sleep 0.1; done
  ms=$((2500 + RANDOM % 3000))
  delays+=("$ms")
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
done
set +e
dotnet "$dll" "${args[@]}" --max-seconds 8 >"$dir/clean.log" 2>&1
set -e
keys=$(awk '/ finding\(s\):/ {on=1; next} on && /^  [a-z0-9-]+--[0-9a-f]+ / {print $1; next} on && /^ / {next} on {on=0}' "$dir/clean.log")
findings=$(printf '%s\n' "$keys" | grep -c . || true)
f=$data/findings
lost=0
for k in $keys; do
  stem=$f/$(printf '%s' "$k" | sed "s/[^A-Za-z0-9_'-]/_/g")
  if ! grep -q "fuzzfarm-trace" "$stem.trace" 2>/dev/null || ! grep -q "\"key\": \"$k\"" "$stem.json" 2>/dev/null; then lost=$((lost + 1)); fi
done
files=$(find "$f" -maxdepth 1 -type f | wc -l)
traces=$(find "$f" -maxdepth 1 -name '*.trace' | wc -l)
duplicated=$(( $(printf '%s\n' "$keys" | grep . | sort | uniq -d | wc -l) + (traces > findings ? traces - findings : 0) ))
empty=$(find "$f" -maxdepth 1 -type f -size 0 | wc -l)
temporary=$(find "$f" "$data/state" -maxdepth 1 -name '*.tmp*' | wc -l)
echo "kill loop: kills $kills (after ${delays[*]} ms), findings $findings, files $files, lost $lost, duplicated $duplicated, empty $empty, temporary $temporary"
[ "$findings" -gt 0 ] && [ "$lost" -eq 0 ] && [ "$duplicated" -eq 0 ] && [ "$empty" -eq 0 ] && [ "$temporary" -eq 0 ]
