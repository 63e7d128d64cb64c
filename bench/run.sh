#!/usr/bin/env bash
# The benchmark comparison of issues 7 and 13 in one command (BENCHMARKS.md shows its output):
#
#   bench/run.sh [--rows 100000[,1000000...]] [--pairs 3] [--rss-sizes N,M]
#                [--sources mysql,postgresql,sqlite] [--no-sync] [--no-references]
#                [--no-micro] [--keep]
#
# Without options it is the quick run (N = 100k, 3 pairs, memory also at 400k: a few minutes);
# the full table is `--rows 100000,1000000 --pairs 5`.
#
# It starts its own throwaway MariaDB and PostgreSQL (scripts/test-servers.sh; stopped at
# exit), builds the release binaries in build/bench, and for each table size N:
#   1. generates N contact rows (bench/generate_contacts, seed 1) and bulk-loads them into
#      MariaDB, PostgreSQL and SQLite (bench/load.sh), with the 1% of rows that the "changed"
#      re-sync edits, before and after, as two patch tables;
#   2. per source, takes the SELECT the sync runs from the report of an untimed
#      `contactsync sync test` (its "sql"): every read below runs exactly that statement, so the
#      raw read, source_read and the sync select the same columns (the sync's mapping is the one
#      list of columns: sync.json below);
#   3. per source, after one untimed warm-up of each, runs K pairs of
#        the raw client reading the sync's SELECT to /dev/null (the limit):
#          mariadb --quick --batch -e "SELECT ..."   psql -c "COPY (SELECT ...) TO STDOUT"
#          sqlite3 bench.db "SELECT ..."
#        contactsync's source_read (OpenSource -> OpenReader -> ReadBatch to the end)
#      alternating which goes first, both timed the same way: wall time of the whole process
#      (bash EPOCHREALTIME around it) and its peak RSS (/usr/bin/time %M);
#   4. per source, the same K alternating pairs of the raw read and `contactsync sync run`
#      (the release CLI, SQLite store) for: a fresh sync into an empty store, an unchanged
#      re-sync, a re-sync after 1% of the source rows changed, and `sync test` (dry run);
#   5. for the MariaDB source (unless --no-references), the same K alternating pairs of the raw
#      read and the references a user would compare with (issue 13), on the same rows:
#        sqlite3 .import of the valid rows (trimmed, lower-cased, invalid and blank addresses
#          and later duplicates dropped: a TSV prepared untimed by bench/peer_sync.py
#          --export-tsv) into a table with a UNIQUE email: fresh (empty file), again (into a
#          TEMP table, then INSERT ... SELECT ... ON CONFLICT(email) DO UPDATE), and fresh with
#          the unique index built after the import;
#        bench/peer_sync.py, a Python peer (MySQLdb unbuffered cursor, strip + lower-case, a
#          regex, executemany upserts in 10k batches, one transaction): fresh (new file) and
#          unchanged (the same file again).
# Then it prints the tables (medians over the pairs, the median contactsync/raw ratio with its
# min-max range) and the peak RSS of source_read and of a fresh sync at every size, to show that
# memory does not grow with the table. Sizes in --rss-sizes but not in --rows get one untimed
# source_read and one untimed fresh sync each.
#
# Both sides use the same SELECT-only account over TCP to 127.0.0.1, without TLS.
# Raw results land in build/bench/results/<UTC time>/ (results.tsv, sync.tsv, rss.tsv,
# table.txt, sync-table.txt, machine.txt, micro.txt). Only 127.0.0.1 is contacted.

set -euo pipefail
cd "$(dirname "$0")/.."
readonly root=$PWD
readonly build_dir=$root/build/bench
readonly seed=1

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

rows_list=""
pairs=3
rss_sizes=""
sources=mysql,postgresql,sqlite
sync=1
references=1
micro=1
keep=0
while (($#)); do
  case $1 in
    --rows) rows_list=${2:?}; shift 2 ;;
    --pairs) pairs=${2:?}; shift 2 ;;
    --quick) shift ;;  # the default; kept for old command lines
    --rss-sizes) rss_sizes=${2:?}; shift 2 ;;
    --sources) sources=${2:?}; shift 2 ;;
    --no-sync) sync=0; shift ;;
    --no-references) references=0; shift ;;
    --no-micro) micro=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done
# Quick by default: 100k rows, memory also at 400k. With --rows, memory at those sizes.
if [[ -z $rss_sizes ]]; then
  if [[ -z $rows_list ]]; then rss_sizes=100000,400000; else rss_sizes=$rows_list; fi
