# Sourced by make_store_vN.sh: `source store_maker.sh N BINARY`. Sets `binary`, `out` (this
# directory), `work` (a temporary directory, removed at exit), `data` (the store's data
# directory in it) and `cs` (the binary on that data directory); initialises the store and
# stops unless the binary writes schema N.
set -euo pipefail
schema=${1:?store_maker.sh: the schema version}
maker=$(basename "${BASH_SOURCE[1]}")
binary=$(realpath "${2:?usage: $maker CONTACTSYNC_BINARY}")
out=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$work/data
cs() { "$binary" --data-dir "$data" "$@"; }

cs init >/dev/null
[[ $(cs --json init | python3 -c 'import json, sys; print(json.load(sys.stdin)["schema_version"])') == "$schema" ]] ||
  { echo "$maker: $binary does not write schema $schema" >&2; exit 1; }
