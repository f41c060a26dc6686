"""Settings from the environment; secrets only from files named by *_FILE variables."""
import os
import sys


class ConfigError(RuntimeError):
    pass


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise ConfigError(f"environment variable {name} is required")
    return value


def secret(name):
    """Read the secret whose path is in env NAME (its first line, without the newline)."""
    path = env(name)
    try:
        with open(path, encoding="utf-8") as fh:
            value = fh.readline().rstrip("\r\n")
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {path}: {exc.strerror}") from None
    if not value:
        raise ConfigError(f"{name}: {path} is empty")
    return value


def database_kwargs():
    return {
        "host": env("DATABASE_HOST", "postgres"),
        "port": int(env("DATABASE_PORT", "5432")),
        "dbname": env("DATABASE_NAME", "demo"),
        "user": env("DATABASE_USER", "demo"),
        "password": secret("DATABASE_PASSWORD_FILE"),
        "connect_timeout": 5,
        "application_name": "stackops-demo",
    }


def redis_kwargs():
    return {
        "host": env("REDIS_HOST", "redis"),
        "port": int(env("REDIS_PORT", "6379")),
        "password": secret("REDIS_PASSWORD_FILE"),
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
    }


def redis_url(db=0):
    from urllib.parse import quote

    kw = redis_kwargs()
    return f"redis://:{quote(kw['password'], safe='')}@{kw['host']}:{kw['port']}/{db}"


def die(exc):
    print(f"stackops-demo: {exc}", file=sys.stderr, flush=True)
    sys.exit(1)
