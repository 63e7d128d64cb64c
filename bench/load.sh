#!/usr/bin/env bash
# Bulk-loads a file written by generate_contacts into table `bench_contacts` (or --table NAME)
# of each benchmark source, replacing what was there:
#
#   bench/load.sh --file FILE [--table NAME] [--sqlite-db PATH] [--only mysql,postgresql,sqlite]
#
#   MariaDB     LOAD DATA LOCAL INFILE (local_infile switched on with SET GLOBAL as the admin
#               account; client flag --local-infile=1), InnoDB, primary key on id
#   PostgreSQL  psql \copy (COPY FROM STDIN), primary key on id added after the load
#   SQLite      the sqlite3 shell's .import into a typed table (id INTEGER PRIMARY KEY) in
#               PATH (default bench.db), journal off during the load
#
# Servers come from the environment written by scripts/test-servers.sh (source DIR/env first):
# CONTACTSYNC_TEST_MARIADB_* and CONTACTSYNC_TEST_PG_* (the admin accounts load; the
# *_READER_* accounts are granted SELECT). Passwords travel in MYSQL_PWD / PGPASSWORD, never
# on a command line. Only 127.0.0.1 is contacted. Prints one line per source with its load
# time and row count.

set -euo pipefail

kTable=bench_contacts

die() {
  printf 'load.sh: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  echo "usage: bench/load.sh --file FILE [--table NAME] [--sqlite-db PATH]" \
    "[--only mysql,postgresql,sqlite]" >&2
  exit 2
}

file=""
sqlite_db=bench.db
only=mysql,postgresql,sqlite
while (($#)); do
  case $1 in
    --file) file=${2:?}; shift 2 ;;
    --table) kTable=${2:?}; shift 2 ;;
    --sqlite-db) sqlite_db=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ -n $file ]] || usage
