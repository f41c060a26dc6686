# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change a data store's password inside the running server, before the services that use it restart.

A password file rotated on the host does not change the password a data store holds:
PostgreSQL reads POSTGRES_PASSWORD_FILE only when it initialises its data directory, and a
running Redis keeps its requirepass until it restarts. So the new value is set in the
running server first (ALTER ROLE with a SCRAM-SHA-256 verifier computed here; Redis CONFIG
SET requirepass), authenticated with the value the running container still holds (its
secret file is a bind mount of the old file), and proven by logging in with the new one.

The new value travels only on the stdin of `docker exec`, never in an argument or an
environment variable of a command on the host; messages never contain a value.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import hashlib
import hmac
import os
import re
import subprocess
import unicodedata

from ansible_collections.stackops.hardened.plugins.module_utils.stack_model import is_datastore

ENGINES = ('postgres', 'redis')
_SECRET_PATH = re.compile(r'^/run/secrets/([A-Za-z0-9][A-Za-z0-9._-]{0,62})\Z')
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z')

# In the container: authenticate with its own (old) secret file, $1.
PG_WITH_OLD = 'PGPASSWORD="$(cat "$1")" || exit 3; export PGPASSWORD; shift; exec "$@"'
# In the container: the password to try is the first line of stdin.
PG_WITH_STDIN = 'IFS= read -r PGPASSWORD || [ -n "$PGPASSWORD" ]; export PGPASSWORD; exec "$@"'
REDIS_WITH_OLD = 'REDISCLI_AUTH="$(cat "$1")" || exit 3; export REDISCLI_AUTH; shift; exec "$@"'
REDIS_WITH_STDIN = 'IFS= read -r REDISCLI_AUTH || [ -n "$REDISCLI_AUTH" ]; export REDISCLI_AUTH; exec "$@"'


class PasswordError(Exception):
    """The password could not be changed; the message names the service and never a value."""


# ---------------------------------------------------------------- which data stores hold which secret

def _environment(service):
    env = service.get('environment') or {}
    if isinstance(env, dict):
        return dict((str(k), '' if v is None else str(v)) for k, v in env.items())
    result = {}
    for item in env if isinstance(env, list) else []:
        key, sep, value = str(item).partition('=')
        result[key] = value if sep else ''
    return result


def stack_datastores(services):
    """The data stores of a compose description that keep a password from a secret.

    A data store (the stack policy's judgement: x-stackops.datastore, else the image's name or
    a well-known port) with POSTGRES_PASSWORD_FILE (the official image's and the demo's) is a
    PostgreSQL server whose role POSTGRES_USER (default postgres) has that password; one with
    REDIS_PASSWORD_FILE a Redis server whose requirepass it is. The services that connect to
    them read the same variables, but are no data stores. Only files under /run/secrets/
    count (the secrets the stack mounts). Returns a list of
    {service, engine, secret, password_file, uid, user, database}, sorted by service.
    """
    found = []
    if not isinstance(services, dict):
        return found
    for name in sorted(services):
        service = services[name]
        if not isinstance(service, dict) or not is_datastore(service, name):
            continue
        env = _environment(service)
        uid = str(service.get('user', '')).split(':', maxsplit=1)[0]
        for key, engine in (('POSTGRES_PASSWORD_FILE', 'postgres'), ('REDIS_PASSWORD_FILE', 'redis')):
            match = _SECRET_PATH.match(env.get(key, ''))
            if not match:
                continue
            entry = dict(service=str(name), engine=engine, secret=match.group(1), password_file=env[key], uid=uid)
            if engine == 'postgres':
                entry['user'] = env.get('POSTGRES_USER') or 'postgres'
                entry['database'] = env.get('POSTGRES_DB') or entry['user']
            found.append(entry)
    return found


# ---------------------------------------------------------------- what is sent

def scram_verifier(password, salt=None, iterations=4096):
    """PostgreSQL's stored form of a SCRAM-SHA-256 password (what ALTER ROLE ... PASSWORD accepts as is)."""
    salt = os.urandom(16) if salt is None else salt
    # SASLprep, as far as a password of printable characters needs it (PostgreSQL normalises with NFKC).
    data = unicodedata.normalize('NFKC', password).encode('utf-8')
    salted = hashlib.pbkdf2_hmac('sha256', data, salt, iterations)
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    parts = [base64.b64encode(part).decode('ascii') for part in (salt, stored_key, server_key)]
    return 'SCRAM-SHA-256$%d:%s$%s:%s' % (iterations, parts[0], parts[1], parts[2])


def alter_role_sql(user, password, salt=None):
    """The statement that gives role USER the password (its verifier only: the value never reaches a log)."""
    return 'ALTER ROLE "%s" PASSWORD \'%s\';\n' % (user.replace('"', '""'), scram_verifier(password, salt))


def read_new_value(path):
    """The value of a secret file on the host: its first line (as the data stores read it). PasswordError."""
    try:
        with open(path, 'rb') as handle:
            raw = handle.read(65536)
    except (IOError, OSError) as exc:
        raise PasswordError('the secret file %s cannot be read: %s' % (path, exc.strerror or exc))
    try:
        value = raw.decode('utf-8').split('\n', 1)[0].rstrip('\r')
    except UnicodeDecodeError:
        raise PasswordError('the secret file %s is not UTF-8 text' % path) from None
    if not value:
        raise PasswordError('the secret file %s is empty' % path)
    return value


