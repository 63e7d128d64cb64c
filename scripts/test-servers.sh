#!/usr/bin/env bash
# Throwaway MariaDB and PostgreSQL servers for integration tests.
#
#   scripts/test-servers.sh start [DIR]   start both servers; prints the path of DIR/env
#   scripts/test-servers.sh stop DIR      stop both servers and remove DIR
#
# Each start gets its own data directories, sockets and free TCP ports on 127.0.0.1 only, so
# several sets can run at once (parallel CI jobs, a developer's shell next to a test run) and no
# system service is touched. DIR/env holds `export` lines for the tests:
#
#   CONTACTSYNC_TEST_MARIADB_{HOST,PORT,USER,PASSWORD,DATABASE}         privileged account
#   CONTACTSYNC_TEST_MARIADB_READER_{HOST,PORT,USER,PASSWORD,DATABASE}  SELECT-only account
#   CONTACTSYNC_TEST_PG_{HOST,PORT,USER,PASSWORD,DATABASE}              privileged account
#   CONTACTSYNC_TEST_PG_READER_{HOST,PORT,USER,PASSWORD,DATABASE}       SELECT-only account
#   plus the sockets, data directories and pid files that `stop` and debugging need.
#
# Typical use:   env_file=$(scripts/test-servers.sh start) && source "$env_file"
#                ... run tests ...
#                scripts/test-servers.sh stop "$CONTACTSYNC_TEST_SERVERS_DIR"
#
# Works as root (mariadbd runs with --user=root; PostgreSQL, which refuses root, runs as the
# `postgres` system user, or a `contactsync-test` system user created on demand) and as an
# ordinary user (both servers run as that user). Passwords are random and written only into
# DIR/env (mode 0600); nothing secret is printed.
#
# Settings (environment): CONTACTSYNC_TEST_SERVERS_WAIT_S  how long to wait for a server to
# accept connections (default 60); CONTACTSYNC_TEST_PG_BINDIR  PostgreSQL bin directory (default:
# the newest /usr/lib/postgresql/*/bin); CONTACTSYNC_TEST_MARIADB_ARGS  extra mariadbd options,
# separated by spaces, given after the defaults so that they win (tests of a server whose
# sql_mode or character set differ, e.g. "--sql-mode=ANSI_QUOTES --character-set-server=gbk").

set -euo pipefail

readonly kMarker=.contactsync-test-servers
readonly kDatabase=contactsync_test
readonly kAdminUser=cs_admin
readonly kReaderUser=cs_reader
readonly kWaitSeconds=${CONTACTSYNC_TEST_SERVERS_WAIT_S:-60}

log() { printf 'test-servers: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  cat >&2 <<'EOF'
usage: test-servers.sh start [DIR]   start throwaway MariaDB and PostgreSQL; prints DIR/env
       test-servers.sh stop DIR      stop them and remove DIR
EOF
  exit 2
}

# Prints the last lines of a server log so that a failed start explains itself.
show_log_tail() {
  local file=$1
  if [[ -f $file ]]; then
    log "last lines of $file:"
    tail -n 30 "$file" | sed 's/^/    /' >&2
  else
    log "(no log file at $file)"
  fi
}

# A free TCP port on 127.0.0.1. The kernel picks it (bind to port 0), so concurrent starts do
# not collide in the common case; the remaining race (another process takes the port before
# our server binds it) is handled by the retry loops in start_mariadb / start_postgres.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
    return
  fi
  local port tries
  for ((tries = 0; tries < 200; tries++)); do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$port" | grep -q .; then
      echo "$port"
      return
    fi
  done
  die "found no free TCP port"
}

