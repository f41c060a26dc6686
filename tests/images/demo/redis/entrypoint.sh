#!/bin/sh
# Write the server config (password from $REDIS_PASSWORD_FILE) into a tmpfs, mode 0600,
# and run redis-server in the foreground with it. The password never appears in argv/env.
set -eu
log() { printf 'redis-entrypoint: %s\n' "$*" >&2; }

if [ "${1:-redis-server}" != redis-server ]; then exec "$@"; fi

pwfile="${REDIS_PASSWORD_FILE:-}"
if [ -z "$pwfile" ] || [ ! -r "$pwfile" ] || [ ! -s "$pwfile" ]; then
  log "REDIS_PASSWORD_FILE must name a readable, non-empty file (got '${pwfile}')"
  exit 1
fi
confdir="${REDIS_CONF_DIR:-/run/redis}"
conf="$confdir/redis.conf"
umask 077
# Quote for redis.conf: inside double quotes, backslash and double quote are escaped.
pw=$(head -n 1 "$pwfile" | tr -d '\r' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
{
  echo 'bind 0.0.0.0'
  echo 'port 6379'
  echo 'protected-mode yes'
  echo 'daemonize no'
  echo 'supervised no'
  echo 'logfile ""'
  echo 'dir /data'
  echo 'appendonly yes'
  echo 'appendfsync everysec'
  echo 'save 900 1 300 10 60 10000'
  echo "requirepass \"$pw\""
} >"$conf.tmp" || { log "cannot write $conf (mount a tmpfs at $confdir)"; exit 1; }
mv "$conf.tmp" "$conf"
unset pw
exec redis-server "$conf"