fi
[[ -n $rows_list ]] || rows_list=100000
[[ $rows_list =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--rows takes a comma-separated list of numbers"
[[ $rss_sizes =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--rss-sizes takes a comma-separated list"
[[ $pairs =~ ^[1-9][0-9]*$ ]] || die "--pairs takes a positive number"
# A fresh machine gets what the benchmark needs (a no-op when all is there).
"$root/scripts/setup.sh"
command -v /usr/bin/time >/dev/null || die "/usr/bin/time is missing (apt-get install time)"
# The Python peer runs on Debian's python3 with python3-mysqldb (scripts/setup.sh), whatever
# python3 comes first on PATH.
readonly peer_python=/usr/bin/python3
for tool in mariadb psql sqlite3 cmake awk $peer_python; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup.sh installs it)"
done

in_list() { [[ ,$2, == *,$1,* ]]; }

# --- work area, servers and cleanup -------------------------------------------------------------

# Short, private path: the servers' Unix sockets live under it (limit 80 characters).
work=$(mktemp -d "${TMPDIR:-/tmp}/cs-bench.XXXXXX")
# The PostgreSQL server may run as another system user (when we are root): it must pass through.
chmod 711 "$work"
servers_started=0
cleanup() {
  local rc=$?
  if ((servers_started)); then
    "$root/scripts/test-servers.sh" stop "$work/servers" >/dev/null 2>&1 ||
      log "warning: stopping the test servers in $work/servers failed"
  fi
  if ((keep)); then log "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results=$build_dir/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$results"

{
  echo "date_utc: $(date -u '+%Y-%m-%d %H:%M:%S')"
  echo "git: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "load_average_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "mariadb: $(mariadb --version)"
  echo "psql: $(psql --version)"
  echo "sqlite3: $(sqlite3 --version | cut -d' ' -f1)"
  echo "command: bench/run.sh --rows $rows_list --pairs $pairs --rss-sizes $rss_sizes" \
    "--sources $sources$( ((sync)) || echo ' --no-sync')$( ((references)) || echo ' --no-references')"
} >"$results/machine.txt"
sed 's/^/bench: /' "$results/machine.txt" >&2

# --- build ---------------------------------------------------------------------------------------

log "building release binaries in build/bench"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCONTACTSYNC_BUILD_TESTS=OFF \
  -DCONTACTSYNC_BUILD_BENCH=ON >"$results/build.log"
jobs=${CONTACTSYNC_BENCH_JOBS:-2}
cmake --build "$build_dir" --target source_read generate_contacts micro_bench contactsync \
  -j"$jobs" >>"$results/build.log" 2>&1 || die "the bench targets did not build; see $results/build.log"
readonly generate=$build_dir/bench/generate_contacts
readonly source_read=$build_dir/bench/source_read
readonly micro_bench=$build_dir/bench/micro_bench

log "starting throwaway MariaDB and PostgreSQL"
servers_started=1
env_file=$("$root/scripts/test-servers.sh" start "$work/servers")
# shellcheck disable=SC1090
source "$env_file"
# The throwaway MariaDB starts with a 32 MiB InnoDB buffer pool, enough for the tests; a real
# server keeps a hot table in memory, so give it 1 GiB (dynamic since MariaDB 10.2) and the 1M
# table (~175 MB) is read from the pool, not re-read through the OS for every scan. PostgreSQL
# keeps its small shared_buffers: its large sequential scans use a small ring buffer whatever
# the setting and read from the OS page cache.
env "MYSQL_PWD=$CONTACTSYNC_TEST_MARIADB_PASSWORD" mariadb --no-defaults --protocol=tcp \
  --host=127.0.0.1 --port="$CONTACTSYNC_TEST_MARIADB_PORT" --user="$CONTACTSYNC_TEST_MARIADB_USER" \
  -e "SET GLOBAL innodb_buffer_pool_size = 1073741824"

# --- measuring -----------------------------------------------------------------------------------

readonly sqlite_db=$work/bench.db

# Runs a command with stdout to $1; sets LAST_S (wall seconds) and LAST_KIB (peak RSS).
measure() {
  local out=$1
  shift
  local start end
  start=$EPOCHREALTIME
  if ! /usr/bin/time -f '%M' -o "$work/time.txt" "$@" >"$out" 2>"$work/stderr.txt"; then
    cat "$work/stderr.txt" >&2
    die "failed: ${*:1:4} ..."
  fi
  end=$EPOCHREALTIME
  LAST_S=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }')
  LAST_KIB=$(tail -n 1 "$work/time.txt")
}

# The sync's SELECT per source (sync_select below): what every read runs.
declare -A SELECT_SQL=()

# The raw client running the sync's SELECT, as argv, with the password in the environment.
raw_command() {
  local sql=${SELECT_SQL[$1]:?unknown: the SELECT of the sync}
  case $1 in
    mysql)
      RAW=(env "MYSQL_PWD=$CONTACTSYNC_TEST_MARIADB_READER_PASSWORD" mariadb --no-defaults
        --protocol=tcp --host=127.0.0.1 --port="$CONTACTSYNC_TEST_MARIADB_READER_PORT"
        --user="$CONTACTSYNC_TEST_MARIADB_READER_USER" --skip-ssl
        --database="$CONTACTSYNC_TEST_MARIADB_READER_DATABASE"
        --quick --batch -e "$sql") ;;
    postgresql)
      RAW=(env "PGPASSWORD=$CONTACTSYNC_TEST_PG_READER_PASSWORD" psql --no-psqlrc
        "host=127.0.0.1 port=$CONTACTSYNC_TEST_PG_READER_PORT user=$CONTACTSYNC_TEST_PG_READER_USER dbname=$CONTACTSYNC_TEST_PG_READER_DATABASE sslmode=disable"
        -c "COPY ($sql) TO STDOUT") ;;
    sqlite)
      RAW=(sqlite3 "$sqlite_db" "$sql") ;;
  esac
}