# 24 random alphanumerics: safe inside SQL string literals and shell words without escaping.
random_password() {
  local pw=""
  while ((${#pw} < 24)); do
    pw+=$(head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9')
  done
  echo "${pw:0:24}"
}

pg_bindir() {
  if [[ -n ${CONTACTSYNC_TEST_PG_BINDIR:-} ]]; then
    echo "$CONTACTSYNC_TEST_PG_BINDIR"
    return
  fi
  local dir
  dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n 1 || true)
  if [[ -z $dir ]]; then
    dir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  fi
  [[ -x $dir/initdb && -x $dir/pg_ctl ]] ||
    die "PostgreSQL server binaries not found (install postgresql or set CONTACTSYNC_TEST_PG_BINDIR)"
  echo "$dir"
}

# The OS account PostgreSQL runs as. PostgreSQL refuses to run as root.
pg_os_user() {
  if ((EUID != 0)); then
    id -un
  elif id -u postgres >/dev/null 2>&1; then
    echo postgres
  else
    if ! id -u contactsync-test >/dev/null 2>&1; then
      # Concurrent starts may race here; the loser's useradd fails and the id check settles it.
      useradd --system --no-create-home --shell /usr/sbin/nologin contactsync-test 2>/dev/null ||
        id -u contactsync-test >/dev/null 2>&1 || die "could not create system user contactsync-test"
    fi
    echo contactsync-test
  fi
}

# Runs a command as the PostgreSQL OS user.
as_pg() {
  if ((EUID == 0)); then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    "$@"
  fi
}

# True while `pid` runs. A zombie counts as gone: its parent is init, which may reap it late.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# ---------------------------------------------------------------------------------------------
# MariaDB

mariadb_sql() {
  mariadb --no-defaults --protocol=socket --socket="$MARIADB_SOCKET" --user="$MARIADB_ROOT" \
    --batch --skip-column-names "$@"
}

init_mariadb() {
  local dir=$1
  mkdir -p "$dir/data" "$dir/tmp"
  chmod 700 "$dir"
  local install=(mariadb-install-db)
  command -v mariadb-install-db >/dev/null 2>&1 || install=(mysql_install_db)
  command -v "${install[0]}" >/dev/null 2>&1 || die "mariadb-install-db not found (install mariadb-server)"
  # Socket authentication for the bootstrap root account: only the OS user that started the
  # servers can log in as root, through a socket inside a 0700 directory. No password exists
  # that could leak, and TCP clients cannot reach it.
  # --user is for root only; an ordinary user runs the server as itself.
  local as_user=()
  ((EUID == 0)) && as_user=(--user=root)
  # --no-defaults must come first, or the tool reads /etc/mysql anyway. The tool passes the
  # InnoDB options on to the bootstrap server: without them it asks for native AIO, and with
  # several test servers starting at once io_setup can fail (the kernel's aio-max-nr is shared),
  # which fails the install with a message that does not say why.
  local attempt
  for attempt in 1 2; do
    rm -rf "$dir/data" && mkdir -p "$dir/data"
    if "${install[@]}" --no-defaults "${as_user[@]}" --datadir="$dir/data" \
      --auth-root-authentication-method=socket --auth-root-socket-user="$(id -un)" \
      --skip-test-db --skip-name-resolve --innodb-use-native-aio=0 \
      --innodb-buffer-pool-size=32M --innodb-log-file-size=16M >"$dir/install.log" 2>&1; then
      return 0
    fi
    # The reason is usually far above the tool's closing advice.
    log "errors in $dir/install.log (attempt $attempt):"
    grep -iE '\[ERROR\]|error:|failed|cannot' "$dir/install.log" | head -n 20 | sed 's/^/    /' >&2 || true
    sleep 1
  done
  show_log_tail "$dir/install.log"
  die "mariadb-install-db failed"
}

# Starts mariadbd on a free port; sets MARIADB_PORT. Retries with a new port when another
# process took the chosen one first.
start_mariadb() {
  local dir=$1 attempt
  for attempt in 1 2 3; do
    MARIADB_PORT=$(free_port)
    : >"$dir/error.log"
    # --no-defaults: /etc/mysql/*.cnf belongs to the system service (its socket, its datadir).
    # Native AIO is off because containers often forbid io_setup/io_uring; the small buffer pool
    # and log keep a test server light. --skip-name-resolve makes TCP accounts match by IP.
    local as_user=() extra=()
    ((EUID == 0)) && as_user=(--user=root)
    read -r -a extra <<<"${CONTACTSYNC_TEST_MARIADB_ARGS:-}"
    setsid mariadbd --no-defaults "${as_user[@]}" \
      --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$MARIADB_SOCKET" \
      --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
      --port="$MARIADB_PORT" --bind-address=127.0.0.1 --skip-networking=0 \
      --skip-name-resolve --skip-log-bin --innodb-use-native-aio=0 \
      --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci "${extra[@]}" \
      </dev/null >>"$dir/error.log" 2>&1 &
    local pid=$! waited=0
    echo "$pid" >"$dir/launcher.pid"
    while ((waited < kWaitSeconds * 5)); do
      if mariadb_sql -e 'SELECT 1' >/dev/null 2>&1; then
        return 0
      fi
      if ! alive "$pid"; then
        break
      fi
      sleep 0.2
      waited=$((waited + 1))
    done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      show_log_tail "$dir/error.log"
      die "MariaDB did not accept connections within ${kWaitSeconds}s"
    fi
    wait "$pid" 2>/dev/null || true
    if grep -qiE 'address already in use|Do you already have another .* server running' \
      "$dir/error.log" && ((attempt < 3)); then
      log "MariaDB port $MARIADB_PORT was taken; retrying with another port"
      continue
    fi
    show_log_tail "$dir/error.log"
    die "MariaDB exited during start"
  done
}

setup_mariadb() {
  mariadb_sql <<EOF
CREATE DATABASE $kDatabase CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER '$kAdminUser'@'%' IDENTIFIED BY '$MARIADB_ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$kAdminUser'@'%' WITH GRANT OPTION;
CREATE USER '$kReaderUser'@'%' IDENTIFIED BY '$MARIADB_READER_PASSWORD';
GRANT SELECT, SHOW VIEW ON $kDatabase.* TO '$kReaderUser'@'%';
FLUSH PRIVILEGES;
EOF
}

stop_mariadb() {
  local dir=$1 pid=""
  [[ -d $dir ]] || return 0
  if [[ -s $dir/mariadbd.pid ]]; then
    pid=$(<"$dir/mariadbd.pid")
  elif [[ -s $dir/launcher.pid ]]; then
    pid=$(<"$dir/launcher.pid")
  fi
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  # Only signal the process if it really is a mariadbd using this data directory: a stale pid
  # file must never make us kill an unrelated process that reused the number.
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--datadir=$dir/data"; then
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || return 0
  local waited=0
  while alive "$pid" && ((waited < 300)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if alive "$pid"; then
    log "MariaDB (pid $pid) did not stop within 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

pg_sql() {
  local db=$1
  shift
  as_pg "$PG_BINDIR/psql" --no-psqlrc --quiet -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" \
    -p "$PG_PORT" -U postgres -d "$db" "$@"
}

init_postgres() {
  local dir=$1
  mkdir -p "$dir"
  chown "$PG_OS_USER" "$dir"
  chmod 700 "$dir"
  # Local (socket) connections are trusted: the socket lives in this 0700 directory, so only the
  # server's OS user (and root) can reach it. TCP connections need a password.
  if ! as_pg "$PG_BINDIR/initdb" -D "$dir/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync \
    >"$dir/initdb.log" 2>&1; then
    show_log_tail "$dir/initdb.log"
    die "initdb failed"
  fi
}

# Starts PostgreSQL on a free port; sets PG_PORT. Retries with a new port when another process
# took the chosen one first.
start_postgres() {
  local dir=$1 attempt
  for attempt in 1 2 3; do
    PG_PORT=$(free_port)
    as_pg rm -f "$dir/server.log"
    # fsync off: the data is thrown away, and tests should not wait for disks.
    if as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$kWaitSeconds" \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_SOCKET_DIR \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50 \
-c shared_buffers=16MB" start >"$dir/pg_ctl.log" 2>&1; then
      if pg_sql postgres -c 'SELECT 1' >/dev/null 2>&1; then
        return 0
      fi
    fi
    if grep -qiE 'address already in use|could not create any TCP/IP sockets' \
      "$dir/server.log" 2>/dev/null && ((attempt < 3)); then
      as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
      log "PostgreSQL port $PG_PORT was taken; retrying with another port"
      continue
    fi
    as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    show_log_tail "$dir/pg_ctl.log"
    show_log_tail "$dir/server.log"
    die "PostgreSQL did not start or accept connections within ${kWaitSeconds}s"
  done
}

setup_postgres() {
  pg_sql postgres <<EOF
CREATE ROLE $kAdminUser LOGIN SUPERUSER PASSWORD '$PG_ADMIN_PASSWORD';
CREATE ROLE $kReaderUser LOGIN PASSWORD '$PG_READER_PASSWORD';
CREATE DATABASE $kDatabase OWNER $kAdminUser ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE $kDatabase FROM PUBLIC;
GRANT CONNECT ON DATABASE $kDatabase TO $kReaderUser;
EOF
  # Inside the database: the reader may read every table cs_admin creates now or later, and
  # may not create anything (no CREATE on the schema, no TEMP on the database — revoked above).
  pg_sql "$kDatabase" <<EOF
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO $kReaderUser;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $kReaderUser;
ALTER DEFAULT PRIVILEGES FOR ROLE $kAdminUser IN SCHEMA public GRANT SELECT ON TABLES TO $kReaderUser;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO $kReaderUser;
EOF
}

stop_postgres() {
  local dir=$1
  [[ -f $dir/data/postmaster.pid ]] || return 0
  local bindir
  bindir=$(pg_bindir)
  if ! as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
    local pid
    pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid"; then
      log "PostgreSQL (pid $pid) did not stop within 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
}

# ---------------------------------------------------------------------------------------------

write_env() {
  local file=$1
  (
    umask 077
    {
      echo "# Written by scripts/test-servers.sh; remove with: scripts/test-servers.sh stop $DIR"
      local entry name value
      for entry in "${ENV_LINES[@]}"; do
        name=${entry%%=*}
        value=${entry#*=}
        printf 'export %s=%q\n' "$name" "$value"
      done
    } >"$file.tmp"
    mv "$file.tmp" "$file"
  )
}

ENV_LINES=()
env_add() { ENV_LINES+=("$1=$2"); }

# Set by cmd_start, read by its EXIT trap (which may run after cmd_start's locals are gone).
CREATED_DIR=0

cmd_start() {
  if (($# > 1)); then usage; fi
  if (($# == 1)); then
    DIR=$1
    mkdir -p "$DIR"
    [[ -z $(ls -A "$DIR") ]] || die "$DIR is not empty; give a new or empty directory"
  else
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/cs-servers.XXXXXX")
    # shellcheck disable=SC2034  # read by the EXIT trap, which shellcheck cannot see into
    CREATED_DIR=1
  fi
  DIR=$(cd "$DIR" && pwd -P)
  # Unix socket paths are limited to 107 bytes; PostgreSQL's is DIR/pg/.s.PGSQL.<port>.
  ((${#DIR} <= 80)) || die "$DIR is too long for Unix socket paths (keep it under 80 characters)"
  touch "$DIR/$kMarker"

  PG_BINDIR=$(pg_bindir)
  PG_OS_USER=$(pg_os_user)
  MARIADB_ROOT=$(id -un)
  MARIADB_SOCKET=$DIR/mariadb/mariadbd.sock
  PG_SOCKET_DIR=$DIR/pg

  # On any failure, stop what was started; remove DIR only if we created it, so that a caller
  # who named DIR can still read the logs.
  trap 'rc=$?; if ((rc != 0)); then stop_mariadb "$DIR/mariadb"; stop_postgres "$DIR/pg";
        if ((CREATED_DIR)); then rm -rf "$DIR"; else log "logs kept in $DIR"; fi; fi' EXIT

  # The PostgreSQL OS user must be able to reach DIR/pg; 0711 lets it pass through DIR
  # without listing it.
  chmod 711 "$DIR"
  if ((EUID == 0)) && ! runuser -u "$PG_OS_USER" -- test -x "$DIR"; then
    die "user $PG_OS_USER cannot reach $DIR (a parent directory is not searchable); choose another DIR"
  fi

  MARIADB_ADMIN_PASSWORD=$(random_password)
  MARIADB_READER_PASSWORD=$(random_password)
  PG_ADMIN_PASSWORD=$(random_password)
  PG_READER_PASSWORD=$(random_password)

  log "initialising MariaDB and PostgreSQL in $DIR"
  init_mariadb "$DIR/mariadb" &
  local init_mariadb_pid=$!
  init_postgres "$DIR/pg" || exit 1
  wait "$init_mariadb_pid" || exit 1

  start_mariadb "$DIR/mariadb"
  setup_mariadb || die "creating the MariaDB database and accounts failed"
  start_postgres "$DIR/pg"
  setup_postgres || die "creating the PostgreSQL database and accounts failed"

  env_add CONTACTSYNC_TEST_SERVERS_DIR "$DIR"
  local prefix user password
  for prefix in MARIADB MARIADB_READER; do
    if [[ $prefix == MARIADB ]]; then
      user=$kAdminUser password=$MARIADB_ADMIN_PASSWORD
    else
      user=$kReaderUser password=$MARIADB_READER_PASSWORD
    fi
    env_add "CONTACTSYNC_TEST_${prefix}_HOST" 127.0.0.1
    env_add "CONTACTSYNC_TEST_${prefix}_PORT" "$MARIADB_PORT"
    env_add "CONTACTSYNC_TEST_${prefix}_USER" "$user"
    env_add "CONTACTSYNC_TEST_${prefix}_PASSWORD" "$password"
    env_add "CONTACTSYNC_TEST_${prefix}_DATABASE" "$kDatabase"
  done
  env_add CONTACTSYNC_TEST_MARIADB_SOCKET "$MARIADB_SOCKET"
  env_add CONTACTSYNC_TEST_MARIADB_DATADIR "$DIR/mariadb/data"
  env_add CONTACTSYNC_TEST_MARIADB_PIDFILE "$DIR/mariadb/mariadbd.pid"
  env_add CONTACTSYNC_TEST_MARIADB_LOG "$DIR/mariadb/error.log"
  for prefix in PG PG_READER; do
    if [[ $prefix == PG ]]; then
      user=$kAdminUser password=$PG_ADMIN_PASSWORD
    else
      user=$kReaderUser password=$PG_READER_PASSWORD
    fi
    env_add "CONTACTSYNC_TEST_${prefix}_HOST" 127.0.0.1
    env_add "CONTACTSYNC_TEST_${prefix}_PORT" "$PG_PORT"
    env_add "CONTACTSYNC_TEST_${prefix}_USER" "$user"
    env_add "CONTACTSYNC_TEST_${prefix}_PASSWORD" "$password"
    env_add "CONTACTSYNC_TEST_${prefix}_DATABASE" "$kDatabase"
  done
  env_add CONTACTSYNC_TEST_PG_SOCKET_DIR "$PG_SOCKET_DIR"
  env_add CONTACTSYNC_TEST_PG_DATADIR "$DIR/pg/data"
  env_add CONTACTSYNC_TEST_PG_BINDIR "$PG_BINDIR"
  env_add CONTACTSYNC_TEST_PG_LOG "$DIR/pg/server.log"
  write_env "$DIR/env"

  trap - EXIT
  log "MariaDB on 127.0.0.1:$MARIADB_PORT, PostgreSQL on 127.0.0.1:$PG_PORT"
  echo "$DIR/env"
}

cmd_stop() {
  (($# == 1)) || usage
  local dir=$1
  [[ -d $dir ]] || die "$dir does not exist"
  dir=$(cd "$dir" && pwd -P)
  # Refuse to delete a directory this script did not create: `stop` ends in rm -rf.
  [[ -f $dir/$kMarker ]] || die "$dir was not made by test-servers.sh start; not touching it"
  if ((EUID == 0)) && [[ -d $dir/pg ]]; then
    PG_OS_USER=$(stat -c %U "$dir/pg")
  else
    PG_OS_USER=$(id -un)
  fi
  stop_mariadb "$dir/mariadb"
  stop_postgres "$dir/pg"
  rm -rf "$dir"
  log "stopped and removed $dir"
}

main() {
  (($# >= 1)) || usage
  local command=$1
  shift
  case $command in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    *) usage ;;
  esac
}

main "$@"
