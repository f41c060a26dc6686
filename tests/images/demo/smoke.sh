#!/usr/bin/env bash
# Smoke test of the demo images on this machine's engine: runs postgres, redis, migrate,
# api, bot, worker, beat and web on a throw-away network with the production hardening
# (read-only root, tmpfs, cap_drop ALL, no-new-privileges, init, fixed non-root users,
# secrets as 0400 files owned by each container's uid), checks every healthcheck and the
# product's behaviour, then removes everything it made (also on failure).
#
#   tests/images/demo/smoke.sh        (run build.sh first)
# Published ports, loopback only: api 127.0.0.1:${SMOKE_API_PORT:-18000},
# bot 127.0.0.1:${SMOKE_BOT_PORT:-18080}, web 127.0.0.1:${SMOKE_WEB_PORT:-18081}.
# ok/bad always succeed, so `test && ok || bad` is safe; $VARS in single quotes expand
# inside the containers.
# shellcheck disable=SC2015,SC2016
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
LIST="${REPO_ROOT}/.cache/demo-images.yml"
P=stackops-demo-smoke
API_PORT="${SMOKE_API_PORT:-18000}" BOT_PORT="${SMOKE_BOT_PORT:-18080}" WEB_PORT="${SMOKE_WEB_PORT:-18081}"
fails=0 passes=0

log() { printf 'demo-smoke: %s\n' "$*" >&2; }
ok() { passes=$((passes + 1)); log "PASS $*"; }
bad() { fails=$((fails + 1)); log "FAIL $*"; }
img() { sed -n "s/^  $1: \"\(.*\)\"\$/\1/p" "$LIST"; }

[ -r "$LIST" ] || { log "$LIST is missing; run build.sh first"; exit 1; }
PG="$(img postgres)" RD="$(img redis)" APP="$(img app)" WEB="$(img web)"

SECRETS="$(mktemp -d /var/tmp/$P.XXXXXX)"
cleanup() {
  log "cleaning up"
  for c in web beat worker bot api migrate redis postgres; do docker rm -f "$P-$c" >/dev/null 2>&1 || true; done
  docker network rm "$P" >/dev/null 2>&1 || true
  docker volume rm "$P-pgdata" "$P-redisdata" >/dev/null 2>&1 || true
  rm -rf "$SECRETS"
}
trap cleanup EXIT
cleanup_first() { for c in web beat worker bot api migrate redis postgres; do docker rm -f "$P-$c" >/dev/null 2>&1 || true; done
  docker network rm "$P" >/dev/null 2>&1 || true; docker volume rm "$P-pgdata" "$P-redisdata" >/dev/null 2>&1 || true; }
cleanup_first

# Secrets: one file per reader, mode 0400, owned by the reading container's uid.
secret() { # name uid value
  printf '%s\n' "$3" >"$SECRETS/$1"; chown "$2:$2" "$SECRETS/$1"; chmod 0400 "$SECRETS/$1"; }
rand() { head -c 32 /dev/urandom | base64 | tr -d '/+=' | cut -c1-"$1"; }
pg_pw="$(rand 24)" redis_pw="$(rand 24)" hook="$(rand 32)"
token="$(( (RANDOM % 90000) + 10000 ))123:$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9_-' | cut -c1-35)"
secret postgres_password 999 "$pg_pw"
secret database_password 10001 "$pg_pw"
secret redis_password.redis 998 "$redis_pw"
secret redis_password.app 10001 "$redis_pw"
secret telegram_bot_token 10001 "$token"
secret telegram_webhook_secret 10001 "$hook"

HARDEN=(--read-only --cap-drop ALL --security-opt no-new-privileges:true --init --network "$P")
HC=(--health-interval 5s --health-timeout 10s --health-retries 3 --health-start-period 5s)
APPENV=(-e DATABASE_PASSWORD_FILE=/run/secrets/database_password
        -e REDIS_PASSWORD_FILE=/run/secrets/redis_password)
APPSEC=(-v "$SECRETS/database_password:/run/secrets/database_password:ro"
        -v "$SECRETS/redis_password.app:/run/secrets/redis_password:ro")

