#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
#   1. an engine that already answers is used as it is;
#   2. otherwise, as root on Debian, the distribution's engine is installed (if missing)
#      and dockerd is started in the background (no service manager is assumed);
#   3. otherwise we stop with a message saying what is missing.
set -euo pipefail

log() { printf 'ensure-docker: %s\n' "$*" >&2; }
STATE_DIR="${STACKOPS_STATE_DIR:-/var/tmp/stackops}"
DOCKERD_LOG="${STATE_DIR}/dockerd.log"

answers() { timeout 20 docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && answers; then
  log "a Docker engine answers; using it"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || [ ! -r /etc/debian_version ]; then
  log "no Docker engine answers, and this is not root on Debian, so none can be installed here."
  log "Start a Docker engine (docker info must answer) and run again."
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing the distribution's Docker engine (docker.io)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates >/dev/null
fi

# A daemon killed when an earlier run ended can leave a pid file behind; dockerd refuses
# to start while it exists.
for pidfile in /var/run/docker.pid /run/docker.pid /var/run/docker/containerd/containerd.pid; do
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
      log "removing stale pid file $pidfile"
      rm -f "$pidfile"
    fi
  fi
done

if ! pgrep -x dockerd >/dev/null 2>&1; then
  mkdir -p "$STATE_DIR"
  log "starting dockerd in the background (log: $DOCKERD_LOG)"
  # a session of its own, so it outlives the make that started it
  setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 60); do
  if answers; then
    log "Docker engine answers"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:"
tail -n 20 "$DOCKERD_LOG" >&2 || true
exit 1
