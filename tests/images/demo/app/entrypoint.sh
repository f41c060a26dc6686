#!/bin/sh
# Dispatch the container command: api | bot | worker | beat | migrate (anything else is
# run as given). Secrets are read by Python from the *_FILE paths, never from argv/env.
set -eu
cmd="${1:-api}"
[ $# -gt 0 ] && shift
case "$cmd" in
  api)     exec python3 -m stackops_demo.api "$@" ;;
  bot)     exec python3 -m stackops_demo.bot "$@" ;;
  migrate) exec python3 -m stackops_demo.migrate "$@" ;;
  worker)  exec python3 -m celery -A stackops_demo.tasks worker --hostname 'celery@%h' \
             --concurrency "${CELERY_CONCURRENCY:-2}" --loglevel INFO "$@" ;;
  beat)    exec python3 -m celery -A stackops_demo.tasks beat \
             --scheduler stackops_demo.tasks:StampingScheduler \
             --schedule /tmp/celerybeat-schedule --loglevel INFO "$@" ;;
  *)       exec "$cmd" "$@" ;;
esac
