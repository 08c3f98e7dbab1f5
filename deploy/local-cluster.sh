#!/usr/bin/env bash
# local-cluster.sh: the compose topology as processes on 127.0.0.1, for machines without a Docker engine.
#
# Starts redis-server, N `fuzzfarm silo` processes (Redis membership), Prometheus scraping every silo's /metrics,
# then a client that starts a campaign of --seconds; prints the campaign status every ~5 s, then the findings, asks
# Prometheus what it saw, prints machine-readable closing lines and stops everything it started (also on Ctrl-C,
# errors and TERM). Run with --help for the options.
#
# Closing lines (stdout):
#   local-cluster: findings-client=<N>        findings the aggregator reports (`fuzzfarm campaign findings --json`)
#   local-cluster: findings-prometheus=<N>    sum(fuzzfarm_findings_total)
#   local-cluster: execs-prometheus=<float>   sum(rate(fuzzfarm_executions_total[30s])) at the end of the campaign
#   local-cluster: prometheus=http://127.0.0.1:PORT
#   local-cluster: dashboard=http://127.0.0.1:PORT/   (the first silo's web dashboard)
# Exit status: 0 when both finding counts are > 0, 1 when one is not, 2 when the cluster could not be run.
#
# Everything lands in the work directory: ports.env (the chosen ports, sourceable), redis.log, silo-<i>.log,
# prometheus.yml, prometheus.log, prom/ (TSDB, recreated each run), findings/ (KEY.trace + KEY.json),
# client-*.log and findings.json.

# Functions run from traps and from wait_until look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail

readonly prog=local-cluster
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo

usage() {
  cat <<EOF
usage: deploy/local-cluster.sh [options]

Runs Redis, N FuzzFarm silos, Prometheus and a campaign client on 127.0.0.1, bounded in time, then stops them.

  --seconds N          campaign length in seconds (default 30)
  --silos N            number of silos (default 3)
  --work DIR           work directory: logs, ports.env, findings, Prometheus data (default: a new mktemp dir)
  --fuzzfarm CMD       how to run the CLI, split on spaces (default:
                       dotnet $repo/src/FuzzFarm.Cli/bin/Release/net10.0/fuzzfarm.dll,
                       built first with 'dotnet build src/FuzzFarm.Cli -c Release')
  --no-build           do not build the default CLI first (it must have been built)
  --startup-timeout N  seconds to wait for Redis, each silo and Prometheus to answer (default 120)
  --keep               do not stop at the end: keep the cluster running until Ctrl-C
  -h, --help           this help

Requires redis-server, prometheus, curl and python3 (promtool, if present, checks the generated configuration).
Inherited FUZZFARM_* variables are ignored, except FUZZFARM_OTLP (passed to the silos).
Exit status: 0 both finding counts > 0; 1 otherwise; 2 the cluster could not be started or run.
EOF
}

log() { printf '%s: %s\n' "$prog" "$*"; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$prog" "$*" >&2
  exit 2
}
usage_error() {
  printf '%s: %s (see --help)\n' "$prog" "$*" >&2
  exit 2
}
have() { command -v "$1" >/dev/null 2>&1; }

# --- arguments ------------------------------------------------------------------------------------------------------

seconds=30
silos=3
work=""
ff_cmd=""
build=1
keep=0
startup_timeout=120

need_value() {
  if [ "$#" -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --seconds) need_value "$@"; seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --silos) need_value "$@"; silos=$2; shift 2 ;;
    --silos=*) silos=${1#*=}; shift ;;
    --work) need_value "$@"; work=$2; shift 2 ;;
    --work=*) work=${1#*=}; shift ;;
    --fuzzfarm) need_value "$@"; ff_cmd=$2; shift 2 ;;
    --fuzzfarm=*) ff_cmd=${1#*=}; shift ;;
    --no-build) build=0; shift ;;
    --startup-timeout) need_value "$@"; startup_timeout=$2; shift 2 ;;
    --startup-timeout=*) startup_timeout=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

