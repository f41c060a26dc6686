"""Create the schema. Retries the connection for up to MIGRATE_TIMEOUT (60) seconds."""
import os
import sys
import time

import psycopg

from . import config

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id bigserial PRIMARY KEY,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


def main():
    try:
        kwargs = config.database_kwargs()
    except config.ConfigError as exc:
        config.die(exc)
    deadline = time.monotonic() + float(os.environ.get("MIGRATE_TIMEOUT", "60"))
    attempt = 0
    while True:
        attempt += 1
        try:
            with psycopg.connect(**kwargs) as conn:
                conn.execute(SCHEMA)
            print(f"migrate: schema is up to date (attempt {attempt})", flush=True)
            return 0
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                print(f"migrate: giving up after {attempt} attempts: {exc}", file=sys.stderr)
                return 1
            print(f"migrate: database not ready ({str(exc).strip().splitlines()[0]}); retrying",
                  file=sys.stderr, flush=True)
            time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
