#!/bin/sh
# First start (no PG_VERSION in $PGDATA): initdb with scram-sha-256, superuser
# $POSTGRES_USER whose password is read from $POSTGRES_PASSWORD_FILE (never argv/env),
# then create $POSTGRES_DB owned by it. Then run postgres in the foreground on *:5432.
set -eu
log() { printf 'postgres-entrypoint: %s\n' "$*" >&2; }

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
POSTGRES_DB="${POSTGRES_DB:-demo}"
POSTGRES_USER="${POSTGRES_USER:-demo}"
export PGDATA

if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="${POSTGRES_PASSWORD_FILE:-}"
  if [ -z "$pwfile" ] || [ ! -r "$pwfile" ] || [ ! -s "$pwfile" ]; then
    log "POSTGRES_PASSWORD_FILE must name a readable, non-empty file (got '${pwfile}')"
    exit 1
  fi
  if [ -n "$(find "$PGDATA" -mindepth 1 -maxdepth 1 ! -name lost+found -print -quit)" ]; then
    log "$PGDATA is not empty but holds no cluster; refusing to initialise it"
    exit 1
  fi
  log "initialising a new cluster in $PGDATA (superuser $POSTGRES_USER)"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --data-checksums >/dev/null
  cat >"$PGDATA/pg_hba.conf" <<'HBA'
# TYPE  DATABASE  USER  ADDRESS  METHOD   (written by the stackops demo image)
local   all       all            scram-sha-256
host    all       all   all      scram-sha-256
HBA
  cat >>"$PGDATA/postgresql.conf" <<'CONF'
# stackops demo image
listen_addresses = '*'
port = 5432
unix_socket_directories = '/run/postgresql'
password_encryption = 'scram-sha-256'
log_destination = 'stderr'
logging_collector = off
CONF
  if [ "$POSTGRES_DB" != postgres ]; then
    db_ident=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
    user_ident=$(printf '%s' "$POSTGRES_USER" | sed 's/"/""/g')
    # Single-user mode needs no connection, so no password is handled here.
    printf 'CREATE DATABASE "%s" OWNER "%s";\n' "$db_ident" "$user_ident" |
      postgres --single -D "$PGDATA" -c listen_addresses='' postgres >/dev/null
    log "created database $POSTGRES_DB"
  fi
fi

exec postgres -D "$PGDATA"