if ! [[ $seconds =~ ^[0-9]+$ ]] || ((10#$seconds == 0)); then
  usage_error "--seconds: '$seconds' is not a positive whole number"
fi
if ! [[ $silos =~ ^[0-9]+$ ]] || ((10#$silos < 1 || 10#$silos > 32)); then
  usage_error "--silos: '$silos' is not a number from 1 to 32"
fi
if ! [[ $startup_timeout =~ ^[0-9]+$ ]] || ((10#$startup_timeout == 0)); then
  usage_error "--startup-timeout: '$startup_timeout' is not a positive whole number"
fi
seconds=$((10#$seconds)) silos=$((10#$silos)) startup_timeout=$((10#$startup_timeout))

# --- tools ----------------------------------------------------------------------------------------------------------

for tool in redis-server prometheus curl python3; do
  have "$tool" || die "'$tool' is required but not on PATH"
done

if [ -z "$ff_cmd" ]; then
  dll="$repo/src/FuzzFarm.Cli/bin/Release/net10.0/fuzzfarm.dll"
  have dotnet || die "'dotnet' is required to run the default CLI (or give --fuzzfarm CMD)"
  if ((build)); then
    log "building the CLI: dotnet build $repo/src/FuzzFarm.Cli -c Release"
    # No MSBuild nodes or compiler servers may outlive this script.
    dotnet build "$repo/src/FuzzFarm.Cli" -c Release -nologo -v quiet --disable-build-servers || die "dotnet build failed"
  fi
  [ -f "$dll" ] || die "$dll does not exist: build it (drop --no-build) or give --fuzzfarm CMD"
  ff=(dotnet "$dll")
else
  read -r -a ff <<<"$ff_cmd"
  ((${#ff[@]} > 0)) || usage_error "--fuzzfarm: empty command"
  have "${ff[0]}" || die "--fuzzfarm: '${ff[0]}' is not an executable command"
fi

# --- work directory -------------------------------------------------------------------------------------------------

if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/fuzzfarm-local.XXXXXX")
else
  mkdir -p "$work" || die "cannot create the work directory '$work'"
  work=$(cd "$work" && pwd)
fi
readonly work
mkdir -p "$work/findings"
# Prometheus data from an earlier run in the same directory would mix into this run's queries.
rm -rf "$work/prom"
log "work directory: $work"

# --- processes and clean-up -----------------------------------------------------------------------------------------

# Long-running children each run in their own session (setsid), so that one signal to the process group stops a
# child together with anything it started; Ctrl-C reaches only this script, whose EXIT trap stops them in order.
setsid_cmd=()
have setsid && setsid_cmd=(setsid)
timeout_cmd=()
have timeout && timeout_cmd=(timeout --kill-after=5)

server_pids=() # silos and Prometheus: stopped first
redis_pid=""   # stopped last: silos leave the Redis membership table when they stop
fg_pid=""      # a client command in progress

signal_group() { # SIGNAL PID: the child's process group, else the child alone
  kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "$2" 2>/dev/null || true
}
alive() { kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null; }

stop_all() { # SECONDS-TO-WAIT PID...: TERM, wait, then KILL what is left
  local grace=$1 pid deadline
  shift
  (($# > 0)) || return 0
  for pid in "$@"; do signal_group TERM "$pid"; done
  deadline=$((SECONDS + grace))
  for pid in "$@"; do
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  done
  for pid in "$@"; do
    if alive "$pid"; then
      warn "process $pid did not stop within ${grace}s: killing it"
      signal_group KILL "$pid"
    fi
  done
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  set +e
  [ -n "$fg_pid" ] && stop_all 5 "$fg_pid"
  if ((${#server_pids[@]} > 0)) || [ -n "$redis_pid" ]; then
    log "stopping the cluster"
    ((${#server_pids[@]} > 0)) && stop_all 30 "${server_pids[@]}"
    [ -n "$redis_pid" ] && stop_all 10 "$redis_pid"
  fi
  wait 2>/dev/null
  log "logs and findings: $work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

start_bg() { # LOG COMMAND...: start in the background, own session, stdin closed, LOG truncated; pid in REPLY
  local out=$1
  shift
  "${setsid_cmd[@]}" "$@" </dev/null >"$out" 2>&1 &
  REPLY=$!
}

# Runs the CLI with a time limit, in the background so that a signal is handled at once; output to stdout.
run_ff() { # LIMIT-SECONDS ARGS...
  local limit=$1 status=0
  shift
  if ((${#timeout_cmd[@]} > 0)); then
    "${timeout_cmd[@]}" "$limit" "${ff[@]}" "$@" </dev/null &
  else
    "${ff[@]}" "$@" </dev/null &
  fi
  fg_pid=$!
  wait "$fg_pid" || status=$?
  fg_pid=""
  return "$status"
}

fail_with_log() { # MESSAGE LOG
  printf '%s: error: %s; last lines of %s:\n' "$prog" "$1" "$2" >&2
  tail -n 40 "$2" >&2 || true
  exit 2
}

wait_until() { # TIMEOUT PID COMMAND...: 0 when COMMAND succeeds, 1 on timeout, 2 when PID has exited
  local deadline=$((SECONDS + $1)) pid=$2
  shift 2
  until "$@"; do
    alive "$pid" || return 2
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# --- ports ----------------------------------------------------------------------------------------------------------

declare -A taken=()
port_free() {
  local port=$1
  [ -z "${taken[$port]:-}" ] || return 1
  # Something answers on it?
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 1; fi
  # Bound in any state (listening elsewhere, TIME-WAIT, ...)?
  if have ss && ss -Htan "sport = :$port" 2>/dev/null | grep -q .; then return 1; fi
  return 0
}
pick_port() { # the port is left in REPLY; below the usual ephemeral range (32768-60999)
  local tries port
  for ((tries = 0; tries < 1000; tries++)); do
    port=$((20000 + RANDOM % 12000))
    if port_free "$port"; then
      taken[$port]=1
      REPLY=$port
      return 0
    fi
  done
  die "found no free port on 127.0.0.1 between 20000 and 31999"
}

pick_port; redis_port=$REPLY
pick_port; prom_port=$REPLY
silo_ports=() gateway_ports=() http_ports=()
for ((i = 0; i < silos; i++)); do
  pick_port; silo_ports+=("$REPLY")
  pick_port; gateway_ports+=("$REPLY")
  pick_port; http_ports+=("$REPLY")
done
cluster_id="local-$$"

{
  echo "# written by deploy/local-cluster.sh; source it (set -a; . ports.env) to run fuzzfarm against this cluster"
  echo "FUZZFARM_REDIS=127.0.0.1:$redis_port"
  echo "FUZZFARM_CLUSTER_ID=$cluster_id"
  echo "REDIS_PORT=$redis_port"
  echo "PROMETHEUS_PORT=$prom_port"
  echo "SILOS=$silos"
  for ((i = 0; i < silos; i++)); do
    echo "SILO_${i}_SILO_PORT=${silo_ports[i]}"
    echo "SILO_${i}_GATEWAY_PORT=${gateway_ports[i]}"
    echo "SILO_${i}_HTTP_PORT=${http_ports[i]}"
  done
} >"$work/ports.env"

# --- environment ----------------------------------------------------------------------------------------------------

# Only this script decides how the silos and clients are configured.
while IFS= read -r name; do
  [ "$name" = FUZZFARM_OTLP ] || unset "$name"
done < <(compgen -e FUZZFARM_ || true)
export FUZZFARM_REDIS="127.0.0.1:$redis_port"
export FUZZFARM_CLUSTER_ID="$cluster_id"

# --- Redis ----------------------------------------------------------------------------------------------------------

redis_ping() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$redis_port" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [[ $reply == +PONG* ]]
  ) 2>/dev/null
}

log "redis-server on 127.0.0.1:$redis_port"
start_bg "$work/redis.log" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work"
redis_pid=$REPLY
wait_until "$startup_timeout" "$redis_pid" redis_ping || fail_with_log "redis-server did not answer PING" "$work/redis.log"

# --- silos ----------------------------------------------------------------------------------------------------------

for ((i = 0; i < silos; i++)); do
  log "silo $i: silo port ${silo_ports[i]}, gateway ${gateway_ports[i]}, http 127.0.0.1:${http_ports[i]}"
  start_bg "$work/silo-$i.log" env \
    FUZZFARM_ADDRESS=127.0.0.1 \
    FUZZFARM_ADVERTISE=127.0.0.1 \
    FUZZFARM_SILO_PORT="${silo_ports[i]}" \
    FUZZFARM_GATEWAY_PORT="${gateway_ports[i]}" \
    FUZZFARM_HTTP="127.0.0.1:${http_ports[i]}" \
    FUZZFARM_FINDINGS="$work/findings" \
    FUZZFARM_DATA="$work/silo-$i-data" \
    "${ff[@]}" silo
  server_pids+=("$REPLY")
done

silo_healthy() { # HTTP-PORT
  run_ff 15 health --url "http://127.0.0.1:$1/healthz" >/dev/null 2>&1
}
silos_deadline=$((SECONDS + startup_timeout)) # the silos start together: one deadline for all
for ((i = 0; i < silos; i++)); do
  remaining=$((silos_deadline - SECONDS))
  ((remaining > 0)) || remaining=1
  wait_until "$remaining" "${server_pids[i]}" silo_healthy "${http_ports[i]}" && continue
  case $? in
    2) fail_with_log "silo $i exited during start-up" "$work/silo-$i.log" ;;
    *) fail_with_log "silo $i was not healthy at http://127.0.0.1:${http_ports[i]}/healthz within ${startup_timeout}s" "$work/silo-$i.log" ;;
  esac
done
log "$silos silo(s) healthy"

# --- Prometheus -----------------------------------------------------------------------------------------------------

{
  echo "# generated by deploy/local-cluster.sh"
  echo "global:"
  echo "  scrape_interval: 1s"
  echo "  scrape_timeout: 1s"
  echo "  evaluation_interval: 1s"
  echo "scrape_configs:"
  echo "  - job_name: fuzzfarm-silos"
  echo "    metrics_path: /metrics"
  echo "    static_configs:"
  echo "      - targets:"
  for ((i = 0; i < silos; i++)); do
    echo "          - 127.0.0.1:${http_ports[i]}"
  done
} >"$work/prometheus.yml"
if have promtool; then
  promtool check config "$work/prometheus.yml" >/dev/null || die "promtool rejects the generated $work/prometheus.yml"
fi

prom_url="http://127.0.0.1:$prom_port"
prom_ready() { curl -fsS -o /dev/null --max-time 2 "$prom_url/-/ready" 2>/dev/null; }

log "prometheus on $prom_url"
start_bg "$work/prometheus.log" prometheus \
  --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$work/prom" \
  --web.listen-address="127.0.0.1:$prom_port"
server_pids+=("$REPLY")
wait_until "$startup_timeout" "${server_pids[-1]}" prom_ready || fail_with_log "prometheus was not ready at $prom_url/-/ready" "$work/prometheus.log"

# One value of an instant query: the first sample of a vector (0 when empty) or a scalar. Prints "0" and warns when
# Prometheus cannot answer.
prom_query() { # EXPR
  local answer
  if ! answer=$(curl -fsS --max-time 10 -G "$prom_url/api/v1/query" --data-urlencode "query=$1" 2>&1); then
    warn "prometheus query '$1' failed: $answer"
    echo 0
    return 0
  fi
  python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
    data = d["data"]
    if data["resultType"] == "vector":
        value = data["result"][0]["value"][1] if data["result"] else "0"
    elif data["resultType"] == "scalar":
        value = data["result"][1]
    else:
        raise ValueError("result type " + data["resultType"])
    print(value)
except Exception as e:
    print("%s: warning: unexpected answer to %s: %s" % (sys.argv[3], sys.argv[2], e), file=sys.stderr)
    print(0)
' "$answer" "$1" "$prog"
}

# Wait (briefly) until Prometheus has scraped every silo once: metrics are best effort, the run goes on without.
targets_up() { [ "$(prom_query 'count(up{job="fuzzfarm-silos"} == 1)' 2>/dev/null)" = "$silos" ]; }
wait_until 30 "${server_pids[-1]}" targets_up || warn "prometheus does not see all $silos silos up (see $prom_url/targets)"

# --- campaign -------------------------------------------------------------------------------------------------------

log "starting campaign 'local' for ${seconds}s"
run_ff 120 campaign start --name local --max-seconds "$seconds" >"$work/client-start.log" 2>&1 ||
  fail_with_log "'fuzzfarm campaign start' failed" "$work/client-start.log"
cat "$work/client-start.log"

check_silos() {
  local i
  for ((i = 0; i < silos; i++)); do
    alive "${server_pids[i]}" || warn "silo $i has exited (see $work/silo-$i.log)"
  done
}

end=$((SECONDS + seconds))
while ((SECONDS < end)); do
  pause=$((end - SECONDS))
  ((pause > 5)) && pause=5
  sleep "$pause"
  check_silos
  if run_ff 60 campaign status --name local >"$work/client-status.now" 2>&1; then
    cat "$work/client-status.now"
  else
    warn "'fuzzfarm campaign status' failed:"
    cat "$work/client-status.now" >&2
  fi
  cat "$work/client-status.now" >>"$work/client-status.log"
done

# The execution rate while the campaign still runs; the finding counts once the machine grains have delivered.
execs=$(prom_query 'sum(rate(fuzzfarm_executions_total[30s]))')

log "stopping campaign 'local'"
run_ff 120 campaign stop --name local >"$work/client-stop.log" 2>&1 || warn "'fuzzfarm campaign stop' failed (see $work/client-stop.log)"

status=0
run_ff 60 campaign findings >"$work/client-findings.log" 2>&1 || status=$?
cat "$work/client-findings.log"
((status <= 1)) || warn "'fuzzfarm campaign findings' failed with status $status"

findings_client=0
status=0
run_ff 60 campaign findings --json >"$work/findings.json" 2>"$work/client-findings-json.log" || status=$?
if ((status <= 1)); then
  findings_client=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(len(d) if isinstance(d, list) else len(d.get("findings", d.get("Findings", []))))
' "$work/findings.json") || {
    warn "cannot read $work/findings.json"
    findings_client=0
  }
else
  warn "'fuzzfarm campaign findings --json' failed with status $status (see $work/client-findings-json.log)"
fi

sleep 3 # a few scrape intervals: the last counters reach Prometheus
findings_prom=$(prom_query 'sum(fuzzfarm_findings_total)')

# Normalise: a whole number of findings, a decimal rate (NaN or garbage count as 0).
read -r findings_prom execs < <(python3 -c '
import math, sys
def num(text):
    try:
        v = float(text)
    except ValueError:
        return 0.0
    return 0.0 if math.isnan(v) or math.isinf(v) else v
print(int(round(num(sys.argv[1]))), "%.3f" % num(sys.argv[2]))
' "$findings_prom" "$execs") || true
: "${findings_prom:=0}" "${execs:=0}"

echo "$prog: findings-client=$findings_client"
echo "$prog: findings-prometheus=$findings_prom"
echo "$prog: execs-prometheus=$execs"
echo "$prog: prometheus=$prom_url"
echo "$prog: dashboard=http://127.0.0.1:${http_ports[0]}/"

result=1
((findings_client > 0 && findings_prom > 0)) && result=0

if ((keep)); then
  log "--keep: the cluster keeps running (set -a; . $work/ports.env; fuzzfarm campaign status --name local); Ctrl-C stops it"
  running=1
  trap 'running=0' INT TERM HUP
  while ((running)); do
    sleep 1 &
    wait $! || true
  done
fi

exit "$result"
