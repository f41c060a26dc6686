#!/usr/bin/env bash
# Undoes break.sh and prints the time (epoch seconds).
set -euo pipefail
SITE=/etc/stackops/nginx/sites/api.demo.test
BACKUPS=/var/backups/stackops-demo
HELD=/var/backups/monitoring-test-held
date +%s
docker exec demo-canary-1 touch /tmp/ok
find "$BACKUPS" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
find "$HELD" -mindepth 1 -maxdepth 1 -exec mv {} "$BACKUPS/" \;
rmdir "$HELD"
systemctl stop monitoring-test-stray
docker start demo-web-1 >/dev/null
cp -p /root/monitoring-test-fullchain.pem "$SITE/fullchain.pem"
rm -f /root/monitoring-test-fullchain.pem /tmp/short.*
nginx -t -q && systemctl reload nginx
