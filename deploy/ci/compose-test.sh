#!/usr/bin/env bash
# The compose cluster, started for real with no container registry, and put under faults (issue 15, item 6).
#
#   sudo deploy/ci/compose-test.sh          (run by .ci/run; needs root: rootful podman)
#
# 1. Installs what is missing with apt-get: podman (runc, netavark, aardvark-dns), docker-compose 1.29, mmdebstrap.
# 2. Builds every image locally: a Debian bookworm base from mmdebstrap (with redis-server and prometheus from Debian,
#    tarball cached in $FUZZFARM_CI_CACHE), and the FuzzFarm image (deploy/ci/Dockerfile.ci: that base + the host's
#    .NET runtime + `dotnet publish` of the CLI).
# 3. Starts deploy/docker-compose.yml with deploy/ci/docker-compose.ci.yml (2 silos; collector and Grafana stubbed)
#    through docker-compose on podman's Docker API socket, with a loop that runs the containers' healthchecks.
# 4. Asserts: both silos healthy and Active in Redis' membership table, the client started the campaign, Prometheus
#    scrapes both silos, findings arrive; then `podman kill` of a silo and a restart of Redis mid-campaign, and no
#    durable report (silo journals) lost or duplicated in the aggregator's ledger (`campaign findings`); and
#    `docker-compose down` leaves no container behind.
# Prints the figures and exits 1 on any failed assertion. Always cleans up (containers, volumes, its podman service).
set -Eeuo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${FUZZFARM_CI_CACHE:-/var/cache/fuzzfarm}
project=fuzzfarm-ci
silos=2
run_seconds=${FUZZFARM_CI_RUN_SECONDS:-25}   # campaign time after the faults, before it is stopped
t0=$SECONDS
failures=()

steps=$(mktemp /tmp/fuzzfarm-compose-steps.XXXXXX)   # this script's own lines, printed again after the service logs
log() { printf '[compose-test %4ds] %s\n' $((SECONDS - t0)) "$*" | tee -a "$steps"; }
# A command that stops the script (set -e) names itself: which step, which exit code.
trap 'log "STOPPED: exit $? at line $LINENO: $BASH_COMMAND"' ERR
retry() { # retry N COMMAND...: up to N tries, 3 s apart; the last try's status
  local n=$1 i; shift
  for ((i = 1; i <= n; i++)); do "$@" && return 0; [ "$i" -lt "$n" ] && sleep 3; done
  return 1
}
check() { # check DESCRIPTION COMMAND...: records a failed assertion instead of stopping
  local what=$1; shift
  if "$@"; then log "ok: $what"; else log "FAILED: $what"; failures+=("$what"); fi
}

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
  echo "compose-test: needs root (rootful podman)" >&2
  exit 1
fi

# --- 1. tools ----------------------------------------------------------------------------------------------------
need=()
for pkg in podman runc conmon netavark aardvark-dns containernetworking-plugins iptables docker-compose mmdebstrap jq curl ca-certificates; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "compose-test: the .NET SDK is required" >&2; exit 1; }

work=$(mktemp -d /tmp/fuzzfarm-compose.XXXXXX)
mkdir -p "$cache" "$work/journal" "$work/ctx"
chmod 0777 "$work/journal"   # the silos run as uid 1654
export FUZZFARM_CI_JOURNAL="$work/journal"

# Podman settings without which nothing starts here (see docs: ARCHITECTURE "Container engine").
hard=$(ulimit -Hn)
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$hard:$hard", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
export CONTAINERS_CONF="$work/containers.conf"

