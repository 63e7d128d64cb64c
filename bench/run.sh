#!/usr/bin/env bash
# The benchmark comparison of issue 7 in one command (BENCHMARKS.md shows its output):
#
#   bench/run.sh [--rows 100000[,1000000...]] [--pairs 3] [--rss-sizes N,M]
#                [--sources mysql,postgresql,sqlite] [--no-sync] [--no-micro] [--keep]
#
# Without options it is the quick run (N = 100k, 3 pairs, memory also at 400k: a few minutes);
# the full table is `--rows 100000,1000000 --pairs 5`.
#
# It starts its own throwaway MariaDB and PostgreSQL (scripts/test-servers.sh; stopped at
# exit), builds the release binaries in build/bench, and for each table size N:
#   1. generates N contact rows (bench/generate_contacts, seed 1) and bulk-loads them into
#      MariaDB, PostgreSQL and SQLite (bench/load.sh), with the 1% of rows that the "changed"
#      re-sync edits, before and after, as two patch tables;
#   2. per source, after one untimed warm-up of each, runs K pairs of
#        the raw client reading the table to /dev/null (the limit):
#          mariadb --quick --batch -e "SELECT ..."   psql -c "COPY (SELECT ...) TO STDOUT"
#          sqlite3 bench.db "SELECT ..."
#        contactsync's source_read (OpenSource -> OpenReader -> ReadBatch to the end)
#      alternating which goes first, both timed the same way: wall time of the whole process
#      (bash EPOCHREALTIME around it) and its peak RSS (/usr/bin/time %M);
#   3. per source, the same K alternating pairs of the raw read and `contactsync sync run`
#      (the release CLI, SQLite store) for: a fresh sync into an empty store, an unchanged
#      re-sync, a re-sync after 1% of the source rows changed, and `sync test` (dry run).
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
readonly columns="id, email, first_name, last_name, city, phone, company, created_at, updated_at, note, score, birthday"
readonly seed=1

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

rows_list=""
pairs=3
rss_sizes=""
sources=mysql,postgresql,sqlite
sync=1
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
for tool in mariadb psql sqlite3 cmake awk; do
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
    "--sources $sources$( ((sync)) || echo ' --no-sync')"
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

# The raw client reading the whole table, as argv, with the password in the environment.
raw_command() {
  case $1 in
    mysql)
      RAW=(env "MYSQL_PWD=$CONTACTSYNC_TEST_MARIADB_READER_PASSWORD" mariadb --no-defaults
        --protocol=tcp --host=127.0.0.1 --port="$CONTACTSYNC_TEST_MARIADB_READER_PORT"
        --user="$CONTACTSYNC_TEST_MARIADB_READER_USER" --skip-ssl
        --database="$CONTACTSYNC_TEST_MARIADB_READER_DATABASE"
        --quick --batch -e "SELECT $columns FROM bench_contacts") ;;
    postgresql)
      RAW=(env "PGPASSWORD=$CONTACTSYNC_TEST_PG_READER_PASSWORD" psql --no-psqlrc
        "host=127.0.0.1 port=$CONTACTSYNC_TEST_PG_READER_PORT user=$CONTACTSYNC_TEST_PG_READER_USER dbname=$CONTACTSYNC_TEST_PG_READER_DATABASE sslmode=disable"
        -c "COPY (SELECT $columns FROM bench_contacts) TO STDOUT") ;;
    sqlite)
      RAW=(sqlite3 "$sqlite_db" "SELECT $columns FROM bench_contacts") ;;
  esac
}

# contactsync's source_read on the same table, as argv.
cs_command() {
  case $1 in
    mysql)
      CS=("$source_read" --type mysql --host 127.0.0.1 --port "$CONTACTSYNC_TEST_MARIADB_READER_PORT"
        --user "$CONTACTSYNC_TEST_MARIADB_READER_USER"
        --password-env CONTACTSYNC_TEST_MARIADB_READER_PASSWORD
        --database "$CONTACTSYNC_TEST_MARIADB_READER_DATABASE") ;;
    postgresql)
      CS=("$source_read" --type postgresql --host 127.0.0.1 --port "$CONTACTSYNC_TEST_PG_READER_PORT"
        --user "$CONTACTSYNC_TEST_PG_READER_USER" --password-env CONTACTSYNC_TEST_PG_READER_PASSWORD
        --database "$CONTACTSYNC_TEST_PG_READER_DATABASE") ;;
    sqlite)
      CS=("$source_read" --type sqlite --database "$sqlite_db") ;;
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
# the three contact fields and four custom fields of four types (SPEC §3). delete_not_affected
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

