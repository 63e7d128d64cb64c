#!/usr/bin/env bash
# Quick start, command 1: installs what is needed, builds, runs the main job
# (`contactsync demo`: a Database Sync of a generated shop database) on the
# embedded default store (SQLite in ./.data of this checkout), then serves the
# web UI on 127.0.0.1 with the demo sync in it until Ctrl-C.
#
# Settings (environment): CONTACTSYNC_DATA_DIR (default ./.data),
# CONTACTSYNC_LISTEN (default 127.0.0.1:8080), CONTACTSYNC_NO_SERVE=1 to stop
# after the report.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release

bin=build/release/src/cli/contactsync
data_dir="${CONTACTSYNC_DATA_DIR:-$PWD/.data}"
listen="${CONTACTSYNC_LISTEN:-127.0.0.1:8080}"
echo
"$bin" --data-dir "$data_dir" init
echo
# The main job: a sample shop database synced into a list, with progress and
# the run's report. Run it again to see an unchanged re-sync.
"$bin" --data-dir "$data_dir" demo
echo
echo "Try: $bin --data-dir $data_dir sync show 'Demo shop customers'"
echo "     $bin --data-dir $data_dir --help"
if [[ "${CONTACTSYNC_NO_SERVE:-0}" == 1 ]]; then exit 0; fi

# A first user for the web UI, made once with a random password that is kept
# (mode 0600, like everything in the data directory) so that later runs can
# say it again. Users you add yourself are left alone.
password_file="$data_dir/web-admin-password"
if [[ "$("$bin" --data-dir "$data_dir" --json user ls)" == "[]" ]]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$password_file")
  "$bin" --data-dir "$data_dir" user add admin --password-stdin <"$password_file" >/dev/null
fi
echo
if [[ -f "$password_file" ]]; then
  echo "Web UI: log in as 'admin' with the password $(cat "$password_file")"
  echo "        (kept in $password_file; add users with: $bin --data-dir $data_dir user add NAME)"
fi
exec "$bin" --data-dir "$data_dir" serve --listen "$listen"
