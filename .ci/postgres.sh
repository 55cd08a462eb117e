#!/usr/bin/env bash
# A PostgreSQL server on loopback for the test suite and the benchmarks.
#
# Prints the server's URL on stdout (for TIAOJIE_TEST_DATABASE_URL); everything else goes to
# stderr. Safe to run again: an existing cluster is reused and a running server is left
# running. Installs Debian's `postgresql` package when no server binaries are found (root
# only). The cluster is a throwaway one for tests: by default it runs without fsync, which
# makes the per-test CREATE DATABASE cheap; TIAOJIE_PG_DURABLE=1 keeps PostgreSQL's defaults.
#
#   TIAOJIE_PG_DIR   where the cluster, its socket and its log live (default /tmp/tiaojie-postgres)
#   TIAOJIE_PG_PORT  loopback port (default 54329)
#   .ci/postgres.sh stop   stops the server started from TIAOJIE_PG_DIR
set -euo pipefail

PG_DIR="${TIAOJIE_PG_DIR:-/tmp/tiaojie-postgres}"
PG_PORT="${TIAOJIE_PG_PORT:-54329}"
PG_ROLE="tiaojie"
PG_PASSWORD="tiaojie"
PG_DATABASE="tiaojie_test"
CLUSTER="$PG_DIR/cluster"

log() { echo "postgres.sh: $*" >&2; }

server_bindir() {
  find /usr/lib/postgresql -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1
}

# initdb and the server refuse to run as root: run them as `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

BIN="$(server_bindir)"
if [ "${1:-}" = "stop" ]; then
  if [ -n "$BIN" ] && [ -f "$CLUSTER/PG_VERSION" ]; then
    as_owner "$BIN/pg_ctl" -D "$CLUSTER" -m fast -w stop >&2 || true
  fi
  exit 0
fi

if [ -z "$BIN" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL is not installed and we are not root: apt-get install postgresql"
    exit 1
  fi
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BIN="$(server_bindir)"
  [ -n "$BIN" ] || { log "postgresql installed but no server binaries found"; exit 1; }
fi

mkdir -p "$PG_DIR"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$PG_DIR"
fi
chmod 700 "$PG_DIR"

if [ ! -f "$CLUSTER/PG_VERSION" ]; then
  log "creating a cluster in $CLUSTER"
  as_owner "$BIN/initdb" -D "$CLUSTER" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
fi

if as_owner "$BIN/pg_ctl" -D "$CLUSTER" status >/dev/null 2>&1; then
  log "server already running from $CLUSTER"
else
  if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
    log "port $PG_PORT is taken by another program; set TIAOJIE_PG_PORT"
    exit 1
  fi
  options="-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_DIR"
  options="$options -c max_connections=200"
  if [ "${TIAOJIE_PG_DURABLE:-0}" != "1" ]; then
    options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  log "starting the server on 127.0.0.1:$PG_PORT"
  as_owner "$BIN/pg_ctl" -D "$CLUSTER" -l "$PG_DIR/server.log" -w -t 60 -o "$options" start >&2
fi

psql_admin() {
  as_owner "$BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -qAt "$@"
}

if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE'")" ]; then
  psql_admin -c "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >&2
fi
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" ]; then
  psql_admin -c "CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE" >&2
fi

echo "postgresql+asyncpg://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"
