#!/usr/bin/python3
"""A Python peer of `contactsync sync run` for bench/run.sh: what a user might write in an
afternoon instead, as the yardstick of issue 13. It streams one SELECT from MariaDB with an
unbuffered cursor, trims and lower-cases the email, keeps the rows a simple regex accepts and
upserts them into SQLite (INSERT ... ON CONFLICT(email) DO UPDATE, executemany in batches of
10,000, one transaction). Every other selected column becomes a column of the table (the custom
fields as columns). Prints one JSON line of counts.

  peer_sync.py --host H --port P --user U --password-env VAR --database DB --query SQL
               (--db FILE | --export-tsv FILE)

--export-tsv writes the rows the peer would keep instead (first of each address wins, as in
contactsync; NULL as an empty cell), for the `sqlite3 .import` reference. The password comes
from the environment variable named by --password-env, never from the command line.
"""
import argparse, json, os, re, sqlite3, sys

import MySQLdb
import MySQLdb.cursors
from MySQLdb.constants import FIELD_TYPE as T

# Local part of atoms joined by single dots, a domain of two or more labels, ASCII only: the
# common shape of contactsync's policy (docs/email-validation.md) without its length limits.
EMAIL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                   r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*")
BATCH = 10_000
# Every value as text, as contactsync receives it (None for NULL): the default converters make
# Decimal and date objects, which sqlite3 cannot bind.
AS_TEXT = {t: str for t in (T.TINY, T.SHORT, T.INT24, T.LONG, T.LONGLONG, T.FLOAT, T.DOUBLE,
                             T.DECIMAL, T.NEWDECIMAL, T.DATE, T.DATETIME, T.TIMESTAMP, T.TIME,
                             T.YEAR)}

p = argparse.ArgumentParser()
for flag in ("--host", "--user", "--password-env", "--database", "--query"):
    p.add_argument(flag, required=True)
p.add_argument("--port", type=int, required=True)
p.add_argument("--email-column", default="email")
out = p.add_mutually_exclusive_group(required=True)
out.add_argument("--db")
out.add_argument("--export-tsv")
args = p.parse_args()

source = MySQLdb.connect(host=args.host, port=args.port, user=args.user, db=args.database,
                         passwd=os.environ[args.password_env], charset="utf8mb4", conv=AS_TEXT)
cursor = source.cursor(MySQLdb.cursors.SSCursor)  # streams: rows are not held in memory
cursor.execute(args.query)
names = [d[0] for d in cursor.description]
at = names.index(args.email_column)
names = [args.email_column] + names[:at] + names[at + 1:]  # email first, the rest as read


def valid_rows():
    """Yields (email, other columns...) for every row whose email passes the regex."""
    while rows := cursor.fetchmany(BATCH):
        for row in rows:
            email = (row[at] or "").strip().lower()
            if EMAIL.fullmatch(email):
                yield (email,) + row[:at] + row[at + 1:]


counts = {"read": 0, "kept": 0, "columns": names}
if args.export_tsv:
    seen = set()
    with open(args.export_tsv, "w", encoding="utf-8") as tsv:
        for row in valid_rows():
            if row[0] not in seen:
                seen.add(row[0])
                tsv.write("\t".join("" if v is None else str(v) for v in row) + "\n")
    counts["kept"] = len(seen)
else:
    db = sqlite3.connect(args.db)
    quoted = ['"' + n.replace('"', '""') + '"' for n in names]
    db.execute(f"CREATE TABLE IF NOT EXISTS contacts ({quoted[0]} TEXT NOT NULL UNIQUE, "
               f"{', '.join(n + ' TEXT' for n in quoted[1:])})")
    update = ", ".join(f"{n} = excluded.{n}" for n in quoted[1:])
    insert = (f"INSERT INTO contacts ({', '.join(quoted)}) VALUES ({', '.join('?' * len(names))})"
              f" ON CONFLICT({quoted[0]}) DO UPDATE SET {update}")
    batch = []
    for row in valid_rows():
        batch.append(row)
        if len(batch) == BATCH:
            db.executemany(insert, batch)
            counts["kept"] += len(batch)
            batch.clear()
    db.executemany(insert, batch)
    counts["kept"] += len(batch)
    db.commit()  # the sqlite3 module opened one transaction at the first INSERT
    db.close()
counts["read"] = cursor.rownumber
source.close()
json.dump(counts, sys.stdout)
print()
