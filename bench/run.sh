#!/usr/bin/env bash
# The benchmark comparison of issue 7 in one command (BENCHMARKS.md shows its output):
#
#   bench/run.sh [--rows 100000[,1000000...]] [--pairs 5] [--quick] [--rss-sizes N,M]
#                [--sources mysql,postgresql,sqlite] [--no-micro] [--keep]
#
# It starts its own throwaway MariaDB and PostgreSQL (scripts/test-servers.sh; stopped at
# exit), builds the release binaries in build/bench, and for each table size N:
#   1. generates N contact rows (bench/generate_contacts, seed 1) and bulk-loads them into
#      MariaDB, PostgreSQL and SQLite (bench/load.sh);
#   2. per source, after one untimed warm-up of each, runs K pairs of
#        the raw client reading the table to /dev/null (the limit):
#          mariadb --quick --batch -e "SELECT ..."   psql -c "COPY (SELECT ...) TO STDOUT"
#          sqlite3 bench.db "SELECT ..."
#        contactsync's source_read (OpenSource -> OpenReader -> ReadBatch to the end)
#      alternating which goes first, both timed the same way: wall time of the whole process
#      (bash EPOCHREALTIME around it) and its peak RSS (/usr/bin/time %M);
#   3. (later) the sync benchmarks: see run_sync_benchmarks.
# Then it prints the table (medians over the pairs, the median contactsync/raw ratio with its
# min-max range) and the peak RSS of source_read at every size, to show that memory does not
# grow with the table. The RSS sizes default to 100k and 1M (100k and 400k with --quick); sizes
# not in --rows get one untimed source_read each.
#
# Both sides use the same SELECT-only account over TCP to 127.0.0.1, without TLS.
# Raw results land in build/bench/results/<UTC time>/ (results.tsv, rss.tsv, table.txt,
# machine.txt, micro.txt). Only 127.0.0.1 is contacted.

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
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

rows_list=100000
pairs=5
quick=0
rss_sizes=""
sources=mysql,postgresql,sqlite
micro=1
keep=0
while (($#)); do
  case $1 in
    --rows) rows_list=${2:?}; shift 2 ;;
    --pairs) pairs=${2:?}; shift 2 ;;
    --quick) quick=1; shift ;;
    --rss-sizes) rss_sizes=${2:?}; shift 2 ;;
    --sources) sources=${2:?}; shift 2 ;;
    --no-micro) micro=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done
if [[ -z $rss_sizes ]]; then
  if ((quick)); then rss_sizes=100000,400000; else rss_sizes=100000,1000000; fi
fi
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
    "--sources $sources"
} >"$results/machine.txt"
sed 's/^/bench: /' "$results/machine.txt" >&2

# --- build ---------------------------------------------------------------------------------------

log "building release binaries in build/bench"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCONTACTSYNC_BUILD_TESTS=OFF \
  -DCONTACTSYNC_BUILD_BENCH=ON >"$results/build.log"
jobs=${CONTACTSYNC_BENCH_JOBS:-2}
cmake --build "$build_dir" --target source_read generate_contacts micro_bench -j"$jobs" \
  >>"$results/build.log" 2>&1 || die "the bench targets did not build; see $results/build.log"
# contactsync itself is for the sync benchmarks, which are not written yet: a failed build of it
# (another module mid-edit) does not stop the source measurements.
if ! cmake --build "$build_dir" --target contactsync -j"$jobs" >>"$results/build.log" 2>&1; then
  log "warning: contactsync did not build (see $results/build.log); only the sync benchmarks need it"
fi
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
  /usr/bin/time -f '%M' -o "$work/time.txt" "$@" >"$out"
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

# --------------------------------------------------------------------------------------------
# SYNC BENCHMARKS: to be added when the sync engine lands (issue 7). For source $1 at N=$2,
# with the table already loaded, each timed alternately with the raw read exactly like
# run_read_pairs and reported in the same table:
#   - fresh sync into an empty store (contactsync sync run ... on a new data dir)
#   - unchanged re-sync (the same sync again)
#   - re-sync with 1% of rows changed (generate_contacts --rows N --seed 1 --change-percent 1
#     --seed2 2, reloaded with bench/load.sh, then the sync again)
#   - Test (dry run)
# Nothing is measured here yet: no figure is printed for them until they are.
run_sync_benchmarks() {
  local source=$1 n=$2
  : "$source" "$n"
}
# --------------------------------------------------------------------------------------------

printf 'source\tN\tpair\traw_s\traw_peak_kib\tcontactsync_s\tcontactsync_peak_kib\tcontactsync_read_s\n' \
  >"$results/results.tsv"
printf 'source\tN\tpeak_rss_kib\n' >"$results/rss.tsv"

sizes=$(tr ',' '\n' <<<"$rows_list,$rss_sizes" | sort -n -u)
for n in $sizes; do
  log "N=$n: generating and loading"
  "$generate" --rows "$n" --seed "$seed" --out "$work/contacts.tsv" 2>/dev/null
  "$root/bench/load.sh" --file "$work/contacts.tsv" --sqlite-db "$sqlite_db" --only "$sources"
  rm -f "$work/contacts.tsv"
  for source in mysql postgresql sqlite; do
    in_list "$source" "$sources" || continue
    if in_list "$n" "$rows_list"; then
      run_read_pairs "$source" "$n"
      run_sync_benchmarks "$source" "$n"
      kib=$(awk -F'\t' -v s="$source" -v n="$n" '$1 == s && $2 == n && $7 > m { m = $7 }
        END { print m }' "$results/results.tsv")
    else
      run_cs "$source" "$n"
      kib=$LAST_KIB
      echo "$CS_JSON" >>"$results/source_read.jsonl"
    fi
    printf '%s\t%s\t%s\n' "$source" "$n" "$kib" >>"$results/rss.tsv"
  done
done

# --- report --------------------------------------------------------------------------------------

# Medians over the pairs, the ratio contactsync/raw per pair (median, min-max), rows/s from the
# median times, and the highest peak RSS seen over the pairs.
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
    if (!(key in count)) order[++keys] = key
    c = ++count[key]
    raw[key, c] = $4; cs[key, c] = $6; ratio[key, c] = $6 / $4
    if ($5 > rawkib[key]) rawkib[key] = $5
    if ($7 > cskib[key]) cskib[key] = $7
  }
  END {
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
      printf "%-10s %8d %8.3f %8.3f %-20s %10.0f %10.0f %8.1f %8.1f\n",
        part[1], part[2], mr, ms, sprintf("%.2fx (%.2f-%.2f)", median(q, c), lo, hi),
        part[2] / mr, part[2] / ms, cskib[key] / 1024, rawkib[key] / 1024
    }
  }' "$results/results.tsv" >"$results/table.txt"

awk -F'\t' '
  NR == 1 { next }
  { if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } line[$1] = line[$1] sprintf("  N=%d: %.1f MiB", $2, $3 / 1024) }
  END { for (i = 1; i <= n; i++) printf "%-10s%s\n", order[i], line[order[i]] }' \
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
echo "contactsync source_read peak RSS by table size (streaming: should not grow with N)"
cat "$results/rss.txt"
echo
echo "Sync benchmarks (fresh sync, unchanged re-sync, 1% changed, Test): not measured yet;"
echo "they are added to run_sync_benchmarks in bench/run.sh when the sync engine lands."
if ((micro)); then
  echo
  echo "Micro-benchmarks (build/bench/bench/micro_bench):"
  grep -E '^(BM_|Benchmark|-)' "$results/micro.txt" || true
fi
echo
echo "Machine and raw data: $results"