# contactsync's source_read running the sync's SELECT, as argv.
cs_command() {
  local sql=${SELECT_SQL[$1]:?unknown: the SELECT of the sync}
  case $1 in
    mysql)
      CS=("$source_read" --type mysql --host 127.0.0.1 --port "$CONTACTSYNC_TEST_MARIADB_READER_PORT"
        --user "$CONTACTSYNC_TEST_MARIADB_READER_USER"
        --password-env CONTACTSYNC_TEST_MARIADB_READER_PASSWORD
        --database "$CONTACTSYNC_TEST_MARIADB_READER_DATABASE" --query "$sql") ;;
    postgresql)
      CS=("$source_read" --type postgresql --host 127.0.0.1 --port "$CONTACTSYNC_TEST_PG_READER_PORT"
        --user "$CONTACTSYNC_TEST_PG_READER_USER" --password-env CONTACTSYNC_TEST_PG_READER_PASSWORD
        --database "$CONTACTSYNC_TEST_PG_READER_DATABASE" --query "$sql") ;;
    sqlite)
      CS=("$source_read" --type sqlite --database "$sqlite_db" --query "$sql") ;;
  esac
}

json_field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" "$1"; }

# One source_read run; checks it read all N rows. Sets LAST_S, LAST_KIB and CS_JSON.
run_cs() {
  local source=$1 n=$2
  cs_command "$source"
  measure "$work/cs.json" "${CS[@]}"
  CS_JSON=$(cat "$work/cs.json")
  local rows
  rows=$(json_field "$work/cs.json" rows)
  [[ $rows == "$n" ]] || die "$source: source_read read $rows rows, expected $n"
}

# K alternating pairs of raw read and source_read; one line per pair in results.tsv.
run_read_pairs() {
  local source=$1 n=$2
  raw_command "$source"
  # Untimed: checks the raw client reads every row (a header line for mariadb) and warms the
  # caches for both sides.
  local lines expected=$n
  lines=$("${RAW[@]}" | wc -l)
  [[ $source == mysql ]] && expected=$((n + 1))
  ((lines == expected)) || die "$source: the raw client printed $lines lines, expected $expected"
  run_cs "$source" "$n"
  local i raw_s raw_kib cs_s cs_kib
  for ((i = 1; i <= pairs; i++)); do
    if ((i % 2)); then
      measure /dev/null "${RAW[@]}"
      raw_s=$LAST_S raw_kib=$LAST_KIB
      run_cs "$source" "$n"
      cs_s=$LAST_S cs_kib=$LAST_KIB
    else
      run_cs "$source" "$n"
      cs_s=$LAST_S cs_kib=$LAST_KIB
      measure /dev/null "${RAW[@]}"
      raw_s=$LAST_S raw_kib=$LAST_KIB
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$source" "$n" "$i" "$raw_s" "$raw_kib" "$cs_s" \
      "$cs_kib" "$(json_field "$work/cs.json" read_s)" >>"$results/results.tsv"
    log "$source N=$n pair $i: raw ${raw_s}s, contactsync ${cs_s}s ($((cs_kib / 1024)) MiB)"
  done
  echo "$CS_JSON" >>"$results/source_read.jsonl"
}

# --- sync benchmarks -----------------------------------------------------------------------------

readonly contactsync=$build_dir/src/cli/contactsync
# Every column but id: what a patch (below) overwrites.
readonly patch_columns="email first_name last_name city phone company created_at updated_at note score birthday"

# The benchmark's sync definition: a table sync into one list, status active, update_existing,
# the three contact fields and four custom fields of four types (docs/spec.md §3). delete_not_affected
# stays off (the default): it would add one anti-join over the list at the end.
cat >"$work/sync.json" <<'JSON'
{
  "name": "bench", "connection": "bench", "list": "Bench", "status": "active",
  "source": { "table": "bench_contacts" },
  "mapping": { "email": "email", "first_name": "first_name", "last_name": "last_name",
               "phone": "phone", "city": "%CITY%", "note": "%NOTE%", "score": "%SCORE%",
               "birthday": "%BIRTHDAY%" },
  "update_existing": true, "delete_not_affected": false
}
JSON

