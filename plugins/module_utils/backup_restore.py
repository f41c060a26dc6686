# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restore a backup of the backup role: into a throw-away scratch container (the restore
check) or into the stack's live database (restore.yml).

Everything runs through the docker CLI on the host. The dump is streamed: from the file,
through ``age -d`` when it is encrypted (the private key arrives on age's standard input,
never in a file), into ``pg_restore`` inside a container of the same Postgres image. The
password of the database is read inside the container from its secret file.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time

from ansible_collections.stackops.hardened.plugins.module_utils.stack_model import NAME_PATTERN
from ansible_collections.stackops.hardened.plugins.module_utils.backup import (
    COUNT_TABLES_SQL,
    compare_counts,
    newest_run,
    parse_counts,
    run_age_hours,
)

# Runs a command inside a Postgres container with PGUSER set and PGPASSWORD read from the
# container's own secret file: sh -c WITH_PASSWORD sh PASSWORD_FILE USER COMMAND...
WITH_PASSWORD = (
    'pw_file="$1"; user="${2:-${POSTGRES_USER:-postgres}}"; shift 2; '
    'if [ -r "$pw_file" ]; then PGPASSWORD="$(cat "$pw_file")" || exit 3; export PGPASSWORD; fi; '
    'PGUSER="$user"; export PGUSER; exec "$@"'
)
SCRATCH_DUMP = '/tmp/stackops-restore.dump'


class RestoreError(Exception):
    def __init__(self, msg, result=None):
        super(RestoreError, self).__init__(msg)
        self.result = result or {}


_SERVICE = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,62}')
_DATABASE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_$.-]{0,62}')
_USER = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}')
_IMAGE = re.compile(r'[a-z0-9][A-Za-z0-9._/:@-]{0,254}')
_RUN = re.compile(r'latest|newest|[0-9]{8}T[0-9]{6}Z')
_IDENTITY = re.compile(r'AGE-SECRET-KEY-1[0-9A-Z]{58}|AGE-PLUGIN-[0-9A-Z]{1,64}-1[0-9A-Z]{6,4096}')


def _shown(value):
    if isinstance(value, str):
        return repr(value[:80])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return 'a %s' % type(value).__name__


def _text(params, key, pattern, accepted, required=True):
    value = params.get(key)
    if value is None or value == '':
        if required:
            raise RestoreError('%s is required: %s' % (key, accepted))
        return
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise RestoreError('%s %s is not valid: %s' % (key, _shown(value), accepted))


def _path(params, key, required=True):
    value = params.get(key)
    if value is None or value == '':
        if required:
            raise RestoreError('%s is required: an absolute path' % key)
        return
    if not isinstance(value, str) or not value.startswith('/') or '\x00' in value or '\n' in value:
        raise RestoreError('%s %s is not valid: give an absolute path' % (key, _shown(value)))


def _number(params, key, low, high, integer=False):
    value = params.get(key)
    if value is None:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or (isinstance(value, float) and not math.isfinite(value)) \
            or not low <= value <= high:
        raise RestoreError('%s %s is not valid: give a %s from %s to %s'
                           % (key, _shown(value), 'whole number' if integer else 'number', low, high))


def identity_problem(identity):
    """Why IDENTITY is not an age private key, or None. Never repeats the value, nor its length."""
    if identity is None or identity == '':
        return None
    if not isinstance(identity, str):
        return 'identity must be text (an age private key), got %s' % type(identity).__name__
    lines = [line.strip() for line in identity.strip().splitlines()]
    lines = [line for line in lines if line and not line.startswith('#')]
    if lines and all(_IDENTITY.fullmatch(line.upper()) for line in lines):
        return None
    first = lines[0] if lines else ''
    if first.lower().startswith('age1') or first.split(' ', 1)[0] in ('ssh-ed25519', 'ssh-rsa'):
        return ('identity is a public key (a recipient, age1... or ssh-...), not the private key that decrypts; give '
                'the AGE-SECRET-KEY-1... line of the key pair (from the vault)')
    return 'identity is not an age private key (AGE-SECRET-KEY-1... lines, from the vault); the value is not shown'


