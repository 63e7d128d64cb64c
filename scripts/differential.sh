#!/usr/bin/env bash
# The long run of the custom-query differential test
# (src/app/custom_query_differential_test.cpp): generated hostile queries go
# through the custom-query check, and every one it accepts runs against real
# MariaDB, PostgreSQL and SQLite servers as a privileged account, with probes
# that show anything the check did not see. CI runs 2,500 queries per dialect
# with one fixed seed; this runs as many as you like, with new seeds.
#
#   scripts/differential.sh [--queries N] [--seed S] [--rounds R] [--filter F]
#
#   --queries N  queries per dialect and round (default 20000)
#   --seed S     first seed (default: from the clock, printed); round i uses S+i
#   --rounds R   rounds, each with its own seed (default 1)
#   --filter F   gtest filter (default: all three dialects,
#                CustomQueryDifferentialTest.*; e.g. '*Postgres*')
#
# Starts throwaway servers (scripts/test-servers.sh) and stops them at the end;
# builds the test build first when it is missing (scripts/build.sh test). A
# failure prints the seed, each query the servers ran a probe for (escaped) and
# what ran; rerun one with --seed S --rounds 1 and the same --queries.
set -euo pipefail
cd "$(dirname "$0")/.."

queries=20000
seed=""
rounds=1
filter='CustomQueryDifferentialTest.*'

usage() {
  sed -n '9,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

number() {
  [[ $2 =~ ^[0-9]+$ ]] || {
    echo "differential: $1 needs a whole number, got '$2'" >&2
    exit 2
  }
}

while (($# > 0)); do
  case $1 in
    --queries) (($# >= 2)) || usage; number "$1" "$2"; queries=$2; shift 2 ;;
    --seed) (($# >= 2)) || usage; number "$1" "$2"; seed=$2; shift 2 ;;
    --rounds) (($# >= 2)) || usage; number "$1" "$2"; rounds=$2; shift 2 ;;
    --filter) (($# >= 2)) || usage; filter=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "differential: unknown option '$1'" >&2; usage ;;
  esac
done
if [[ -z $seed ]]; then
  seed=$(( $(date +%s) % 1000000000 ))
fi

binary=build/test/src/app/custom_query_differential_test
if [[ ! -x $binary ]]; then
  scripts/build.sh test
fi

servers_dir=""
cleanup() {
  if [[ -n $servers_dir ]]; then scripts/test-servers.sh stop "$servers_dir" >/dev/null || true; fi
}
trap cleanup EXIT
servers_dir="$(mktemp -d /tmp/cs-diff-servers.XXXXXX)"
scripts/test-servers.sh start "$servers_dir" >/dev/null
# shellcheck disable=SC1091
source "$servers_dir/env"
export CONTACTSYNC_REQUIRE_TEST_SERVERS=1
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

status=0
for ((round = 0; round < rounds; round++)); do
  round_seed=$((seed + round))
  echo "differential: round $((round + 1))/$rounds, seed $round_seed, $queries queries per dialect"
  if ! CONTACTSYNC_DIFF_SEED=$round_seed CONTACTSYNC_DIFF_QUERIES=$queries \
    "$binary" --gtest_filter="$filter"; then
    echo "differential: FAILED with seed $round_seed (rerun: $0 --seed $round_seed --queries $queries)" >&2
    status=1
  fi
done
exit "$status"
