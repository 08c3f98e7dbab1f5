#!/usr/bin/env bash
# Issue 15's cost figure: time and peak RSS of replay/minimize on bench/big-machine.trace (64 CPUs, ram=1024G,
# 191 x set_memory_ro pages=4096), each under a 120 s limit. Usage: bench/big-machine.sh [FUZZFARM_DLL]
set -uo pipefail
cd "$(dirname "$0")/.."
dll=${1:-src/FuzzFarm.Cli/bin/Debug/net10.0/fuzzfarm.dll}
trace=bench/big-machine.trace
out=$(mktemp)
trap 'rm -f "$out" "$out.time" "$out.trace"' EXIT
# report needs the variant in the trace (a finding's trace names it).
{ echo "fuzzfarm-trace 1"; echo "variant realm-v2"; tail -n +3 "$trace"; } >"$out.trace"
printf '%-44s %6s %9s %12s %10s\n' command exit seconds "peak RSS MB" "output KB"
for args in "replay $trace --no-timeline" "replay $trace" "replay $trace --json" "replay $trace --variant realm-v2" "minimize $trace --variant realm-v2" "report $out.trace"; do
  /usr/bin/time -v -o "$out.time" timeout 120 dotnet "$dll" $args >"$out" 2>/dev/null
  code=$?
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$out.time")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$out.time")
  printf '%-44s %6s %9s %12s %10s\n' "$(echo "$args" | sed "s|$out.trace|TRACE+variant|; s|$trace|TRACE|")" "$code" "$secs" "$rss" "$(( $(wc -c <"$out") / 1024 ))"
done