# A data directory with the connection, the fields, the list and the sync saved, no contacts:
# the store a fresh sync starts from (copied, untimed, before each fresh run).
prepare_sync_template() {
  local source=$1 dir=$work/template-$source
  local -a cs=("$contactsync" --data-dir "$dir")
  rm -rf "$dir"
  {
    "${cs[@]}" init
    case $source in
      mysql)
        printf '%s\n' "$CONTACTSYNC_TEST_MARIADB_READER_PASSWORD" | "${cs[@]}" connection add bench \
          --type mariadb --host 127.0.0.1 --port "$CONTACTSYNC_TEST_MARIADB_READER_PORT" \
          --user "$CONTACTSYNC_TEST_MARIADB_READER_USER" --tls disable \
          --database "$CONTACTSYNC_TEST_MARIADB_READER_DATABASE" --password-stdin ;;
      postgresql)
        printf '%s\n' "$CONTACTSYNC_TEST_PG_READER_PASSWORD" | "${cs[@]}" connection add bench \
          --type postgresql --host 127.0.0.1 --port "$CONTACTSYNC_TEST_PG_READER_PORT" \
          --user "$CONTACTSYNC_TEST_PG_READER_USER" --tls disable \
          --database "$CONTACTSYNC_TEST_PG_READER_DATABASE" --password-stdin ;;
      sqlite)
        "${cs[@]}" connection add bench --type sqlite --database "$sqlite_db" ;;
    esac
    "${cs[@]}" field create city --type text
    "${cs[@]}" field create note --type text
    "${cs[@]}" field create score --type number
    "${cs[@]}" field create birthday --type date
    "${cs[@]}" list create Bench
    "${cs[@]}" sync create --file "$work/sync.json"
  } >>"$results/sync-setup.log" 2>&1 || die "$source: setting up the sync failed; see $results/sync-setup.log"
}

# The re-sync benchmark's edits: patch_new.tsv holds the rows that generate_contacts
# --change-percent 1 changes, with their new values, patch_old.tsv the same rows as they were.
# Loaded as tables bench_patch_new and bench_patch_old next to bench_contacts.
make_patches() {
  local n=$1 original=$2
  "$generate" --rows "$n" --seed "$seed" --change-percent 1 --seed2 2 --out "$work/changed.tsv" \
    2>/dev/null
  awk -v other="$work/changed.tsv" -v old="$work/patch_old.tsv" -v new="$work/patch_new.tsv" '
    { if ((getline line < other) <= 0) exit 1
      if (line != $0) { print $0 > old; print line > new } }' "$original" ||
    die "the changed table has fewer rows than the original"
  rm -f "$work/changed.tsv"
  local table
  for table in old new; do
    "$root/bench/load.sh" --file "$work/patch_$table.tsv" --table "bench_patch_$table" \
      --sqlite-db "$sqlite_db" --only "$sources" 2>/dev/null
  done
  PATCH_ROWS=$(wc -l <"$work/patch_new.tsv")
  rm -f "$work/patch_old.tsv" "$work/patch_new.tsv"
}

# Overwrites the patched rows of bench_contacts with bench_patch_$2 (old or new), as the
# privileged account: 1% of the rows change between two runs.
apply_patch() {
  local source=$1 patch=bench_patch_$2 column set_t="" set_plain=""
  for column in $patch_columns; do
    set_t+="${set_t:+, }t.$column = p.$column"
    set_plain+="${set_plain:+, }$column = p.$column"
  done
  case $source in
    mysql)
      MYSQL_PWD=$CONTACTSYNC_TEST_MARIADB_PASSWORD mariadb --no-defaults --protocol=tcp \
        --host=127.0.0.1 --port="$CONTACTSYNC_TEST_MARIADB_PORT" \
        --user="$CONTACTSYNC_TEST_MARIADB_USER" --database="$CONTACTSYNC_TEST_MARIADB_DATABASE" \
        -e "UPDATE bench_contacts t JOIN $patch p ON p.id = t.id SET $set_t" ;;
    postgresql)
      PGPASSWORD=$CONTACTSYNC_TEST_PG_PASSWORD psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 \
        --host=127.0.0.1 --port="$CONTACTSYNC_TEST_PG_PORT" \
        --username="$CONTACTSYNC_TEST_PG_USER" --dbname="$CONTACTSYNC_TEST_PG_DATABASE" \
        -c "UPDATE bench_contacts AS t SET $set_plain FROM $patch AS p WHERE p.id = t.id" ;;
    sqlite)
      sqlite3 -batch -bail "$sqlite_db" \
        "UPDATE bench_contacts AS t SET $set_plain FROM $patch AS p WHERE p.id = t.id" ;;
  esac
}

# Checks the JSON report of one sync run or test (file $1) for run kind $2 at N=$3 with $4
# patched rows; prints "added updated unchanged failed".
check_sync_report() {
  python3 - "$@" <<'PY' || die "$2 sync at N=$3: unexpected report (see $1)"
import json, sys
path, kind, n, patched = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
r = json.load(open(path))
c = r["counts"]
ok = r["state"] == "succeeded" and c["selected"] == n and r["dry_run"] == (kind == "test")
done = c["added"] + c["updated"] + c["unchanged"] + c["failed"] + c["skipped"]
ok = ok and done == n and c["failed"] < 0.05 * n
if kind == "fresh":
    ok = ok and c["added"] > 0.9 * n and c["updated"] == 0
elif kind in ("unchanged", "test"):
    ok = ok and c["added"] == 0 and c["updated"] == 0
elif kind == "changed":
    # Every patched row changes a synced value, except rows that fail anyway (~2%).
    ok = ok and c["added"] == 0 and 0.9 * patched <= c["updated"] <= patched
if not ok:
    sys.exit(1)
print(c["added"], c["updated"], c["unchanged"], c["failed"])
PY
}

