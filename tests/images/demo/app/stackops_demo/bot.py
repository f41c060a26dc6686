"""Telegram webhook receiver on 0.0.0.0:8080. It never calls Telegram.

POST /telegram/webhook  header X-Telegram-Bot-Api-Secret-Token must equal the secret in
                        TELEGRAM_WEBHOOK_SECRET_FILE (403 otherwise); the JSON update is
                        pushed onto Redis list demo:updates and a handle_update task queued.
GET /health             200 {"status":"ok"}
"""
import hmac
import json
import os
import re

import redis

from . import config
from .web import JSONHandler, serve

TOKEN_RE = re.compile(r"^[0-9]{5,12}:[A-Za-z0-9_-]{35}$")
UPDATES_KEY = "demo:updates"


class Bot(JSONHandler):
    routes = {
        ("GET", "/health"): "health",
        ("POST", "/telegram/webhook"): "webhook",
    }
    webhook_secret = b""
    redis_client = None

    def health(self):
        self.send_json(200, {"status": "ok"})

    def webhook(self):
        given = (self.headers.get("X-Telegram-Bot-Api-Secret-Token") or "").encode()
        if not hmac.compare_digest(given, self.webhook_secret):
            self.send_json(403, {"error": "forbidden"})
            return
        try:
            update = json.loads(self.read_body() or b"null")
        except ValueError:
            update = None
        if not isinstance(update, dict):
            self.send_json(400, {"error": "expected a JSON object"})
            return
        from .tasks import handle_update

        self.redis_client.rpush(UPDATES_KEY, json.dumps(update))
        handle_update.delay()
        self.send_json(200, {"ok": True})


def main():
    try:
        token = config.secret("TELEGRAM_BOT_TOKEN_FILE")
        if not TOKEN_RE.match(token):
            raise config.ConfigError(
                "TELEGRAM_BOT_TOKEN_FILE does not hold a bot token (digits:35 characters)")
        secret = config.secret("TELEGRAM_WEBHOOK_SECRET_FILE")
        Bot.webhook_secret = secret.encode()
        Bot.redis_client = redis.Redis(**config.redis_kwargs())
        # The celery app reads REDIS_PASSWORD_FILE now, so a bad secret fails the start.
        from . import tasks  # noqa: F401
    except config.ConfigError as exc:
        config.die(exc)
    del token
    serve(Bot, os.environ.get("BOT_BIND", "0.0.0.0"), int(os.environ.get("BOT_PORT", "8080")),
          "bot")


if __name__ == "__main__":
    main()
