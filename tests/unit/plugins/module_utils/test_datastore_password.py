# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Changing a data store's password in the running server: which services, what is sent, in which order."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import hashlib
import hmac
import os

import pytest
import yaml

from ansible_collections.stackops.hardened.plugins.filter.secrets import FilterModule, secret_datastores
from ansible_collections.stackops.hardened.plugins.module_utils.datastore_password import (
    PasswordError,
    alter_role_sql,
    change_password,
    read_new_value,
    scram_verifier,
    stack_datastores,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
NEW = 'New-value_0123456789abcdef'


def demo_services():
    with open(os.path.join(ROOT, 'inventories', 'dev', 'group_vars', 'all', 'stack.yml'), encoding='utf-8') as handle:
        services = yaml.safe_load(handle)['stack_services']
    for service in services.values():
        service['image'] = service['image'].replace('{{ demo_image_prefix }}', 'stackops-demo').replace(
            '{{ demo_image_tag }}', '1.0')
    return services


def test_the_filter_is_registered():
    assert FilterModule().filters()['secret_datastores'] is secret_datastores


def test_the_demo_data_stores_and_not_their_clients():
    assert stack_datastores(demo_services()) == [
        dict(service='postgres', engine='postgres', secret='postgres_password', password_file='/run/secrets/postgres_password',
             uid='999', user='demo', database='demo'),
        dict(service='redis', engine='redis', secret='redis_password', password_file='/run/secrets/redis_password',
             uid='998')]


def test_a_client_reading_the_same_variable_is_no_data_store():
    services = {'app': {'image': 'registry.example.org/shop/app:1.2', 'user': '10001',
                        'environment': ['REDIS_PASSWORD_FILE=/run/secrets/redis_password']},
                'cache': {'image': 'valkey/valkey:8.0', 'user': '999:999',
                          'environment': {'REDIS_PASSWORD_FILE': '/run/secrets/cache_password'}},
                'db': {'image': 'postgres:17.2', 'user': '999', 'x-stackops': {'datastore': False},
                       'environment': {'POSTGRES_PASSWORD_FILE': '/run/secrets/db_password'}},
                'pg': {'image': 'postgres:17.2', 'user': '70:70',
                       'environment': {'POSTGRES_PASSWORD_FILE': '/elsewhere/db_password'}}}
    assert [(d['service'], d['secret']) for d in stack_datastores(services)] == [('cache', 'cache_password')]
    assert stack_datastores('not a mapping') == []


def test_the_scram_verifier_is_what_postgres_computes():
    salt = b'0123456789abcdef'
    verifier = scram_verifier('pencil', salt)
    salted = hashlib.pbkdf2_hmac('sha256', b'pencil', salt, 4096)
    stored = hashlib.sha256(hmac.new(salted, b'Client Key', hashlib.sha256).digest()).digest()
    server = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    parts = [base64.b64encode(part).decode() for part in (salt, stored, server)]
    assert verifier == 'SCRAM-SHA-256$4096:%s$%s:%s' % tuple(parts)
    assert scram_verifier('pencil') != scram_verifier('pencil')  # a fresh salt each time


def test_alter_role_sends_the_verifier_never_the_value():
    sql = alter_role_sql('de"mo', NEW, b'0123456789abcdef')
    assert sql.startswith('ALTER ROLE "de""mo" PASSWORD \'SCRAM-SHA-256$4096:') and sql.endswith("';\n")
    assert NEW not in sql


def test_the_new_value_is_the_first_line_of_the_file(tmp_path):
    (tmp_path / 'secret').write_bytes(b'abc\r\nnext line\n')
    assert read_new_value(str(tmp_path / 'secret')) == 'abc'
    (tmp_path / 'empty').write_bytes(b'\n')
    with pytest.raises(PasswordError, match='is empty'):
        read_new_value(str(tmp_path / 'empty'))
    with pytest.raises(PasswordError, match='cannot be read'):
        read_new_value(str(tmp_path / 'missing'))


class FakeDocker(object):
    """Answers docker ps and docker exec as a data store whose password is `current`."""

    def __init__(self, engine, current, running=True, set_fails=False):
        self.engine, self.current, self.running, self.set_fails = engine, current, running, set_fails
        self.calls = []

    def __call__(self, argv, data=None):
        self.calls.append((argv, data))
        assert NEW not in ' '.join(argv), 'the new value reached a command line'
        if argv[:2] == ['docker', 'ps']:
            return 0, 'c0ffee\n' if self.running else '', ''
        given = (data or b'').decode()
        if self.engine == 'postgres':
            if '--command' in argv:  # a login with the value on stdin
                ok = given.rstrip('\n') == self.current
                return (0, '1\n', '') if ok else (2, '', 'FATAL:  password authentication failed for user "demo"')
            if self.set_fails:
                return 1, '', 'ERROR:  permission denied'
            assert given.startswith('ALTER ROLE "demo" PASSWORD \'SCRAM-SHA-256$') and NEW not in given
            self.current = NEW
            return 0, '', ''
        if argv[-1] == 'PING':
            return (0, 'PONG\n', '') if given.rstrip('\n') == self.current else (0, 'NOAUTH Authentication required.\n', '')
        assert argv[-4:] == ['-x', 'CONFIG', 'SET', 'requirepass']
        self.current = given
        return 0, 'OK\n', ''


def params(tmp_path, engine):
    (tmp_path / 'secret').write_text(NEW + '\n')
    base = dict(engine=engine, project='demo', service=engine, secret_file=str(tmp_path / 'secret'),
                password_file='/run/secrets/%s_password' % engine)
    if engine == 'postgres':
        base.update(user='demo', database='demo')
    return base


@pytest.mark.parametrize('engine', ['postgres', 'redis'])
def test_the_running_server_gets_the_new_value_then_it_is_proven(tmp_path, engine):
    docker = FakeDocker(engine, 'old-value')
    result = change_password(params(tmp_path, engine), run=docker)
    assert result['changed'] is True and docker.current == NEW
    assert 'accepts the new value' in result['msg'] and NEW not in repr(result)
    kinds = [call[0][-1] for call in docker.calls]
    assert len(docker.calls) == 4  # find, try the new value, set it, prove it
    # the set authenticates with the container's own secret file, passed by path
    assert '/run/secrets/%s_password' % engine in docker.calls[2][0]
    assert kinds[0] == 'status=running'


@pytest.mark.parametrize('engine', ['postgres', 'redis'])
def test_nothing_changes_when_the_new_value_already_works(tmp_path, engine):
    docker = FakeDocker(engine, NEW)
    result = change_password(params(tmp_path, engine), run=docker)
    assert result['changed'] is False and len(docker.calls) == 2


@pytest.mark.parametrize('engine', ['postgres', 'redis'])
def test_check_mode_changes_nothing(tmp_path, engine):
    docker = FakeDocker(engine, 'old-value')
    result = change_password(params(tmp_path, engine), check_mode=True, run=docker)
    assert result['changed'] is True and docker.current == 'old-value'


def test_a_service_not_running_reads_the_value_when_it_starts(tmp_path):
    result = change_password(params(tmp_path, 'redis'), run=FakeDocker('redis', 'x', running=False))
    assert result == dict(changed=False, container=None,
                          msg='service redis (redis) is not running: it reads the new value when it starts')


@pytest.mark.parametrize('check_mode', [True, False])
def test_a_host_without_docker_yet_runs_no_data_store(tmp_path, check_mode):
    def no_docker(argv, data=None):
        raise FileNotFoundError(2, 'No such file or directory', argv[0])
    result = change_password(params(tmp_path, 'postgres'), check_mode=check_mode, run=no_docker)
    assert result['changed'] is False and result['container'] is None
    assert 'is not running' in result['msg']


def test_a_failed_alter_role_is_reported_without_the_value(tmp_path):
    with pytest.raises(PasswordError) as info:
        change_password(params(tmp_path, 'postgres'), run=FakeDocker('postgres', 'old', set_fails=True))
    assert 'ALTER ROLE demo in service postgres failed (exit 1): ERROR:  permission denied' in str(info.value)
    assert NEW not in str(info.value)


@pytest.mark.parametrize('change, words', [
    (dict(engine='mysql'), "engine 'mysql' is not one of postgres, redis"),
    (dict(service='a b'), "service 'a b' is not a compose project or service name"),
    (dict(password_file='/etc/shadow'), 'is not a secret file of the container'),
    (dict(secret_file='relative'), 'is not an absolute path on the host'),
    (dict(user=''), 'user must name the PostgreSQL role'),
])
def test_malformed_parameters_are_refused_by_name(tmp_path, change, words):
    given = params(tmp_path, 'postgres')
    given.update(change)
    with pytest.raises(PasswordError, match=words):
        change_password(given, run=FakeDocker('postgres', 'old'))
