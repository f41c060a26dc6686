"""stackops demo product: a tiny notes API, a Telegram webhook bot and celery tasks."""