# ---------------------------------------------------------------- talking to the container

def _run(argv, data=None):
    proc = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace')


def find_container(project, service, run=_run):
    """The running container of the service, or None (None too where Docker is not installed yet:
    check mode on a fresh host, where the docker role has only reported it would install it)."""
    try:
        rc, out, err = run(['docker', 'ps', '--quiet', '--filter', 'label=com.docker.compose.project=%s' % project,
                            '--filter', 'label=com.docker.compose.service=%s' % service, '--filter', 'status=running'])
    except FileNotFoundError:
        return None
    if rc != 0:
        raise PasswordError('docker ps failed (exit %d): %s' % (rc, (err or out).strip()))
    ids = out.split()
    return ids[0] if ids else None


def _postgres_login(user, database):
    return ['psql', '--no-psqlrc', '--quiet', '--host', '127.0.0.1', '--username', user, '--dbname', database,
            '--tuples-only', '--no-align', '--set', 'ON_ERROR_STOP=1']


def new_value_works(params, container, value, run=_run):
    """Whether the data store already accepts the new value (then nothing is changed)."""
    if params['engine'] == 'postgres':
        argv = (['docker', 'exec', '-i', container, 'sh', '-c', PG_WITH_STDIN, 'sh']
                + _postgres_login(params['user'], params['database']) + ['--command', 'SELECT 1'])
        rc, out, _err = run(argv, (value + '\n').encode('utf-8'))
        return rc == 0 and out.strip() == '1'
    argv = ['docker', 'exec', '-i', container, 'sh', '-c', REDIS_WITH_STDIN, 'sh', 'redis-cli', '--no-auth-warning',
            '-h', '127.0.0.1', 'PING']
    rc, out, _err = run(argv, (value + '\n').encode('utf-8'))
    return rc == 0 and out.strip() == 'PONG'


def set_new_value(params, container, value, run=_run):
    """Set the new value in the running server, authenticated with the container's own (old) secret file."""
    if params['engine'] == 'postgres':
        argv = (['docker', 'exec', '-i', container, 'sh', '-c', PG_WITH_OLD, 'sh', params['password_file']]
                + _postgres_login(params['user'], params['database']))
        rc, out, err = run(argv, alter_role_sql(params['user'], value).encode('utf-8'))
        if rc != 0:
            raise PasswordError('ALTER ROLE %s in service %s failed (exit %d): %s' % (
                params['user'], params['service'], rc, (err or out).strip()[-500:]))
        return
    # -x: the last argument is stdin as it is, so any character of the value arrives unquoted.
    argv = ['docker', 'exec', '-i', container, 'sh', '-c', REDIS_WITH_OLD, 'sh', params['password_file'],
            'redis-cli', '--no-auth-warning', '-h', '127.0.0.1', '-x', 'CONFIG', 'SET', 'requirepass']
    rc, out, err = run(argv, value.encode('utf-8'))
    if rc != 0 or out.strip() != 'OK':
        raise PasswordError('CONFIG SET requirepass in service %s failed (exit %d): %s' % (
            params['service'], rc, (err or out).strip()[-500:]))


def check_params(params):
    problems = []
    if params.get('engine') not in ENGINES:
        problems.append('engine %r is not one of %s' % (params.get('engine'), ', '.join(ENGINES)))
    for key in ('project', 'service'):
        if not isinstance(params.get(key), str) or not _NAME.match(params[key]):
            problems.append('%s %r is not a compose project or service name' % (key, params.get(key)))
    if not _SECRET_PATH.match(str(params.get('password_file') or '')):
        problems.append('password_file %r is not a secret file of the container (/run/secrets/NAME)'
                        % params.get('password_file'))
    if not os.path.isabs(str(params.get('secret_file') or '')):
        problems.append('secret_file %r is not an absolute path on the host' % params.get('secret_file'))
    if params.get('engine') == 'postgres':
        for key in ('user', 'database'):
            if not isinstance(params.get(key), str) or not params[key] or '\x00' in params[key]:
                problems.append('%s must name the PostgreSQL %s' % (key, 'role' if key == 'user' else 'database'))
    if problems:
        raise PasswordError('; '.join(problems))


def change_password(params, check_mode=False, run=_run):
    """Bring the running data store to the value of secret_file. Returns dict(changed, container, msg)."""
    check_params(params)
    where = 'service %s (%s)' % (params['service'], params['engine'])
    container = find_container(params['project'], params['service'], run)
    if container is None:
        return dict(changed=False, container=None,
                    msg='%s is not running: it reads the new value when it starts' % where)
    if check_mode and not os.path.exists(params['secret_file']):
        return dict(changed=True, container=container, msg='%s would get the new value' % where)
    value = read_new_value(params['secret_file'])
    if new_value_works(params, container, value, run):
        return dict(changed=False, container=container, msg='%s already accepts the new value' % where)
    if check_mode:
        return dict(changed=True, container=container, msg='%s would get the new value' % where)
    set_new_value(params, container, value, run)
    if not new_value_works(params, container, value, run):
        raise PasswordError('%s did not accept the new value after it was set' % where)
    return dict(changed=True, container=container,
                msg='%s accepts the new value (set in the running server)' % where)