docker network create "$P" >/dev/null
docker volume create "$P-pgdata" >/dev/null
docker volume create "$P-redisdata" >/dev/null

log "starting postgres and redis"
docker run -d --name "$P-postgres" --network-alias postgres "${HARDEN[@]}" \
  --tmpfs /run/postgresql --tmpfs /tmp \
  -e POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password \
  -v "$SECRETS/postgres_password:/run/secrets/postgres_password:ro" \
  -v "$P-pgdata:/var/lib/postgresql/data" \
  --health-cmd postgres-health "${HC[@]}" "$PG" >/dev/null
docker run -d --name "$P-redis" --network-alias redis "${HARDEN[@]}" \
  --tmpfs /run/redis --tmpfs /tmp \
  -e REDIS_PASSWORD_FILE=/run/secrets/redis_password \
  -v "$SECRETS/redis_password.redis:/run/secrets/redis_password:ro" \
  -v "$P-redisdata:/data" \
  --health-cmd redis-health "${HC[@]}" "$RD" >/dev/null

log "running migrate (it waits for postgres itself)"
if docker run --name "$P-migrate" "${HARDEN[@]}" --tmpfs /tmp "${APPENV[@]}" "${APPSEC[@]}" \
     "$APP" migrate; then ok "migrate exited 0"; else bad "migrate failed"; fi

log "starting api, bot, worker, beat and web"
docker run -d --name "$P-api" --network-alias api "${HARDEN[@]}" --tmpfs /tmp \
  "${APPENV[@]}" "${APPSEC[@]}" -p "127.0.0.1:$API_PORT:8000" \
  --health-cmd 'demo-health http http://127.0.0.1:8000/health' "${HC[@]}" "$APP" api >/dev/null
docker run -d --name "$P-bot" --network-alias bot "${HARDEN[@]}" --tmpfs /tmp \
  "${APPENV[@]}" "${APPSEC[@]}" -p "127.0.0.1:$BOT_PORT:8080" \
  -e TELEGRAM_BOT_TOKEN_FILE=/run/secrets/telegram_bot_token \
  -e TELEGRAM_WEBHOOK_SECRET_FILE=/run/secrets/telegram_webhook_secret \
  -v "$SECRETS/telegram_bot_token:/run/secrets/telegram_bot_token:ro" \
  -v "$SECRETS/telegram_webhook_secret:/run/secrets/telegram_webhook_secret:ro" \
  --health-cmd 'demo-health http http://127.0.0.1:8080/health' "${HC[@]}" "$APP" bot >/dev/null
docker run -d --name "$P-worker" "${HARDEN[@]}" --tmpfs /tmp "${APPENV[@]}" "${APPSEC[@]}" \
  --health-cmd 'demo-health worker' "${HC[@]}" "$APP" worker >/dev/null
docker run -d --name "$P-beat" "${HARDEN[@]}" --tmpfs /tmp "${APPENV[@]}" "${APPSEC[@]}" \
  --health-cmd 'demo-health beat' --health-start-period 30s --health-interval 5s \
  --health-timeout 10s --health-retries 3 "$APP" beat >/dev/null
docker run -d --name "$P-web" "${HARDEN[@]}" -p "127.0.0.1:$WEB_PORT:8080" \
  --health-cmd web-health "${HC[@]}" "$WEB" >/dev/null

