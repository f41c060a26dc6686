"""The notes API on 0.0.0.0:8000.

GET /health   200 {"status":"ok"} (liveness, no dependencies)
GET /ready    200 {"postgres":"ok","redis":"ok"} or 503 naming what failed
GET /notes    JSON list of notes (id, body, created_at)
POST /notes   {"body": "..."} -> 201 with the new note
"""
import os

import psycopg
import redis
from psycopg.rows import dict_row

from . import config
from .web import JSONHandler, serve

MAX_NOTE = 10000


class API(JSONHandler):
    routes = {
        ("GET", "/health"): "health",
        ("GET", "/ready"): "ready",
        ("GET", "/notes"): "list_notes",
        ("POST", "/notes"): "add_note",
    }
    db_kwargs = None
    redis_client = None

    def connect(self):
        return psycopg.connect(**self.db_kwargs, row_factory=dict_row)

    def health(self):
        self.send_json(200, {"status": "ok"})

    def ready(self):
        result, ok = {}, True
        try:
            with self.connect() as conn:
                conn.execute("SELECT 1").fetchone()
            result["postgres"] = "ok"
        except Exception as exc:
            ok = False
            result["postgres"] = f"failed: {exc.__class__.__name__}"
        try:
            if self.redis_client.ping() is not True:
                raise RuntimeError("no PONG")
            result["redis"] = "ok"
        except Exception as exc:
            ok = False
            result["redis"] = f"failed: {exc.__class__.__name__}"
        self.send_json(200 if ok else 503, result)

    def list_notes(self):
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT id, body, created_at FROM notes ORDER BY id DESC LIMIT 100").fetchall()
        self.send_json(200, [dict(r, created_at=r["created_at"].isoformat()) for r in rows])

    def add_note(self):
        try:
            data = self.read_json()
            body = data.get("body") if isinstance(data, dict) else None
        except ValueError:  # bad JSON, bad length or too large
            body = None
        if not isinstance(body, str) or not body.strip() or len(body) > MAX_NOTE:
            self.send_json(400, {"error": 'expected JSON {"body": "<text>"}'})
            return
        with self.connect() as conn:
            row = conn.execute(
                "INSERT INTO notes (body) VALUES (%s) RETURNING id, body, created_at",
                (body,)).fetchone()
        self.send_json(201, dict(row, created_at=row["created_at"].isoformat()))


def main():
    try:
        API.db_kwargs = config.database_kwargs()
        API.redis_client = redis.Redis(**config.redis_kwargs())
    except config.ConfigError as exc:
        config.die(exc)
    serve(API, os.environ.get("API_BIND", "0.0.0.0"), int(os.environ.get("API_PORT", "8000")),
          "api")


if __name__ == "__main__":
    main()
