#!/usr/bin/env bash
# Breaks five classes at once on the monitoring test host and prints the time (epoch seconds):
# the canary container unhealthy, the newest backup 3 days old, a listener on 0.0.0.0:8999,
# app.demo.test answering 502 (its container stopped), api.demo.test served a certificate
# from the local CA that expires in 5 days. repair.sh undoes each.
set -euo pipefail
SITE=/etc/stackops/nginx/sites/api.demo.test
CA=/etc/stackops/nginx/ca
BACKUPS=/var/backups/stackops-demo
HELD=/var/backups/monitoring-test-held
cp -p "$SITE/fullchain.pem" /root/monitoring-test-fullchain.pem
openssl req -new -key "$SITE/privkey.pem" -subj /CN=api.demo.test -out /tmp/short.csr 2>/dev/null
printf 'subjectAltName=DNS:api.demo.test\nextendedKeyUsage=serverAuth\n' > /tmp/short.ext
openssl x509 -req -in /tmp/short.csr -CA "$CA/ca.crt" -CAkey "$CA/ca.key" -CAcreateserial -CAserial /tmp/short.srl \
  -days 5 -extfile /tmp/short.ext -out /tmp/short.pem 2>/dev/null
date +%s
docker exec demo-canary-1 rm /tmp/ok
mkdir -p "$HELD"
find "$BACKUPS" -mindepth 1 -maxdepth 1 -exec mv {} "$HELD/" \;
mkdir "$BACKUPS/$(date -u -d '-3 days' +%Y%m%dT%H%M%SZ)"
systemd-run --unit=monitoring-test-stray python3 -m http.server --bind 0.0.0.0 8999 >/dev/null 2>&1
docker stop demo-web-1 >/dev/null
cat /tmp/short.pem > "$SITE/fullchain.pem"
nginx -t -q && systemctl reload nginx