def validate_params(params):
    """Refuse malformed options before anything runs; RestoreError naming the option and what is accepted."""
    if not isinstance(params, dict):
        raise RestoreError('the options must be a mapping')
    _text(params, 'project', NAME_PATTERN, 'a compose project name (lowercase letters, digits, _ or -, at most 63)')
    _text(params, 'service', _SERVICE, 'a compose service name (letters, digits, _, . or -, at most 63)')
    _text(params, 'database', _DATABASE, 'a database name (letters, digits, _, $, . or -, at most 63, not starting '
                                         'with -)')
    _path(params, 'backup_dir')
    _text(params, 'run', _RUN, 'latest, or a run name such as 20261125T033000Z', required=False)
    _text(params, 'user', _USER, 'a database user name (letters, digits, _, . or -)', required=False)
    _path(params, 'password_file', required=False)
    _text(params, 'image', _IMAGE, 'an image reference such as postgres:17 (not starting with -)', required=False)
    _number(params, 'jobs', 1, 64, integer=True)
    _number(params, 'max_age_hours', 0, 100000)
    _number(params, 'tolerance_percent', 0, 100)
    services = params.get('stop_services') or []
    if not isinstance(services, (list, tuple)):
        raise RestoreError('stop_services must be a list of compose service names, got %s' % type(services).__name__)
    for index, name in enumerate(services):
        if not isinstance(name, str) or not _SERVICE.fullmatch(name):
            raise RestoreError('stop_services[%d] %s is not a compose service name (letters, digits, _, . or -)'
                               % (index, _shown(name)))
    if params.get('target') not in (None, 'scratch', 'live'):
        raise RestoreError('target %s is not valid: scratch or live' % _shown(params.get('target')))
    reason = identity_problem(params.get('identity'))
    if reason:
        raise RestoreError(reason)


def _run(argv, data=None, check=True, timeout=None):
    proc = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, check=False)
    out = proc.stdout.decode('utf-8', 'replace')
    err = proc.stderr.decode('utf-8', 'replace')
    if check and proc.returncode != 0:
        raise RestoreError('%s failed (exit %d): %s' % (' '.join(argv[:3]), proc.returncode, (err or out).strip()))
    return proc.returncode, out, err


# How a stack's containers are labelled: by compose (project, service) and, on a Swarm
# cluster, by the stack's service tasks (namespace, <stack>_<service>).
def container_filters(project, service):
    """The `docker ps` label filters of a service's containers: compose's first, then Swarm's."""
    return [['label=com.docker.compose.project=%s' % project, 'label=com.docker.compose.service=%s' % service],
            ['label=com.docker.stack.namespace=%s' % project,
             'label=com.docker.swarm.service.name=%s_%s' % (project, service)]]


def find_containers(project, service, running_only=True):
    """IDs of the containers of a compose service, or, when there is none, of the Swarm service's tasks here."""
    for labels in container_filters(project, service):
        argv = ['docker', 'ps', '--quiet', '--no-trunc']
        for label in labels:
            argv += ['--filter', label]
        if running_only:
            argv += ['--filter', 'status=running']
        found = _run(argv)[1].split()
        if found:
            return found
    return []


def in_container(container, password_file, user, command, stdin=False):
    return (['docker', 'exec'] + (['-i'] if stdin else []) + [container, 'sh', '-c', WITH_PASSWORD, 'sh',
                                                              password_file, user or ''] + list(command))


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(block)
    return digest.hexdigest()


def locate(backup_dir, database, run='latest'):
    """The run and the dump file of ``database`` in it; RestoreError when there is none."""
    try:
        names = os.listdir(backup_dir)
    except OSError as exc:
        raise RestoreError('cannot read the backup directory %s: %s' % (backup_dir, exc))
    name = newest_run([n for n in names if os.path.isdir(os.path.join(backup_dir, n))], run)
    if name is None:
        if run in (None, '', 'latest', 'newest'):
            raise RestoreError('there is no backup in %s' % backup_dir)
        raise RestoreError('there is no backup run %s in %s' % (run, backup_dir))
    for candidate in ('db-%s.dump.age' % database, 'db-%s.dump' % database):
        path = os.path.join(backup_dir, name, candidate)
        if os.path.isfile(path):
            return name, path
    raise RestoreError('backup run %s in %s has no dump of database %s' % (name, backup_dir, database))


