#!/usr/bin/env bash
# Issue 5's load check: N concurrent API clients listing contacts while a big sync runs.
#
#   bench/api_load.sh [--rows 1000000] [--clients 50] [--idle-seconds 30] [--max-seconds 600]
#                     [--baseline] [--keep]
#
# 1. builds contactsync, generate_contacts and api_load_client (release, build/release with
#    -DCONTACTSYNC_BUILD_BENCH=ON);
# 2. generates N contact rows (seed 1) and loads them into a SQLite source file (bench/load.sh;
#    SQLite rather than MariaDB: no server to start, and the store's behaviour under load is the
#    same whatever the source is, since the sync writes the same batches);
# 3. sets up a fresh data dir: a list, four custom fields, a connection and a sync mapping eight
#    columns (email, names, phone, %CITY%, %COMPANY%, %SCORE%, %BIRTHDAY%);
# 4. starts `contactsync serve` on a free 127.0.0.1 port, creates a user, logs in and makes an
#    API token (POST /api/v1/tokens with the session cookie and X-CSRF-Token);
# 5. starts the run through the API (POST /api/v1/syncs/ID/run) and runs the clients until the
#    run ends (a run still going after --max-seconds is cancelled);
# 6. for comparison, runs the clients for --idle-seconds with no run going. This phase comes
#    after the sync, so it queries the synced contacts: the loaded phase saw the store grow
#    from 0, so its searches were on average cheaper, not dearer;
# 7. prints the run (state, duration, counts) and one line per phase: requests, errors by
#    status, throughput, p50/p90/p99/max latency (all, and split search / plain listing).
# With --baseline it first times the same sync alone (`contactsync sync run` in a second data
# dir, no server, no clients), to show how much the clients slow it down.
#
# api_load_client (bench/api_load_client.cpp) does the requests; its header says what they are.
# Exits 1 when any request of either phase failed. Only 127.0.0.1 is contacted; the server and
# the temporary directory are removed at exit (--keep keeps the directory).

set -euo pipefail
cd "$(dirname "$0")/.."
readonly root=$PWD
readonly build_dir=$root/build/release

log() { printf 'api_load: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

rows=1000000
clients=50
idle_seconds=30
max_seconds=600
keep=0
with_baseline=0
while (($#)); do
  case $1 in
    --rows) rows=${2:?}; shift 2 ;;
    --clients) clients=${2:?}; shift 2 ;;
    --idle-seconds) idle_seconds=${2:?}; shift 2 ;;
    --max-seconds) max_seconds=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    --baseline) with_baseline=1; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done
for value in "$rows" "$clients" "$idle_seconds" "$max_seconds"; do
  [[ $value =~ ^[1-9][0-9]*$ ]] || die "options take positive whole numbers, not '$value'"
done
for tool in curl jq sqlite3 cmake awk python3; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup.sh installs it)"
done