log "waiting for every container to be healthy (up to 90 s)"
deadline=$((SECONDS + 90))
for c in postgres redis api bot worker beat web; do
  while :; do
    st="$(docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$P-$c")"
    case "$st" in
      running/healthy) ok "$c is healthy"; break ;;
      running/*) [ $SECONDS -lt $deadline ] || { bad "$c is $st"; docker logs --tail 20 "$P-$c" >&2; break; }; sleep 2 ;;
      *) bad "$c is $st"; docker logs --tail 20 "$P-$c" >&2; break ;;
    esac
  done
done

check() { # description, command...
  local d="$1"; shift
  if out="$("$@" 2>&1)"; then ok "$d"; else bad "$d: $out"; fi
}
log "healthcheck commands, run by hand"
check "postgres: postgres-health" docker exec "$P-postgres" postgres-health
check "postgres: pg_isready" docker exec "$P-postgres" sh -c 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'
check "redis: redis-health" docker exec "$P-redis" redis-health
check "api: demo-health http /health" docker exec "$P-api" demo-health http http://127.0.0.1:8000/health
check "api: demo-health http /ready" docker exec "$P-api" demo-health http http://127.0.0.1:8000/ready
check "bot: demo-health http /health" docker exec "$P-bot" demo-health http http://127.0.0.1:8080/health
check "worker: demo-health worker" docker exec "$P-worker" demo-health worker
check "beat: demo-health beat" docker exec "$P-beat" demo-health beat
check "web: web-health" docker exec "$P-web" web-health

log "behaviour"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
c="$(code "http://127.0.0.1:$API_PORT/ready")"; [ "$c" = 200 ] && ok "GET /ready -> 200 ($(curl -s "http://127.0.0.1:$API_PORT/ready"))" || bad "GET /ready -> $c"
c="$(code -X POST -H 'Content-Type: application/json' -d '{"body":"hello from smoke"}' "http://127.0.0.1:$API_PORT/notes")"
[ "$c" = 201 ] && ok "POST /notes -> 201" || bad "POST /notes -> $c"
notes="$(curl -s "http://127.0.0.1:$API_PORT/notes")"
grep -q '"hello from smoke"' <<<"$notes" && ok "GET /notes lists it: $notes" || bad "GET /notes: $notes"
c="$(code -X POST -d '{"body":1}' -H 'Content-Type: application/json' "http://127.0.0.1:$API_PORT/notes")"
[ "$c" = 400 ] && ok "POST /notes with a bad body -> 400" || bad "POST /notes bad body -> $c"
hookurl="http://127.0.0.1:$BOT_PORT/telegram/webhook"
upd='{"update_id": 4242, "message": {"text": "hi"}}'
c="$(code -X POST -d "$upd" "$hookurl")"; [ "$c" = 403 ] && ok "webhook without token -> 403" || bad "webhook without token -> $c"
c="$(code -X POST -H 'X-Telegram-Bot-Api-Secret-Token: wrong' -d "$upd" "$hookurl")"
[ "$c" = 403 ] && ok "webhook with a wrong token -> 403" || bad "webhook wrong token -> $c"
c="$(code -X POST -H "X-Telegram-Bot-Api-Secret-Token: $hook" -d "$upd" "$hookurl")"
[ "$c" = 200 ] && ok "webhook with the right token -> 200" || bad "webhook right token -> $c"
c="$(code "http://127.0.0.1:$WEB_PORT/")"; [ "$c" = 200 ] && ok "web / -> 200" || bad "web / -> $c"

rcli() { docker exec "$P-redis" sh -c 'REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")" redis-cli --no-auth-warning "$@"' rcli "$@"; }
sleep 3
processed="$(rcli get demo:updates:processed)"; last="$(rcli get demo:updates:last)"
[ "${processed:-0}" -ge 1 ] && grep -q 4242 <<<"$last" && ok "worker handled the update (processed=$processed last=$last)" ||
  bad "worker did not handle the update (processed=$processed last=$last)"
hb1="$(rcli get demo:heartbeat)"; log "demo:heartbeat=$hb1; waiting 17 s for the next one"
sleep 17
hb2="$(rcli get demo:heartbeat)"
[ -n "$hb2" ] && [ "$hb2" != "$hb1" ] && ok "heartbeat key updated ($hb1 -> $hb2)" || bad "heartbeat key not updated ($hb1 -> $hb2)"

log "hardening as running"
for c in postgres redis api bot worker beat web; do
  u="$(docker exec "$P-$c" id -u)"
  caps="$(docker exec "$P-$c" sh -c 'grep CapEff /proc/1/status; grep CapEff /proc/self/status' | awk '{print $2}' | sort -u | tr '\n' ' ')"
  ro="$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Init}}' "$P-$c")"
  if [ "$u" != 0 ] && [ "$caps" = "0000000000000000 " ] && [ "$ro" = "true true" ]; then ok "$c runs as uid $u, no capabilities, read-only root, init"
  else bad "$c: uid=$u caps=$caps readonly/init=$ro"; fi
done
if docker exec "$P-api" sh -c 'ps -eo args 2>/dev/null || cat /proc/[0-9]*/cmdline' | tr '\0' ' ' | grep -qF -e "$pg_pw" -e "$redis_pw"; then
  bad "a secret shows in a process command line"; else ok "no secret in the app's process command lines"; fi