# The name goes into SQL unquoted: a plain lower-case identifier only.
[[ $kTable =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "--table takes a plain identifier: $kTable"
readonly kTable
[[ -r $file ]] || die "cannot read $file"
file=$(cd "$(dirname "$file")" && pwd -P)/$(basename "$file")
# The path goes into SQL string literals below; refuse anything that would need escaping.
[[ $file =~ ^[A-Za-z0-9_./+-]+$ ]] || die "the data file path has unusual characters: $file"

wanted() { [[ ,$only, == *,$1,* ]]; }

expected_rows=$(wc -l <"$file")
expected_rows=${expected_rows// /}

# Seconds since an EPOCHREALTIME value, to the millisecond.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

check_count() {
  local source=$1 count=$2 seconds=$3
  [[ $count == "$expected_rows" ]] || die "$source: loaded $count rows, expected $expected_rows"
  printf 'load.sh: %-10s %9s rows in %7ss\n' "$source" "$count" "$seconds" >&2
}

load_mysql() {
  : "${CONTACTSYNC_TEST_MARIADB_PORT:?source the env file of scripts/test-servers.sh}"
  local start count
  local -a client=(mariadb --no-defaults --protocol=tcp --host=127.0.0.1
    --port="$CONTACTSYNC_TEST_MARIADB_PORT" --user="$CONTACTSYNC_TEST_MARIADB_USER"
    --database="$CONTACTSYNC_TEST_MARIADB_DATABASE" --batch --skip-column-names)
  start=$EPOCHREALTIME
  MYSQL_PWD=$CONTACTSYNC_TEST_MARIADB_PASSWORD "${client[@]}" --local-infile=1 <<EOF
SET GLOBAL local_infile = 1;
SET SESSION unique_checks = 0, foreign_key_checks = 0;
DROP TABLE IF EXISTS $kTable;
CREATE TABLE $kTable (
  id BIGINT NOT NULL PRIMARY KEY,
  email VARCHAR(320) NOT NULL,
  first_name VARCHAR(100),
  last_name VARCHAR(100),
  city VARCHAR(100),
  phone VARCHAR(40),
  company VARCHAR(200),
  created_at DATETIME,
  updated_at DATETIME,
  note TEXT,
  score DECIMAL(10,2),
  birthday DATE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
LOAD DATA LOCAL INFILE '$file' INTO TABLE $kTable CHARACTER SET utf8mb4
  FIELDS TERMINATED BY '\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\n';
GRANT SELECT ON $kTable TO '$CONTACTSYNC_TEST_MARIADB_READER_USER'@'%';
SET GLOBAL local_infile = 0;
EOF
  count=$(MYSQL_PWD=$CONTACTSYNC_TEST_MARIADB_PASSWORD "${client[@]}" \
    -e "SELECT COUNT(*) FROM $kTable")
  check_count mysql "$count" "$(elapsed "$start")"
}

load_postgresql() {
  : "${CONTACTSYNC_TEST_PG_PORT:?source the env file of scripts/test-servers.sh}"
  local start count
  local -a client=(psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --host=127.0.0.1
    --port="$CONTACTSYNC_TEST_PG_PORT" --username="$CONTACTSYNC_TEST_PG_USER"
    --dbname="$CONTACTSYNC_TEST_PG_DATABASE")
  start=$EPOCHREALTIME
  PGPASSWORD=$CONTACTSYNC_TEST_PG_PASSWORD "${client[@]}" <<EOF
SET client_min_messages = warning;
DROP TABLE IF EXISTS $kTable;
CREATE TABLE $kTable (
  id bigint NOT NULL,
  email varchar(320) NOT NULL,
  first_name varchar(100),
  last_name varchar(100),
  city varchar(100),
  phone varchar(40),
  company varchar(200),
  created_at timestamp,
  updated_at timestamp,
  note text,
  score numeric(10,2),
  birthday date
);
\\copy $kTable FROM '$file'
ALTER TABLE $kTable ADD PRIMARY KEY (id);
GRANT SELECT ON $kTable TO $CONTACTSYNC_TEST_PG_READER_USER;
VACUUM ANALYZE $kTable;
EOF
  count=$(PGPASSWORD=$CONTACTSYNC_TEST_PG_PASSWORD "${client[@]}" --tuples-only --no-align \
    -c "SELECT COUNT(*) FROM $kTable")
  check_count postgresql "$count" "$(elapsed "$start")"
}

load_sqlite() {
  local start count
  start=$EPOCHREALTIME
  # The main table starts a new file; other tables (the re-sync benchmark's patches) join it.
  if [[ $kTable == bench_contacts ]]; then
    rm -f "$sqlite_db" "$sqlite_db-journal" "$sqlite_db-wal" "$sqlite_db-shm"
  fi
  # .import reads the file in one transaction. It has no NULL marker, so the \N that MariaDB
  # and PostgreSQL read as NULL arrives as text and is turned into NULL afterwards.
  sqlite3 -batch -bail "$sqlite_db" >/dev/null <<EOF
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
DROP TABLE IF EXISTS $kTable;
CREATE TABLE $kTable (
  id INTEGER PRIMARY KEY,
  email VARCHAR(320) NOT NULL,
  first_name VARCHAR(100),
  last_name VARCHAR(100),
  city VARCHAR(100),
  phone VARCHAR(40),
  company VARCHAR(200),
  created_at DATETIME,
  updated_at DATETIME,
  note TEXT,
  score DECIMAL(10,2),
  birthday DATE
);
.mode tabs
.import '$file' $kTable
UPDATE $kTable SET score = NULL WHERE score = '\\N';
UPDATE $kTable SET birthday = NULL WHERE birthday = '\\N';
EOF
  count=$(sqlite3 -batch "$sqlite_db" "SELECT COUNT(*) FROM $kTable")
  check_count sqlite "$count" "$(elapsed "$start")"
}

if wanted mysql; then load_mysql; fi
if wanted postgresql; then load_postgresql; fi
if wanted sqlite; then load_sqlite; fi