# For source $1 at N=$2 (table loaded, patches loaded): K alternating pairs of the raw read and
# each kind of sync, in this order on one store: fresh sync into an empty store, unchanged
# re-sync, re-sync with 1% of the rows changed, Test (dry run) of the synced store.
run_sync_benchmarks() {
  local source=$1 n=$2 kind i raw_s raw_kib cs_s cs_kib
  local dir=$work/store-$source
  prepare_sync_template "$source"
  raw_command "$source"
  PATCH_STATE=old
  for kind in fresh unchanged changed test; do
    # Untimed warm-up: a fresh sync also leaves the store the other kinds start from.
    run_sync "$source" "$kind" "$dir" "$n"
    for ((i = 1; i <= pairs; i++)); do
      if ((i % 2)); then
        measure /dev/null "${RAW[@]}"
        raw_s=$LAST_S raw_kib=$LAST_KIB
        run_sync "$source" "$kind" "$dir" "$n"
        cs_s=$LAST_S cs_kib=$LAST_KIB
      else
        run_sync "$source" "$kind" "$dir" "$n"
        cs_s=$LAST_S cs_kib=$LAST_KIB
        measure /dev/null "${RAW[@]}"
        raw_s=$LAST_S raw_kib=$LAST_KIB
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$source" "$n" "$kind" "$i" "$raw_s" \
        "$raw_kib" "$cs_s" "$cs_kib" "${COUNTS// /,}" >>"$results/sync.tsv"
      log "$source N=$n $kind pair $i: raw ${raw_s}s, contactsync ${cs_s}s" \
        "($((cs_kib / 1024)) MiB; added,updated,unchanged,failed $COUNTS)"
    done
  done
  # What a fresh sync of this size needs at most, for the memory-by-size table.
  SYNC_KIB=$(awk -F'\t' -v s="$source" -v n="$n" '$1 == s && $2 == n && $8 > m { m = $8 }
    END { print m }' "$results/sync.tsv")
}

# One untimed fresh sync at a size only measured for memory; sets SYNC_KIB.
run_sync_rss() {
  local source=$1 n=$2
  prepare_sync_template "$source"
  run_sync "$source" fresh "$work/store-$source" "$n"
  SYNC_KIB=$LAST_KIB
}
# --------------------------------------------------------------------------------------------

printf 'source\tN\tpair\traw_s\traw_peak_kib\tcontactsync_s\tcontactsync_peak_kib\tcontactsync_read_s\n' \
  >"$results/results.tsv"
printf 'source\tN\tpeak_rss_kib\tsync_peak_rss_kib\n' >"$results/rss.tsv"
printf 'source\tN\tkind\tpair\traw_s\traw_peak_kib\tcontactsync_s\tcontactsync_peak_kib\tadded,updated,unchanged,failed\n' \
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
    if in_list "$n" "$rows_list"; then
      run_read_pairs "$source" "$n"
      if ((sync)); then run_sync_benchmarks "$source" "$n"; fi
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
    target["fresh"] = "<= 4x"; target["unchanged"] = "<= 1.5x"
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
      printf "%-10s %8s %-9s %8s %8s %-20s %10s %10s %8s %8s %8s\n", "source", "N", "run",
        "raw s", "cs s", "ratio median (range)", "raw rows/s", "cs rows/s", "cs MiB", "raw MiB",
        "target"
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
        printf "%-10s %8d %-9s %8.3f %8.3f %-20s %10.0f %10.0f %8.1f %8.1f %8s\n",
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
  echo "1% of the rows changed in the source; test: dry run of the synced store)"
  cat "$results/sync-table.txt"
  echo
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