# Without systemd, podman start/restart print "unable to get systemd connection ... healthchecks" (the loop below
# runs them instead): that line is dropped, anything else podman says is kept.
quiet_podman() { podman "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }
compose() { docker-compose -p "$project" -f "$repo/deploy/docker-compose.yml" -f "$here/docker-compose.ci.yml" "$@"; }

service_pid=""
health_pid=""
down_done=0
cleanup() {
  local status=$?
  set +e
  trap - ERR
  if [ "$status" -ne 0 ] || [ "${#failures[@]}" -gt 0 ]; then
    log "logs (tails) of the compose services:"
    compose logs --no-color --tail 25 2>/dev/null | cut -c1-300 | sed 's/^/    /' | tail -n 200
    echo "[compose-test] the steps of this run again (the service logs above are context):"
    cat "$steps"
  fi
  rm -f "$steps"
  [ -n "$health_pid" ] && kill "$health_pid" 2>/dev/null && wait "$health_pid" 2>/dev/null
  if [ "$down_done" -eq 0 ] && [ -n "$service_pid" ]; then compose down -v --remove-orphans -t 5 >/dev/null 2>&1; fi
  # Whatever compose could not remove (a crashed service socket): by the project label only.
  podman ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r podman rm -f >/dev/null 2>&1
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Podman's Docker-API socket for docker-compose (this run's own service, ended by the trap).
podman system service --time=0 "unix://$work/podman.sock" >"$work/podman-service.log" 2>&1 &
service_pid=$!
export DOCKER_HOST="unix://$work/podman.sock"
for _ in $(seq 1 100); do [ -S "$work/podman.sock" ] && break; sleep 0.1; done
[ -S "$work/podman.sock" ] || { log "podman system service did not start"; cat "$work/podman-service.log"; exit 1; }
log "$(podman --version), $(docker-compose version --short 2>/dev/null || docker-compose version | sed -n 1p), socket $DOCKER_HOST"

# A previous run that died: its containers and volumes go first.
compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true

# --- 2. images -----------------------------------------------------------------------------------------------------
base_packages="ca-certificates,libicu72,libssl3,tzdata,curl,wget,procps,redis-server,redis-tools,prometheus"
key=$(printf 'bookworm minbase %s\n' "$base_packages" | sha256sum | cut -c1-12)
tarball="$cache/base-bookworm-$key.tar"
if [ ! -s "$tarball" ]; then
  log "building the base tarball with mmdebstrap (apt's own sources; cached as $tarball)"
  sources=/etc/apt/sources.list.d/debian.sources
  [ -s "$sources" ] || sources=/etc/apt/sources.list
  mmdebstrap --quiet --variant=minbase --include="$base_packages" --format=tar bookworm "$tarball.part" - <"$sources"
  mv "$tarball.part" "$tarball"
fi
if ! podman image exists "localhost/fuzzfarm-ci-base:$key"; then
  log "importing the base image"
  podman import -q "$tarball" "localhost/fuzzfarm-ci-base:$key" >/dev/null
fi
podman tag "localhost/fuzzfarm-ci-base:$key" localhost/fuzzfarm-ci-base:local

log "publishing the CLI (framework-dependent, Release)"
dotnet publish "$repo/src/FuzzFarm.Cli" -c Release -o "$work/ctx/app" -p:UseAppHost=false -m:1 -v:q -nologo >"$work/publish.log" 2>&1 \
  || { tail -n 40 "$work/publish.log"; exit 1; }
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
mkdir -p "$work/ctx/dotnet/shared"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$work/ctx/dotnet/"
for fw in Microsoft.NETCore.App Microsoft.AspNetCore.App; do cp -a "$dotnet_root/shared/$fw" "$work/ctx/dotnet/shared/"; done
log "building fuzzfarm-ci:local (deploy/ci/Dockerfile.ci)"
previous=$(podman image inspect --format '{{.Id}}' localhost/fuzzfarm-ci:local 2>/dev/null || true)
podman build -q --build-arg BASE="localhost/fuzzfarm-ci-base:$key" -f "$here/Dockerfile.ci" -t localhost/fuzzfarm-ci:local "$work/ctx" >/dev/null
# The image this build replaced (untagged now): removed, so that repeated runs do not fill the store.
current=$(podman image inspect --format '{{.Id}}' localhost/fuzzfarm-ci:local)
[ -z "$previous" ] || [ "$previous" = "$current" ] || podman rmi "$previous" >/dev/null 2>&1 || true
images_done=$SECONDS

# --- 3. up ---------------------------------------------------------------------------------------------------------
# Without systemd podman never runs HEALTHCHECKs: run them every few seconds (depends_on: service_healthy needs it).
(
  while sleep 3; do
    for c in $(podman ps -q --filter "label=com.docker.compose.project=$project" 2>/dev/null); do
      podman healthcheck run "$c" >/dev/null 2>&1 &
    done
    wait
  done
) &
health_pid=$!

containers() { podman ps -a --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | sort; }
health() { podman inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null || echo none; }
silo_healthy() { [ "$(health "$1")" = healthy ]; }
any_silo() { for c in $(containers silo); do silo_healthy "$c" && { echo "$c"; return; }; done; containers silo | sed -n 1p; }
ff() { podman exec "$(any_silo)" dotnet /app/fuzzfarm.dll "$@"; }
# `campaign findings` exits 1 when there are findings: the JSON is what counts (empty when the call failed).
# Only a complete JSON document counts (jq checks it): a cut answer is no answer.
findings_json() { { ff campaign findings --json 2>/dev/null || true; } | json_part | { jq . 2>/dev/null || true; }; }
# A loaded 2-core machine can miss one answer: ask up to 5 times, and show the last error if every try failed.
status_json() {
  local out
  for _ in 1 2 3 4 5; do
    out=$({ ff campaign status --name default --json 2>"$work/status.err" || true; } | json_part)
    [ -n "$out" ] && jq -e .state <<<"$out" >/dev/null 2>&1 && { echo "$out"; return; }
    sleep 3
  done
  sed 's/^/    status: /' "$work/status.err" | tail -n 5 >&2
  echo '{}'
}
json_part() { awk 'f==0 && /^(\{|\[|\[\])$/ { f=1; if ($0=="[]") { print; exit } c=($0=="{")?"}":"]" } f { print; if ($0==c) exit }'; }

log "docker-compose up (2 silos)"
up_start=$SECONDS
compose up -d --no-build --scale silo=$silos >"$work/up.log" 2>&1 || { cat "$work/up.log"; exit 1; }
client=$(containers client | sed -n 1p)
deadline=$((SECONDS + 300))
while :; do
  healthy=0
  for c in $(containers silo); do silo_healthy "$c" && healthy=$((healthy + 1)); done
  client_state=$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$client" 2>/dev/null || echo "missing -")
  [ "$healthy" -eq "$silos" ] && [ "$client_state" = "exited 0" ] && break
  [ "$SECONDS" -ge "$deadline" ] && break
  sleep 2
done
time_to_healthy=$((SECONDS - up_start))
log "after ${time_to_healthy} s: $healthy/$silos silos healthy, client $client_state"
check "both silos healthy" [ "$healthy" -eq "$silos" ]
check "the client started the campaign and exited 0 ($(podman logs "$client" 2>&1 | tail -n 1))" [ "$client_state" = "exited 0" ]
[ "${#failures[@]}" -eq 0 ] || exit 1

# --- 4. assertions -------------------------------------------------------------------------------------------------
redis_ctr=$(containers redis | sed -n 1p)
members_key=$(podman exec "$redis_ctr" redis-cli --scan --pattern '*members*' | sed -n 1p)
active=$(podman exec "$redis_ctr" redis-cli HGETALL "$members_key" | grep -c '"Status":\s*"\?\(3\|Active\)' || true)
log "membership in Redis ($members_key): $active active silo(s)"
check "two silos Active in one cluster's membership table" [ "$active" -eq "$silos" ]

status=$(status_json)
state=$(jq -r .state <<<"$status")
machines=$(jq '(.machines // []) | length' <<<"$status")
log "campaign default: $state, $machines machine grains on $(jq -r '[(.machines // [])[].silo] | unique | length' <<<"$status") silo(s)"
check "campaign 'default' running" [ "$state" = running ]

scraped=0
for _ in $(seq 1 30); do
  scraped=$(curl -fsS http://127.0.0.1:9090/api/v1/targets | jq '[.data.activeTargets[] | select(.labels.job=="fuzzfarm-silos" and .health=="up")] | length' || echo 0)
  series=$(curl -fsS --get http://127.0.0.1:9090/api/v1/query --data-urlencode 'query=count(count by (instance) (fuzzfarm_machine_grains_active))' | jq -r '.data.result[0].value[1] // 0' || echo 0)
  [ "$scraped" -eq "$silos" ] && [ "$series" -eq "$silos" ] && break
  sleep 2
done
log "Prometheus: $scraped silo target(s) up, fuzzfarm series from $series instance(s)"
check "Prometheus scrapes both silos" [ "$scraped" -eq "$silos" -a "$series" -eq "$silos" ]

findings_early=0
for _ in $(seq 1 45); do
  findings_early=$(findings_json | jq length || echo 0)
  findings_early=${findings_early:-0}
  [ "$findings_early" -gt 0 ] && break
  sleep 2
done
log "findings before the faults: $findings_early"
check "findings arrive" [ "$findings_early" -gt 0 ]

# Faults: SIGKILL the silo holding the most machine grains, start it again; then restart Redis.
status=$(status_json)
busiest_ip=$(jq -r '[(.machines // [])[].silo | select(startswith("S")) | ltrimstr("S") | split(":")[0]] | group_by(.) | max_by(length) | .[0]' <<<"$status")
victim=""
for c in $(containers silo); do
  [ "$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c")" = "$busiest_ip" ] && victim=$c
done
[ -n "$victim" ] || victim=$(containers silo | sed -n 1p)
log "podman kill $victim ($busiest_ip, $(jq --arg ip "S$busiest_ip:" '[(.machines // [])[] | select(.silo | startswith($ip))] | length' <<<"$status") machine grains)"
quiet_podman kill "$victim" >/dev/null
# Its restart policy (unless-stopped) may bring it back by itself: a `podman start` racing that restart can leave the
# container with a half set-up network. Start it only once it has stayed exited for a while.
for _ in $(seq 1 10); do
  sleep 1
  [ "$(podman inspect --format '{{.State.Status}}' "$victim" 2>/dev/null)" = running ] && break
done
victim_state=$(podman inspect --format '{{.State.Status}}' "$victim" 2>/dev/null || echo missing)
log "$victim after the kill: $victim_state"
[ "$victim_state" = running ] || quiet_podman start "$victim" >/dev/null
for _ in $(seq 1 60); do silo_healthy "$victim" && break; sleep 2; done
log "$victim back: $(health "$victim")"
check "killed silo healthy again" silo_healthy "$victim"
ip_of() { podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1" 2>/dev/null || echo none; }
# From inside a silo, over the compose network, as the silos reach it (name resolution included).
silo_reaches_redis() { [ "$(podman exec "$(any_silo)" redis-cli -h redis -p 6379 PING 2>/dev/null)" = PONG ]; }
keys_before=$(podman exec "$redis_ctr" redis-cli DBSIZE || echo 0)
redis_ip_before=$(ip_of "$redis_ctr")
log "podman restart $redis_ctr ($redis_ip_before, DBSIZE $keys_before)"
quiet_podman restart -t 10 "$redis_ctr" >/dev/null || log "podman restart $redis_ctr: exit $?"
for _ in $(seq 1 30); do [ "$(podman exec "$redis_ctr" redis-cli PING 2>/dev/null)" = PONG ] && break; sleep 1; done
keys_after=$(podman exec "$redis_ctr" redis-cli DBSIZE || echo 0)
reached=false
for _ in $(seq 1 30); do silo_reaches_redis && { reached=true; break; }; sleep 2; done
log "redis back: $(ip_of "$redis_ctr"), DBSIZE $keys_after, reachable from a silo: $reached"
check "Redis kept its data over the restart" [ "${keys_after:-0}" -gt 0 ]
check "the silos reach Redis again after its restart" $reached

log "campaign runs $run_seconds s more, then stops"
sleep "$run_seconds"
stopped=false
retry 5 ff campaign stop --name default >/dev/null 2>"$work/stop.err" && stopped=true
check "campaign stop accepted ($(tail -n 1 "$work/stop.err" 2>/dev/null | cut -c1-160))" $stopped
drained=false
for _ in $(seq 1 60); do
  status=$(status_json)
  if [ -n "$status" ] && jq -e '(.machines | length) > 0 and all(.machines[]; .outbox == 0 and .silo != "unreachable")' <<<"$status" >/dev/null; then drained=true; break; fi
  sleep 2
done
log "campaign $(jq -r .state <<<"$status"): $(jq -r .executions <<<"$status") executions, outboxes $(jq '[(.machines // [])[].outbox] | add' <<<"$status")"
check "outboxes drained after stop" $drained

# Ledger (aggregator) vs journals (every report a machine grain made durable).
findings_json >"$work/findings.json"
[ -s "$work/findings.json" ] || echo "[]" >"$work/findings.json"
cat "$work"/journal/*.log 2>/dev/null >"$work/journal.tsv" || true
findings=$(jq length "$work/findings.json")
journal_lines=$(wc -l <"$work/journal.tsv")
reports=$(cut -f1,2 "$work/journal.tsv" | sort -u | wc -l)
jq -r '.[].signature_key' "$work/findings.json" | sort >"$work/ledger-keys"
lost=$(cut -f3 "$work/journal.tsv" | sort -u | comm -23 - <(sort -u "$work/ledger-keys") | wc -l)
dup_signatures=$(uniq -d "$work/ledger-keys" | wc -l)
reused=$(sort -u "$work/journal.tsv" | cut -f1,2 | uniq -d | wc -l)   # one (machine, sequence), two signatures
undercounted=$(jq -r '.[] | "\(.signature_key)\t\(.hits)"' "$work/findings.json" | sort >"$work/hits"
  sort -t $'\t' -u -k1,2 "$work/journal.tsv" | cut -f3 | sort | uniq -c | awk '{ print $2 "\t" $1 }' | sort \
    | join -t $'\t' - "$work/hits" | awk -F'\t' '$3 < $2' | wc -l)
duplicated=$((dup_signatures + reused))
hits=$(jq '[.[].hits] | add // 0' "$work/findings.json")
log "ledger: $findings finding(s), $hits hit(s); journals: $journal_lines line(s), $reports distinct durable report(s) (machine, sequence) from $(ls "$work/journal" | wc -l) silo journal(s)"
# Hits no journal line accounts for: not asserted. A silo journals a report only after its own state write succeeds;
# a write that timed out during the Redis restart but landed, then delivered by the next activation, is counted
# without a journal line. (The ledger drops a report whose sequence is not above its machine's last one, so a
# redelivery is not counted twice; it keeps no (machine, sequence) per hit, so this cannot be checked here.)
unjournaled=$((hits > reports ? hits - reports : 0))
[ "$unjournaled" -eq 0 ] || log "note: $unjournaled hit(s) more than journaled durable reports (journal gap or double count; not asserted)"
check "journals are not empty" [ "$journal_lines" -gt 0 ]
check "no durable report lost ($lost signature(s) journaled but not in the ledger)" [ "$lost" -eq 0 ]
check "no durable report counted short ($undercounted signature(s) with fewer hits than durable reports)" [ "$undercounted" -eq 0 ]
check "nothing duplicated ($dup_signatures signature(s) twice in the ledger, $reused (machine, sequence) with two signatures)" [ "$duplicated" -eq 0 ]

# --- 5. down -------------------------------------------------------------------------------------------------------
compose down -v --remove-orphans -t 30 >"$work/down.log" 2>&1 || cat "$work/down.log"
down_done=1
left=$(podman ps -aq --filter "label=com.docker.compose.project=$project" | wc -l)
check "compose down leaves no container behind ($left left)" [ "$left" -eq 0 ]

echo "compose-test: images $((images_done - t0)) s, time to healthy ${time_to_healthy} s, findings $findings (hits $hits, journaled durable reports $reports, unjournaled hits $unjournaled), lost $lost, duplicated $duplicated, total $((SECONDS - t0)) s, ${#failures[@]} failed assertion(s)"
[ "${#failures[@]}" -eq 0 ]
