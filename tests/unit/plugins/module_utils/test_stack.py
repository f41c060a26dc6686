# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack policy gate, the rendered compose project and drift, on plain data; the demo stack from the inventory."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.stackops.hardened.plugins.module_utils.stack import (
    SECRETS_LABEL,
    StackError,
    check_stack,
    compare_project,
    container_summary,
    oneshot_services,
    parse_config_hashes,
    parse_port,
    render_project,
    secret_consumer_problems,
    secret_owners,
    secrets_fingerprint,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
DEMO_VARS = os.path.join(ROOT, 'inventories', 'dev', 'group_vars', 'all')

HTTP_CHECK = ['CMD', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8000/health']
BOT_TOKEN = '123456789:AAHfT3kq9Zr2Lw8Vb5Nc1Md4Pe7Qf0Rg6Sh'  # the shape of a token from @BotFather
assert len(BOT_TOKEN.split(':')[1]) == 35


def app(**overrides):
    """A long-running service that passes every rule; overrides replace keys (None removes one)."""
    service = dict(image='registry.example.org/team/app:1.4.2', user='10001:10001', healthcheck=dict(test=HTTP_CHECK))
    for key, value in overrides.items():
        if value is None:
            service.pop(key, None)
        else:
            service[key] = value
    return service


def verdict(service, name='app', others=None, **kwargs):
    services = dict(others or {})
    services[name] = service
    return check_stack('demo', services, **kwargs)


def only(messages, *words, **kwargs):
    """The single message of MESSAGES; it names the service and holds every word."""
    service = kwargs.get('service', 'app')
    assert len(messages) == 1, messages
    message = messages[0]
    assert 'service %s' % service in message, message
    for word in words:
        assert word in message, (word, message)
    return message


def clean(service, **kwargs):
    result = verdict(service, **kwargs)
    assert result == dict(refusals=[], warnings=[]), result


# ---------------------------------------------------------------- images

def test_good_service_has_no_findings():
    clean(app())
    clean(app(), require_pinned=True, strict=True, secret_names=[])


def test_missing_image_refused():
    only(verdict(app(image=None))['refusals'], 'has no image', 'image: NAME:TAG')


def test_build_refused_even_with_an_image():
    only(verdict(app(build='.'))['refusals'], 'has build:', 'never builds on the server')


def test_build_without_image_gives_both_refusals():
    refusals = verdict(app(image=None, build=dict(context='.')))['refusals']
    assert len(refusals) == 2
    assert any('has no image' in r for r in refusals)
    assert any('has build:' in r for r in refusals)


@pytest.mark.parametrize('image', ['nginx', 'nginx:latest', 'registry.example.org:5000/team/app',
                                   'registry.example.org:5000/team/app:latest'])
def test_unpinned_image_refused_with_require_pinned(image):
    message = only(verdict(app(image=image), require_pinned=True)['refusals'], 'not pinned', image, '@sha256:')
    assert message


@pytest.mark.parametrize('image', ['nginx', 'nginx:latest'])
def test_unpinned_image_only_warned_without_require_pinned(image):
    result = verdict(app(image=image))
    assert result['refusals'] == []
    only(result['warnings'], 'not pinned', image)


@pytest.mark.parametrize('image', ['nginx:1.27.3', 'registry.example.org:5000/team/app:2026.05',
                                   'nginx@sha256:' + 'a' * 64, 'nginx:latest@sha256:' + 'b' * 64])
def test_pinned_images_pass(image):
    clean(app(image=image), require_pinned=True)


# ---------------------------------------------------------------- privileges

def test_privileged_refused():
    only(verdict(app(privileged=True))['refusals'], 'is privileged', 'privileged to x-stackops.allow')


@pytest.mark.parametrize('key', ['network_mode', 'pid', 'ipc', 'userns_mode', 'uts'])
def test_host_namespaces_refused(key):
    only(verdict(app(**{key: 'host'}))['refusals'], 'has %s: host' % key, 'host_network')


def test_network_mode_other_than_host_refused():
    only(verdict(app(network_mode='service:other'))['refusals'], 'sets network_mode: service:other',
         'frontend and backend')


@pytest.mark.parametrize('volume', ['/var/run/docker.sock:/var/run/docker.sock', '/run/docker.sock:/var/run/docker.sock:ro',
                                    dict(type='bind', source='/var/run/docker.sock', target='/var/run/docker.sock')])
def test_docker_socket_refused(volume):
    only(verdict(app(volumes=[volume]))['refusals'], 'mounts the Docker socket', 'docker_socket')


def test_extra_capabilities_refused_and_named():
    message = only(verdict(app(cap_add=['NET_ADMIN', 'CHOWN', 'CAP_SYS_ADMIN']))['refusals'], 'adds capabilities',
                   'NET_ADMIN', 'SYS_ADMIN', 'extra_capabilities')
    assert 'CHOWN' not in message.split('adds capabilities')[1].split(';')[0]


def test_harmless_capabilities_pass():
    clean(app(cap_add=['NET_BIND_SERVICE', 'CAP_CHOWN', 'setuid', 'SETGID', 'DAC_OVERRIDE', 'FOWNER']))


@pytest.mark.parametrize('user', ['0', 0, 'root', '0:0', 'root:root'])
def test_root_user_refused(user):
    only(verdict(app(user=user))['refusals'], 'runs as root', 'root_user')


def test_no_user_is_a_warning():
    result = verdict(app(user=None))
    assert result['refusals'] == []
    only(result['warnings'], 'sets no user', 'user: UID:GID')


# ---------------------------------------------------------------- secrets

@pytest.mark.parametrize('user, shown', [(None, 'unset'), ('app', "'app'"), ('app:app', "'app:app'")])
def test_secrets_need_a_numeric_user(user, shown):
    message = only(verdict(app(user=user, secrets=['db_password']))['refusals'], 'uses secrets (db_password)',
                   'its user is %s' % shown, 'UID:GID')
    assert message


def test_numeric_user_with_secrets_passes():
    clean(app(user='10001', secrets=['db_password', dict(source='api_key', target='api_key')]),
          secret_names=['db_password', 'api_key'])


def test_undeclared_secret_refused_when_secret_names_given():
    only(verdict(app(secrets=['db_password', 'api_key']), secret_names=['db_password'])['refusals'],
         'uses secret api_key', 'not declared', 'secrets_items')


def test_undeclared_secret_not_checked_without_secret_names():
    clean(app(secrets=['api_key']))


# ---------------------------------------------------------------- healthchecks

@pytest.mark.parametrize('health', [None, {}, dict(disable=True), dict(test=['NONE'])])
def test_no_healthcheck_refused(health):
    only(verdict(app(healthcheck=health))['refusals'], 'runs continuously but has no healthcheck', 'pg_isready')


def test_no_healthcheck_refused_when_key_absent():
    only(verdict(app(healthcheck=None))['refusals'], 'has no healthcheck')


@pytest.mark.parametrize('test, why', [
    (['CMD', 'pgrep', 'gunicorn'], 'only checks that a process exists'),
    (['CMD-SHELL', 'pidof redis-server'], 'only checks that a process exists'),
    ('ps aux | grep [g]unicorn', 'only checks that a process exists'),
    (['CMD-SHELL', 'ps -ef | grep -q celery'], 'only checks that a process exists'),
    (['CMD', 'python', '--version'], 'only prints a version'),
    (['CMD', 'node', '-V'], 'only prints a version'),
    (['CMD', 'true'], 'always succeeds'),
    (['CMD-SHELL', '/bin/true'], 'always succeeds'),
    (['CMD-SHELL', 'exit 0'], 'always succeeds'),
    ('echo ok', 'always succeeds'),
    (['CMD', 'echo', 'healthy'], 'always succeeds'),
    (['CMD-SHELL', ':'], 'always succeeds'),
    (['CMD-SHELL', 'curl -f http://127.0.0.1:8000/health || true'], 'turns every failure into success'),
    (['CMD-SHELL', 'curl -f http://127.0.0.1:8000/health || exit 0'], 'turns every failure into success'),
    (['CMD-SHELL', 'curl -f http://127.0.0.1:8000/health; true'], 'turns every failure into success'),
])
def test_weak_healthchecks_refused(test, why):
    only(verdict(app(healthcheck=dict(test=test)))['refusals'], 'healthcheck that proves nothing', why)


@pytest.mark.parametrize('test', [
    ['CMD', 'pg_isready', '-U', 'demo', '-d', 'demo'],
    ['CMD-SHELL', 'redis-cli ping | grep PONG'],
    ['CMD-SHELL', "wget -q -O - http://127.0.0.1:8080/ | grep -q 'stackops demo mini app'"],
    ['CMD-SHELL', 'echo x > /tmp/probe && wget -q -O /dev/null http://127.0.0.1:8000/health'],
    ['CMD-SHELL', 'curl -fsS http://127.0.0.1:8000/health || exit 1'],
    'pg_isready -h 127.0.0.1',
    HTTP_CHECK,
])
def test_good_healthchecks_pass(test):
    clean(app(healthcheck=dict(test=test, interval='10s')))


def test_oneshot_needs_no_healthcheck():
    services = dict(migrate=app(healthcheck=None, command=['migrate']),
                    api=app(depends_on=dict(migrate=dict(condition='service_completed_successfully'))))
    assert check_stack('demo', services) == dict(refusals=[], warnings=[])
    marked = app(healthcheck=None)
    marked['x-stackops'] = dict(oneshot=True)
    clean(marked)


# ---------------------------------------------------------------- ports and networks

@pytest.mark.parametrize('image', ['postgres:17', 'docker.io/library/redis:7.4', 'registry.example.org/db/mariadb:11'])
def test_datastore_published_off_loopback_refused(image):
    only(verdict(app(image=image, ports=['0.0.0.0:5432:5432']), name='db')['refusals'],
         'is a data store and publishes port 5432 off loopback', 'backend network', service='db')


def test_datastore_declared_public_still_refused():
    only(verdict(app(image='postgres:17', ports=['5432:5432']), name='db',
                 public_ports=[dict(service='db', port=5432)])['refusals'],
         'is a data store', 'port 5432 off loopback', service='db')


@pytest.mark.parametrize('port', ['127.0.0.1:5432:5432', '[::1]:5432:5432',
                                  dict(target=5432, published=5432, host_ip='127.0.0.1')])
def test_datastore_on_loopback_passes(port):
    clean(app(image='postgres:17', ports=[port]), name='db')


@pytest.mark.parametrize('image, port', [('postgres:17', '5432:5432'), ('registry.example.org/team/app:1', '6379:6379'),
                                         ('registry.example.org/team/app:1', '8222'),
                                         ('registry.example.org/team/app:1', dict(target=15672, published=15672))])
def test_datastore_or_monitoring_port_rebound_to_loopback_is_a_warning(image, port):
    result = verdict(app(image=image, ports=[port]), name='db')
    assert result['refusals'] == []
    only(result['warnings'], 'publishes port', 'binds it to 127.0.0.1', '[rule ports]', service='db')


def test_x_stackops_datastore_overrides_the_image_name():
    marked = app(image='registry.example.org/team/search:3.1', ports=['0.0.0.0:7700:7700'])
    marked['x-stackops'] = dict(datastore=True)
    only(verdict(marked, name='search')['refusals'], 'is a data store', service='search')
    unmarked = app(image='redis:7.4', networks=['frontend', 'backend'])
    unmarked['x-stackops'] = dict(datastore=False)
    clean(unmarked, name='cache')


@pytest.mark.parametrize('port', ['0.0.0.0:8080:8080', '192.0.2.10:8080:8080', '[::]:8080:8080',
                                  dict(target=8080, published='8080', host_ip='0.0.0.0')])
def test_port_off_loopback_not_declared_public_refused(port):
    only(verdict(app(ports=[port]))['refusals'], 'binds port 8080 to', 'stack_public_ports',
         '{service: app, port: 8080}')


def test_port_off_loopback_declared_public_passes():
    clean(app(ports=['0.0.0.0:8080:8080']), public_ports=[dict(service='app', port=8080)])
    clean(app(ports=['8080:8080']), public_ports=[dict(service='app', port='8080')])


def test_declared_public_port_must_match_the_published_port():
    only(verdict(app(ports=['0.0.0.0:8081:8080']), public_ports=[dict(service='app', port=8080)])['refusals'],
         'binds port 8081 to 0.0.0.0')


def test_unreadable_port_refused():
    only(verdict(app(ports=['eighty:80']))['refusals'], "ports entry 'eighty:80'", 'is not a port number')


@pytest.mark.parametrize('networks', [['default'], ['frontend', 'public'], dict(public=None)])
def test_unknown_network_refused(networks):
    message = only(verdict(app(networks=networks))['refusals'], 'joins network', 'frontend', 'backend')
    assert 'default' in message or 'public' in message


def test_known_networks_pass_in_both_forms():
    clean(app(networks=['frontend', 'backend']))
    clean(app(networks=dict(backend=dict(aliases=['api']))))


@pytest.mark.parametrize('networks', [['frontend'], ['frontend', 'backend'], dict(frontend={})])
def test_datastore_on_frontend_refused(networks):
    only(verdict(app(image='redis:7.4', networks=networks), name='cache')['refusals'],
         'is a data store on the frontend network', 'backend only', service='cache')


def test_datastore_on_backend_passes():
    clean(app(image='redis:7.4', networks=['backend']), name='cache')


# ---------------------------------------------------------------- secret literals in the environment

@pytest.mark.parametrize('env, key, value', [
    (dict(DB_PASSWORD='hunter2hunter2'), 'DB_PASSWORD', 'hunter2hunter2'),
    (dict(POSTGRES_PASSWD='k8Zq2LmN'), 'POSTGRES_PASSWD', 'k8Zq2LmN'),
    (dict(DJANGO_SECRET_KEY='d9f8a7s6d5f4'), 'DJANGO_SECRET_KEY', 'd9f8a7s6d5f4'),
    (dict(GITHUB_TOKEN='ghp_4bQz9'), 'GITHUB_TOKEN', 'ghp_4bQz9'),
    (dict(STRIPE_APIKEY='sk_live_51'), 'STRIPE_APIKEY', 'sk_live_51'),
    (dict(AWS_ACCESS_KEY='AKIAEXAMPLE'), 'AWS_ACCESS_KEY', 'AKIAEXAMPLE'),
    (dict(SENTRY_DSN='https://abc@sentry.example.org/1'), 'SENTRY_DSN', 'https://abc@sentry.example.org/1'),
    (['API_KEY=0123abcd'], 'API_KEY', '0123abcd'),
    (dict(DATABASE_URL='postgres://demo:s3cr3tpw@postgres:5432/demo'), 'DATABASE_URL', 's3cr3tpw'),
    (dict(CELERY_BROKER='redis://:r3dispw@redis:6379/0'), 'CELERY_BROKER', 'r3dispw'),
    (dict(NOTIFY_BOT=BOT_TOKEN), 'NOTIFY_BOT', BOT_TOKEN),
    (['BOT=' + BOT_TOKEN], 'BOT', BOT_TOKEN),
])
def test_secret_literal_in_environment_refused(env, key, value):
    message = only(verdict(app(environment=env))['refusals'], 'secret-looking literal in environment %s' % key,
                   '%s_FILE=/run/secrets/NAME' % key)
    assert value not in message


@pytest.mark.parametrize('env', [
    dict(DB_PASSWORD_FILE='/run/secrets/db_password'),
    ['TELEGRAM_BOT_TOKEN_FILE=/run/secrets/telegram_bot_token'],
    dict(DB_PASSWORD=''),
    dict(DB_PASSWORD=None),
    ['DB_PASSWORD'],
    dict(AUTH_ENABLED='true', TOKEN_REFRESH='off', SECRET_ROTATION='0'),
    dict(DB_PASSWORD='/run/secrets/db_password'),
    dict(DATABASE_URL='postgres://demo@postgres:5432/demo', REDIS_URL='redis://redis:6379/0'),
    dict(LOG_LEVEL='info', WORKERS=4),
])
def test_harmless_environment_passes(env):
    clean(app(environment=env))


# ---------------------------------------------------------------- operational smells: warnings, refusals when strict

DEV_COMMANDS = [
    ('yarn dev', 'yarn/pnpm dev'),
    ('pnpm run dev', 'yarn/pnpm dev'),
    (['npm', 'run', 'dev'], 'npm run dev'),
    (['uvicorn', 'app.main:app', '--host', '0.0.0.0', '--reload'], 'uvicorn --reload'),
    ('flask --app app run --host 0.0.0.0', 'flask run'),
    (['python', 'manage.py', 'runserver', '0.0.0.0:8000'], 'manage.py runserver'),
    ('nodemon server.js', 'nodemon'),
    ('next dev -p 3000', 'a development server'),
    ('vite dev', 'a development server'),
    ('nuxt dev', 'a development server'),
    (['python3', '-m', 'http.server', '8000'], 'http.server'),
]


@pytest.mark.parametrize('command, what', DEV_COMMANDS)
def test_dev_server_is_a_warning(command, what):
    result = verdict(app(command=command))
    assert result['refusals'] == []
    only(result['warnings'], 'runs', what, 'production server')


@pytest.mark.parametrize('command, what', DEV_COMMANDS)
def test_dev_server_refused_when_strict(command, what):
    result = verdict(app(command=command), strict=True)
    assert result['warnings'] == []
    only(result['refusals'], what, 'production server')


def test_dev_server_in_entrypoint_found():
    only(verdict(app(entrypoint=['npm'], command=['run', 'dev']), strict=True)['refusals'], 'npm run dev')


@pytest.mark.parametrize('command', ['gunicorn -b 0.0.0.0:8000 app:app', ['uvicorn', 'app:app', '--host', '0.0.0.0'],
                                     'node dist/server.js', 'celery -A proj worker -l info', 'celery -A proj beat'])
def test_production_commands_pass(command):
    clean(app(command=command), strict=True)


@pytest.mark.parametrize('command', ['celery -A proj worker -B -l info', ['celery', '-A', 'proj', 'worker', '--beat']])
def test_celery_worker_with_embedded_beat(command):
    result = verdict(app(command=command))
    only(result['warnings'], 'celery worker with the beat scheduler embedded', 'its own service')
    strict = verdict(app(command=command), strict=True)
    assert strict['warnings'] == []
    only(strict['refusals'], 'beat scheduler embedded')


@pytest.mark.parametrize('env, key, suggestion', [
    (dict(DATABASE_URL='postgresql://demo@localhost:5432/demo'), 'DATABASE_URL', '(db)'),
    (dict(REDIS_URL='redis://127.0.0.1:6379/0'), 'REDIS_URL', '(cache)'),
    (dict(CACHE_URL='redis://:x@[::1]:6379/1'), 'CACHE_URL', '(cache)'),
    (dict(DB_HOST='localhost'), 'DB_HOST', 'of the service it means (app, cache, db)'),
    (['REDIS_ADDR=127.0.0.1'], 'REDIS_ADDR', 'of the service it means'),
    (dict(API_BASE='http://localhost:8000/v1'), 'API_BASE', 'of the service it means (app, cache, db)'),
])
def test_localhost_urls(env, key, suggestion):
    others = dict(db=app(image='postgres:17', networks=['backend']), cache=app(image='redis:7.4', networks=['backend']))
    service = app(environment=env)
    service['x-stackops'] = dict(allow=['secret_literal'])
    result = verdict(service, others=others)
    assert result['refusals'] == []
    message = only(result['warnings'], 'environment %s points at localhost' % key, 'use the service name', suggestion)
    assert message
    strict = verdict(service, others=others, strict=True)
    assert strict['warnings'] == []
    only(strict['refusals'], 'points at localhost', suggestion)


def test_service_name_urls_pass():
    clean(app(environment=dict(DATABASE_HOST='postgres', API_URL='http://api:8000/')), strict=True)


# ---------------------------------------------------------------- exceptions in x-stackops

ALLOWED = [
    ('privileged', dict(privileged=True)),
    ('host_network', dict(network_mode='host')),
    ('host_network', dict(pid='host', ipc='host')),
    ('docker_socket', dict(volumes=['/var/run/docker.sock:/var/run/docker.sock:ro'])),
    ('root_user', dict(user='0:0')),
    ('no_healthcheck', dict(healthcheck=None)),
    ('no_healthcheck', dict(healthcheck=dict(disable=True))),
    ('secret_literal', dict(environment=dict(DB_PASSWORD='hunter2hunter2'))),
    ('extra_capabilities', dict(cap_add=['NET_ADMIN', 'SYS_PTRACE'])),
]


@pytest.mark.parametrize('allowance, overrides', ALLOWED)
def test_allowance_lets_exactly_its_rule_through(allowance, overrides):
    service = app(**overrides)
    refused = verdict(service)['refusals']
    assert refused and all(allowance in message for message in refused), refused
    service['x-stackops'] = dict(allow=[allowance])
    clean(service)


def test_allowance_does_not_cover_another_rule():
    service = app(privileged=True)
    service['x-stackops'] = dict(allow=['root_user'])
    only(verdict(service)['refusals'], 'is privileged')


def test_allow_as_a_single_string():
    service = app(privileged=True)
    service['x-stackops'] = dict(allow='privileged')
    clean(service)


def test_unknown_x_stackops_key_refused():
    service = app()
    service['x-stackops'] = dict(allowed=['privileged'])
    only(verdict(service)['refusals'], "x-stackops has an unknown key 'allowed'", 'allow, datastore, oneshot')


def test_unknown_allowance_refused():
    service = app()
    service['x-stackops'] = dict(allow=['everything'])
    only(verdict(service)['refusals'], "x-stackops.allow has 'everything'", 'not an exception the role knows',
         'privileged')


def test_x_stackops_must_be_a_mapping():
    service = app()
    service['x-stackops'] = ['privileged']
    result = verdict(service)
    assert result['refusals'] and 'x-stackops must be a mapping' in result['refusals'][0]


# ---------------------------------------------------------------- names and the stack as a whole

@pytest.mark.parametrize('name', ['', 'Demo', '-demo', '_demo', 'de mo', 'demo.prod', 'a' * 64, None, 7])
def test_bad_stack_name_refused(name):
    refusals = check_stack(name, dict(app=app()))['refusals']
    assert len(refusals) == 1 and refusals[0].startswith('stack_name is %r' % (name,)), refusals
    assert '/opt/<stack_name>' in refusals[0]


@pytest.mark.parametrize('name', ['demo', 'demo_2', 'demo-prod', '0demo', 'a' * 63])
def test_good_stack_names_pass(name):
    assert check_stack(name, dict(app=app())) == dict(refusals=[], warnings=[])


@pytest.mark.parametrize('name', ['Api', 'api service', '-api', '.api', 'a' * 64])
def test_bad_service_name_refused(name):
    refusals = check_stack('demo', {name: app()})['refusals']
    assert refusals == ['service name %r is not valid: lowercase letters, digits, ., - or _' % name]


@pytest.mark.parametrize('name', ['api', 'api.v2', 'api_2', 'api-2', '2api'])
def test_good_service_names_pass(name):
    assert check_stack('demo', {name: app()}) == dict(refusals=[], warnings=[])


@pytest.mark.parametrize('services', [{}, None, [], 'api'])
def test_services_must_be_a_non_empty_mapping(services):
    refusals = check_stack('demo', services)['refusals']
    assert len(refusals) == 1 and 'stack_services must be a mapping' in refusals[0]


def test_service_not_a_mapping_refused():
    refusals = check_stack('demo', dict(app=app(), broken='nginx:1.27'))['refusals']
    assert refusals == ['service broken must be a mapping (a compose service definition)']


def test_public_port_of_unknown_service_refused():
    refusals = check_stack('demo', dict(app=app()), public_ports=[dict(service='web', port=443)])['refusals']
    assert len(refusals) == 1
    assert 'stack_public_ports names service web' in refusals[0] and 'it has app' in refusals[0]


@pytest.mark.parametrize('public', [[dict(service='app')], [dict(port=80)], ['app:80']])
def test_malformed_public_port_refused(public):
    refusals = check_stack('demo', dict(app=app()), public_ports=public)['refusals']
    assert len(refusals) == 1 and 'stack_public_ports entry needs service and port' in refusals[0]


def test_every_service_is_checked_and_named():
    services = dict(a=app(privileged=True), b=app(user='root'), c=app())
    refusals = check_stack('demo', services)['refusals']
    assert len(refusals) == 2
    assert refusals[0].startswith('service a is privileged')
    assert refusals[1].startswith('service b runs as root')


# ---------------------------------------------------------------- the demo stack of the inventory

def _load(name):
    with open(os.path.join(DEMO_VARS, name)) as handle:
        return yaml.safe_load(handle)


def test_demo_stack_passes_the_production_policy():
    stack = _load('stack.yml')
    names = [item['name'] for item in _load('secrets.yml')['secrets_items']]
    result = check_stack(stack['stack_name'], stack['stack_services'], public_ports=stack['stack_public_ports'],
                         strict=True, require_pinned=True, secret_names=names)
    assert result == dict(refusals=[], warnings=[])
    assert oneshot_services(stack['stack_services']) == ['migrate']
    owners = secret_owners(stack['stack_services'])
    assert owners['postgres_password'] == ['10001:10001', '999:999']
    assert sorted(owners) == sorted(names)


def test_demo_stack_renders():
    stack = _load('stack.yml')
    project = render_project('demo', stack['stack_services'], dict(restart='unless-stopped', read_only=True),
                             secrets_dir='/opt/demo/secrets', fingerprints={})
    assert project['services']['migrate']['restart'] == 'no'
    assert project['services']['postgres']['networks'] == ['backend']
    assert project['services']['web']['networks'] == ['frontend']
    assert project['services']['api']['ports'] == [
        dict(target=8000, published='8000', host_ip='127.0.0.1', protocol='tcp', mode='host')]
    assert project['secrets']['postgres_password_u999'] == dict(file='/opt/demo/secrets/999/postgres_password')
    assert sorted(project['volumes']) == ['pgdata', 'redisdata']


# ---------------------------------------------------------------- render_project

DEFAULTS = dict(init=True, read_only=True, cap_drop=['ALL'], restart='unless-stopped', tmpfs=['/tmp'],
                security_opt=['no-new-privileges:true'])


def render(services, **kwargs):
    kwargs.setdefault('secrets_dir', '/opt/demo/secrets')
    return render_project('demo', services, DEFAULTS, **kwargs)


def test_defaults_merged_and_the_service_wins():
    source = app(tmpfs=['/tmp', '/run/app'], restart='always')
    source['x-stackops'] = dict(allow=['privileged'])
    project = render(dict(api=source))
    api = project['services']['api']
    assert api['tmpfs'] == ['/tmp', '/run/app']
    assert api['restart'] == 'always'
    assert api['init'] is True and api['cap_drop'] == ['ALL'] and api['read_only'] is True
    assert 'x-stackops' not in api
    assert api['image'] == source['image']
    assert project['name'] == 'demo'


def test_render_does_not_change_its_inputs():
    services = dict(api=app(secrets=['db_password'], labels=['team=core']))
    defaults = copy.deepcopy(DEFAULTS)
    before = copy.deepcopy(services)
    project = render_project('demo', services, defaults, secrets_dir='/s')
    project['services']['api']['cap_drop'].append('X')
    project['services']['api']['healthcheck']['test'].append('X')
    assert services == before and defaults == DEFAULTS


def test_oneshot_restart_no_unless_the_service_says():
    services = dict(migrate=app(healthcheck=None),
                    api=app(depends_on=dict(migrate=dict(condition='service_completed_successfully'))))
    project = render(services)
    assert project['services']['migrate']['restart'] == 'no'
    assert project['services']['api']['restart'] == 'unless-stopped'
    services['migrate']['restart'] = 'on-failure'
    assert render(services)['services']['migrate']['restart'] == 'on-failure'


def test_networks_by_datastore():
    project = render(dict(db=app(image='postgres:17'), api=app(), web=app(networks=['frontend']),
                          host=app(network_mode='host', networks=['frontend'])))
    assert project['services']['db']['networks'] == ['backend']
    assert project['services']['api']['networks'] == ['frontend', 'backend']
    assert project['services']['web']['networks'] == ['frontend']
    assert 'networks' not in project['services']['host']
    assert project['networks'] == dict(frontend=dict(name='demo_frontend'),
                                       backend=dict(name='demo_backend', internal=True))


def test_ports_long_syntax_loopback_unless_declared_public():
    services = dict(api=app(ports=['8000:8000', '9000', '0.0.0.0:8443:443/tcp']), web=app(ports=['8080:80/udp']),
                    adm=app(ports=[dict(target=9090, published=9090, host_ip='10.0.0.5')]))
    project = render(services, public_ports=[dict(service='web', port=8080)])
    assert project['services']['api']['ports'] == [
        dict(target=8000, published='8000', host_ip='127.0.0.1', protocol='tcp', mode='host'),
        dict(target=9000, host_ip='127.0.0.1', protocol='tcp', mode='host'),
        dict(target=443, published='8443', host_ip='0.0.0.0', protocol='tcp', mode='host'),
    ]
    assert project['services']['web']['ports'] == [
        dict(target=80, published='8080', host_ip='0.0.0.0', protocol='udp', mode='host')]
    assert project['services']['adm']['ports'] == [
        dict(target=9090, published='9090', host_ip='10.0.0.5', protocol='tcp', mode='host')]


def test_named_volumes_declared_bind_mounts_not():
    services = dict(db=app(image='postgres:17', volumes=['pgdata:/var/lib/postgresql/data', './conf:/etc/app:ro',
                                                         '/srv/x:/x', dict(type='volume', source='cache', target='/c'),
                                                         dict(type='tmpfs', target='/run')]))
    project = render(services)
    assert project['volumes'] == dict(pgdata=dict(name='demo_pgdata'), cache=dict(name='demo_cache'))
    assert 'volumes' not in render(dict(api=app()))


def test_secrets_per_uid_with_source_and_target():
    services = dict(api=app(user='10001:10001', secrets=['db_password', 'redis_password']),
                    db=app(image='postgres:17', user='999:999', secrets=[dict(source='db_password')]))
    project = render(services)
    assert project['services']['api']['secrets'] == [dict(source='db_password_u10001', target='db_password'),
                                                     dict(source='redis_password_u10001', target='redis_password')]
    assert project['services']['db']['secrets'] == [dict(source='db_password_u999', target='db_password')]
    assert project['secrets'] == {
        'db_password_u10001': dict(file='/opt/demo/secrets/10001/db_password'),
        'redis_password_u10001': dict(file='/opt/demo/secrets/10001/redis_password'),
        'db_password_u999': dict(file='/opt/demo/secrets/999/db_password'),
    }
    assert 'secrets' not in render(dict(api=app()))


def test_secrets_label_changes_exactly_with_the_fingerprints_used():
    services = dict(api=app(secrets=['db_password', 'redis_password'], labels=dict(team='core')),
                    bot=app(secrets=['bot_token'], labels=['team=bots', 'tier']), web=app())
    prints = dict(db_password='1111', redis_password='2222', bot_token='3333')

    def labels(fingerprints):
        return dict((svc, spec.get('labels')) for svc, spec in render(services, fingerprints=fingerprints)
                    ['services'].items())

    first = labels(prints)
    assert first['api']['team'] == 'core'
    assert first['bot'] == {'team': 'bots', 'tier': '', SECRETS_LABEL: first['bot'][SECRETS_LABEL]}
    assert first['web'] is None
    assert labels(dict(prints)) == first
    rotated = labels(dict(prints, redis_password='9999'))
    assert rotated['api'][SECRETS_LABEL] != first['api'][SECRETS_LABEL]
    assert rotated['bot'] == first['bot']
    other = labels(dict(prints, unrelated='7777'))
    assert other == first
    assert first['api'][SECRETS_LABEL] == secrets_fingerprint(['redis_password', 'db_password'], prints)
    assert secrets_fingerprint(['db_password'], {}) != secrets_fingerprint(['db_password'], dict(db_password='1'))


def test_render_refuses_unreadable_ports():
    with pytest.raises(StackError):
        render(dict(api=app(ports=['eighty'])))


# ---------------------------------------------------------------- secret_owners and oneshots

def test_secret_owners_by_uid():
    services = dict(api=app(user='10001:10001', secrets=['db', 'redis']), worker=app(user='10001', secrets=['db']),
                    db=app(user='999:998', secrets=[dict(source='db', target='pw')]),
                    rootless=app(user='app', secrets=['other']), plain=app())
    assert secret_owners(services) == dict(db=['10001:10001', '999:998'], redis=['10001:10001'])


def test_secret_consumer_problems():
    root = app(user='0:0', secrets=['db'])
    allowed = app(user='0', secrets=['db'])
    allowed['x-stackops'] = dict(allow=['root_user'])
    services = dict(api=app(secrets=['db']), named=app(user='app', secrets=['db', 'redis']),
                    unset=app(user=None, secrets=['db']), root=root, allowed=allowed, plain=app(user=None))
    assert secret_consumer_problems(services) == [
        "service named uses secrets (db, redis) but its user is 'app'; give user: UID:GID (numbers) so that its "
        "secret files can be owned by that uid with mode 0400",
        'service root runs as root (user: 0:0); give a numeric non-root user such as 10001:10001, or add root_user to '
        'x-stackops.allow for this service',
        'service unset uses secrets (db) but its user is unset; give user: UID:GID (numbers) so that its secret files '
        'can be owned by that uid with mode 0400',
    ]
    assert secret_consumer_problems({}) == []


def test_oneshot_services():
    services = dict(migrate=app(), seed=app(), api=app(depends_on=dict(
        migrate=dict(condition='service_completed_successfully'), db=dict(condition='service_healthy'))),
        worker=app(depends_on=['db']), db=app())
    services['seed']['x-stackops'] = dict(oneshot=True)
    assert oneshot_services(services) == ['migrate', 'seed']


# ---------------------------------------------------------------- parse_port

@pytest.mark.parametrize('entry, expected', [
    ('8000', (None, None, '8000', 'tcp')),
    (8000, (None, None, '8000', 'tcp')),
    ('8080:80', (None, '8080', '80', 'tcp')),
    ('127.0.0.1:8080:80', ('127.0.0.1', '8080', '80', 'tcp')),
    ('0.0.0.0:53:53/udp', ('0.0.0.0', '53', '53', 'udp')),
    ('[::1]:8080:80', ('::1', '8080', '80', 'tcp')),
    ('9000-9001:9000-9001/tcp', (None, '9000-9001', '9000-9001', 'tcp')),
    (dict(target=80), (None, None, '80', 'tcp')),
    (dict(target=80, published=8080, host_ip='0.0.0.0', protocol='udp'), ('0.0.0.0', '8080', '80', 'udp')),
    (dict(target='80', published=''), (None, None, '80', 'tcp')),
])
def test_parse_port(entry, expected):
    port = parse_port(entry)
    assert (port['host_ip'], port['published'], port['target'], port['protocol']) == expected


@pytest.mark.parametrize('entry', ['', 'http', '80:http', '8080:80/icmp', '1.2.3.4:', dict(published=80)])
def test_parse_port_errors(entry):
    with pytest.raises(StackError) as exc:
        parse_port(entry)
    assert 'ports entry' in str(exc.value)


# ---------------------------------------------------------------- compare_project and container documents

def container(service, config_hash, state='running', exit_code=0, oneoff=False):
    return dict(name='demo-%s-1' % service, service=service, config_hash=config_hash, state=state,
                exit_code=exit_code, oneoff=oneoff)


DESIRED = dict(api='h-api', db='h-db', migrate='h-migrate')


def in_sync_containers():
    return [container('api', 'h-api'), container('db', 'h-db'), container('migrate', 'h-migrate', 'exited', 0)]


def test_compare_in_sync():
    assert compare_project(DESIRED, in_sync_containers(), ['migrate']) == dict(
        in_sync=True, drift=[], services=[], oneshots_in_sync=True)


def test_compare_missing_container():
    result = compare_project(DESIRED, in_sync_containers()[1:], ['migrate'])
    assert result['in_sync'] is False
    assert result['drift'] == ['service api has no container']
    assert result['services'] == ['api'] and result['oneshots_in_sync'] is True


def test_compare_config_hash_differs():
    containers = in_sync_containers()
    containers[1]['config_hash'] = 'old'
    result = compare_project(DESIRED, containers, ['migrate'])
    assert result['drift'] == ['service db runs a container made from another configuration']
    assert result['services'] == ['db'] and result['oneshots_in_sync'] is True


@pytest.mark.parametrize('state, code, words', [('exited', 1, 'is exited with code 1'), ('running', 0, 'is running'),
                                                ('created', None, 'is created, not exited')])
def test_compare_oneshot_not_completed(state, code, words):
    containers = in_sync_containers()
    containers[2].update(state=state, exit_code=code)
    result = compare_project(DESIRED, containers, ['migrate'])
    assert result['in_sync'] is False and result['services'] == ['migrate']
    assert result['oneshots_in_sync'] is False
    assert len(result['drift']) == 1 and result['drift'][0].startswith('service migrate (one-shot) ')
    assert words in result['drift'][0] and 'not exited with code 0' in result['drift'][0]


def test_compare_oneshot_with_another_hash_is_drift_of_the_oneshot():
    containers = in_sync_containers()
    containers[2]['config_hash'] = 'old'
    result = compare_project(DESIRED, containers, ['migrate'])
    assert result['services'] == ['migrate'] and result['oneshots_in_sync'] is False


def test_compare_long_running_exited():
    containers = in_sync_containers()
    containers[0].update(state='exited', exit_code=137)
    result = compare_project(DESIRED, containers, ['migrate'])
    assert result['drift'] == ['service api is exited, not running']
    assert result['services'] == ['api']


def test_compare_exited_oneshot_not_declared_is_drift():
    result = compare_project(DESIRED, in_sync_containers(), [])
    assert result['drift'] == ['service migrate is exited, not running']


def test_compare_orphan():
    result = compare_project(DESIRED, in_sync_containers() + [container('old', 'h-old')], ['migrate'])
    assert result['in_sync'] is False
    assert result['drift'] == ['service old runs but is no longer in the project']
    assert result['services'] == [] and result['oneshots_in_sync'] is True


def test_compare_oneoff_ignored():
    containers = in_sync_containers() + [container('api', 'other', 'exited', 2, oneoff=True),
                                         container('tool', 'x', oneoff=True)]
    assert compare_project(DESIRED, containers, ['migrate'])['in_sync'] is True


def test_compare_every_container_of_a_scaled_service():
    containers = in_sync_containers() + [container('api', 'h-api', 'restarting')]
    result = compare_project(DESIRED, containers, ['migrate'])
    assert result['drift'] == ['service api is restarting, not running'] and result['services'] == ['api']


def test_compare_several_reasons_sorted():
    containers = [container('db', 'old'), container('migrate', 'h-migrate', 'exited', 3)]
    result = compare_project(DESIRED, containers, ['migrate'])
    assert result['drift'] == ['service api has no container',
                               'service db runs a container made from another configuration',
                               'service migrate (one-shot) is exited with code 3, not exited with code 0']
    assert result['services'] == ['api', 'db', 'migrate'] and result['oneshots_in_sync'] is False


def test_parse_config_hashes():
    text = 'api 39bf6789efe7\nmigrate a1b2c3\n\nnot a hash line here\nweb   ffee00  \n'
    assert parse_config_hashes(text) == dict(api='39bf6789efe7', migrate='a1b2c3', web='ffee00')
    assert parse_config_hashes('') == {}
    assert parse_config_hashes(None) == {}


def test_container_summary():
    document = {
        'Id': 'abc', 'Name': '/demo-migrate-1',
        'State': {'Status': 'exited', 'Running': False, 'ExitCode': 0},
        'Config': {'Labels': {'com.docker.compose.project': 'demo', 'com.docker.compose.service': 'migrate',
                              'com.docker.compose.config-hash': 'h-migrate', 'com.docker.compose.oneoff': 'False'}},
    }
    assert container_summary(document) == dict(name='demo-migrate-1', service='migrate', config_hash='h-migrate',
                                               oneoff=False, state='exited', exit_code=0)
    document['Config']['Labels']['com.docker.compose.oneoff'] = 'True'
    assert container_summary(document)['oneoff'] is True


def test_container_summary_of_a_bare_document():
    assert container_summary({'Config': {'Labels': None}}) == dict(name='', service=None, config_hash=None,
                                                                   oneoff=False, state=None, exit_code=None)


def test_summaries_feed_compare():
    documents = [{'Name': '/demo-api-1', 'State': {'Status': 'running', 'ExitCode': 0},
                  'Config': {'Labels': {'com.docker.compose.service': 'api',
                                        'com.docker.compose.config-hash': 'h-api'}}}]
    result = compare_project(parse_config_hashes('api h-api\n'), [container_summary(d) for d in documents])
    assert result['in_sync'] is True