# One sync run (or test) of kind $2 for source $1 on the store in $3; sets LAST_S, LAST_KIB
# and COUNTS.
run_sync() {
  local source=$1 kind=$2 dir=$3 n=$4 command=run
  [[ $kind == test ]] && command=test
  if [[ $kind == fresh ]]; then
    rm -rf "$dir"
    cp -a "$work/template-$source" "$dir"
  elif [[ $kind == changed ]]; then
    # Each run sees 1% of the rows changed since the previous run: new values, then old.
    if [[ $PATCH_STATE == old ]]; then PATCH_STATE=new; else PATCH_STATE=old; fi
    apply_patch "$source" "$PATCH_STATE"
  fi
  measure "$work/sync-report.json" "$contactsync" --data-dir "$dir" --json sync "$command" bench
  COUNTS=$(check_sync_report "$work/sync-report.json" "$kind" "$n" "$PATCH_ROWS")
}

# Sets SELECT_SQL[$1] (once per source) to the SELECT the benchmark's sync runs, as its own
# report shows it: an untimed `sync test` on a copy of the template. The benchmark has no rules,
# so the statement has no bound values.
sync_select() {
  local source=$1 dir=$work/select-$source
  [[ -z ${SELECT_SQL[$source]:-} ]] || return 0
  prepare_sync_template "$source"
  rm -rf "$dir"
  cp -a "$work/template-$source" "$dir"
  "$contactsync" --data-dir "$dir" --json sync test bench >"$work/select-report.json" \
    2>"$work/stderr.txt" || { cat "$work/stderr.txt" >&2; die "$source: sync test failed"; }
  rm -rf "$dir"
  SELECT_SQL[$source]=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sql"])' \
    "$work/select-report.json")
  [[ ${SELECT_SQL[$source]} == SELECT* && ${SELECT_SQL[$source]} != *' -- params:'* ]] ||
    die "$source: unexpected SQL in the sync's report: ${SELECT_SQL[$source]}"
  log "$source: the sync's SELECT: ${SELECT_SQL[$source]}"
  printf '%s\t%s\n' "$source" "${SELECT_SQL[$source]}" >>"$results/select.tsv"
}

