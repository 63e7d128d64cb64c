#!/usr/bin/env bash
# Makes tests/data/store-v10.db, a store written by the release before migration 11 (schema 10:
# ISO 8601 text times in every table but contacts, subscriptions and history), and
# tests/data/store-v10.expected.json, what that release showed of it (its --json outputs).
# src/store/sqlite/migration_v11_test.cpp migrates a copy and checks that every time survived.
#
#   tests/data/make_store_v10.sh BINARY     (a contactsync built at schema 10)
#
# Kept for the record: the committed files were made by the release of commit 3009154; running
# this with a newer binary makes a store of its schema instead.
source "$(dirname "$0")/store_maker.sh" 10 "$@"

cs list create News --sender-name "The News" --sender-email news@example.com >/dev/null
cs list create Deals >/dev/null
cs field create CITY --label City >/dev/null
cs exclusion add '*@blocked.example' >/dev/null
cs exclusion add 'nodeals@example.com' --list Deals >/dev/null
printf 'correct horse battery\n' | cs user add admin --password-stdin >/dev/null

# Mail to a local sink, an autoresponder an hour after joining: one confirmation is sent, the
# autoresponder stays queued.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -W ignore -m smtpd -n -c DebuggingServer "127.0.0.1:$port" >/dev/null 2>&1 &
sink=$!
trap 'kill $sink 2>/dev/null; rm -rf "$work"' EXIT
cs mail config --host 127.0.0.1 --port "$port" --tls none --from sender@example.com \
  --base-url http://localhost:8080 >/dev/null
printf 'Welcome.\n' >"$work/body.txt"
cs autoresponder add --list News --subject 'Welcome' --body-file "$work/body.txt" --delay 1h \
  >/dev/null
cs contact add ann@example.com --list News --status unconfirmed --field CITY=Paris >/dev/null
sleep 0.5
cs mail send >/dev/null
cs contact add bob@example.com --list News >/dev/null

# A SQLite source and a sync of it into Deals, run twice (the second run fails one row).
source_db=$data/shop.db
sqlite3 "$source_db" <<'SQL'
CREATE TABLE customers (email TEXT, city TEXT);
INSERT INTO customers VALUES ('carol@example.com', 'Rome'), ('dave@example.com', 'Oslo');
SQL
cs connection add shop --type sqlite --database "$source_db" >/dev/null
cat >"$work/sync.json" <<'JSON'
{
  "name": "Shop", "connection": "shop", "list": "Deals", "status": "active",
  "source": { "table": "customers" },
  "mapping": { "email": "email", "city": "%CITY%" },
  "update_existing": true, "delete_not_affected": false
}
JSON
cs sync create --file "$work/sync.json" >/dev/null
cs sync run Shop >/dev/null
sleep 1.1
sqlite3 "$source_db" "INSERT INTO customers VALUES ('not an address', '')"
cs sync run Shop >/dev/null || true  # a run with a failed row exits non-zero
kill $sink

python3 - "$binary" "$data" "$out/store-v10.expected.json" <<'PY'
import json, subprocess, sys
binary, data, out = sys.argv[1:]
def cs(*args):
    return json.loads(subprocess.run([binary, "--data-dir", data, "--json", *args], check=True,
                                     capture_output=True, text=True).stdout)
expected = {
    "lists": cs("list", "ls"),
    "exclusions": cs("exclusion", "ls"),
    "connections": cs("connection", "ls"),
    "syncs": cs("sync", "ls"),
    "runs": cs("sync", "runs", "Shop"),
    "outbox": cs("mail", "ls"),
    "mail": cs("mail", "config"),
    "autoresponders": cs("autoresponder", "ls"),
    "users": cs("user", "ls"),
}
with open(out, "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
    f.write("\n")
PY

[[ ! -e $data/contactsync.db-wal ]] || { echo "make_store_v10.sh: the WAL was left behind" >&2; exit 1; }
cp "$data/contactsync.db" "$out/store-v10.db"
echo "wrote $out/store-v10.db and store-v10.expected.json"
