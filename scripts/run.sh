#!/usr/bin/env bash
# Quick start, command 1: installs what is needed, builds, and runs the main
# job (`contactsync demo`: a Database Sync of a generated shop database) on the
# embedded default store (SQLite in ./.data of this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release

bin=build/release/src/cli/contactsync
data_dir="${CONTACTSYNC_DATA_DIR:-$PWD/.data}"
echo
"$bin" --data-dir "$data_dir" init
echo
# The main job: a sample shop database synced into a list, with progress and
# the run's report. Run it again to see an unchanged re-sync.
"$bin" --data-dir "$data_dir" demo
echo
echo "Try: $bin --data-dir $data_dir sync show 'Demo shop customers'"
echo "     $bin --data-dir $data_dir --help"