# K alternating pairs of the raw read and `runner SOURCE KIND N` (which sets LAST_S, LAST_KIB
# and COUNTS) for source $1 at N=$2, kind $3, after one untimed warm-up; one line per pair in
# sync.tsv. The warm-up of a kind also leaves the state the next kinds start from (the fresh
# sync's store, the fresh import's file).
run_pairs() {
  local source=$1 n=$2 kind=$3 runner=$4 i raw_s raw_kib cs_s cs_kib
  raw_command "$source"
  "$runner" "$source" "$kind" "$n"
  for ((i = 1; i <= pairs; i++)); do
    if ((i % 2)); then
      measure /dev/null "${RAW[@]}"
      raw_s=$LAST_S raw_kib=$LAST_KIB
      "$runner" "$source" "$kind" "$n"
      cs_s=$LAST_S cs_kib=$LAST_KIB
    else
      "$runner" "$source" "$kind" "$n"
      cs_s=$LAST_S cs_kib=$LAST_KIB
      measure /dev/null "${RAW[@]}"
      raw_s=$LAST_S raw_kib=$LAST_KIB
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$source" "$n" "$kind" "$i" "$raw_s" \
      "$raw_kib" "$cs_s" "$cs_kib" "${COUNTS// /,}" >>"$results/sync.tsv"
    log "$source N=$n $kind pair $i: raw ${raw_s}s, $kind ${cs_s}s" \
      "($((cs_kib / 1024)) MiB; $COUNTS)"
  done
}

sync_runner() { run_sync "$1" "$2" "$work/store-$1" "$3"; }

# For source $1 at N=$2 (table loaded, patches loaded): K alternating pairs of the raw read and
# each kind of sync, in this order on one store: fresh sync into an empty store, unchanged
# re-sync, re-sync with 1% of the rows changed, Test (dry run) of the synced store.
run_sync_benchmarks() {
  local source=$1 n=$2 kind
  prepare_sync_template "$source"
  PATCH_STATE=old
  for kind in fresh unchanged changed test; do
    run_pairs "$source" "$n" "$kind" sync_runner
  done
  # What a sync of this size needs at most, for the memory-by-size table.
  SYNC_KIB=$(awk -F'\t' -v s="$source" -v n="$n" '$1 == s && $2 == n && $3 ~ /^(fresh|unchanged|changed|test)$/ && $8 > m { m = $8 }
    END { print m }' "$results/sync.tsv")
}

# One untimed fresh sync at a size only measured for memory; sets SYNC_KIB.
run_sync_rss() {
  local source=$1 n=$2
  prepare_sync_template "$source"
  run_sync "$source" fresh "$work/store-$source" "$n"
  SYNC_KIB=$LAST_KIB
}

# --- references: sqlite3 .import and a Python peer (issue 13) --------------------------------

readonly peer=$root/bench/peer_sync.py
readonly valid_tsv=$work/valid.tsv
readonly import_db=$work/import.db
readonly peer_db=$work/peer.db

# The peer's connection to the MariaDB source and the sync's SELECT, as argv.
peer_command() {
  PEER=("$peer_python" "$peer" --host 127.0.0.1 --port "$CONTACTSYNC_TEST_MARIADB_READER_PORT"
    --user "$CONTACTSYNC_TEST_MARIADB_READER_USER"
    --password-env CONTACTSYNC_TEST_MARIADB_READER_PASSWORD
    --database "$CONTACTSYNC_TEST_MARIADB_READER_DATABASE" --query "${SELECT_SQL[mysql]}")
}

json_number() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# Untimed: the valid rows of the source as TSV (the peer's own rule: trimmed, lower-cased, a
# regex, the first row of an address wins) and the three sqlite3 scripts that import them.
# Sets VALID_ROWS.
prepare_references() {
  peer_command
  "${PEER[@]}" --export-tsv "$valid_tsv" >"$work/export.json" 2>"$work/stderr.txt" ||
    { cat "$work/stderr.txt" >&2; die "peer_sync.py --export-tsv failed"; }
  VALID_ROWS=$(wc -l <"$valid_tsv")
  VALID_ROWS=${VALID_ROWS// /}
  local columns name defs="" others="" updates=""
  columns=$(python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["columns"]))' \
    "$work/export.json")
  for name in $columns; do
    [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || die "unexpected column name from the source: $name"
    if [[ -z $defs ]]; then
      defs="$name TEXT NOT NULL UNIQUE"  # the email, first
    else
      defs+=", $name TEXT"
      others+="${others:+, }$name TEXT"
      updates+="${updates:+, }$name = excluded.$name"
    fi
  done
  local email=${columns%% *}
  # Fresh: an empty file, a table with a unique email, one .import (one transaction).
  printf '%s\n' "CREATE TABLE contacts ($defs);" ".mode tabs" \
    ".import '$valid_tsv' contacts" >"$work/import-fresh.sql"
  # Again, into the imported file: .import into a TEMP table, then one upsert statement.
  printf '%s\n' "CREATE TEMP TABLE incoming ($email TEXT, $others);" ".mode tabs" \
    ".import '$valid_tsv' incoming" \
    "INSERT INTO contacts SELECT * FROM incoming WHERE true ON CONFLICT($email) DO UPDATE SET $updates;" \
    >"$work/import-again.sql"
  # Fresh, the unique index built after the import (SQLite's bulk-load idiom).
  printf '%s\n' "CREATE TABLE contacts ($email TEXT NOT NULL, $others);" ".mode tabs" \
    ".import '$valid_tsv' contacts" "CREATE UNIQUE INDEX contacts_email ON contacts ($email);" \
    >"$work/import-index-after.sql"
}

# Checks that file $1 holds the VALID_ROWS rows; sets COUNTS.
count_reference_rows() {
  local rows
  rows=$(sqlite3 -batch "$1" "SELECT COUNT(*) FROM contacts")
  [[ $rows == "$VALID_ROWS" ]] || die "$2: $rows rows in $1, expected $VALID_ROWS"
  COUNTS="rows $rows"
}

# One run of reference kind $2 (sets LAST_S, LAST_KIB, COUNTS).
reference_runner() {
  local kind=$2
  case $kind in
    import_fresh | import_index_after)
      rm -f "$import_db" "$import_db-journal"
      measure /dev/null sqlite3 -batch -bail "$import_db" ".read $work/${kind//_/-}.sql"
      count_reference_rows "$import_db" "$kind" ;;
    import_again)
      measure /dev/null sqlite3 -batch -bail "$import_db" ".read $work/import-again.sql"
      count_reference_rows "$import_db" "$kind" ;;
    peer_fresh | peer_unchanged)
      [[ $kind == peer_fresh ]] && rm -f "$peer_db" "$peer_db-journal"
      peer_command
      measure "$work/peer.json" "${PEER[@]}" --db "$peer_db"
      count_reference_rows "$peer_db" "$kind"
      COUNTS+=" read $(json_number "$work/peer.json" read)" ;;
  esac
}

# For the MariaDB source at N=$2: K alternating pairs of the raw read and each reference.
run_reference_benchmarks() {
  local source=$1 n=$2 kind
  prepare_references
  log "references: $VALID_ROWS valid rows (contactsync's fresh sync added $(awk -F'\t' \
    -v n="$n" '$1 == "mysql" && $2 == n && $3 == "fresh" { split($9, c, ","); a = c[1] }
      END { print a }' "$results/sync.tsv"))"
  printf '%s\t%s\n' "$n" "$VALID_ROWS" >>"$results/valid-rows.tsv"
  for kind in import_fresh import_again import_index_after peer_fresh peer_unchanged; do
    run_pairs "$source" "$n" "$kind" reference_runner
  done
  rm -f "$valid_tsv" "$import_db" "$peer_db"
}
# --------------------------------------------------------------------------------------------

