#!/usr/bin/env bash
# Quick start, command 1: installs what is needed, builds, and runs the main
# job on the embedded default store (SQLite in ./.data of this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release

bin=build/release/src/cli/contactsync
data_dir="${CONTACTSYNC_DATA_DIR:-$PWD/.data}"
echo
"$bin" --data-dir "$data_dir" init
echo
echo "Lists:"
"$bin" --data-dir "$data_dir" list ls
echo
echo "Custom fields:"
"$bin" --data-dir "$data_dir" field ls
echo
echo "Try: $bin --data-dir $data_dir --help"