# --- cleanup ----------------------------------------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/cs-apiload.XXXXXX")
server_pid=""
cleanup() {
  local rc=$?
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    # SIGTERM: the server cancels a run still going and stops cleanly.
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if ((keep)); then log "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ------------------------------------------------------------------------------------

log "building (release) in build/release"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCONTACTSYNC_BUILD_TESTS=OFF \
  -DCONTACTSYNC_BUILD_BENCH=ON >"$work/build.log"
cmake --build "$build_dir" --target contactsync generate_contacts api_load_client \
  -j"${CONTACTSYNC_BENCH_JOBS:-2}" >>"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; die "the build failed"; }
readonly contactsync=$build_dir/src/cli/contactsync
readonly generate=$build_dir/bench/generate_contacts
readonly client=$build_dir/bench/api_load_client

{
  echo "date_utc: $(date -u '+%Y-%m-%d %H:%M:%S')"
  echo "git: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "load_average_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command: bench/api_load.sh --rows $rows --clients $clients --idle-seconds $idle_seconds" \
    "--max-seconds $max_seconds$( ((with_baseline)) && echo ' --baseline')"
} | sed 's/^/api_load: /' >&2

# --- source and data dir ----------------------------------------------------------------------

log "generating $rows rows and loading them into SQLite"
"$generate" --rows "$rows" --seed 1 --out "$work/contacts.tsv" 2>/dev/null
"$root/bench/load.sh" --file "$work/contacts.tsv" --sqlite-db "$work/source.db" --only sqlite
rm -f "$work/contacts.tsv"

cat >"$work/sync.json" <<'JSON'
{
  "name": "Bench contacts",
  "connection": "bench",
  "list": "Bench",
  "status": "active",
  "source": { "table": "bench_contacts" },
  "mapping": { "email": "email", "first_name": "first_name", "last_name": "last_name",
               "phone": "phone", "city": "%CITY%", "company": "%COMPANY%",
               "score": "%SCORE%", "birthday": "%BIRTHDAY%" },
  "update_existing": true,
  "delete_not_affected": false
}
JSON
# A fresh data dir in $1 with the list, fields, connection and sync.
set_up_data_dir() {
  local dir=$1
  local -a cs=("$contactsync" --data-dir "$dir")
  "${cs[@]}" init >/dev/null
  "${cs[@]}" list create Bench --sender-name Bench --sender-email bench@example.com >/dev/null
  "${cs[@]}" field create CITY --label City >/dev/null
  "${cs[@]}" field create COMPANY --label Company >/dev/null
  "${cs[@]}" field create SCORE --label Score --type number >/dev/null
  "${cs[@]}" field create BIRTHDAY --label Birthday --type date >/dev/null
  "${cs[@]}" connection add bench --type sqlite --database "$work/source.db" >/dev/null
  "${cs[@]}" sync create --file "$work/sync.json" >/dev/null
}

# With --baseline: the same sync alone (CLI, no server, no clients) in a data dir of its own,
# to show how much the clients slow it down.
baseline=""
if ((with_baseline)); then
  log "baseline: the $rows-row sync alone (contactsync sync run)"
  set_up_data_dir "$work/baseline"
  start=$EPOCHREALTIME
  "$contactsync" --data-dir "$work/baseline" --json sync run "Bench contacts" \
    >"$work/baseline.json" 2>/dev/null || die "the baseline run failed"
  baseline_s=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  baseline="baseline (alone): ${baseline_s}s wall, $(jq -c '{state, duration_ms, counts}' \
    "$work/baseline.json" 2>/dev/null || echo '?')"
  rm -rf "$work/baseline"
fi

data=$work/data
cs() { "$contactsync" --data-dir "$data" "$@"; }
set_up_data_dir "$data"

# --- server, user, token ----------------------------------------------------------------------

password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$password" | cs user add bench --password-stdin >/dev/null
"$contactsync" --data-dir "$data" --json serve --listen 127.0.0.1:0 >"$work/serve.out" \
  2>"$work/serve.err" &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(jq -r '.url // empty' "$work/serve.out" 2>/dev/null || true)
  [[ -n $url ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; die "the server exited"; }
  sleep 0.1
done
[[ $url =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || die "the server did not print its address"
log "server on $url (pid $server_pid)"

# The password and the token never appear on a command line: bodies and headers come from
# files (curl -d @FILE, -H @FILE) and the client reads the token from its environment.
umask 077
jq -n --arg p "$password" '{username: "bench", password: $p}' >"$work/login.json"
csrf=$(curl -sS --fail -c "$work/cookies" -H 'Content-Type: application/json' \
  --data-binary @"$work/login.json" "$url/api/v1/session" | jq -r .csrf_token)
[[ -n $csrf ]] || die "login failed"
printf 'X-CSRF-Token: %s\n' "$csrf" >"$work/csrf.header"
token=$(curl -sS --fail -b "$work/cookies" -H @"$work/csrf.header" \
  -H 'Content-Type: application/json' --data-binary '{"name":"api-load"}' \
  "$url/api/v1/tokens" | jq -r .token)
[[ $token == cst_* ]] || die "creating the API token failed"
printf 'Authorization: Bearer %s\n' "$token" >"$work/auth.header"
export CS_API_LOAD_TOKEN=$token
api() { curl -sS --fail-with-body -H @"$work/auth.header" "$@"; }
# A POST without a body gets httplib's own 400 (no Content-Length): send an empty object.
api_post() { api -H 'Content-Type: application/json' --data-binary '{}' "$@"; }

sync_id=$(api "$url/api/v1/syncs" | jq -r '.[0].id')
[[ $sync_id =~ ^[0-9]+$ ]] || die "no sync id from GET /api/v1/syncs"

# --- the two phases ---------------------------------------------------------------------------

log "phase 1: $clients clients while the $rows-row sync runs (at most ${max_seconds}s)"
run_id=$(api_post "$url/api/v1/syncs/$sync_id/run" | jq -r .run_id)
[[ $run_id =~ ^[0-9]+$ ]] || die "starting the run failed"
"$client" --url "$url" --token-env CS_API_LOAD_TOKEN --clients "$clients" \
  --seconds "$max_seconds" --run-id "$run_id" >"$work/loaded.json" 2>"$work/loaded.err"
cat "$work/loaded.err" >&2
api "$url/api/v1/runs/$run_id" >"$work/run.json"
state=$(jq -r .state "$work/run.json")
if [[ $state == running ]]; then
  log "the run is still going after ${max_seconds}s: cancelling it"
  api_post "$url/api/v1/runs/$run_id/cancel" >/dev/null || true
fi

log "phase 2: $clients clients for ${idle_seconds}s with no run going"
"$client" --url "$url" --token-env CS_API_LOAD_TOKEN --clients "$clients" \
  --seconds "$idle_seconds" >"$work/idle.json" 2>"$work/idle.err"
cat "$work/idle.err" >&2

# --- report -----------------------------------------------------------------------------------

api "$url/api/v1/runs/$run_id" >"$work/run.json"
echo "run $run_id (with the clients): $(jq -c '{state, duration_ms, counts}' "$work/run.json")"
[[ -z $baseline ]] || echo "$baseline"
if [[ -s $work/serve.err ]]; then
  echo "server stderr (last 5 lines):"
  tail -n 5 "$work/serve.err"
fi
python3 - "$work/loaded.json" "$work/idle.json" <<'PY'
import json, sys
print(f"{'phase':<12} {'seconds':>7} {'requests':>8} {'errors':>6} {'req/s':>7} "
      f"{'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  by status / search p50,p99 / list p50,p99")
failed = 0
for name, path in (("during sync", sys.argv[1]), ("idle", sys.argv[2])):
    r = json.load(open(path))
    l, s, p = r["latency_ms"], r["search_ms"] or {}, r["list_ms"] or {}
    errors = sum(r["errors"].values())
    failed += errors
    detail = ",".join(f"{k}:{v}" for k, v in sorted(r["errors"].items())) or "-"
    print(f"{name:<12} {r['seconds']:>7} {r['requests']:>8} {errors:>6} {r['rps']:>7} "
          f"{l['p50']:>8} {l['p90']:>8} {l['p99']:>8} {l['max']:>8}  {detail} / "
          f"{s.get('p50')},{s.get('p99')} / {p.get('p50')},{p.get('p99')}")
sys.exit(1 if failed else 0)
PY
