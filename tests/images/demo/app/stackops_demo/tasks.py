"""Celery app: broker and result backend are Redis, its password read from
REDIS_PASSWORD_FILE here (never on a command line)."""
import faulthandler
import json
import signal
import time

import redis
from celery import Celery
from celery.beat import PersistentScheduler

from . import config

# `docker kill -s USR1 <container>` prints every thread's stack to stderr (debugging).
faulthandler.register(signal.SIGUSR1, all_threads=True)

UPDATES_KEY = "demo:updates"
HEARTBEAT_KEY = "demo:heartbeat"
BEAT_STAMP = "/tmp/stackops-beat.sent"

app = Celery("stackops_demo")
app.conf.update(
    broker_url=config.redis_url(0),
    result_backend=config.redis_url(0),
    result_expires=3600,
    # Nothing waits for task results. With results on, every send subscribes to a Redis
    # pub/sub channel, and after a Redis restart beat hung for good in that client's
    # reconnect (seen here); with them off, beat and bot only publish.
    task_ignore_result=True,
    redis_socket_timeout=10,
    redis_socket_connect_timeout=5,
    redis_retry_on_timeout=True,
    broker_connection_retry_on_startup=True,
    worker_cancel_long_running_tasks_on_connection_loss=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    timezone="UTC",
    enable_utc=True,
    worker_hijack_root_logger=True,
    worker_send_task_events=False,
    beat_max_loop_interval=10,
    beat_schedule={
        "heartbeat": {"task": "stackops_demo.tasks.heartbeat", "schedule": 15.0},
    },
)

_redis = None


def rds():
    global _redis
    if _redis is None:
        _redis = redis.Redis(**config.redis_kwargs())
    return _redis


@app.task(name="stackops_demo.tasks.handle_update")
def handle_update():
    """Pop one queued Telegram update and record it."""
    raw = rds().lpop(UPDATES_KEY)
    if raw is None:
        return None
    update = json.loads(raw)
    pipe = rds().pipeline()
    pipe.incr("demo:updates:processed")
    pipe.set("demo:updates:last", json.dumps(update))
    pipe.execute()
    return update.get("update_id")


@app.task(name="stackops_demo.tasks.heartbeat")
def heartbeat():
    """Write the current time to demo:heartbeat."""
    now = time.time()
    rds().set(HEARTBEAT_KEY, f"{now:.3f}")
    return now


class StampingScheduler(PersistentScheduler):
    """The default scheduler, plus a stamp file touched whenever a task was handed to
    the broker, which `demo-health beat` checks."""

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        result = super().apply_async(entry, producer=producer, advance=advance, **kwargs)
        with open(BEAT_STAMP, "w", encoding="ascii") as fh:
            fh.write(f"{time.time():.3f} {entry.name}\n")
        return result
