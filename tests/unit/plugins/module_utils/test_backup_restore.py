# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import os

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.backup_restore import (
    RestoreError,
    in_container,
    locate,
    scratch_run_argv,
    stream_into,
    verify_checksum,
)

LIVE = {
    'Image': 'sha256:abc',
    'Config': {
        'Image': 'stackops-demo/postgres:5939e71db8f4',
        'User': '999:999',
        'Env': ['PATH=/usr/bin', 'PGDATA=/var/lib/postgresql/data', 'POSTGRES_DB=demo', 'POSTGRES_USER=demo',
                'POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password', 'TZ=UTC'],
    },
    'HostConfig': {'ReadonlyRootfs': True, 'Tmpfs': {'/run/postgresql': '', '/tmp': 'size=64m'}},
    'Mounts': [
        {'Type': 'volume', 'Source': '/var/lib/docker/volumes/demo_pgdata/_data', 'Destination': '/var/lib/postgresql/data'},
        {'Type': 'bind', 'Source': '/opt/demo/secrets/999/postgres_password', 'Destination': '/run/secrets/postgres_password'},
    ],
}


def test_scratch_container_is_shaped_like_the_live_one_without_network_or_data():
    argv = scratch_run_argv('scratch-1', LIVE, 'demo', 'demo')
    assert argv[:8] == ['docker', 'run', '--detach', '--rm', '--name', 'scratch-1', '--network', 'none']
    joined = ' '.join(argv)
    assert '--user 999:999' in joined and '--read-only' in argv
    assert '--tmpfs /run/postgresql' in joined and '--tmpfs /tmp:size=64m' in joined
    assert '--env POSTGRES_USER=demo' in joined and '--env POSTGRES_DB=demo' in joined
    assert '--env PGDATA=/var/lib/postgresql/data' in joined
    assert 'PATH=' not in joined and 'TZ=' not in joined
    assert '--volume /opt/demo/secrets/999/postgres_password:/run/secrets/postgres_password:ro' in joined
    assert 'demo_pgdata' not in joined
    assert argv[-1] == 'stackops-demo/postgres:5939e71db8f4'


def test_scratch_container_gets_a_tmp_and_the_database_asked_for():
    live = {'Config': {'Image': 'pg', 'Env': ['POSTGRES_DB=app']}, 'HostConfig': {}, 'Mounts': []}
    argv = scratch_run_argv('s', live, 'other', 'p')
    assert '--tmpfs' in argv and '/tmp' in argv
    assert '--read-only' not in argv
    assert 'POSTGRES_DB=app' not in argv and 'POSTGRES_DB=other' in argv


def test_in_container_passes_the_password_file_not_the_password():
    argv = in_container('c1', '/run/secrets/pw', '', ['pg_restore', '--list'], stdin=True)
    assert argv[:4] == ['docker', 'exec', '-i', 'c1']
    assert argv[-4:] == ['/run/secrets/pw', '', 'pg_restore', '--list']
    assert 'PGPASSWORD="$(cat "$pw_file")"' in argv[6]


def _run_dir(tmp_path, name, files):
    run = tmp_path / name
    run.mkdir()
    for fname, data in files.items():
        (run / fname).write_bytes(data)
        (run / (fname + '.sha256')).write_text('%s  %s\n' % (hashlib.sha256(data).hexdigest(), fname))
    return run


def test_locate_newest_or_named_run_and_its_dump(tmp_path):
    _run_dir(tmp_path, '20261124T030000Z', {'db-demo.dump': b'old'})
    _run_dir(tmp_path, '20261125T030000Z', {'db-demo.dump.age': b'new'})
    (tmp_path / '.20261126T030000Z.partial').mkdir()
    run, path = locate(str(tmp_path), 'demo')
    assert run == '20261125T030000Z' and path.endswith('db-demo.dump.age')
    run, path = locate(str(tmp_path), 'demo', '20261124T030000Z')
    assert path.endswith('20261124T030000Z/db-demo.dump')
    with pytest.raises(RestoreError, match='there is no backup run 20261101T000000Z'):
        locate(str(tmp_path), 'demo', '20261101T000000Z')
    with pytest.raises(RestoreError, match='has no dump of database billing'):
        locate(str(tmp_path), 'billing')


