#!/usr/bin/env bash
# Makes tests/data/store-v8.db, a store written by the release before migration 9 (schema 8:
# a history row for every join), and tests/data/store-v8.expected.json, every contact with its
# history as that release showed it (contact show --json).
# src/store/sqlite/migration_v9_test.cpp migrates a copy and checks that every history reads
# the same.
#
#   tests/data/make_store_v8.sh BINARY     (a contactsync built at schema 8)
#
# Kept for the record: the committed files were made by the release of commit 42427fd; running
# this with a newer binary makes a store of its schema instead.
source "$(dirname "$0")/store_maker.sh" 8 "$@"

cs list create News >/dev/null
cs list create Deals >/dev/null
cs list create Old >/dev/null

# Joins to several lists, then changes: confirmed, unsubscribed, bounced; joins made after a
# change of another list, so that the history's order is not the lists' order.
cs contact add ann@example.com --list Old >/dev/null
cs contact add ann@example.com --list News --status unconfirmed >/dev/null
cs contact add ann@example.com --list News >/dev/null  # confirmed: unconfirmed -> active
cs contact add ann@example.com --list Deals >/dev/null
cs contact add bob@example.com --list Deals --status unsubscribed >/dev/null
cs contact add bob@example.com --list Old >/dev/null
cs contact unsubscribe ann@example.com --list News >/dev/null
cs contact add carol@example.com --list News >/dev/null
cs contact add carol@example.com --list Old --status unconfirmed >/dev/null
cs contact bounce carol@example.com >/dev/null
cs contact add erin@example.com >/dev/null  # on no list: no history

# A sync into Members that removes the contacts its source no longer selects: one run adds
# three, the next removes Ann (who stays, being on other lists: her join and her removal in the
# history), the third brings her back (a second join to the same list).
source_db=$data/shop.db
sqlite3 "$source_db" <<'SQL'
CREATE TABLE customers (email TEXT, first TEXT);
INSERT INTO customers VALUES ('frank@example.com', 'Frank'), ('grace@example.com', 'Grace'),
  ('ann@example.com', 'Ann');
SQL
cs connection add shop --type sqlite --database "$source_db" >/dev/null
cat >"$work/sync.json" <<'JSON'
{
  "name": "Shop", "connection": "shop", "list": "Members", "status": "active",
  "source": { "table": "customers" },
  "mapping": { "email": "email", "first": "first_name" },
  "update_existing": true, "delete_not_affected": true, "max_delete_fraction": 0.5
}
JSON
cs list create Members >/dev/null
cs sync create --file "$work/sync.json" >/dev/null
cs sync run Shop >/dev/null 2>&1
sqlite3 "$source_db" "DELETE FROM customers WHERE email = 'ann@example.com'"
cs sync run Shop >/dev/null 2>&1
sqlite3 "$source_db" "INSERT INTO customers VALUES ('ann@example.com', 'Ann')"
cs sync run Shop >/dev/null 2>&1

# A deleted list: its joins stay in the history under its name.
cs list rm Old --yes >/dev/null
cs contact add bob@example.com --list News >/dev/null

python3 - "$binary" "$data" "$out/store-v8.expected.json" <<'PY'
import json, subprocess, sys
binary, data, out = sys.argv[1:]
def cs(*args):
    return json.loads(subprocess.run([binary, "--data-dir", data, "--json", *args], check=True,
                                     capture_output=True, text=True).stdout)
contacts = cs("contact", "ls", "--limit", "1000")
emails = [c["email"] for c in (contacts["contacts"] if isinstance(contacts, dict) else contacts)]
with open(out, "w") as f:
    json.dump({"contacts": [cs("contact", "show", e) for e in emails]}, f, indent=1,
              sort_keys=True, ensure_ascii=False)
    f.write("\n")
PY

[[ ! -e $data/contactsync.db-wal ]] || { echo "make_store_v8.sh: the WAL was left behind" >&2; exit 1; }
cp "$data/contactsync.db" "$out/store-v8.db"
echo "wrote $out/store-v8.db and store-v8.expected.json"
