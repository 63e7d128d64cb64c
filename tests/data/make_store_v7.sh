#!/usr/bin/env bash
# Makes tests/data/store-v7.db, a store written by the release before migration 8 (schema 7),
# and tests/data/store-v7.expected.json, what that release showed of it (its --json outputs).
# src/store/sqlite/migration_v8_test.cpp migrates a copy and checks that everything survived.
#
#   tests/data/make_store_v7.sh BINARY     (a contactsync built at schema 7)
#
# Kept for the record: the committed files were made by the release of commit 21d703f; running
# this with a newer binary makes a store of its schema instead.
source "$(dirname "$0")/store_maker.sh" 7 "$@"

# Lists and custom fields of several types, a multi-choice (checkbox) one among them.
cs list create News --sender-name "The News" --sender-email news@example.com \
  --description "Weekly news" >/dev/null
cs list create Deals >/dev/null
cs list create Members --description "Synced from the shop" >/dev/null
cs field create CITY --label City >/dev/null
cs field create SCORE --label Score --type number >/dev/null
cs field create BIRTHDAY --label Birthday --type date >/dev/null
cs field create INTERESTS --label Interests --type checkbox --option books --option music \
  --option sports >/dev/null
cs field create NOTE --label Note --type textarea >/dev/null

# Mail configured, with an autoresponder on News: subscriptions queue mail.
cs mail config --host 127.0.0.1 --port 2525 --tls none --from sender@example.com \
  --from-name Sender --base-url http://localhost:8080 >/dev/null
printf 'Hello %%FIRSTNAME%%,\nwelcome to the news.\n' >"$work/body.txt"
cs autoresponder add --list News --subject 'Welcome %FIRSTNAME%' --body-file "$work/body.txt" \
  --delay 1h >/dev/null

# Exclusions: one for all lists, one for a list.
cs exclusion add '*@blocked.example' >/dev/null
cs exclusion add 'nodeals@example.com' --list Deals >/dev/null

# Contacts added by hand, with values, on lists with several statuses.
cs contact add Ann.Lee@Example.com --list News --first-name Ann --last-name Lee --phone '+1 555 0100' \
  --field CITY=Paris --field SCORE=12.5 --field BIRTHDAY=1990-04-01 \
  --field 'INTERESTS=music,books' >/dev/null
cs contact add bob@example.com --list News --status unconfirmed --first-name Bob \
  --field CITY=Oslo --field 'INTERESTS=sports' >/dev/null
cs contact add bob@example.com --list Deals --field SCORE=-3 >/dev/null
cs contact add carol@example.com --list Deals --first-name Carol --last-name 'O'"'"'Neil' \
  --field 'NOTE=line one
line two' >/dev/null
cs contact add dave@example.com --list News --first-name Dave --field CITY=Berlin >/dev/null
cs contact add dave@example.com --list Deals --status unsubscribed >/dev/null
cs contact add erin@example.com --first-name Erin --field BIRTHDAY=2001-12-31 >/dev/null
sleep 1.1  # later changes at a later second
cs contact unsubscribe dave@example.com --list News >/dev/null
cs contact bounce carol@example.com >/dev/null
cs contact add Ann.Lee@Example.com --list Deals --status unconfirmed --field CITY=Lyon \
  --field 'INTERESTS=books,sports,music' >/dev/null

# A SQLite source and a sync of it into Members (unconfirmed: confirmations are queued), run
# twice: the second run updates one row, fails one and leaves the others unchanged.
source_db=$data/shop.db
sqlite3 "$source_db" <<'SQL'
CREATE TABLE customers (email TEXT, first TEXT, last TEXT, phone TEXT, city TEXT,
                        score TEXT, birthday TEXT, interests TEXT);
INSERT INTO customers VALUES
  ('frank@example.com', 'Frank', 'Fisher', '555-0101', 'Rome', '7', '1985-06-15', 'books'),
  ('grace@example.com', 'Grace', '', '', 'Madrid', '', '', 'music,sports'),
  ('heidi@example.com', 'Heidi', 'Klum', '555-0103', '', '99.99', '1973-06-01', ''),
  ('ivan@example.com', 'Ivan', '', '', 'Kyiv', '0', '', 'sports,books'),
  ('Bob@Example.com', 'Robert', '', '', 'Oslo', '', '', 'sports'),
  ('judy@example.com', '', 'Judy', '', 'Vienna', '-1.5', '2000-02-29', 'books,music,sports');
SQL
cs connection add shop --type sqlite --database "$source_db" >/dev/null
cat >"$work/sync.json" <<'JSON'
{
  "name": "Shop", "connection": "shop", "list": "Members", "status": "unconfirmed",
  "source": { "table": "customers" },
  "mapping": { "email": "email", "first": "first_name", "last": "last_name", "phone": "phone",
               "city": "%CITY%", "score": "%SCORE%", "birthday": "%BIRTHDAY%",
               "interests": "%INTERESTS%" },
  "update_existing": true, "delete_not_affected": false
}
JSON
cs sync create --file "$work/sync.json" >/dev/null
cs sync run Shop >/dev/null
sleep 1.1
sqlite3 "$source_db" <<'SQL'
UPDATE customers SET city = 'Florence', phone = '555-0199' WHERE email = 'frank@example.com';
INSERT INTO customers VALUES ('not an address', 'Bad', '', '', '', '', '', '');
SQL
cs sync run Shop >/dev/null || true  # a run with a failed row exits non-zero

# What the release shows of it, for the test to compare with after the migration.
python3 - "$binary" "$data" "$out/store-v7.expected.json" <<'PY'
import json, subprocess, sys
binary, data, out = sys.argv[1:]
def cs(*args):
    return json.loads(subprocess.run([binary, "--data-dir", data, "--json", *args], check=True,
                                     capture_output=True, text=True).stdout)
contacts = cs("contact", "ls", "--limit", "1000")
emails = [c["email"] for c in contacts["contacts"]] if isinstance(contacts, dict) else \
         [c["email"] for c in contacts]
expected = {
    "lists": cs("list", "ls"),
    "fields": cs("field", "ls"),
    "contacts": [cs("contact", "show", e) for e in emails],
    "exclusions": cs("exclusion", "ls"),
    "runs": cs("sync", "runs", "Shop"),
    "reports": {},
    "outbox": cs("mail", "ls"),
    "autoresponders": cs("autoresponder", "ls"),
}
for run in expected["runs"] if isinstance(expected["runs"], list) else expected["runs"]["runs"]:
    expected["reports"][str(run["id"])] = cs("report", str(run["id"]))
with open(out, "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
    f.write("\n")
PY

# The store file alone (the last connection to close has checkpointed the WAL), and the source
# as SQL so that the test can make it again wherever it runs.
[[ ! -e $data/contactsync.db-wal ]] || { echo "make_store_v7.sh: the WAL was left behind" >&2; exit 1; }
cp "$data/contactsync.db" "$out/store-v7.db"
sqlite3 "$source_db" .dump >"$out/store-v7-source.sql"
echo "wrote $out/store-v7.db, store-v7.expected.json and store-v7-source.sql"