printf 'source\tN\tpair\traw_s\traw_peak_kib\tcontactsync_s\tcontactsync_peak_kib\tcontactsync_read_s\n' \
  >"$results/results.tsv"
printf 'source\tN\tpeak_rss_kib\tsync_peak_rss_kib\n' >"$results/rss.tsv"
# kind: a contactsync run (fresh, unchanged, changed, test) or a reference (import_*, peer_*);
# counts: added,updated,unchanged,failed for contactsync, the rows stored for a reference.
printf 'source\tN\tkind\tpair\traw_s\traw_peak_kib\ttimed_s\ttimed_peak_kib\tcounts\n' \
  >"$results/sync.tsv"

sizes=$(tr ',' '\n' <<<"$rows_list,$rss_sizes" | sort -n -u)
for n in $sizes; do
  log "N=$n: generating and loading"
  "$generate" --rows "$n" --seed "$seed" --out "$work/contacts.tsv" 2>/dev/null
  "$root/bench/load.sh" --file "$work/contacts.tsv" --sqlite-db "$sqlite_db" --only "$sources"
  PATCH_ROWS=0
  if ((sync)) && in_list "$n" "$rows_list"; then make_patches "$n" "$work/contacts.tsv"; fi
  rm -f "$work/contacts.tsv"
  for source in mysql postgresql sqlite; do
    in_list "$source" "$sources" || continue
    SYNC_KIB=""
    sync_select "$source"
    if in_list "$n" "$rows_list"; then
      run_read_pairs "$source" "$n"
      if ((sync)); then run_sync_benchmarks "$source" "$n"; fi
      if ((sync && references)) && [[ $source == mysql ]]; then
        run_reference_benchmarks "$source" "$n"
      fi
      kib=$(awk -F'\t' -v s="$source" -v n="$n" '$1 == s && $2 == n && $7 > m { m = $7 }
        END { print m }' "$results/results.tsv")
    else
      run_cs "$source" "$n"
      kib=$LAST_KIB
      echo "$CS_JSON" >>"$results/source_read.jsonl"
      if ((sync)); then run_sync_rss "$source" "$n"; fi
    fi
    printf '%s\t%s\t%s\t%s\n' "$source" "$n" "$kib" "$SYNC_KIB" >>"$results/rss.tsv"
  done
  rm -rf "$work"/store-* "$work"/template-*
done

# --- report --------------------------------------------------------------------------------------

# Medians over the pairs, the ratio contactsync/raw per pair (median, min-max), rows/s from the
# median times, and the highest peak RSS seen over the pairs. $1: the TSV; $2: 1 when it has the
# sync kind in column 3 (then every later column moves one to the right).
summarize() {
  awk -F'\t' -v with_kind="$2" '
  function median(list, count,   sorted, i, j, t) {
    for (i = 1; i <= count; i++) sorted[i] = list[i]
    for (i = 2; i <= count; i++)
      for (j = i; j > 1 && sorted[j - 1] > sorted[j]; j--) {
        t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t
      }
    return count % 2 ? sorted[(count + 1) / 2] : (sorted[count / 2] + sorted[count / 2 + 1]) / 2
  }
  BEGIN {
    # Issue 13 (1M rows, MariaDB); the fresh sync also <= the .import and <= half the peer.
    target["fresh"] = "<= 8x"; target["unchanged"] = "<= 1.5x"
    target["changed"] = "<= 2x"; target["test"] = "<= 1.5x"
  }
  NR == 1 { next }
  {
    o = with_kind ? 1 : 0
    key = $1 SUBSEP $2 SUBSEP (with_kind ? $3 : "")
    if (!(key in count)) order[++keys] = key
    c = ++count[key]
    raw[key, c] = $(4 + o); cs[key, c] = $(6 + o); ratio[key, c] = $(6 + o) / $(4 + o)
    if ($(5 + o) > rawkib[key]) rawkib[key] = $(5 + o)
    if ($(7 + o) > cskib[key]) cskib[key] = $(7 + o)
  }
  END {
    if (with_kind)
      printf "%-10s %8s %-18s %8s %8s %-20s %10s %10s %8s %8s %8s\n", "source", "N", "run",
        "raw s", "run s", "ratio median (range)", "raw rows/s", "run rows/s", "run MiB",
        "raw MiB", "target"
    else
      printf "%-10s %8s %8s %8s %-20s %10s %10s %8s %8s\n", "source", "N", "raw s", "cs s",
        "ratio median (range)", "raw rows/s", "cs rows/s", "cs MiB", "raw MiB"
    for (k = 1; k <= keys; k++) {
      key = order[k]; split(key, part, SUBSEP); c = count[key]
      delete r; delete s; delete q
      lo = 1e9; hi = 0
      for (i = 1; i <= c; i++) {
        r[i] = raw[key, i]; s[i] = cs[key, i]; q[i] = ratio[key, i]
        if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i]
      }
      mr = median(r, c); ms = median(s, c)
      ratio_text = sprintf("%.2fx (%.2f-%.2f)", median(q, c), lo, hi)
      if (with_kind)
        printf "%-10s %8d %-18s %8.3f %8.3f %-20s %10.0f %10.0f %8.1f %8.1f %8s\n",
          part[1], part[2], part[3], mr, ms, ratio_text, part[2] / mr, part[2] / ms,
          cskib[key] / 1024, rawkib[key] / 1024, part[1] == "mysql" ? target[part[3]] : ""
      else
        printf "%-10s %8d %8.3f %8.3f %-20s %10.0f %10.0f %8.1f %8.1f\n",
          part[1], part[2], mr, ms, ratio_text, part[2] / mr, part[2] / ms, cskib[key] / 1024,
          rawkib[key] / 1024
    }
  }' "$1"
}
summarize "$results/results.tsv" 0 >"$results/table.txt"
summarize "$results/sync.tsv" 1 >"$results/sync-table.txt"