for c in api bot worker beat; do
  if docker exec "$P-$c" sh -c 'cat /proc/[0-9]*/environ 2>/dev/null' | tr '\0' '\n' | grep -qF -e "$pg_pw" -e "$redis_pw" -e "$hook"; then
    bad "$c: a secret shows in a process environment"; else ok "$c: no secret in process environments"; fi
done
if docker exec "$P-redis" sh -c 'cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null' | tr '\0' '\n' | grep -qF "$redis_pw"; then
  bad "redis: the password shows in argv/env"; else ok "redis: password not in argv/env"; fi

log "failure paths"
docker stop "$P-redis" >/dev/null
ready="$(curl -s -w ' %{http_code}' "http://127.0.0.1:$API_PORT/ready")"
case "$ready" in *'"postgres": "ok"'*'"redis": "failed'*' 503') ok "GET /ready with redis stopped -> $ready" ;;
  *) bad "GET /ready with redis stopped -> $ready" ;; esac
docker start "$P-redis" >/dev/null
secret bad_token 10001 "12345:tooshort"
if out="$(docker run --rm "${HARDEN[@]}" --tmpfs /tmp "${APPENV[@]}" "${APPSEC[@]}" \
    -e TELEGRAM_BOT_TOKEN_FILE=/run/secrets/telegram_bot_token \
    -e TELEGRAM_WEBHOOK_SECRET_FILE=/run/secrets/telegram_webhook_secret \
    -v "$SECRETS/bad_token:/run/secrets/telegram_bot_token:ro" \
    -v "$SECRETS/telegram_webhook_secret:/run/secrets/telegram_webhook_secret:ro" \
    "$APP" bot 2>&1)"; then bad "bot started with a malformed token"
else ok "bot refuses a malformed token: $out"; fi
if out="$(docker run --rm "${HARDEN[@]}" --tmpfs /run/redis "$RD" 2>&1)"; then bad "redis started without a password file"
else ok "redis refuses to start without a password file: $out"; fi

log "restart keeps data (postgres and redis come back from their volumes)"
docker restart "$P-postgres" "$P-redis" >/dev/null
sleep 8
check "postgres healthy after restart" docker exec "$P-postgres" postgres-health
check "redis healthy after restart" docker exec "$P-redis" redis-health
notes="$(curl -s "http://127.0.0.1:$API_PORT/notes")"
grep -q '"hello from smoke"' <<<"$notes" && ok "notes survive a postgres restart" || bad "notes after restart: $notes"

retry() { # description, tries, command...: up to N tries 2 s apart
  local d="$1" n="$2" i; shift 2
  for ((i = 1; i <= n; i++)); do "$@" >/dev/null 2>&1 && { ok "$d (try $i)"; return; }; sleep 2; done
  bad "$d"
}
retry "worker answers again after the redis restart" 15 docker exec "$P-worker" demo-health worker
retry "api ready again after the restarts" 10 docker exec "$P-api" demo-health http http://127.0.0.1:8000/ready
hb3="$(rcli get demo:heartbeat)"; sleep 16; hb4="$(rcli get demo:heartbeat)"
[ -n "$hb4" ] && [ "$hb4" != "$hb3" ] && ok "heartbeat continues after the restarts ($hb3 -> $hb4)" || bad "heartbeat stalled after restarts ($hb3 -> $hb4)"
check "beat: demo-health beat after the restarts" docker exec "$P-beat" demo-health beat

if [ -n "${SMOKE_LOG_DIR:-}" ]; then
  mkdir -p "$SMOKE_LOG_DIR"
  for c in postgres redis migrate api bot worker beat web; do docker logs "$P-$c" >"$SMOKE_LOG_DIR/$c.log" 2>&1 || true; done
fi

log "$passes passed, $fails failed"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
