#!/usr/bin/env bash
# Fuzzes one FuzzFarm variant with AFL++ through SharpFuzz, then imports AFL's crashes as .trace findings.
#
#   fuzz-targets/afl.sh [--variant ID] [--machine SPEC] [--env strict|adversarial] [--invariant IDS]
#                       [--seconds N] [--out DIR] [--import DIR] [--detail TEXT] [--reuse]
#                       [--until-crash] [--afl-seed N] [--no-import] [--version-file F]
#
#   --variant    variant id (default realm-v2)
#   --machine    machine spec (default "cpus=2 bbml2=0 ram=4G")
#   --env        strict | adversarial (default adversarial)
#   --invariant  comma-separated invariant ids the objective selects (default: all)
#   --seconds    how long afl-fuzz runs (default 60; afl-fuzz -V, it stops by itself)
#   --out        work directory (default /tmp/fuzzfarm-afl/<variant>-<time>): publish/ (instrumented build),
#                in/ (seeds), seed-candidates/ (seeds that crash), afl/ (afl-fuzz -o), afl-fuzz.log, findings/
#   --import     where imported findings go (default <out>/findings)
#   --detail     only violations whose oracle detail contains TEXT crash (e.g. "in bring-up": Z3's window)
#   --reuse      keep an instrumented build already in <out>/publish (benchmarks run afl-fuzz many times)
#   --until-crash  stop at the first crash (AFL_BENCH_UNTIL_CRASH); fuzzer_stats' run_time is then the TTFF
#   --afl-seed   afl-fuzz -s N (its own random seed)
#   --no-import  skip step 5
#   --version-file  fuzz the version compiled from F (a C file or a unified diff, as `fuzzfarm check` takes it)
#                with --variant as its base (what a patch applies to, what the text does not define)
#
# Steps: dotnet publish (Release) -> sharpfuzz-instrument FuzzFarm.Model.dll and FuzzFarm.Variants.dll ->
# seeds that do not crash under the settings -> afl-fuzz -V N -> execs_per_sec from fuzzer_stats ->
# FuzzFarm.AflTarget --import (minimize, replay gate, dedup by signature) -> <import>/<signature key>.trace.
# Everything is local: no network except the one-time `dotnet tool install` of SharpFuzz.CommandLine.
set -euo pipefail

readonly SHARPFUZZ_VERSION=2.3.0
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$script_dir/FuzzFarm.AflTarget/FuzzFarm.AflTarget.csproj"

variant=realm-v2
machine="cpus=2 bbml2=0 ram=4G"
env_mode=adversarial
invariant=""
seconds=60
out=""
import_dir=""
detail=""
reuse=0
until_crash=0
afl_seed=""
do_import=1
version_file=""

