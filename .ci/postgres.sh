# Sourced by .ci/run: a throwaway PostgreSQL server on loopback for the tests that run against
# PostgreSQL as well as SQLite. Sets WORKBENCH_TEST_POSTGRES_URL when the server is up; when it
# cannot be installed or started it says why and leaves the variable unset, so those tests skip
# instead of failing CI for a missing server.

_pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Run a command as the cluster's owner: initdb and postgres refuse root.
_pg_as_owner() {
  if [ "$(id -u)" = "0" ]; then
    su postgres -s /bin/sh -c "$1"
  else
    sh -c "$1"
  fi
}

start_throwaway_postgres() {
  local bindir port
  bindir="$(_pg_bindir)"
  if [ -z "$bindir" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql \
      >/dev/null) || echo "warning: could not install PostgreSQL from apt" >&2
    bindir="$(_pg_bindir)"
  fi
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "PostgreSQL tests skipped: no PostgreSQL server found (apt-get install postgresql)" >&2
    return 0
  fi
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    echo "PostgreSQL tests skipped: no 'postgres' user to run the server as" >&2
    return 0
  fi
  WORKBENCH_PG_DIR="$(mktemp -d /tmp/workbench-pg.XXXXXX)"
  [ "$(id -u)" = "0" ] && chown postgres "$WORKBENCH_PG_DIR"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # fsync off: a throwaway cluster has nothing to keep after a crash, and it saves minutes.
  # Autovacuum off: its worker in a test's database would hold up dropping that database.
  if ! _pg_as_owner "'$bindir/initdb' -D '$WORKBENCH_PG_DIR/data' -U postgres -A trust -E UTF8 --no-sync >'$WORKBENCH_PG_DIR/initdb.log' 2>&1" \
    || ! _pg_as_owner "'$bindir/pg_ctl' -D '$WORKBENCH_PG_DIR/data' -l '$WORKBENCH_PG_DIR/server.log' -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p $port -k '$WORKBENCH_PG_DIR' -c fsync=off -c autovacuum=off -c max_connections=200\" start >/dev/null"; then
    echo "PostgreSQL tests skipped: the throwaway server did not start:" >&2
    tail -n 20 "$WORKBENCH_PG_DIR"/*.log >&2 2>/dev/null || true
    return 0
  fi
  # The tests' role may create databases (one per test) and end their leftover connections
  # when it drops them; it is no superuser, so the append-only triggers bind it like a coder.
  if ! "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE workbench LOGIN CREATEDB PASSWORD 'workbench'" \
      -c "GRANT pg_signal_backend TO workbench" \
      -c "CREATE DATABASE workbench OWNER workbench" >/dev/null; then
    echo "PostgreSQL tests skipped: could not create the test role and database" >&2
    return 0
  fi
  export WORKBENCH_TEST_POSTGRES_URL="postgresql+psycopg://workbench:workbench@127.0.0.1:$port/workbench"
  echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$port" >&2
}

stop_throwaway_postgres() {
  if [ -n "${WORKBENCH_PG_DIR:-}" ] && [ -d "$WORKBENCH_PG_DIR" ]; then
    _pg_as_owner "'$(_pg_bindir)/pg_ctl' -D '$WORKBENCH_PG_DIR/data' -m immediate stop >/dev/null 2>&1" || true
    rm -rf "$WORKBENCH_PG_DIR"
  fi
}