def verify_checksum(path):
    try:
        with open(path + '.sha256') as handle:
            expected = handle.read().split()[0]
    except (OSError, IndexError):
        raise RestoreError('%s has no checksum file beside it (%s.sha256)' % (path, path))
    actual = file_sha256(path)
    if actual != expected:
        raise RestoreError('%s does not match its checksum: sha256 %s, expected %s' % (path, actual, expected))
    return actual


def _describe(argv):
    for word in ('pg_restore', 'psql', 'cat'):
        if word in argv:
            return word
    return argv[0] if argv else 'the restore'


def stream_into(path, identity, consumer_argv):
    """Stream the dump (decrypted with age when it ends in .age) into consumer_argv's stdin."""
    encrypted = path.endswith('.age')
    if encrypted and not identity:
        raise RestoreError('%s is encrypted; give the age private key (backup_age_identity, from the vault) to '
                           'restore it: it is passed on standard input and never written to the host' % path)
    source = open(path, 'rb')
    producer = None
    try:
        if encrypted:
            producer = subprocess.Popen(['age', '--decrypt', '--identity', '-', path],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            producer.stdin.write(identity.encode('utf-8') + (b'' if identity.endswith('\n') else b'\n'))
            producer.stdin.close()
            feed = producer.stdout
        else:
            feed = source
        consumer = subprocess.Popen(consumer_argv, stdin=feed, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if producer is not None:
            producer.stdout.close()
        out, err = consumer.communicate()
        producer_err = b''
        if producer is not None:
            producer_err = producer.stderr.read()
            producer.wait()
            if producer.returncode != 0:
                raise RestoreError('age could not decrypt %s: %s' % (path, producer_err.decode('utf-8', 'replace').strip()))
        if consumer.returncode != 0:
            raise RestoreError('%s failed on %s (exit %d): %s' % (
                _describe(consumer_argv), path, consumer.returncode, err.decode('utf-8', 'replace').strip()[-2000:]))
        return out.decode('utf-8', 'replace')
    finally:
        source.close()
        if producer is not None and producer.poll() is None:
            producer.kill()
            producer.wait()


def table_counts(container, password_file, user, database, host=None):
    command = ['psql', '--no-psqlrc', '--no-align', '--tuples-only', '--set', 'ON_ERROR_STOP=1', '--dbname', database]
    if host:
        command += ['--host', host]
    _rc, out, _err = _run(in_container(container, password_file, user, command, stdin=True),
                          data=COUNT_TABLES_SQL.encode('utf-8'))
    return parse_counts(out)


def inspect(container):
    return json.loads(_run(['docker', 'inspect', container])[1])[0]


def scratch_run_argv(name, live, database, project, secret_files=None):
    """docker run arguments of a throw-away container shaped like the live Postgres container.

    secret_files: destination -> host file, mounted read-only in place of the live container's
    (a Swarm task's secrets are not bind mounts that docker inspect lists).
    """
    config, host = live.get('Config') or {}, live.get('HostConfig') or {}
    argv = ['docker', 'run', '--detach', '--rm', '--name', name, '--network', 'none',
            '--label', 'stackops.restore-check=%s' % project]
    if config.get('User'):
        argv += ['--user', config['User']]
    if host.get('ReadonlyRootfs'):
        argv.append('--read-only')
    tmpfs = dict(host.get('Tmpfs') or {})
    # A Swarm task lists its tmpfs mounts among its mounts.
    for mount in live.get('Mounts') or []:
        if mount.get('Type') == 'tmpfs' and mount.get('Destination') and mount['Destination'] != '/dev/shm':
            tmpfs.setdefault(mount['Destination'], '')
    tmpfs.setdefault('/tmp', '')
    for path in sorted(tmpfs):
        argv += ['--tmpfs', path + (':' + tmpfs[path] if tmpfs[path] else '')]
    for entry in config.get('Env') or []:
        key = entry.split('=', 1)[0]
        if (key.startswith('POSTGRES_') or key.startswith('PG')) and key != 'POSTGRES_DB':
            argv += ['--env', entry]
    argv += ['--env', 'POSTGRES_DB=%s' % database]
    secrets = {}
    for mount in live.get('Mounts') or []:
        if mount.get('Destination', '').startswith('/run/secrets/') and mount.get('Source'):
            secrets[mount['Destination']] = mount['Source']
    secrets.update(secret_files or {})
    for destination in sorted(secrets):
        argv += ['--volume', '%s:%s:ro' % (secrets[destination], destination)]
    argv.append(config.get('Image') or live.get('Image'))
    return argv


def mounted_files(live):
    """Destinations of the live container's bind-mounted files (its secrets with compose)."""
    return set(mount['Destination'] for mount in live.get('Mounts') or [] if mount.get('Source') and mount.get('Destination'))


def hand_over_password(container, live, password_file):
    """A private copy of the password file of a container whose secret is not a bind mount (a Swarm task).

    Read inside the live container, written 0400 for the container's user in a directory of
    its own under /run (memory on a systemd host), never shown. Returns (directory, file); the
    caller removes the directory.
    """
    secret = _run(['docker', 'exec', container, 'cat', password_file])[1]
    directory = tempfile.mkdtemp(prefix='stackops-restore-check-', dir='/run' if os.path.isdir('/run') else None)
    path = os.path.join(directory, os.path.basename(password_file))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(descriptor, 'w') as handle:
        handle.write(secret)
    user = ((live.get('Config') or {}).get('User') or '').split(':')
    if user[0].isdigit():
        os.chown(path, int(user[0]), int(user[1]) if len(user) > 1 and user[1].isdigit() else -1)
    return directory, path


def wait_ready(container, password_file, user, database, timeout=120):
    deadline = time.time() + timeout
    probe = in_container(container, password_file, user,
                         ['psql', '--no-psqlrc', '--host', '127.0.0.1', '--dbname', database, '--tuples-only',
                          '--command', 'SELECT 1'])
    last = ''
    while time.time() < deadline:
        state = _run(['docker', 'inspect', '--format', '{{.State.Running}}', container], check=False)[1].strip()
        if state != 'true':
            logs = _run(['docker', 'logs', '--tail', '20', container], check=False)
            raise RestoreError('the scratch container stopped before Postgres was ready: %s' % (logs[1] + logs[2]).strip())
        rc, _out, err = _run(probe, check=False)
        if rc == 0:
            return
        last = err.strip()
        time.sleep(1)
    raise RestoreError('Postgres in the scratch container was not ready within %d s: %s' % (timeout, last))


def restore_check(params, now=None):
    """Restore the newest (or named) dump into a scratch container and compare row counts with the live database."""
    validate_params(params)
    now = now or datetime.datetime.utcnow()
    project, database = params['project'], params['database']
    result = dict(changed=False, database=database, target='scratch')
    run, path = locate(params['backup_dir'], database, params.get('run') or 'latest')
    age = run_age_hours(run, now)
    result.update(run=run, file=path, encrypted=path.endswith('.age'), size=os.path.getsize(path),
                  age_hours=round(age, 2))
    result['sha256'] = verify_checksum(path)

    live_ids = find_containers(project, params['service'])
    if not live_ids:
        raise RestoreError('no running container of service %s of stack %s on this host (a compose project, or the '
                           'Swarm service %s_%s: run this on the data node)'
                           % (params['service'], project, project, params['service']), result)
    live = inspect(live_ids[0])
    image = params.get('image') or (live.get('Config') or {}).get('Image')
    result['image'] = image
    name = 'stackops-restore-check-%s-%d' % (project, os.getpid())
    pw, user = params['password_file'], params.get('user') or ''
    handed = None
    if pw not in mounted_files(live):
        handed = hand_over_password(live_ids[0], live, pw)
    argv = scratch_run_argv(name, live, database, project, {pw: handed[1]} if handed else None)
    if params.get('image'):
        argv[-1] = params['image']
    started = time.time()
    try:
        _run(argv)
        wait_ready(name, pw, user, database)
        restore_started = time.time()
        restore_args = ['pg_restore', '--host', '127.0.0.1', '--dbname', database, '--no-owner', '--no-privileges',
                        '--exit-on-error']
        jobs = int(params.get('jobs') or 1)
        if jobs > 1:
            stream_into(path, params.get('identity'), ['docker', 'exec', '-i', name, 'sh', '-c',
                                                       'cat > "$1"', 'sh', SCRATCH_DUMP])
            _run(in_container(name, pw, user, restore_args + ['--jobs', str(jobs), SCRATCH_DUMP]))
        else:
            stream_into(path, params.get('identity'), in_container(name, pw, user, restore_args, stdin=True))
        result['restore_seconds'] = round(time.time() - restore_started, 2)
        restored = table_counts(name, pw, user, database, host='127.0.0.1')
    finally:
        _run(['docker', 'rm', '--force', '--volumes', name], check=False)
        if handed:
            shutil.rmtree(handed[0], ignore_errors=True)
    result['total_seconds'] = round(time.time() - started, 2)
    live_counts = table_counts(live_ids[0], pw, user, database)
    rows, problems = compare_counts(live_counts, restored, params.get('tolerance_percent') or 0)
    result.update(tables=rows, problems=problems)
    max_age = params.get('max_age_hours')
    if max_age and age > float(max_age):
        problems.insert(0, 'the newest backup (%s) is %.1f h old, more than %s h' % (run, age, max_age))
    return result


def restore_live(params, check_mode=False):
    """Restore a dump into the live database, stopping the services that write to it meanwhile."""
    validate_params(params)
    project, database = params['project'], params['database']
    result = dict(changed=True, database=database, target='live', stopped=[])
    run, path = locate(params['backup_dir'], database, params.get('run') or 'latest')
    result.update(run=run, file=path, encrypted=path.endswith('.age'), size=os.path.getsize(path))
    result['sha256'] = verify_checksum(path)
    if path.endswith('.age') and not params.get('identity'):
        stream_into(path, None, [])  # raises the message about the missing key
    live_ids = find_containers(project, params['service'])
    if not live_ids:
        raise RestoreError('no running container of service %s of stack %s on this host (a compose project, or the '
                           'Swarm service %s_%s: run this on the data node)'
                           % (params['service'], project, project, params['service']), result)
    if params.get('stop_services') and 'com.docker.swarm.service.name' in (inspect(live_ids[0]).get('Config') or {}).get(
            'Labels', {}):
        raise RestoreError('%s is a Swarm service task: Swarm would start stopped writers again at once. Scale the '
                           'services that write to the database to 0 (docker service scale %s=0 ...), restore with '
                           'stop_services empty (backup_writer_services: []), then scale them back'
                           % (live_ids[0][:12], '=0 '.join('%s_%s' % (project, s) for s in params['stop_services'])),
                           result)
    writers = []
    for service in params.get('stop_services') or []:
        writers += find_containers(project, service)
    if check_mode:
        result['stopped'] = writers
        return result
    pw, user = params['password_file'], params.get('user') or ''
    if writers:
        _run(['docker', 'stop'] + writers)
        result['stopped'] = writers
    try:
        started = time.time()
        stream_into(path, params.get('identity'), in_container(
            live_ids[0], pw, user,
            ['pg_restore', '--dbname', database, '--clean', '--if-exists', '--single-transaction', '--exit-on-error'],
            stdin=True))
        result['restore_seconds'] = round(time.time() - started, 2)
    finally:
        if writers:
            _run(['docker', 'start'] + writers, check=False)
    counts = table_counts(live_ids[0], pw, user, database)
    result['tables'] = [dict(table=t, rows=n) for t, n in sorted(counts.items())]
    return result