# contactsync against the references, as ratios of the median times (the kinds were not run in
# the same pairs, so there is no per-pair ratio); issue 13's targets beside them.
awk -F'\t' '
  function median(list, count,   sorted, i, j, t) {
    for (i = 1; i <= count; i++) sorted[i] = list[i]
    for (i = 2; i <= count; i++)
      for (j = i; j > 1 && sorted[j - 1] > sorted[j]; j--) {
        t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t
      }
    return count % 2 ? sorted[(count + 1) / 2] : (sorted[count / 2] + sorted[count / 2 + 1]) / 2
  }
  NR == 1 { next }
  {
    key = $1 SUBSEP $2
    if (!(key in seen)) { seen[key] = 1; order[++keys] = key }
    c = ++count[key, $3]; times[key, $3, c] = $7
  }
  function med(key, kind,   list, i) {
    for (i = 1; i <= count[key, kind]; i++) list[i] = times[key, kind, i]
    return median(list, count[key, kind])
  }
  function line(key, a, b, target,   part) {
    if (!count[key, a] || !count[key, b]) return
    split(key, part, SUBSEP)
    printf "%-10s %8d %-38s %8.3f %8.3f %8.2fx %10s\n", part[1], part[2], a " / " b,
      med(key, a), med(key, b), med(key, a) / med(key, b), target
  }
  END {
    printf "%-10s %8s %-38s %8s %8s %9s %10s\n", "source", "N", "contactsync / reference",
      "cs s", "ref s", "ratio", "target"
    for (k = 1; k <= keys; k++) {
      line(order[k], "fresh", "import_fresh", "<= 1x")
      line(order[k], "fresh", "import_index_after", "")
      line(order[k], "fresh", "peer_fresh", "<= 0.5x")
      line(order[k], "unchanged", "import_again", "")
      line(order[k], "unchanged", "peer_unchanged", "")
    }
  }' "$results/sync.tsv" >"$results/references-table.txt"

awk -F'\t' '
  NR == 1 { next }
  {
    if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
    line[$1] = line[$1] sprintf("  N=%d: %.1f MiB", $2, $3 / 1024)
    if ($4 != "") sync[$1] = sync[$1] sprintf("  N=%d: %.1f MiB", $2, $4 / 1024)
  }
  END {
    for (i = 1; i <= n; i++) printf "%-22s%s\n", order[i] " source_read", line[order[i]]
    for (i = 1; i <= n; i++)
      if (order[i] in sync) printf "%-22s%s\n", order[i] " fresh sync", sync[order[i]]
  }' \
  "$results/rss.tsv" >"$results/rss.txt"

if ((micro)); then
  log "micro-benchmarks"
  "$micro_bench" --benchmark_min_time=0.2 >"$results/micro.txt" 2>&1
fi

echo
echo "Source read: raw client vs contactsync source_read (median of $pairs alternating pairs;"
echo "ratio = contactsync / raw per pair, median and min-max; wall time of the whole process)"
cat "$results/table.txt"
echo
if ((sync)); then
  echo "Sync: raw client vs contactsync sync run/test on a SQLite store (median of $pairs"
  echo "alternating pairs; ratio = contactsync / raw per pair; wall time of the whole process;"
  echo "fresh: into an empty store; unchanged: re-sync, nothing changed; changed: re-sync with"
  echo "1% of the rows changed in the source; test: dry run of the synced store;"
  echo "import_*, peer_*: the references on the same rows, see the header of bench/run.sh;"
  echo "peak RSS target: <= 128 MiB)"
  cat "$results/sync-table.txt"
  echo
  if ((references)) && grep -q $'\timport_fresh\t' "$results/sync.tsv"; then
    echo "contactsync against the references (ratio of the median times)"
    cat "$results/references-table.txt"
    echo "valid rows (the references' TSV) by N: $(awk -F'\t' '{ printf "%s%s=%s", (NR > 1 ? ", " : ""), $1, $2 }' \
      "$results/valid-rows.tsv")"
    echo
  fi
fi
echo "contactsync peak RSS by table size (streaming: should not grow with N)"
cat "$results/rss.txt"
if ((micro)); then
  echo
  echo "Micro-benchmarks (build/bench/bench/micro_bench):"
  grep -E '^(BM_|Benchmark|-)' "$results/micro.txt" || true
fi
echo
echo "Machine and raw data: $results"
