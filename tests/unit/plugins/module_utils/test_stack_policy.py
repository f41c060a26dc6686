# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The policy gate against input nobody on the team wrote: one table row per class of input, several spellings
each; every refusal names the service and the rule. Former tracebacks are named errors."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time

import pytest

from ansible_collections.stackops.hardened.plugins.filter.stack import FilterModule
from ansible_collections.stackops.hardened.plugins.module_utils.stack import (
    RULES,
    StackError,
    check_stack,
    check_swarm,
    normal_host_path,
    parse_port,
    parse_user,
    render_project,
    render_swarm,
    rules_table,
)
from ansible_collections.stackops.hardened.plugins.module_utils.stack_shell import (
    ShellError,
    health_verdict,
    shell_words,
    simple_commands,
)

HTTP_CHECK = ['CMD', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8000/health']
DEFAULTS = dict(read_only=True, cap_drop=['ALL'], security_opt=['no-new-privileges:true'], pids_limit=256)


def app(**overrides):
    """A long-running service that passes every rule; overrides replace keys (None removes one)."""
    service = dict(image='registry.example.org/team/app:1.4.2', user='10001:10001', healthcheck=dict(test=HTTP_CHECK))
    for key, value in overrides.items():
        if value is None:
            service.pop(key, None)
        else:
            service[key] = value
    return service


def with_ext(service, **ext):
    service['x-stackops'] = ext
    return service


def judge(service, name='app', **kwargs):
    return check_stack('demo', {name: service}, **kwargs)


def refused(service, rule, *words, **kwargs):
    """The refusals of SERVICE: at least one, each naming the service; one names RULE and holds every word."""
    name = kwargs.pop('name', 'app')
    refusals = judge(service, name=name, **kwargs)['refusals']
    assert refusals, 'nothing refused'
    assert all('service %s' % name in message for message in refusals), refusals
    matching = [message for message in refusals if '[rule %s]' % rule in message]
    assert matching, (rule, refusals)
    for word in words:
        assert any(word in message for message in matching), (word, matching)
    return matching


# ---------------------------------------------------------------- one row per class, several spellings each

SOCKETS = ['/var/run/docker.sock:/var/run/docker.sock', '//var/run/docker.sock:/d.sock', '/var/run/../run/docker.sock:/s',
           '/run/./docker.sock:/s', '/run//docker.sock:/s', '/var/run/docker.sock/:/s', '../../../../../var/run/docker.sock:/s',
           '/run/containerd/containerd.sock:/c', '/run/user/1000/docker.sock:/d', '/var/run:/var/run', '/run:/run',
           '/var/lib/docker:/docker', dict(type='bind', source='/var//run/docker.sock', target='/s'),
           dict(type='bind', source='/run/podman/podman.sock', target='/s')]
SYSTEM_DIRS = ['/:/host', '/etc:/etc:ro', '/etc/../etc:/e', '/etc/:/e', '/proc:/p', '/sys:/s:ro', '/boot:/b', '/dev:/dev',
               '/./:/host', '//:/host', '../../../../../../etc:/e', '~/../../etc:/e', dict(type='bind', source='/proc/1', target='/p')]
INTERPOLATED = [dict(image='${REGISTRY}/app:1.0'), dict(user='${UID:-0}'), dict(volumes=['${SOCK}:/s']),
                dict(ports=['${PORT:-6379}:6379']), dict(network_mode='${NET}'), dict(pid='$PID_MODE'),
                dict(ipc='${IPC}'), dict(privileged='${PRIV:-false}'), dict(cap_add=['${CAP}']),
                dict(security_opt=['${OPT}']), dict(devices=['${DEV}']),
                dict(healthcheck=dict(test=['CMD-SHELL', '${CHECK:-true}']))]
ROOTS = ['0', '00', '+0', '0:0', 'root', 'root:root', ' 0 ', '0 : 0', ' root ', 0, '000:1000', 'root:10001']
WEAK_TESTS = [
    ('true', 'always succeeds'), (['CMD', 'true'], 'always succeeds'), (['CMD-SHELL', 'exit 0'], 'always succeeds'),
    ([':'] and ['CMD-SHELL', ':'], 'always succeeds'), ('echo ok', 'always succeeds'), (['CMD', 'echo', 'healthy'], 'always succeeds'),
    ('test -e /proc/1', 'process'), (['CMD', 'test', '-e', '/proc/1'], 'process'), ('kill -0 1', 'process'),
    (['CMD', 'python', '--version'], 'version'), (['CMD', 'node', '-v'], 'version'), (['CMD', 'redis-server', '-V'], 'version'),
    ('pgrep gunicorn', 'process'), (['CMD', 'pidof', 'redis-server'], 'process'), ('ps aux | grep [g]unicorn', 'process'),
    ('curl -f http://127.0.0.1:8000/health || true', 'turns every failure'),
    ('curl -f http://127.0.0.1:8000/health || exit 0', 'turns every failure'),
    ('curl -f http://127.0.0.1:8000/health || echo down', 'turns every failure'),
    ('curl -f http://127.0.0.1:8000/health; true', 'turns every failure'),
    ('curl -f http://127.0.0.1:8000/health | cat', 'turns every failure'),
    ('curl -f http://127.0.0.1:8000/health | tee /tmp/log', 'turns every failure'),
    (['CMD', 'sh', '-c', 'wget -q http://127.0.0.1:8000/ || :'], 'turns every failure'),
    (['CMD', '/bin/sh', '-ec', 'exec true'], 'always succeeds'),
    ('(curl -f http://127.0.0.1/ || true)', 'turns every failure'),
    ('{ curl -f http://127.0.0.1/; } || true', 'turns every failure'),
    ('timeout 5 true', 'always succeeds'),
    ('curl -f http://127.0.0.1/ || pgrep nginx', 'process'),
]
NO_TESTS = [None, {}, dict(interval='5s'), dict(test=''), dict(test='   '), dict(test=[]), dict(test=['CMD']),
            dict(test=['CMD', '']), dict(test=['CMD-SHELL']), dict(test=['NONE']), dict(disable=True),
            dict(disable='true', test=HTTP_CHECK)]
GOOD_TESTS = [['CMD', 'pg_isready', '-U', 'demo'], ['CMD-SHELL', 'redis-cli ping | grep PONG'],
              ['CMD-SHELL', 'curl -fsS http://127.0.0.1:8000/health || exit 1'], 'pg_isready -h 127.0.0.1',
              ['CMD-SHELL', 'echo x > /tmp/probe && wget -q -O /dev/null http://127.0.0.1:8000/health'],
              ['CMD', 'demo-health', 'http', 'http://127.0.0.1:8000/health'], ['CMD-SHELL', 'test -f /tmp/alive'],
              ['CMD', 'curl', '-v', 'http://127.0.0.1:8000/'], ['CMD-SHELL', 'true && curl -f http://127.0.0.1/'],
              ['CMD-SHELL', 'redis-cli -a "$$(cat /run/secrets/redis_password)" ping']]
COMMAND_SECRETS = [
    (dict(command='redis-server --requirepass hunter2'), '--requirepass'),
    (dict(command=['redis-server', '--requirepass=hunter2']), '--requirepass'),
    (dict(command=['mysql', '-phunter2']), '-pPASSWORD'),
    (dict(entrypoint=['mysqladmin'], command=['-uroot', '-phunter2', 'ping']), '-pPASSWORD'),
    (dict(healthcheck=dict(test=['CMD', 'redis-cli', '-a', 'hunter2', 'ping'])), '-a PASSWORD'),
    (dict(healthcheck=dict(test=['CMD-SHELL', 'redis-cli -a hunter2 ping | grep PONG'])), '-a PASSWORD'),
    (dict(command='sh -c "PGPASSWORD=hunter2 psql -h db"'), 'PGPASSWORD='),
    (dict(command=['curl', '-u', 'admin:hunter2', 'http://api/']), '-u USER:PASSWORD'),
    (dict(command=['curl', '-H', 'Authorization: Bearer abcdef123', 'http://api/']), 'Authorization'),
    (dict(command=['worker', '--api-token', 'abc123def']), '--api-token'),
    (dict(command=['app', '--db-url', 'postgres://demo:s3cr3t@db/demo']), 'a URL with a password'),
    (dict(labels={'backup.target': 's3://key:secret/with/slash@bucket'}), 'label backup.target'),
    (dict(labels=['traefik.auth=https://u:p@x']), 'label traefik.auth'),
    (dict(healthcheck=dict(test=['CMD', 'wget', '-q', 'http://admin:pa:ss@127.0.0.1/'])), 'a URL with a password'),
    (dict(extra_hosts=['x:1.2.3.4'], command=['app', 'amqp://guest:gu/e@st@rabbit:5672/']), 'a URL with a password'),
]
SECRET_NAMES = ['DB_PWD', 'AWS_SECRET_ACCESS_KEY', 'ENCRYPTION_KEY', 'PASSWORD_SALT', 'STRIPE_SK', 'JWT_SIGNING_KEY',
                'SIGNING_SECRET', 'REDIS_AUTH', 'BOT_TOKEN', 'GITHUB_TOKEN', 'SENTRY_DSN', 'DB_PASS', 'app.api-key']
PRIVILEGES = [
    (dict(cap_drop=[]), 'cap_drop without ALL', 'extra_capabilities'),
    (dict(cap_drop=['NET_RAW']), 'cap_drop without ALL', 'extra_capabilities'),
    (dict(cap_add=['ALL']), 'adds capabilities ALL', 'extra_capabilities'),
    (dict(cap_add=['cap_sys_admin']), 'SYS_ADMIN', 'extra_capabilities'),
    (dict(security_opt=['seccomp=unconfined']), 'seccomp=unconfined', 'unconfined'),
    (dict(security_opt=['seccomp:unconfined', 'no-new-privileges:true']), 'seccomp:unconfined', 'unconfined'),
    (dict(security_opt=['apparmor=unconfined']), 'apparmor=unconfined', 'unconfined'),
    (dict(security_opt=['label=disable']), 'label=disable', 'unconfined'),
    (dict(security_opt=['label:disable']), 'label:disable', 'unconfined'),
    (dict(security_opt=['no-new-privileges:false']), 'no-new-privileges:false', 'unconfined'),
    (dict(security_opt=['apparmor=docker-default']), 'without no-new-privileges', 'unconfined'),
    (dict(devices=['/dev/fuse:/dev/fuse']), 'has devices', 'devices'),
    (dict(device_cgroup_rules=['c 1:3 mr']), 'device_cgroup_rules', 'devices'),
    (dict(privileged='true'), 'is privileged', 'privileged'),
    (dict(privileged='yes'), 'is privileged', 'privileged'),
]
NAMESPACES = [dict(cgroup='host'), dict(userns_mode='host'), dict(network_mode='host'), dict(pid='host'),
              dict(ipc='host'), dict(uts='host'), dict(network_mode=' HOST ')]
DATASTORE_IMAGES = ['postgres:17', 'redis/redis-stack:7.2.0-v10', 'redis/redis-stack-server:7.2', 'pgvector/pgvector:pg16',
                    'timescale/timescaledb-ha:pg16', 'timescale/timescaledb:latest-pg16', 'bitnami/redis:7.2',
                    'bitnami/postgresql:16', 'bitnami/mongodb:7.0', 'docker.dragonflydb.io/dragonflydb/dragonfly:v1.21',
                    'eqalpha/keydb:x86_64_v6.3.4', 'valkey/valkey:8', 'mysql/mysql-server:8.0', 'mariadb:11',
                    'postgis/postgis:16-3.4', 'mongo:7', 'registry.example.org/db/percona-server:8.0',
                    'nats:2.10', 'rabbitmq:3-management', 'memcached:1.6', 'ghcr.io/team/postgres16:1']
DATASTORE_PORTS = [5432, 6379, 3306, 27017, 4222, 8222, 5672, 15672, 9200, 11211, 2379]
PORT_ERRORS = ['8010-8000:80', '70000:80', '0:80', '80:0', '65536', '8000-8001:80-90', '1.2.3.4:80:80:80',
               'localhost:80:80', '[::1:80:80', '80/icmp', '٣:80', '8080:٨٠', dict(target='eighty'),
               dict(target=80, published='1-99999'), dict(target=80, host_ip='not-an-ip'), dict(target=80, mode='other'),
               dict(published=80), 80.5, True, ['80']]
DEV_SERVERS = [
    'gunicorn app:app --reload', 'gunicorn --reload=true app:app', ['uvicorn', 'app:app', '--reload'],
    'python -m uvicorn app:app --reload-dir /app', 'flask run', 'python -m flask --app app run', 'FLASK_DEBUG=1 flask run',
    'django-admin runserver 0.0.0.0:8000', 'python manage.py runserver', './manage.py runserver',
    ['php', '-S', '0.0.0.0:8000'], 'php -S0.0.0.0:8000 -t public', 'python -m http.server 8000',
    'python3 -m http.server', 'next dev', 'npx next dev -p 3000', 'vite', 'npx vite --host', 'vite dev', 'nodemon server.js',
    'exec nodemon server.js', 'sh -c "npm run dev"', ['sh', '-c', 'cd /app && yarn dev'], 'pnpm dev', 'npm run dev',
]
CELERY_BEAT = ['celery -A proj worker -B', 'celery -A proj worker --beat', 'celery -A proj worker -l info -B',
               'celery -A proj worker -lINFO -B', 'celery -A proj worker -EB', 'celery -A proj worker -BE -c 2',
               'python -m celery -A proj worker -B', ['celery', '--app', 'proj', 'worker', '--beat']]


@pytest.mark.parametrize('volume', SOCKETS)
def test_runtime_sockets_refused_however_spelled(volume):
    refused(app(volumes=[volume]), 'host_paths', 'docker_socket')


@pytest.mark.parametrize('volume', SOCKETS[:3])
def test_runtime_socket_allowed_only_by_docker_socket(volume):
    refused(with_ext(app(volumes=[volume]), allow=['host_path']), 'host_paths', 'docker_socket')
    service = with_ext(app(volumes=[volume]), allow=['docker_socket'])
    assert judge(service)['refusals'] == []


@pytest.mark.parametrize('volume', SYSTEM_DIRS)
def test_system_directories_refused_after_normalising(volume):
    refused(app(volumes=[volume]), 'host_paths')


@pytest.mark.parametrize('volume', ['./data:/data', 'data:/data', '/srv/app/uploads:/uploads', 'conf/app.ini:/app.ini:ro',
                                    dict(type='volume', source='pgdata', target='/data'), dict(type='tmpfs', target='/t'),
                                    '/opt/demo/config:/config:ro'])
def test_ordinary_mounts_pass(volume):
    assert judge(app(volumes=[volume]))['refusals'] == []


def test_relative_binds_start_at_the_project_directory():
    assert normal_host_path('../../etc', '/opt/demo') == '/etc'
    assert normal_host_path('./conf', '/opt/demo') == '/opt/demo/conf'
    assert normal_host_path('//var//run/./docker.sock') == '/run/docker.sock'
    refused(app(volumes=['../../run/docker.sock:/s']), 'host_paths', 'that is /run/docker.sock', project_dir='/srv/x')


@pytest.mark.parametrize('overrides', INTERPOLATED)
def test_compose_interpolation_refused(overrides):
    refused(app(**overrides), 'interpolation', '$ interpolation', '$$ for a literal $')


def test_escaped_dollars_pass_and_interpolation_is_named_without_the_value():
    assert judge(app(healthcheck=dict(test=['CMD-SHELL', 'wget -q http://127.0.0.1:$$PORT/health'])))['refusals'] == []
    message = refused(app(environment=dict(DB_PASSWORD='${HIDDEN_VALUE}')), 'interpolation')[0]
    assert 'environment.DB_PASSWORD' in message and 'HIDDEN_VALUE' not in message


@pytest.mark.parametrize('user', ROOTS)
def test_root_by_any_spelling_refused(user):
    refused(app(user=user), 'user', 'runs as root', 'root_user')


@pytest.mark.parametrize('user', ['\u0663', '10001:\u0663', '1:2:3', '', [0], dict(uid=0), True, -1, '4294967296',
                                  '10001::'])
def test_unreadable_users_refused_by_name(user):
    refusals = judge(app(user=user))['refusals']
    assert refusals and all('service app' in message for message in refusals), refusals
    assert any('user' in message for message in refusals), refusals


def test_user_parsing():
    assert parse_user(' 10001 : 10002 ') == dict(uid=10001, gid=10002, root=False, numeric=True)
    assert parse_user('+0')['root'] and parse_user('00:00')['root'] and parse_user('root')['root']
    assert parse_user('app')['numeric'] is False
    with pytest.raises(StackError):
        parse_user('\u0663')


@pytest.mark.parametrize('test, why', WEAK_TESTS)
def test_healthchecks_that_cannot_fail_refused(test, why):
    refused(app(healthcheck=dict(test=test)), 'healthcheck', 'proves nothing', why)


@pytest.mark.parametrize('health', NO_TESTS)
def test_no_test_is_no_healthcheck(health):
    refused(app(healthcheck=health), 'healthcheck', 'has no healthcheck', 'no_healthcheck')


@pytest.mark.parametrize('test', GOOD_TESTS)
def test_real_probes_pass(test):
    assert judge(app(healthcheck=dict(test=test)), strict=True) == dict(refusals=[], warnings=[])


@pytest.mark.parametrize('test', [['CMD-SHELL', 'curl "http://x'], 'echo \'unclosed', ['WRONG', 'x'], [1, 2], 7])
def test_unreadable_healthchecks_are_named_errors(test):
    refused(app(healthcheck=dict(test=test)), 'healthcheck', 'healthcheck')


@pytest.mark.parametrize('overrides, what', COMMAND_SECRETS)
def test_secrets_outside_environment_refused(overrides, what):
    messages = refused(app(**overrides), 'secret_literals', what, 'secret_literal')
    for secret in ('hunter2', 's3cr3t', 'abcdef123', 'abc123def'):
        assert all(secret not in message for message in messages)


@pytest.mark.parametrize('name', SECRET_NAMES)
def test_more_secret_names(name):
    refused(app(environment={name: 'Kq7vWd3pLm9s'}), 'secret_literals', 'environment %s' % name)


@pytest.mark.parametrize('value', ['hunter2', '/etc/shadow', '/run/secrets/../../etc/shadow', '/run/secrets/', 'db_password'])
def test_file_variables_must_hold_a_path_under_run_secrets(value):
    refused(app(environment=dict(DB_PASSWORD_FILE=value)), 'secret_literals', 'DB_PASSWORD_FILE', '/run/secrets/')


@pytest.mark.parametrize('env', [dict(LOG_FILE='/var/log/app.log'), dict(DB_PASSWORD_FILE='/run/secrets/db_password'),
                                 dict(CACHE_KEY_PREFIX='app'), dict(STRIPE_PUBLISHABLE_KEY='pk_test_1'),
                                 dict(MAX_TOKENS='4096'), dict(REDIS_URL='redis://redis:6379/0'),
                                 dict(NEXT_URL='http://api:8000/a@b')])
def test_harmless_environment(env):
    assert judge(app(environment=env))['refusals'] == []


@pytest.mark.parametrize('overrides, words, allowance', PRIVILEGES)
def test_privileges_given_back_refused(overrides, words, allowance):
    refused(app(**overrides), 'privileges', words, allowance)
    assert judge(with_ext(app(**overrides), allow=[allowance]))['refusals'] == []


@pytest.mark.parametrize('overrides', NAMESPACES)
def test_host_namespaces_refused(overrides):
    refused(app(**overrides), 'namespaces', 'host', 'host_network')


def test_extends_refused():
    refused(app(extends=dict(file='base.yml', service='web')), 'image', 'extends', 'gate never saw')


@pytest.mark.parametrize('image', DATASTORE_IMAGES)
def test_datastores_recognised_by_what_they_are(image):
    refused(app(image=image, ports=['0.0.0.0:7000:7000']), 'ports', 'is a data store', name='store')
    refused(app(image=image, networks=['frontend']), 'networks', 'data store on the frontend', name='store')


@pytest.mark.parametrize('port', DATASTORE_PORTS)
def test_datastores_recognised_by_their_port(port):
    refused(app(ports=['0.0.0.0:%d:%d' % (port, port)]), 'ports', 'is a data store', name='svc')
    refused(app(expose=[port], networks=['frontend']), 'networks', 'data store', name='svc')


def test_a_datastore_port_declared_public_is_no_datastore():
    public = [dict(service='search', port=9200)]
    assert judge(app(ports=['0.0.0.0:9200:9200']), name='search', public_ports=public)['refusals'] == []
    assert judge(app(image='postgres:17', ports=['0.0.0.0:5432:5432']), name='db',
                 public_ports=[dict(service='db', port=5432)])['refusals']


@pytest.mark.parametrize('port', ['[::]:6379:6379', '0.0.0.0:6379:6379', '::', dict(target=6379, published=6379, host_ip='::'),
                                  dict(target='6379', published='6379', host_ip='0.0.0.0', mode='host'),
                                  '0.0.0.0:6000-6400:6000-6400', '[::]::6379'])
def test_datastore_ports_off_loopback_in_every_syntax(port):
    if port == '::':
        port = '[::]:6379:6379/tcp'
    refused(app(image='redis:7.4', ports=[port]), 'ports', 'is a data store', name='cache')


@pytest.mark.parametrize('entry', PORT_ERRORS)
def test_unreadable_ports_refused(entry):
    refused(app(ports=[entry]), 'ports' if not isinstance(entry, list) else 'ports', 'ports entry')


@pytest.mark.parametrize('entry, expected', [
    ('[::]:6379:6379', ('::', '6379', '6379')), ('::1:8080:80', ('::1', '8080', '80')),
    (dict(target=80, published=8080, host_ip='[::1]'), ('::1', '8080', '80')),
    ('127.0.0.1::80', ('127.0.0.1', None, '80')), ('8000-8010:8000-8010', (None, '8000-8010', '8000-8010')),
    (6379, (None, None, '6379'))])
def test_ports_in_every_syntax(entry, expected):
    port = parse_port(entry)
    assert (port['host_ip'], port['published'], port['target']) == expected


def test_rebinding_to_loopback_is_said_in_a_warning():
    result = judge(app(image='redis:7.4', ports=['6379:6379'], networks=['backend']), name='cache')
    assert result['refusals'] == []
    assert any('service cache publishes port 6379' in message and '127.0.0.1' in message and '[rule ports]' in message
               for message in result['warnings'])
    result = judge(app(ports=['9090:9090']), name='prometheus')
    assert any('Prometheus' in message for message in result['warnings'])


@pytest.mark.parametrize('replicas', ['2', 2.0, 1.5, '1', True, -1, [2]])
def test_swarm_replicas_are_whole_numbers(replicas):
    refusals = check_swarm(dict(api=app()), dict(deploy=dict(api=dict(replicas=replicas))))
    assert any('stack_swarm_deploy.api.replicas' in message for message in refusals), refusals


@pytest.mark.parametrize('port', ['127.0.0.1:5432:5432', '5432', dict(target=5432, host_ip='127.0.0.1')])
def test_swarm_refuses_a_datastore_published_at_all(port):
    refusals = check_swarm(dict(db=app(image='postgres:17', ports=[port])), {})
    assert any('service db is a data store and publishes port' in message and 'every node' in message
               for message in refusals), refusals


@pytest.mark.parametrize('name', ['demo\n', 'demo ', 'Demo', '../demo', 'demo/x'])
def test_stack_names_end_at_the_string_end(name):
    refusals = check_stack(name, dict(app=app()))['refusals']
    assert refusals and refusals[0].startswith('stack_name is'), refusals


@pytest.mark.parametrize('name', ['api\n', 'api/x', '..'])
def test_service_names_end_at_the_string_end(name):
    assert check_stack('demo', {name: app()})['refusals']


@pytest.mark.parametrize('secret', ['db\n', '../db', 'db/x', 'a..b', '/etc/shadow', '', dict(source='../x'),
                                    dict(source='db', target='../../etc/x'), dict(source='db', target='/etc/passwd')])
def test_secret_names_never_leave_the_store(secret):
    refused(app(secrets=[secret]), 'secrets' if secret not in ('',) else 'secrets', 'secret')


@pytest.mark.parametrize('command', DEV_SERVERS)
def test_dev_servers_warned_and_refused_when_strict(command):
    result = judge(app(command=command))
    assert result['refusals'] == [] and any('[rule dev_servers]' in m and 'service app' in m for m in result['warnings'])
    refused(app(command=command), 'dev_servers', 'development server', strict=True)


@pytest.mark.parametrize('command', CELERY_BEAT)
def test_celery_embedded_beat_in_any_flag_spelling(command):
    refused(app(command=command), 'dev_servers', 'beat scheduler embedded', strict=True)


@pytest.mark.parametrize('command', ['celery -A proj worker -l info', 'celery -A proj beat', 'celery -A Bproj worker',
                                     'celery -A proj worker -Q Beta', 'gunicorn app:app', 'uvicorn app:app',
                                     'vite build', 'next start', 'npm run build', 'node --version-check x'])
def test_production_commands_pass(command):
    assert judge(app(command=command), strict=True) == dict(refusals=[], warnings=[])


# ---------------------------------------------------------------- errors, not tracebacks

MALFORMED = [
    ({'x-stackops': {'allow': [['privileged']]}}, 'x-stackops.allow'),
    ({'x-stackops': {'allow': {'privileged': True}}}, 'x-stackops.allow'),
    ({'x-stackops': {'datastore': {}}}, 'x-stackops.datastore'),
    ({'x-stackops': {'oneshot': [1]}}, 'x-stackops.oneshot'),
    ({'x-stackops': 'privileged'}, 'x-stackops must be a mapping'),
    (dict(image=['nginx']), 'image must be a string'),
    (dict(network_mode=['host']), 'network_mode must be a string'),
    (dict(cap_add='SYS_ADMIN'), None),
    (dict(cap_add=[['SYS_ADMIN']]), 'cap_add must be a list of strings'),
    (dict(pids_limit='lots'), 'pids_limit'),
    (dict(pids_limit='\u0663'), 'pids_limit'),
    (dict(mem_limit='lots'), 'mem_limit'),
    (dict(cpus='many'), 'cpus'),
    (dict(cpus='\u0663'), 'cpus'),
    (dict(stop_grace_period=[1]), 'stop_grace_period'),
    (dict(environment='A=1'), 'environment must be'),
    (dict(environment={'A': [1]}), 'environment A'),
    (dict(labels={'a': {'b': 1}}), 'label a'),
    (dict(healthcheck='curl x'), 'healthcheck must be a mapping'),
    (dict(healthcheck=dict(test=HTTP_CHECK, retries='\u0663')), 'healthcheck.retries'),
    (dict(volumes='/x:/y'), 'volumes must be a list'),
    (dict(ports='80:80'), 'ports must be a list'),
    (dict(secrets='db'), 'secrets must be a list'),
    (dict(secrets=[7]), 'secrets entries'),
    (dict(networks=[['frontend']]), 'networks'),
    (dict(command={'a': 1}), 'command must be'),
    (dict(privileged='sometimes'), 'privileged'),
    ({8080: 'x'}, 'key 8080'),
]


@pytest.mark.parametrize('service, words', MALFORMED)
def test_malformed_input_is_a_named_refusal(service, words):
    spec = app()
    spec.update(service)
    refusals = judge(spec, strict=True)['refusals']
    if words is None:
        return
    assert refusals and all('service app' in message for message in refusals), refusals
    assert any(words in message for message in refusals), (words, refusals)


@pytest.mark.parametrize('services', [{8080: app()}, {'api': app(ports=[['80']])}, {'api': app(pids_limit='lots')},
                                      {'api': 'not a mapping'}, {'api': app(healthcheck='x')}, 'api', [app()],
                                      {'api': app(secrets=[{'source': ['x']}])}])
def test_renderers_raise_only_stack_errors(services):
    for render in (lambda: render_project('demo', services, DEFAULTS, secrets_dir='/s'),
                   lambda: render_swarm('demo', services, DEFAULTS)):
        with pytest.raises(StackError):
            render()


def test_filters_name_the_filter():
    filters = FilterModule().filters()
    from ansible.errors import AnsibleFilterError  # pylint: disable=import-outside-toplevel
    for name in ('stack_compose', 'stack_swarm'):
        with pytest.raises(AnsibleFilterError) as exc:
            filters[name]({8080: app()}, 'demo', DEFAULTS)
        assert name in str(exc.value) and '8080' in str(exc.value)
    for name in ('stack_published_ports', 'stack_oneshots', 'stack_secret_owners', 'stack_secret_users'):
        with pytest.raises(AnsibleFilterError):
            filters[name]({'api': app(ports='80')})
    assert filters['stack_policy']({8080: app()}, 'demo')['refusals']


def test_shell_words_like_shlex():
    assert shell_words('''a "b c" 'd e' f\\ g "h\\"i" $(echo x) `y` # comment''') == \
        ['a', 'b c', 'd e', 'f g', 'h"i', '$(echo x)', '`y`']
    with pytest.raises(ShellError):
        shell_words('echo "unclosed')
    assert health_verdict(['CMD-SHELL', 'curl -f http://127.0.0.1/ || true']) == ('weak', 'turns every failure into success')


def test_deep_nesting_is_a_named_error():
    refused(app(healthcheck=dict(test='(' * 500 + 'curl x' + ')' * 500)), 'healthcheck', 'deeper than')
    nested = 'curl -f http://127.0.0.1/ || true'
    for _level in range(8):
        nested = 'sh -c %s' % ("'" + nested.replace("'", "'\\''") + "'")
    refused(app(healthcheck=dict(test=nested)), 'healthcheck', 'turns every failure')


@pytest.mark.parametrize('command', ['gunicorn ' + 'a' * 30000, 'x ' * 15000, '"' + 'a' * 30000, "a'" * 15000,
                                     '$(' * 10000, '://' * 10000 + '@', 'a://b:c@' * 3000, '2' * 30000 + '>',
                                     'celery worker ' + '-A' * 14000, '\\' * 30001])
def test_a_30kb_command_is_judged_fast(command):
    service = app(command=command, healthcheck=dict(test=['CMD-SHELL', command]), environment=dict(X=command),
                  labels=dict(x=command))
    started = time.time()
    judge(service, strict=True)
    assert time.time() - started < 2.0  # milliseconds on a quiet machine; generous for a loaded CI runner


def test_rules_listed_on_one_screen():
    table = rules_table()
    assert len(table) == len(RULES) <= 24
    assert all(name and reason for name, reason in table)
    assert len(set(name for name, _reason in table)) == len(table)


# Compound commands (if, case, while, until, for) are read as the shell runs them: the status is that of
# the branch taken, and a branch not taken (no else, no * pattern) ends in success.
COMPOUND_WEAK = [
    ('if true; then exit 0; fi', 'always succeeds'),
    ('if curl -fsS http://127.0.0.1:8000/ready; then exit 0; fi', 'every failure into success'),
    ('if curl -f http://127.0.0.1/; then :; else echo down; fi', 'every failure into success'),
    ('if pgrep gunicorn; then exit 0; else exit 1; fi', 'process'),
    ('if [ -e /proc/1 ]; then true; fi', 'every failure into success'),
    ('if curl -f http://127.0.0.1/; then exit 0; fi >/dev/null 2>&1', 'every failure into success'),
    ('case $(redis-cli ping) in PONG) exit 0 ;; esac', 'every failure into success'),
    ('case x in x) exit 0;; esac', 'always succeeds'),
    ('for i in 1 2 3; do echo $i; done', 'always succeeds'),
    ('while false; do curl -f http://127.0.0.1/; done', 'always succeeds'),
    ('sh -c "if pg_isready; then :; fi"', 'every failure into success'),
]
COMPOUND_GOOD = [
    'if curl -fsS http://127.0.0.1:8000/ready; then exit 0; else exit 1; fi',
    'if ! curl -fsS http://127.0.0.1:8000/ready; then exit 1; fi',
    'if [ -S /run/app.sock ]; then curl -f --unix-socket /run/app.sock http://x/; else pg_isready; fi',
    'case "$(curl -s http://127.0.0.1/health)" in ok) exit 0;; *) exit 1;; esac',
    'until pg_isready; do sleep 1; done',
    '{ curl -f http://127.0.0.1/; } > /dev/null',
    'if a; then b; elif c; then d; else exit 1; fi',
]


@pytest.mark.parametrize('test, why', COMPOUND_WEAK)
def test_compound_healthchecks_that_cannot_fail_refused(test, why):
    assert health_verdict(['CMD-SHELL', test])[0] == 'weak'
    refused(app(healthcheck=dict(test=['CMD-SHELL', test])), 'healthcheck', 'proves nothing', why)


@pytest.mark.parametrize('test', COMPOUND_GOOD)
def test_compound_healthchecks_that_probe_pass(test):
    assert health_verdict(['CMD-SHELL', test]) == (None, None)


def test_commands_inside_compound_commands_are_seen():
    script = 'if true; then flask run --debug; else for i in 1; do uvicorn app --reload; done; fi; case $x in y) gunicorn app;; esac'
    found = [words for words, _env in simple_commands(script)]
    assert ['flask', 'run', '--debug'] in found
    assert ['uvicorn', 'app', '--reload'] in found
    assert ['gunicorn', 'app'] in found