usage() {
  sed -n '2,/^# Steps:/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

die() {
  echo "afl.sh: $*" >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --variant) [[ $# -ge 2 ]] || die "--variant needs a value"; variant="$2"; shift 2 ;;
    --machine) [[ $# -ge 2 ]] || die "--machine needs a value"; machine="$2"; shift 2 ;;
    --env) [[ $# -ge 2 ]] || die "--env needs a value"; env_mode="$2"; shift 2 ;;
    --invariant) [[ $# -ge 2 ]] || die "--invariant needs a value"; invariant="$2"; shift 2 ;;
    --seconds) [[ $# -ge 2 ]] || die "--seconds needs a value"; seconds="$2"; shift 2 ;;
    --out) [[ $# -ge 2 ]] || die "--out needs a value"; out="$2"; shift 2 ;;
    --import) [[ $# -ge 2 ]] || die "--import needs a value"; import_dir="$2"; shift 2 ;;
    --detail) [[ $# -ge 2 ]] || die "--detail needs a value"; detail="$2"; shift 2 ;;
    --reuse) reuse=1; shift ;;
    --until-crash) until_crash=1; shift ;;
    --afl-seed) [[ $# -ge 2 ]] || die "--afl-seed needs a value"; afl_seed="$2"; shift 2 ;;
    --no-import) do_import=0; shift ;;
    --version-file) [[ $# -ge 2 ]] || die "--version-file needs a value"; version_file="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "afl.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive integer (got '$seconds')"
[[ "$env_mode" == strict || "$env_mode" == adversarial ]] || die "--env must be strict or adversarial (got '$env_mode')"
if [[ -n "$version_file" ]]; then
  [[ -f "$version_file" ]] || die "--version-file: no such file '$version_file'"
  version_file="$(cd "$(dirname "$version_file")" && pwd)/$(basename "$version_file")"
fi
command -v afl-fuzz >/dev/null || die "afl-fuzz not found (Debian: apt-get install afl++)"
command -v dotnet >/dev/null || die "dotnet not found"

if [[ -z "$out" ]]; then
  out="${TMPDIR:-/tmp}/fuzzfarm-afl/${variant}-$(date +%Y%m%d-%H%M%S)"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
[[ -n "$import_dir" ]] || import_dir="$out/findings"
publish="$out/publish"
seeds="$out/in"
afl_out="$out/afl"

# The target reads its settings from the environment; afl-fuzz passes the environment through.
export FUZZFARM_VARIANT="$variant" FUZZFARM_MACHINE="$machine" FUZZFARM_ENV="$env_mode" FUZZFARM_INVARIANT="$invariant" FUZZFARM_DETAIL="$detail"
export FUZZFARM_VERSION_FILE="$version_file"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# --- 1. build -----------------------------------------------------------------------------------------------
# A fresh publish directory every time: sharpfuzz rewrites the dlls in place and refuses an instrumented one, and
# publish does not overwrite a destination newer than its source.
target="$publish/FuzzFarm.AflTarget.dll"
if [[ $reuse -eq 1 && -f "$publish/.instrumented" && -f "$target" ]]; then
  echo "== reusing instrumented build in $publish"
else
echo "== publish (Release) -> $publish"
rm -rf "$publish"
dotnet publish "$project" -c Release -o "$publish" --nologo -v quiet
[[ -f "$target" ]] || die "publish did not produce $target"

# --- 2. instrument --------------------------------------------------------------------------------------------
# Only the code under test: the machine model (kernel primitives, oracle) and the variants (the guard logic).
# The decoder (Language), the engine and System.* stay uninstrumented, so AFL's map measures behaviour of the
# simulated kernel, not parsing of the bytes.
export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz >/dev/null; then
  echo "== installing SharpFuzz.CommandLine $SHARPFUZZ_VERSION"
  dotnet tool install --global SharpFuzz.CommandLine --version "$SHARPFUZZ_VERSION" >/dev/null
fi
for dll in FuzzFarm.Model.dll FuzzFarm.Variants.dll; do
  echo "== instrument $dll"
  sharpfuzz "$publish/$dll"
done
touch "$publish/.instrumented"
fi

# --- 3. seeds -------------------------------------------------------------------------------------------------
# A few small inputs in the decoder's byte layout (src/FuzzFarm.Language/BinaryDecoder.cs). afl-fuzz refuses a
# seed that crashes, so each is replayed first and kept only if it shows no selected violation. The candidates
# live outside in/ because afl-fuzz also reads subdirectories of its input directory.
candidates="$out/seed-candidates"
echo "== seeds -> $seeds"
rm -rf "$seeds" "$candidates"
mkdir -p "$seeds" "$candidates"
# one set_memory_ro call in task context
printf '\x00\x00\x00\x00\x00\x00\x00\x00' >"$candidates/one-call"
# one call in atomic context, shape 1 (middle of a 2 MiB block)
printf '\x05\x00\x01\x10\x00\x00\x00' >"$candidates/atomic-call"
# phases up to runtime, then a call
printf '\xcd\x02\xcd\x02\xcd\x02\xcd\x02\x00\x00\x00\x00\x00\x80\x00' >"$candidates/runtime-call"
# smp-init, CPU 1 comes up, two calls (one stopped at a preemption point)
printf '\xcd\x02\xcd\x02\xe6\x00\x00\x03\x00\x01\x00\x00\x00\x00\x8c\x00\x00' >"$candidates/smp-calls"
# a call straddling a 2 MiB boundary, then a step
printf '\x00\x01\x00\x00\x10\x00\x80\x60\x8c\x00\x00' >"$candidates/boundary-step"
kept=0
for seed in "$candidates"/*; do
  if dotnet "$target" --replay "$seed" >/dev/null; then
    mv "$seed" "$seeds/"
    kept=$((kept + 1))
  else
    rc=$?
    [[ $rc -eq 1 ]] || die "target --replay failed on $seed (exit $rc)"
  fi
done
if [[ $kept -eq 0 ]]; then
  # Every seed already breaks a selected invariant: nothing for afl-fuzz to start from, but the seeds are findings.
  echo "== every seed crashes under these settings; importing the seeds instead of fuzzing"
  dotnet "$target" --import "$candidates" "$import_dir"
  exit 0
fi
echo "   $kept seed(s) kept; crashing ones left in $candidates"

# --- 4. afl-fuzz ----------------------------------------------------------------------------------------------
# AFL_SKIP_BIN_CHECK: the target is `dotnet <managed dll>`, which has no AFL marker (SharpFuzz's fork server
#   answers the handshake instead).
# AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: core_pattern is piped to a handler in containers; crashes here are
#   reported through the fork-server status, not core dumps.
# AFL_SKIP_CPUFREQ / AFL_NO_AFFINITY: no cpufreq governor or free core to bind in a shared sandbox.
# AFL_NO_UI: plain log lines instead of the curses screen.
# -m none: the .NET runtime reserves far more virtual memory than AFL's default limit.
# -t 5000: the first execution includes JIT and static initialization.
echo "== afl-fuzz for ${seconds}s ($variant${version_file:+ + $version_file}, $machine, $env_mode${invariant:+, invariants $invariant}) -> $afl_out"
rm -rf "$afl_out"
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
[[ $until_crash -eq 0 ]] || export AFL_BENCH_UNTIL_CRASH=1
seed_args=()
[[ -z "$afl_seed" ]] || seed_args=(-s "$afl_seed")
# afl-fuzz stops by itself after -V seconds; the timeout is only a guard against a hang at start-up.
# Its log (one line per queue entry with AFL_NO_UI) goes to a file; the tail is shown at the end.
afl_log="$out/afl-fuzz.log"
afl_rc=0
timeout --signal=INT --kill-after=30 $((seconds + 120)) \
  afl-fuzz -i "$seeds" -o "$afl_out" -t 5000 -m none -V "$seconds" "${seed_args[@]}" -- "$(command -v dotnet)" "$target" >"$afl_log" 2>&1 || afl_rc=$?
sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$afl_log" | tail -n 4
stats="$afl_out/default/fuzzer_stats"
[[ -f "$stats" ]] || die "afl-fuzz wrote no $stats (exit $afl_rc; log: $afl_log)"
[[ $afl_rc -eq 0 ]] || echo "afl.sh: afl-fuzz exited with $afl_rc (log: $afl_log)" >&2

afl_stat() { awk -F': *' -v k="$1" '$1 ~ "^"k" *$" { print $2 }' "$stats"; }
echo "== afl-fuzz done: execs_done=$(afl_stat execs_done) execs_per_sec=$(afl_stat execs_per_sec)" \
  "corpus_count=$(afl_stat corpus_count) saved_crashes=$(afl_stat saved_crashes) saved_hangs=$(afl_stat saved_hangs)"
echo "   stats: $stats"
echo "   log:   $afl_log"

# --- 5. import ------------------------------------------------------------------------------------------------
[[ $do_import -eq 1 ]] || exit 0
echo "== import $afl_out/default/crashes -> $import_dir"
if [[ -d "$afl_out/default/crashes" ]]; then
  dotnet "$target" --import "$afl_out/default/crashes" "$import_dir"
else
  echo "   no crashes directory"
fi