def test_locate_in_an_empty_directory(tmp_path):
    with pytest.raises(RestoreError, match='there is no backup in'):
        locate(str(tmp_path), 'demo')


def test_verify_checksum(tmp_path):
    run = _run_dir(tmp_path, '20261125T030000Z', {'db-demo.dump': b'data'})
    path = str(run / 'db-demo.dump')
    assert verify_checksum(path) == hashlib.sha256(b'data').hexdigest()
    (run / 'db-demo.dump').write_bytes(b'tampered')
    with pytest.raises(RestoreError, match='does not match its checksum'):
        verify_checksum(path)
    os.unlink(path + '.sha256')
    with pytest.raises(RestoreError, match='has no checksum file beside it'):
        verify_checksum(path)


def test_stream_into_a_consumer(tmp_path):
    path = tmp_path / 'db-demo.dump'
    path.write_bytes(b'PGDMP archive')
    assert stream_into(str(path), None, ['cat']) == 'PGDMP archive'
    with pytest.raises(RestoreError, match='failed on'):
        stream_into(str(path), None, ['sh', '-c', 'cat >/dev/null; echo broken >&2; exit 3'])


def test_stream_into_refuses_an_encrypted_dump_without_key(tmp_path):
    path = tmp_path / 'db-demo.dump.age'
    path.write_bytes(b'age-encryption.org/v1\n')
    with pytest.raises(RestoreError, match='is encrypted; give the age private key'):
        stream_into(str(path), '', ['cat'])


def _fake_docker(monkeypatch, answers, calls):
    """docker ps answers by the label filters given; docker inspect answers with the live container."""
    from ansible_collections.stackops.hardened.plugins.module_utils import backup_restore

    def run(argv, data=None, check=True):
        calls.append(argv)
        if argv[:2] == ['docker', 'ps']:
            labels = tuple(argv[i + 1] for i, word in enumerate(argv) if word == '--filter' and argv[i + 1].startswith('label='))
            return 0, '\n'.join(answers.get(labels, [])), ''
        if argv[:2] == ['docker', 'inspect']:
            return 0, '[%s]' % __import__('json').dumps(answers['inspect']), ''
        raise AssertionError('unexpected command %s' % argv)
    monkeypatch.setattr(backup_restore, '_run', run)
    return backup_restore


COMPOSE = ('label=com.docker.compose.project=demo', 'label=com.docker.compose.service=postgres')
SWARM = ('label=com.docker.stack.namespace=demo', 'label=com.docker.swarm.service.name=demo_postgres')


def test_find_containers_of_a_compose_service_first(monkeypatch):
    calls = []
    backup_restore = _fake_docker(monkeypatch, {COMPOSE: ['c1'], SWARM: ['s1']}, calls)
    assert backup_restore.find_containers('demo', 'postgres') == ['c1']
    assert len(calls) == 1


def test_find_containers_of_a_swarm_task_on_the_data_node(monkeypatch):
    calls = []
    backup_restore = _fake_docker(monkeypatch, {SWARM: ['s1']}, calls)
    assert backup_restore.find_containers('demo', 'postgres') == ['s1']
    assert [c for c in calls[1] if c.startswith('label=')] == list(SWARM)
    assert 'status=running' in calls[1]


def test_find_containers_on_a_host_without_the_service(monkeypatch):
    backup_restore = _fake_docker(monkeypatch, {}, [])
    assert backup_restore.find_containers('demo', 'postgres') == []


