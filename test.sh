#!/usr/bin/env bash
# The README's test command. On a fresh machine with only the .NET SDK: installs the Debian packages the tests start
# for real (redis-server, prometheus, chromium, docker-compose, curl) when it can (root or sudo with apt-get), or
# names exactly what is missing and exits 1; then runs `dotnet test` (extra arguments go to it) and prints one
# summary line. .ci/run calls this same script.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Playwright (the dashboard's browser test) drives Debian's /usr/bin/chromium and must never download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (https://dotnet.microsoft.com/download; see global.json)" >&2
  exit 1
fi

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/chromium ] || need+=(chromium fonts-liberation)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; }; then
    as_root=""
    [ "$(id -u)" -eq 0 ] || as_root="sudo -n"
    echo "test.sh: installing ${need[*]}"
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "test.sh: the tests start these for real and they are missing: ${need[*]}" >&2
    echo "test.sh: install them (as root: apt-get install ${need[*]}) and run ./test.sh again" >&2
    exit 1
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Microsoft.Testing.Platform prints per-project summaries (total/failed/succeeded/skipped): add them up.
awk '
  /^[[:space:]]*failed:[[:space:]]*[0-9]+/    { f += $2 }
  /^[[:space:]]*succeeded:[[:space:]]*[0-9]+/ { p += $2 }
  /^[[:space:]]*skipped:[[:space:]]*[0-9]+/   { s += $2 }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit "$status"