def test_live_restore_on_swarm_refuses_to_stop_writers_that_swarm_would_restart(monkeypatch, tmp_path):
    run = tmp_path / '20261204T030000Z'
    run.mkdir()
    dump = run / 'db-demo.dump'
    dump.write_bytes(b'PGDMP')
    (run / 'db-demo.dump.sha256').write_text(hashlib.sha256(b'PGDMP').hexdigest() + '  db-demo.dump\n')
    live = dict(LIVE, Config=dict(LIVE['Config'], Labels={'com.docker.swarm.service.name': 'demo_postgres'}))
    backup_restore = _fake_docker(monkeypatch, {SWARM: ['0123456789abcdef'], 'inspect': live}, [])
    params = dict(project='demo', service='postgres', database='demo', backup_dir=str(tmp_path), target='live',
                  password_file='/run/secrets/postgres_password', stop_services=['api', 'worker'], confirm='demo')
    with pytest.raises(RestoreError) as err:
        backup_restore.restore_live(params)
    assert 'Swarm service task' in str(err.value)
    assert 'docker service scale demo_api=0 demo_worker=0' in str(err.value)


SWARM_LIVE = {
    'Config': {'Image': 'stackops-demo/postgres:1.0', 'User': '999:999',
               'Env': ['POSTGRES_USER=demo', 'POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password'],
               'Labels': {'com.docker.swarm.service.name': 'demo_postgres'}},
    'HostConfig': {'ReadonlyRootfs': True, 'Tmpfs': None},
    'Mounts': [
        {'Type': 'volume', 'Source': '/var/lib/docker/volumes/demo_pgdata/_data', 'Destination': '/var/lib/postgresql/data'},
        {'Type': 'tmpfs', 'Source': '', 'Destination': '/run/postgresql'},
        {'Type': 'tmpfs', 'Source': '', 'Destination': '/dev/shm'},
    ],
}


def test_scratch_container_of_a_swarm_task_gets_its_tmpfs_mounts_and_the_handed_over_secret():
    from ansible_collections.stackops.hardened.plugins.module_utils.backup_restore import mounted_files
    assert '/run/secrets/postgres_password' not in mounted_files(SWARM_LIVE)
    argv = scratch_run_argv('scratch-2', SWARM_LIVE, 'demo', 'demo',
                            {'/run/secrets/postgres_password': '/run/stackops-restore-check-x/postgres_password'})
    tmpfs = [argv[i + 1] for i, word in enumerate(argv) if word == '--tmpfs']
    assert tmpfs == ['/run/postgresql', '/tmp']
    volumes = [argv[i + 1] for i, word in enumerate(argv) if word == '--volume']
    assert volumes == ['/run/stackops-restore-check-x/postgres_password:/run/secrets/postgres_password:ro']
    assert '--read-only' in argv and argv[-1] == 'stackops-demo/postgres:1.0'


def test_compose_secrets_stay_bind_mounts():
    from ansible_collections.stackops.hardened.plugins.module_utils.backup_restore import mounted_files
    assert '/run/secrets/postgres_password' in mounted_files(LIVE)


def test_hand_over_password_writes_a_private_copy_for_the_container_user(monkeypatch, tmp_path):
    from ansible_collections.stackops.hardened.plugins.module_utils import backup_restore
    calls, owners = [], []
    monkeypatch.setattr(backup_restore, '_run', lambda argv, **kw: (calls.append(argv), (0, 's3cret\n', ''))[1])
    monkeypatch.setattr(backup_restore.os, 'chown', lambda path, uid, gid: owners.append((uid, gid)))
    monkeypatch.setattr(backup_restore.tempfile, 'mkdtemp', lambda prefix, dir=None: str(tmp_path / 'handed'))
    (tmp_path / 'handed').mkdir()
    directory, path = backup_restore.hand_over_password('0123', SWARM_LIVE, '/run/secrets/postgres_password')
    assert calls == [['docker', 'exec', '0123', 'cat', '/run/secrets/postgres_password']]
    assert open(path).read() == 's3cret\n'
    assert os.stat(path).st_mode & 0o777 == 0o400
    assert owners == [(999, 999)]
    assert directory == str(tmp_path / 'handed')
