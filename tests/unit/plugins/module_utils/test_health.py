# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks of containers and URLs. Network traffic goes to 127.0.0.1 only; Docker is a fake on a unix socket."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import DockerAPIError, NotSwarmManagerError
from ansible_collections.stackops.hardened.plugins.module_utils.health import (
    check_health,
    compose_messages,
    container_message,
    decide,
    describe_error,
    describe_task,
    evaluate_container,
    evaluate_service,
    evaluate_stack,
    evaluate_url,
    failure_summary,
    fetch_url,
    gather_containers,
    newest_task,
    normalise_url_spec,
    parse_docker_time,
    request_timeout,
    runs_current_spec,
    service_mode,
    task_state,
    validate_options,
    wait_until_healthy,
)
from ansible_collections.stackops.hardened.tests.unit.plugins.module_utils.test_docker_api import FakeDockerAPI


NOW = 1777636800.0  # 2026-05-01T12:00:00Z
CURL_REFUSED = "curl: (7) Failed to connect to localhost port 8000 after 0 ms: Couldn't connect to server\n"


def _log(start, code, output):
    return {'Start': start, 'End': start.replace('.1', '.4', 1), 'ExitCode': code, 'Output': output}


HEALTHY = {
    'Id': '8dfafdbc3a40a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a',
    'Name': '/botstack-api-1',
    'RestartCount': 0,
    'State': {
        'Status': 'running', 'Running': True, 'Restarting': False, 'OOMKilled': False, 'Dead': False,
        'Pid': 4242, 'ExitCode': 0, 'Error': '',
        'StartedAt': '2026-05-01T11:58:00.123456789Z', 'FinishedAt': '0001-01-01T00:00:00Z',
        'Health': {
            'Status': 'healthy', 'FailingStreak': 0,
            'Log': [_log('2026-05-01T11:59:40.100000000Z', 0, 'ok\n'), _log('2026-05-01T11:59:50.100000000Z', 0, 'ok\n')],
        },
    },
    'HostConfig': {'RestartPolicy': {'Name': 'unless-stopped', 'MaximumRetryCount': 0}},
    'Config': {'Labels': {'com.docker.compose.project': 'botstack', 'com.docker.compose.service': 'api'}},
}

# Two passing checks, then failing ones since 11:59:00 (one written with a +02:00 offset), listed out of order.
UNHEALTHY = copy.deepcopy(HEALTHY)
UNHEALTHY['State']['Health'] = {
    'Status': 'unhealthy', 'FailingStreak': 3,
    'Log': [
        _log('2026-05-01T11:59:30.1Z', 1, CURL_REFUSED),
        _log('2026-05-01T11:58:30.1Z', 0, 'ok\n'),
        _log('2026-05-01T13:59:00.1+02:00', 7, CURL_REFUSED),
        _log('2026-05-01T11:58:45.1Z', 0, 'ok\n'),
        _log('2026-05-01T11:59:50.1Z', -1, 'Health check exceeded timeout (5s)\n' + CURL_REFUSED),
    ],
}

STARTING = copy.deepcopy(HEALTHY)
STARTING['Name'] = '/botstack-worker-1'
STARTING['Id'] = 'feedfacecafe' * 5 + 'abcd'
STARTING['State']['StartedAt'] = '2026-05-01T11:59:45Z'
STARTING['State']['Health'] = {'Status': 'starting', 'FailingStreak': 0, 'Log': []}

NO_HEALTHCHECK = copy.deepcopy(HEALTHY)
NO_HEALTHCHECK['Name'] = '/botstack-redis-1'
NO_HEALTHCHECK['Id'] = '1f2e3d4c5b6a' * 5 + 'ffff'
del NO_HEALTHCHECK['State']['Health']

EXITED = copy.deepcopy(HEALTHY)
EXITED['Name'] = '/botstack-migrate-1'
EXITED['Id'] = '0123456789ab' * 5 + 'cdef'
EXITED['State'].update(Status='exited', Running=False, Pid=0, ExitCode=1, FinishedAt='2026-05-01T11:58:05.5Z')
del EXITED['State']['Health']
EXITED['HostConfig']['RestartPolicy'] = {'Name': 'no', 'MaximumRetryCount': 0}

RESTARTING = copy.deepcopy(UNHEALTHY)
RESTARTING['State'].update(Status='restarting', Running=True, Restarting=True, ExitCode=137)
RESTARTING['RestartCount'] = 4


# ---------------------------------------------------------------- timestamps

@pytest.mark.parametrize('text, expected', [
    ('2026-05-01T12:00:00Z', NOW),
    ('2026-05-01T12:00:00.5Z', NOW + 0.5),
    ('2026-05-01T12:00:00.123456789Z', NOW + 0.123456789),
    ('2026-05-01T14:00:00+02:00', NOW),
    ('2026-05-01T10:30:00.25-01:30', NOW + 0.25),
    ('0001-01-01T00:00:00Z', None),
    ('', None),
    (None, None),
    ('yesterday', None),
])
def test_parse_docker_time(text, expected):
    value = parse_docker_time(text)
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected, abs=1e-6)


# ---------------------------------------------------------------- containers

def test_healthy_container():
    evaluation = evaluate_container('botstack-api-1', HEALTHY, NOW)
    assert evaluation['ok'] is True
    assert evaluation['final'] is False
    assert (evaluation['name'], evaluation['id'], evaluation['status'], evaluation['health']) == (
        'botstack-api-1', '8dfafdbc3a40', 'running', 'healthy')
    assert evaluation['last_output'] == 'ok'
    assert evaluation['unhealthy_for'] is None
    assert evaluation['started_for'] == pytest.approx(119.9, abs=0.1)
    assert container_message(evaluation) is None


def test_unhealthy_container_with_log():
    evaluation = evaluate_container('botstack-api-1', UNHEALTHY, NOW)
    assert evaluation['ok'] is False
    assert evaluation['final'] is False
    assert evaluation['health'] == 'unhealthy'
    # the failing streak in the log starts at 11:59:00.1 (written as 13:59:00.1+02:00)
    assert evaluation['unhealthy_for'] == pytest.approx(59.9, abs=0.05)
    assert evaluation['last_output'] == 'Health check exceeded timeout (5s)\n' + CURL_REFUSED.strip()
    assert container_message(evaluation) == (
        'container botstack-api-1 unhealthy for 59 s; last check output: Health check exceeded timeout (5s) '
        "curl: (7) Failed to connect to localhost port 8000 after 0 ms: Couldn't connect to server")


@pytest.mark.parametrize('streak, expected', [
    (5, 59.9),     # the whole streak is in the log: failing since 11:59:10.1
    (10, 109.9),   # five more checks, 10 s apart, before the log starts: since 11:58:20.1
    (100, 129.9),  # never before the container started (11:58:00.12)
    (None, 59.9),
])
def test_unhealthy_for_a_streak_longer_than_the_log(streak, expected):
    document = copy.deepcopy(UNHEALTHY)
    document['State']['Health']['FailingStreak'] = streak
    document['State']['Health']['Log'] = [_log('2026-05-01T11:59:%02d.1Z' % second, 1, 'refused\n') for second in (10, 20, 30, 40, 50)]
    assert evaluate_container('botstack-api-1', document, NOW + 10)['unhealthy_for'] == expected


def test_unhealthy_container_output_is_trimmed():
    document = copy.deepcopy(UNHEALTHY)
    document['State']['Health']['Log'] = [_log('2026-05-01T11:59:00.1Z', 1, 'x' * 5000)]
    evaluation = evaluate_container('botstack-api-1', document, NOW)
    assert len(evaluation['last_output']) == 2003 and evaluation['last_output'].endswith('...')
    message = container_message(evaluation)
    assert message.startswith('container botstack-api-1 unhealthy for 59 s; last check output: xxx')
    assert message.endswith('x...') and len(message) < 400


def test_unhealthy_container_without_log():
    document = copy.deepcopy(UNHEALTHY)
    document['State']['Health']['Log'] = None
    evaluation = evaluate_container('botstack-api-1', document, NOW)
    assert evaluation['unhealthy_for'] == 0.0
    assert evaluation['last_output'] is None
    assert container_message(evaluation) == 'container botstack-api-1 unhealthy for 0 s; no check output'


def test_starting_container():
    evaluation = evaluate_container('botstack-worker-1', STARTING, NOW)
    assert (evaluation['ok'], evaluation['final'], evaluation['health']) == (False, False, 'starting')
    assert evaluation['started_for'] == 15.0
    assert container_message(evaluation) == (
        'container botstack-worker-1 still starting 15 s after it started (no healthcheck has passed yet); '
        'no check has finished yet')


def test_starting_container_with_a_failed_check():
    document = copy.deepcopy(STARTING)
    document['State']['Health']['Log'] = [_log('2026-05-01T11:59:55.1Z', 1, 'pg_isready: no response\n')]
    assert container_message(evaluate_container('w', document, NOW)).endswith('; last check output: pg_isready: no response')


@pytest.mark.parametrize('health', [None, {}, {'Status': 'none'}])
def test_running_container_without_healthcheck(health):
    document = copy.deepcopy(NO_HEALTHCHECK)
    if health is not None:
        document['State']['Health'] = health
    evaluation = evaluate_container('botstack-redis-1', document, NOW)
    assert (evaluation['ok'], evaluation['final'], evaluation['health']) == (False, True, None)
    assert container_message(evaluation) == (
        'container botstack-redis-1 is running but has no healthcheck: declare one that tests the service')


def test_exited_container_with_exit_code():
    evaluation = evaluate_container('botstack-migrate-1', EXITED, NOW)
    assert (evaluation['ok'], evaluation['final'], evaluation['status'], evaluation['exit_code']) == (False, True, 'exited', 1)
    assert evaluation['started_for'] is None
    assert container_message(evaluation) == (
        'container botstack-migrate-1 exited with code 1; restart policy "no", so Docker will not start it again')


def test_exited_container_that_docker_restarts_is_not_final():
    document = copy.deepcopy(EXITED)
    document['HostConfig']['RestartPolicy']['Name'] = 'always'
    document['State'].update(ExitCode=137, OOMKilled=True, Error='')
    evaluation = evaluate_container('botstack-migrate-1', document, NOW)
    assert (evaluation['ok'], evaluation['final']) == (False, False)
    assert container_message(evaluation) == 'container botstack-migrate-1 exited with code 137 (killed: out of memory)'


def test_completed_one_shot_is_ok_only_for_a_project():
    document = copy.deepcopy(EXITED)
    document['State']['ExitCode'] = 0
    named = evaluate_container('botstack-migrate-1', document, NOW)
    assert (named['ok'], named['final']) == (False, True)
    assert container_message(named).startswith('container botstack-migrate-1 exited with code 0')
    from_project = evaluate_container('botstack-migrate-1', document, NOW, allow_completed=True)
    assert (from_project['ok'], container_message(from_project)) == (True, None)
    document['HostConfig']['RestartPolicy']['Name'] = 'unless-stopped'
    assert evaluate_container('botstack-migrate-1', document, NOW, allow_completed=True)['ok'] is False


def test_restarting_container():
    evaluation = evaluate_container('botstack-api-1', RESTARTING, NOW)
    assert (evaluation['ok'], evaluation['final']) == (False, False)
    assert evaluation['unhealthy_for'] is None
    assert container_message(evaluation) == 'container botstack-api-1 is restarting (last exit code 137, restarted 4 times)'


@pytest.mark.parametrize('status, extra, final, message', [
    ('dead', {'ExitCode': 255, 'Error': 'driver failed'}, True,
     'container botstack-api-1 is dead (exit code 255); error: driver failed'),
    ('created', {}, False, 'container botstack-api-1 was created but has not been started'),
    ('paused', {}, False, 'container botstack-api-1 is paused'),
    ('removing', {}, False, 'container botstack-api-1 is being removed'),
])
def test_other_states(status, extra, final, message):
    document = copy.deepcopy(HEALTHY)
    document['State'].update(Status=status, **extra)
    evaluation = evaluate_container('botstack-api-1', document, NOW)
    assert (evaluation['ok'], evaluation['final']) == (False, final)
    assert container_message(evaluation) == message


def test_missing_container():
    evaluation = evaluate_container('ghost', None, NOW)
    assert (evaluation['ok'], evaluation['final'], evaluation['status'], evaluation['id']) == (False, False, 'missing', None)
    assert container_message(evaluation) == 'container ghost does not exist'


def _summary(document, oneoff='False'):
    return {'Id': document['Id'], 'Names': [document['Name']],
            'Labels': {'com.docker.compose.project': 'botstack', 'com.docker.compose.oneoff': oneoff}}


def test_gather_containers():
    documents = dict((doc['Id'], doc) for doc in (HEALTHY, STARTING, EXITED))
    documents['botstack-api-1'] = HEALTHY
    asked = []

    def inspect(name):
        asked.append(name)
        return documents.get(name)

    run_container = dict(_summary(NO_HEALTHCHECK, oneoff='True'))
    gone = {'Id': 'vanished' * 8, 'Names': ['/botstack-gone-1'], 'Labels': {}}

    def list_project(project):
        assert project == 'botstack'
        return [_summary(STARTING), _summary(HEALTHY), run_container, _summary(EXITED), gone]

    entries, problems = gather_containers(['botstack-api-1', 'ghost'], 'botstack', inspect, list_project)
    assert problems == []
    assert [(e['name'], e['document'] is not None, e['allow_completed']) for e in entries] == [
        ('botstack-api-1', True, False),
        ('ghost', False, False),
        ('botstack-migrate-1', True, True),
        ('botstack-worker-1', True, True),
    ]
    # the named container is not inspected twice; the `compose run` container not at all
    assert asked == ['botstack-api-1', 'ghost', STARTING['Id'], EXITED['Id'], gone['Id']]


def test_gather_containers_empty_project():
    entries, problems = gather_containers([], 'botstack', lambda name: None, lambda project: [])
    assert entries == []
    assert problems == ['compose project botstack has no containers (none with label com.docker.compose.project=botstack)']


# ---------------------------------------------------------------- options

def test_validate_options_normalises_urls(tmp_path):
    specs = validate_options([], None, [{'url': ' http://127.0.0.1:8000/health ', 'body': '"ok"', 'headers': {'X-Try': 1},
                                         'host_header': 'api.example.test'}], 0, 0.5)
    assert len(specs) == 1
    spec = specs[0]
    assert spec['url'] == 'http://127.0.0.1:8000/health'
    assert spec['status'] == 200
    assert spec['validate_certs'] is True
    assert spec['headers'] == {'X-Try': '1', 'Host': 'api.example.test'}
    assert spec['label'] == 'http://127.0.0.1:8000/health (Host: api.example.test)'
    assert spec['ssl_context'] is None
    https = normalise_url_spec({'url': 'https://api.example.test/ready'})
    assert https['ssl_context'].verify_mode == ssl.CERT_REQUIRED and https['ssl_context'].check_hostname
    insecure = normalise_url_spec({'url': 'https://api.example.test/ready', 'validate_certs': False})
    assert insecure['ssl_context'].verify_mode == ssl.CERT_NONE


@pytest.mark.parametrize('args, message', [
    (([], None, [], 120, 2), 'nothing to check: give containers, compose_project or urls'),
    (([''], None, [], 120, 2), "container name '' is not valid"),
    (([], ' ', [], 120, 2), 'compose_project is empty'),
    ((['a'], None, [], -1, 2), 'timeout -1 is not valid: use whole seconds from 0 to 86400'),
    ((['a'], None, [], 120, 0), 'interval 0 is not valid: use seconds > 0'),
    (([], None, [{'url': 'ftp://127.0.0.1/'}], 1, 1), "urls\\[0\\].url 'ftp://127.0.0.1/' is not valid: give an http:// or https://"),
    (([], None, [{'url': 'http:///x'}], 1, 1), 'urls\\[0\\].url .* with a host'),
    (([], None, [{'url': 'http://a/'}, {'url': None}], 1, 1), 'urls\\[1\\].url is missing'),
    (([], None, [{'url': 'http://a/', 'status': 700}], 1, 1), 'urls\\[0\\].status 700 is not valid: use an HTTP status 100-599'),
    (([], None, [{'url': 'https://a/', 'ca_path': '/nonexistent/ca.pem'}], 1, 1),
     'urls\\[0\\].ca_path /nonexistent/ca.pem does not exist or is not a file'),
])
def test_validate_options_refuses(args, message):
    with pytest.raises(ValueError, match=message):
        validate_options(*args)


def test_ca_path_that_is_not_pem(tmp_path):
    bad = tmp_path / 'ca.pem'
    bad.write_text('not a certificate\n')
    with pytest.raises(ValueError, match='urls\\[0\\].ca_path %s is not a readable PEM CA bundle' % bad):
        normalise_url_spec({'url': 'https://a/', 'ca_path': str(bad)})


def test_invalid_regex_body_is_matched_as_text():
    spec = normalise_url_spec({'url': 'http://a/', 'body': 'status: [ok'})
    assert spec['body_re'] is None
    assert evaluate_url(spec, dict(status=200, body='x status: [ok y', error=None, elapsed=0.1))['ok'] is True
    assert evaluate_url(spec, dict(status=200, body='status: ok', error=None, elapsed=0.1))['ok'] is False


# ---------------------------------------------------------------- URL answers (pure)

@pytest.mark.parametrize('spec, result, problem', [
    ({'url': 'https://api.example.test/ready'}, dict(status=200, body='', error=None, elapsed=0.01), None),
    ({'url': 'https://api.example.test/ready'}, dict(status=502, body='Bad Gateway', error=None, elapsed=0.01),
     'https://api.example.test/ready answered 502, expected 200'),
    ({'url': 'http://127.0.0.1/', 'status': 301, 'host_header': 'api.example.test'},
     dict(status=200, body='', error=None, elapsed=0.01),
     'http://127.0.0.1/ (Host: api.example.test) answered 200, expected 301'),
    ({'url': 'https://x/ready'}, dict(status=None, body='', error='certificate verify failed (self-signed certificate)', elapsed=0.01),
     'https://x/ready: certificate verify failed (self-signed certificate)'),
    ({'url': 'http://x/health', 'body': r'"db":\s*"up"'}, dict(status=200, body='{"db": "up"}', error=None, elapsed=0.01), None),
    ({'url': 'http://x/health', 'body': '"db": "up"'}, dict(status=200, body='{\n  "db":   "down"\n}', error=None, elapsed=0.01),
     'http://x/health answered 200 but the body does not match \'"db": "up"\'; body starts: { "db": "down" }'),
    ({'url': 'http://x/health', 'body': 'ok'}, dict(status=200, body='', error=None, elapsed=0.01),
     "http://x/health answered 200 but the body does not match 'ok'; body starts: (empty)"),
])
def test_evaluate_url(spec, result, problem):
    evaluation = evaluate_url(normalise_url_spec(spec), result)
    assert evaluation == dict(url=spec['url'], status=result['status'], elapsed=0.01, error=result['error'],
                              ok=problem is None, problem=problem)


@pytest.mark.parametrize('exc, text', [
    (ConnectionRefusedError(111, 'Connection refused'), 'connection refused'),
    (socket.timeout('timed out'), 'no answer within 2.5 s'),
    (socket.gaierror(-2, 'Name or service not known'), 'cannot resolve the host name (Name or service not known)'),
    (ConnectionResetError(104, 'Connection reset by peer'), 'connection reset'),
    (OSError(113, 'No route to host'), 'no route to host'),
])
def test_describe_error(exc, text):
    assert describe_error(exc, 2.5) == text


def test_request_timeout():
    assert request_timeout(100) == 10.0
    assert request_timeout(4.5) == 4.5
    assert request_timeout(0) == 1.0


# ---------------------------------------------------------------- URLs against a local server

class _Handler(BaseHTTPRequestHandler):
    routes = {
        '/ok': (200, {}, b'status: ok\n'),
        '/bad': (502, {}, b'<html>502 Bad Gateway</html>'),
        '/json': (200, {'Content-Type': 'application/json'}, b'{"status": "ok", "db": "up"}'),
        '/redirect': (301, {'Location': '/ok'}, b''),
    }

    def do_GET(self):  # noqa: N802  pylint: disable=invalid-name
        if self.path == '/echo':
            status, headers, body = 200, {}, json.dumps(dict(self.headers.items())).encode('utf-8')
        else:
            status, headers, body = self.routes.get(self.path, (404, {}, b'not found'))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05})
    thread.daemon = True
    thread.start()
    return thread


@pytest.fixture(scope='module')
def http_base():
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    thread = _serve(server)
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


def _closed_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def _check(spec, timeout=5):
    spec = normalise_url_spec(spec)
    return evaluate_url(spec, fetch_url(spec, timeout))


def test_url_status_match(http_base):
    result = _check({'url': http_base + '/ok'})
    assert (result['ok'], result['status'], result['error'], result['problem']) == (True, 200, None, None)
    assert 0 <= result['elapsed'] < 5


def test_url_wrong_status(http_base):
    result = _check({'url': http_base + '/bad'})
    assert (result['ok'], result['status']) == (False, 502)
    assert result['problem'] == '%s/bad answered 502, expected 200' % http_base
    assert _check({'url': http_base + '/bad', 'status': 502})['ok'] is True


def test_url_body_regex(http_base):
    assert _check({'url': http_base + '/json', 'body': r'"db":\s*"up"'})['ok'] is True
    assert _check({'url': http_base + '/json', 'body': '"status": "ok"'})['ok'] is True
    result = _check({'url': http_base + '/json', 'body': r'"db":\s*"down"'})
    assert result['ok'] is False
    assert result['problem'] == ('%s/json answered 200 but the body does not match \'"db":\\\\s*"down"\'; '
                                 'body starts: {"status": "ok", "db": "up"}' % http_base)


def test_url_redirect_is_not_followed(http_base):
    result = _check({'url': http_base + '/redirect', 'status': 301})
    assert (result['ok'], result['status']) == (True, 301)
    assert _check({'url': http_base + '/redirect'})['problem'] == '%s/redirect answered 301, expected 200' % http_base


def test_url_headers_and_host_header(http_base):
    spec = normalise_url_spec({'url': http_base + '/echo', 'host_header': 'api.example.test',
                               'headers': {'X-Telegram-Bot-Api-Secret-Token': 'abc'}})
    answer = fetch_url(spec, 5)
    sent = json.loads(answer['body'])
    assert sent['Host'] == 'api.example.test'
    assert sent['X-Telegram-Bot-Api-Secret-Token'] == 'abc'
    assert sent['User-Agent'] == 'stackops.hardened.health_check'


def test_url_connection_refused():
    url = 'http://127.0.0.1:%d/ready' % _closed_port()
    result = _check({'url': url})
    assert (result['ok'], result['status'], result['error']) == (False, None, 'connection refused')
    assert result['problem'] == '%s: connection refused' % url


def test_url_no_answer_within_timeout():
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(('127.0.0.1', 0))
    silent.listen(4)  # the handshake completes in the backlog; nobody ever answers
    try:
        url = 'http://127.0.0.1:%d/' % silent.getsockname()[1]
        result = _check({'url': url}, timeout=0.3)
    finally:
        silent.close()
    assert result['error'] == 'no answer within 0.3 s'
    assert result['problem'] == '%s: no answer within 0.3 s' % url


# ---------------------------------------------------------------- HTTPS against a local server with a test CA

def _openssl(*args):
    subprocess.run(('openssl',) + args, check=True, capture_output=True)


@pytest.fixture(scope='module')
def tls_base(tmp_path_factory):
    if not shutil.which('openssl'):
        pytest.skip('openssl is needed to make a test CA')
    d = tmp_path_factory.mktemp('tls')
    ec = ('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes')
    _openssl('req', '-x509', *ec, '-keyout', str(d / 'ca.key'), '-out', str(d / 'ca.crt'), '-days', '2',
             '-subj', '/CN=stackops test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
             '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    _openssl('req', *ec, '-keyout', str(d / 'srv.key'), '-out', str(d / 'srv.csr'), '-subj', '/CN=api.example.test')
    (d / 'ext.cnf').write_text('subjectAltName=DNS:api.example.test\nbasicConstraints=CA:FALSE\n'
                               'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n'
                               'authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n')
    _openssl('x509', '-req', '-in', str(d / 'srv.csr'), '-CA', str(d / 'ca.crt'), '-CAkey', str(d / 'ca.key'),
             '-CAcreateserial', '-out', str(d / 'srv.crt'), '-days', '2', '-extfile', str(d / 'ext.cnf'))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(d / 'srv.crt'), str(d / 'srv.key'))
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = _serve(server)
    yield 'https://127.0.0.1:%d' % server.server_address[1], str(d / 'ca.crt')
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_https_verified_against_ca_path_with_host_header(tls_base):
    base, ca = tls_base
    result = _check({'url': base + '/ok', 'ca_path': ca, 'host_header': 'api.example.test'})
    assert (result['ok'], result['status'], result['error']) == (True, 200, None)


def test_https_self_signed_is_refused_without_its_ca(tls_base):
    base, dummy = tls_base
    result = _check({'url': base + '/ok', 'host_header': 'api.example.test'})
    assert result['ok'] is False and result['status'] is None
    assert result['error'].startswith('certificate verify failed (')
    assert result['problem'] == '%s/ok (Host: api.example.test): %s' % (base, result['error'])


def test_https_name_mismatch(tls_base):
    base, ca = tls_base
    result = _check({'url': base + '/ok', 'ca_path': ca})
    assert result['error'].startswith('certificate verify failed (')
    assert '127.0.0.1' in result['error']


def test_https_without_validation(tls_base):
    base, dummy = tls_base
    assert _check({'url': base + '/ok', 'validate_certs': False})['ok'] is True


# ---------------------------------------------------------------- deciding

def _container(ok, final=False, problem=None):
    return dict(ok=ok, final=final, problem=problem)


@pytest.mark.parametrize('containers, urls, problems, state', [
    ([], [], [], 'healthy'),
    ([_container(True)], [dict(ok=True)], [], 'healthy'),
    ([_container(True)], [dict(ok=False)], [], 'waiting'),
    ([_container(False)], [dict(ok=True)], [], 'waiting'),
    ([_container(True)], [], ['compose project x has no containers'], 'waiting'),
    ([_container(False, final=True), _container(False)], [dict(ok=False)], [], 'failed'),
])
def test_decide(containers, urls, problems, state):
    assert decide(containers, urls, problems) == state


def test_compose_messages_and_summary():
    containers = [_container(False, problem='container a unhealthy for 3 s; no check output'), _container(True)]
    urls = [dict(ok=False, problem='http://x/ answered 502, expected 200')]
    messages = compose_messages(containers, urls, ['compose project p has no containers'])
    assert messages == ['container a unhealthy for 3 s; no check output', 'compose project p has no containers',
                        'http://x/ answered 502, expected 200']
    assert failure_summary(dict(state='timeout', messages=messages[:1]), 120) == (
        'not healthy within 120 s: container a unhealthy for 3 s; no check output')
    assert failure_summary(dict(state='failed', messages=['container r is running but has no healthcheck']), 120) == (
        'not healthy, and waiting will not fix it: container r is running but has no healthcheck')


# ---------------------------------------------------------------- waiting, with a fake clock

class FakeClock(object):
    def __init__(self, start=5000.0, wall_start=NOW):
        self.now = start
        self.start = start
        self.wall_start = wall_start
        self.sleeps = []

    def clock(self):
        return self.now

    def wall(self):
        return self.wall_start + (self.now - self.start)

    def sleep(self, seconds):
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


def _sequence(*rounds):
    """A fetch_containers() that answers each round with the next document list, repeating the last."""
    calls = []

    def fetch_containers():
        documents = rounds[min(len(calls), len(rounds) - 1)]
        calls.append(1)
        return [dict(name=(doc or {}).get('Name', '/ghost').lstrip('/'), document=doc, allow_completed=False)
                for doc in documents], []
    return fetch_containers


def _urls_answering(*statuses):
    calls = []

    def fetch(spec, timeout):
        calls.append((spec['url'], timeout))
        status = statuses[min(len(calls) - 1, len(statuses) - 1)]
        return dict(status=status, body='', error=None, elapsed=0.01)
    fetch.calls = calls
    return fetch


def test_wait_until_healthy_succeeds_after_rounds():
    clock = FakeClock()
    fetch = _urls_answering(503, 503, 200)
    specs = [normalise_url_spec({'url': 'https://api.example.test/ready'})]
    result = wait_until_healthy(_sequence([STARTING], [HEALTHY], [HEALTHY]), fetch, specs, timeout=120, interval=2,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    assert (result['ok'], result['state'], result['rounds'], result['waited']) == (True, 'healthy', 3, 4.0)
    assert clock.sleeps == [2, 2]
    assert result['messages'] == []
    assert result['containers'] == [dict(name='botstack-api-1', id='8dfafdbc3a40', status='running', health='healthy',
                                         exit_code=0, last_output='ok', unhealthy_for=None, ok=True, problem=None)]
    assert result['urls'] == [dict(url='https://api.example.test/ready', status=200, elapsed=0.01, error=None, ok=True, problem=None)]
    assert [timeout for dummy, timeout in fetch.calls] == [10.0, 10.0, 10.0]


def test_wait_until_healthy_times_out():
    clock = FakeClock()
    specs = [normalise_url_spec({'url': 'https://api.example.test/ready'})]
    fetch = _urls_answering(502)
    result = wait_until_healthy(_sequence([UNHEALTHY]), fetch, specs, timeout=10, interval=3,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    assert (result['ok'], result['state'], result['rounds'], result['waited']) == (False, 'timeout', 5, 10.0)
    assert clock.sleeps == [3, 3, 3, 1]
    # the last round runs at the deadline: the request gets the 1 s floor
    assert [timeout for dummy, timeout in fetch.calls] == [10.0, 7.0, 4.0, 1.0, 1.0]
    assert result['messages'] == [
        'container botstack-api-1 unhealthy for 69 s; last check output: Health check exceeded timeout (5s) '
        "curl: (7) Failed to connect to localhost port 8000 after 0 ms: Couldn't connect to server",
        'https://api.example.test/ready answered 502, expected 200',
    ]
    assert result['containers'][0]['unhealthy_for'] == pytest.approx(69.9, abs=0.05)
    assert failure_summary(result, 10).startswith('not healthy within 10 s: container botstack-api-1 unhealthy for 69 s; ')


def test_unhealthy_for_counts_what_the_module_saw_when_the_log_is_short():
    document = copy.deepcopy(UNHEALTHY)
    document['State']['Health']['Log'] = []
    clock = FakeClock()
    result = wait_until_healthy(_sequence([document]), _urls_answering(200), [], timeout=6, interval=2,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    assert result['state'] == 'timeout'
    assert result['containers'][0]['unhealthy_for'] == 6.0
    assert result['messages'] == ['container botstack-api-1 unhealthy for 6 s; no check output']


def test_wait_stops_at_once_on_a_problem_waiting_cannot_fix():
    clock = FakeClock()
    fetch = _urls_answering(503)
    result = wait_until_healthy(_sequence([HEALTHY, NO_HEALTHCHECK, EXITED, STARTING]), fetch,
                                [normalise_url_spec({'url': 'http://127.0.0.1:8000/health'})], timeout=120, interval=2,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    assert (result['ok'], result['state'], result['rounds'], result['waited']) == (False, 'failed', 1, 0.0)
    assert clock.sleeps == []
    assert result['messages'] == [
        'container botstack-redis-1 is running but has no healthcheck: declare one that tests the service',
        'container botstack-migrate-1 exited with code 1; restart policy "no", so Docker will not start it again',
        'container botstack-worker-1 still starting 15 s after it started (no healthcheck has passed yet); '
        'no check has finished yet',
        'http://127.0.0.1:8000/health answered 503, expected 200',
    ]
    assert [c['ok'] for c in result['containers']] == [True, False, False, False]


def test_wait_with_zero_timeout_checks_once():
    clock = FakeClock()
    result = wait_until_healthy(_sequence([None]), _urls_answering(200), [], timeout=0, interval=2,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    assert (result['state'], result['rounds'], clock.sleeps) == ('timeout', 1, [])
    assert result['messages'] == ['container ghost does not exist']


def test_wait_keeps_waiting_for_an_empty_project():
    clock = FakeClock()
    rounds = []

    def fetch_containers():
        rounds.append(1)
        if len(rounds) < 3:
            return [], ['compose project botstack has no containers (none with label com.docker.compose.project=botstack)']
        return [dict(name='botstack-api-1', document=HEALTHY, allow_completed=True)], []

    result = wait_until_healthy(fetch_containers, _urls_answering(200), [], timeout=30, interval=5,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    assert (result['ok'], result['rounds'], result['waited']) == (True, 3, 10.0)


# ---------------------------------------------------------------- end to end: fake Docker on a unix socket, real HTTP

UNHEALTHY_WORKER = copy.deepcopy(STARTING)
UNHEALTHY_WORKER['State']['Health'] = {
    'Status': 'unhealthy', 'FailingStreak': 3,
    'Log': [_log('2026-05-01T11:59:58.1Z', 1, 'celery inspect ping: no nodes replied\n')],
}


def test_check_health_end_to_end(tmp_path, http_base):
    migrate = copy.deepcopy(EXITED)
    migrate['State']['ExitCode'] = 0
    run_container = copy.deepcopy(NO_HEALTHCHECK)
    summaries = [_summary(HEALTHY), _summary(STARTING), _summary(migrate), _summary(run_container, oneoff='True')]
    worker_answers = []

    def worker(target):
        worker_answers.append(target)
        return STARTING if len(worker_answers) == 1 else UNHEALTHY_WORKER

    routes = {
        '/containers/json': (200, summaries),
        '/containers/%s/json' % HEALTHY['Id']: (200, HEALTHY),
        '/containers/%s/json' % STARTING['Id']: (200, worker),
        '/containers/%s/json' % migrate['Id']: (200, migrate),
        '/containers/botstack-api-1/json': (200, HEALTHY),
    }
    fake = FakeDockerAPI(str(tmp_path / 'docker.sock'), routes)
    clock = FakeClock()
    try:
        result = check_health(containers=['botstack-api-1'], compose_project='botstack',
                              urls=[{'url': http_base + '/ok', 'body': 'status: ok'}, {'url': http_base + '/bad'}],
                              timeout=4, interval=2, docker_socket=fake.path,
                              clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    finally:
        fake.close()
    assert (result['ok'], result['state'], result['rounds'], result['waited']) == (False, 'timeout', 3, 4.0)
    assert [(c['name'], c['status'], c['health'], c['ok']) for c in result['containers']] == [
        ('botstack-api-1', 'running', 'healthy', True),
        ('botstack-migrate-1', 'exited', None, True),
        ('botstack-worker-1', 'running', 'unhealthy', False),
    ]
    assert result['containers'][2]['unhealthy_for'] == 5.9
    assert result['messages'] == [
        'container botstack-worker-1 unhealthy for 5 s; last check output: celery inspect ping: no nodes replied',
        '%s/bad answered 502, expected 200' % http_base,
    ]
    assert [u['ok'] for u in result['urls']] == [True, False]
    lists = [t for t in fake.targets() if t.startswith('/containers/json')]
    assert len(lists) == 3
    query = parse_qs(urlsplit(lists[0]).query)
    assert query['all'] == ['1']
    assert json.loads(query['filters'][0]) == {'label': ['com.docker.compose.project=botstack']}
    # the named container is read by name, the `compose run` one never
    assert fake.targets()[:2] == ['/containers/botstack-api-1/json', lists[0]]
    assert not [t for t in fake.targets() if run_container['Id'] in t]


def test_check_health_refuses_missing_docker_socket(tmp_path):
    with pytest.raises(DockerAPIError, match='Docker socket %s not found: cannot check botstack-api-1, compose project botstack'
                       % (tmp_path / 'none.sock')):
        check_health(containers=['botstack-api-1'], compose_project='botstack', docker_socket=str(tmp_path / 'none.sock'))


def test_check_health_urls_only_does_not_need_docker(tmp_path, http_base):
    clock = FakeClock()
    result = check_health(urls=[{'url': http_base + '/ok'}], timeout=5, docker_socket=str(tmp_path / 'none.sock'),
                          clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    assert (result['ok'], result['rounds'], result['containers']) == (True, 1, [])


def test_check_health_refuses_bad_options():
    with pytest.raises(ValueError, match='nothing to check'):
        check_health()


# ---------------------------------------------------------------- swarm stacks (captured from a 3-node Docker 26.1 swarm)

SWARM_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'swarm')
MANAGER = 'rr4527d6167uivgd7enm48s1p'   # stackops-swarm-1, labelled stackops.data=true
WORKER_2 = 'ssdk7owwsl3kl3ndgs88jupus'  # stackops-swarm-2
WORKER_3 = '9w32otrpnlz1fl5p1bllhejqy'  # stackops-swarm-3


def _swarm(name):
    with open(os.path.join(SWARM_FIXTURES, name + '.json'), encoding='utf-8') as handle:
        return json.load(handle)


def _stack():
    """Fresh copies of the captured services, tasks and nodes of the stack demo, all settled."""
    return _swarm('manager_services_status_true'), _swarm('manager_tasks'), _swarm('manager_nodes')


def _service(services, name):
    return [service for service in services if service['Spec']['Name'] == name][0]


def _task_of(tasks, service, state='running', node=None, stamp='2026-11-25T17:55:00Z', err=None, image=None, slot=None,
             desired='running'):
    """A task of `service` made from its current template (or with another image), in `state`."""
    task = copy.deepcopy([t for t in tasks if t['ServiceID'] == service['ID']][0])
    task['ID'] = 'task%s%s%s' % (state, node or 'none', stamp[-9:-1].replace(':', ''))
    task['Spec'] = copy.deepcopy({key: value for key, value in service['Spec']['TaskTemplate'].items() if key != 'Runtime'})
    if image:
        task['Spec']['ContainerSpec']['Image'] = image
    task['Status'] = {'Timestamp': stamp, 'State': state, 'Message': state}
    if err:
        task['Status']['Err'] = err
    task['DesiredState'] = desired
    if node:
        task['NodeID'] = node
    else:
        task.pop('NodeID', None)
    if slot is not None:
        task['Slot'] = slot
    return task


def _only(evaluations, name):
    return [item for item in evaluations if item['name'] == name][0]


def test_swarm_fixture_stack_is_settled():
    services, tasks, nodes = _stack()
    evaluations, problems = evaluate_stack('demo', services, tasks, nodes)
    assert problems == []
    assert [(e['name'], e['mode'], e['desired'], e['running'], e['completed'], e['update_state'], e['nodes'], e['ok'])
            for e in evaluations] == [
        ('demo_api', 'replicated', 2, 2, 0, None, ['stackops-swarm-2', 'stackops-swarm-3'], True),
        ('demo_migrate', 'replicated-job', 1, 0, 1, None, [], True),
        ('demo_postgres', 'replicated', 1, 1, 0, None, ['stackops-swarm-1'], True),
        ('demo_redis', 'replicated', 1, 1, 0, None, ['stackops-swarm-1'], True),
        ('demo_web', 'global', 3, 3, 0, None, ['stackops-swarm-1', 'stackops-swarm-2', 'stackops-swarm-3'], True),
    ]
    assert all(e['problem'] is None and e['final'] is False for e in evaluations)


def test_swarm_services_of_another_stack_are_ignored():
    services, tasks, nodes = _stack()
    other = copy.deepcopy(_service(services, 'demo_api'))
    other['ID'] = 'otherstack0000000000000000'
    other['Spec']['Name'] = 'other_api'
    other['Spec']['Labels']['com.docker.stack.namespace'] = 'other'
    other['ServiceStatus']['RunningTasks'] = 0
    evaluations, problems = evaluate_stack('demo', services + [other], tasks, nodes)
    assert (len(evaluations), problems) == (5, [])


def test_swarm_replica_still_starting_is_not_settled():
    """A task with a healthcheck stays `starting` until healthy; the service waits, and says which task on which node."""
    services, tasks, nodes = _stack()
    api = _service(services, 'demo_api')
    api['ServiceStatus']['RunningTasks'] = 1
    tasks = [t for t in tasks if t['ID'] != 'v82qr85s7hw9prydl1cm7geq9']
    tasks.append(_task_of(tasks, api, 'starting', WORKER_3, slot=2))
    evaluations, problems = evaluate_stack('demo', services, tasks, nodes)
    item = _only(evaluations, 'demo_api')
    assert (item['ok'], item['final'], item['desired'], item['running'], item['nodes']) == (
        False, False, 2, 1, ['stackops-swarm-2'])
    assert item['problem'] == 'service demo_api (replicated): 1 of 2 running; newest task: starting on stackops-swarm-3'
    assert problems == []
    assert decide([], [], [], evaluations) == 'waiting'


def test_swarm_no_running_task_names_desired_running_and_the_newest_error():
    services, tasks, nodes = _stack()
    redis = _service(services, 'demo_redis')
    redis['ServiceStatus']['RunningTasks'] = 0
    tasks = [t for t in tasks if t['ServiceID'] != redis['ID']]
    tasks.append(_task_of(tasks + _swarm('manager_tasks'), redis, 'failed', MANAGER, stamp='2026-11-25T17:54:00Z',
                          err='task: non-zero exit (1)', desired='shutdown'))
    tasks.append(_task_of(tasks, redis, 'pending', None, stamp='2026-11-25T17:55:00Z',
                          err='no suitable node (scheduling constraints not satisfied on 3 nodes)'))
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_redis')
    assert (item['ok'], item['final'], item['running'], item['nodes']) == (False, False, 0, [])
    assert item['problem'] == ('service demo_redis (replicated): 0 of 1 running; newest task: pending not placed on a node: '
                               'no suitable node (scheduling constraints not satisfied on 3 nodes)')


def test_swarm_task_on_the_previous_spec_is_not_settled():
    """Right after a deploy, before swarm reports the update: the running tasks still run the old image."""
    services, tasks, nodes = _stack()
    api = _service(services, 'demo_api')
    api['Spec']['TaskTemplate']['ContainerSpec']['Image'] = 'stackops-demo/app:1.1'
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_api')
    assert (item['ok'], item['final'], item['running']) == (False, False, 2)
    assert item['problem'] == ('service demo_api (replicated): 2 of 2 running, 2 of them on the previous spec; '
                               'newest task: running on stackops-swarm-3')


def test_swarm_forced_update_counts_as_a_new_spec():
    services, tasks, nodes = _stack()
    _service(services, 'demo_postgres')['Spec']['TaskTemplate']['ForceUpdate'] = 1
    assert _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_postgres')['ok'] is False


@pytest.mark.parametrize('state, message, suffix', [
    ('updating', 'update in progress', '; update in progress'),
    ('rollback_started', 'update rolled back due to failure or early termination of task x1',
     '; rolling back (update rolled back due to failure or early termination of task x1)'),
])
def test_swarm_update_in_progress_is_waited_for(state, message, suffix):
    services, tasks, nodes = _stack()
    _service(services, 'demo_api')['UpdateStatus'] = {'State': state, 'StartedAt': '2026-11-25T17:54:00Z', 'Message': message}
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_api')
    assert (item['ok'], item['final'], item['update_state']) == (False, False, state)
    assert item['problem'] == 'service demo_api (replicated): 2 of 2 running; newest task: running on stackops-swarm-3' + suffix


def test_swarm_completed_update_is_settled():
    services, tasks, nodes = _stack()
    _service(services, 'demo_api')['UpdateStatus'] = {'State': 'completed', 'Message': 'update completed'}
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_api')
    assert (item['ok'], item['update_state'], item['problem']) == (True, 'completed', None)


def _rolled_back(state='rollback_completed', message='rollback completed'):
    """demo_api after a deploy of app:1.1, whose healthcheck never passed: swarm rolled back to app:1.0."""
    services, tasks, nodes = _stack()
    api = _service(services, 'demo_api')
    api['UpdateStatus'] = {'State': state, 'StartedAt': '2026-11-25T17:54:00Z', 'CompletedAt': '2026-11-25T17:56:00Z',
                           'Message': message}
    tasks.append(_task_of(tasks, api, 'failed', WORKER_2, stamp='2026-11-25T17:54:40Z', err='task: non-zero exit (1)',
                          image='stackops-demo/app:1.1', desired='shutdown'))
    tasks.append(_task_of(tasks, api, 'failed', WORKER_3, stamp='2026-11-25T17:55:30Z', err='unhealthy container',
                          image='stackops-demo/app:1.1', desired='shutdown'))
    tasks.append(_task_of(tasks, api, 'shutdown', WORKER_3, stamp='2026-11-25T17:55:50Z', image='stackops-demo/app:1.1',
                          desired='shutdown'))
    return services, tasks, nodes


def test_swarm_rolled_back_update_fails_at_once_with_the_task_error():
    services, tasks, nodes = _rolled_back()
    evaluations, problems = evaluate_stack('demo', services, tasks, nodes)
    item = _only(evaluations, 'demo_api')
    assert (item['ok'], item['final'], item['update_state'], item['running']) == (False, True, 'rollback_completed', 2)
    assert item['problem'] == ('service demo_api: the update of demo_api was rolled back (rollback completed); '
                               'newest failed task: failed on stackops-swarm-3: unhealthy container')
    assert decide([], [], problems, evaluations) == 'failed'


def test_swarm_rolled_back_update_without_failed_task_left():
    services, tasks, nodes = _stack()
    _service(services, 'demo_api')['UpdateStatus'] = {'State': 'rollback_completed', 'Message': 'rollback completed'}
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_api')
    assert item['problem'] == ('service demo_api: the update of demo_api was rolled back (rollback completed); '
                               'no failed task left in the task history')


@pytest.mark.parametrize('state, what', [('paused', 'update'), ('rollback_paused', 'rollback')])
def test_swarm_paused_update_fails_at_once(state, what):
    services, tasks, nodes = _rolled_back(state, 'update paused due to failure or early termination of task abc')
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_api')
    assert (item['ok'], item['final'], item['update_state']) == (False, True, state)
    assert item['problem'] == ('service demo_api: the %s of demo_api is paused (update paused due to failure or early '
                               'termination of task abc); newest failed task: failed on stackops-swarm-3: unhealthy '
                               'container; resume or roll it back by hand' % what)


def test_swarm_job_completed_and_still_running():
    services, tasks, nodes = _stack()
    migrate = _service(services, 'demo_migrate')
    assert _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_migrate')['ok'] is True
    migrate['ServiceStatus'].update(RunningTasks=1, CompletedTasks=0)
    tasks = [t for t in tasks if t['ServiceID'] != migrate['ID']]
    tasks.append(_task_of(_swarm('manager_tasks'), migrate, 'running', WORKER_2, desired='complete'))
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_migrate')
    assert (item['ok'], item['final'], item['completed'], item['desired']) == (False, False, 0, 1)
    assert item['problem'] == 'service demo_migrate (replicated-job): 0 of 1 completed; newest task: running on stackops-swarm-2'


def test_swarm_failed_job_task_fails_at_once():
    services, tasks, nodes = _stack()
    migrate = _service(services, 'demo_migrate')
    migrate['ServiceStatus'].update(CompletedTasks=0)
    tasks = [t for t in tasks if t['ServiceID'] != migrate['ID']]
    tasks.append(_task_of(_swarm('manager_tasks'), migrate, 'failed', WORKER_2, err='task: non-zero exit (1)',
                          desired='complete'))
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_migrate')
    assert (item['ok'], item['final'], item['completed']) == (False, True, 0)
    assert item['problem'] == ('service demo_migrate (replicated-job): 0 of 1 completed; '
                               'a task failed: failed on stackops-swarm-2: task: non-zero exit (1)')


def test_swarm_failed_task_of_an_earlier_job_run_does_not_count():
    services, tasks, nodes = _stack()
    migrate = _service(services, 'demo_migrate')
    migrate['JobStatus']['JobIteration'] = {'Index': 2}
    migrate['ServiceStatus'].update(CompletedTasks=0)
    old = _task_of(_swarm('manager_tasks'), migrate, 'failed', WORKER_2, err='task: non-zero exit (1)', desired='complete')
    new = _task_of(_swarm('manager_tasks'), migrate, 'starting', WORKER_3, stamp='2026-11-25T17:56:00Z', desired='complete')
    new['JobIteration'] = {'Index': 2}
    tasks = [t for t in tasks if t['ServiceID'] != migrate['ID']] + [old, new]
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_migrate')
    assert (item['ok'], item['final']) == (False, False)
    assert item['problem'] == 'service demo_migrate (replicated-job): 0 of 1 completed; newest task: starting on stackops-swarm-3'


def test_swarm_global_job():
    service = {'ID': 'gjob', 'Spec': {'Name': 'demo_prune', 'Labels': {'com.docker.stack.namespace': 'demo'},
                                      'Mode': {'GlobalJob': {}}, 'TaskTemplate': {'ContainerSpec': {'Image': 'busybox'}}},
               'ServiceStatus': {'RunningTasks': 0, 'DesiredTasks': 3, 'CompletedTasks': 2}}
    item = evaluate_service(service, [], {})
    assert (item['mode'], item['desired'], item['completed'], item['ok'], item['final']) == ('global-job', 3, 2, False, False)
    assert item['problem'] == 'service demo_prune (global-job): 2 of 3 completed; no task yet'
    service['ServiceStatus']['CompletedTasks'] = 3
    assert evaluate_service(service, [], {})['ok'] is True
    service['ServiceStatus'].update(DesiredTasks=0, CompletedTasks=0)
    assert evaluate_service(service, [], {})['ok'] is False


def test_swarm_global_service_missing_on_a_node():
    services, tasks, nodes = _stack()
    web = _service(services, 'demo_web')
    web['ServiceStatus']['RunningTasks'] = 2
    tasks = [t for t in tasks if t['ID'] != 'mtm943b29gc67zlae8h4sz73m']
    tasks.append(_task_of(tasks, web, 'preparing', WORKER_3))
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_web')
    assert (item['ok'], item['desired'], item['running'], item['nodes']) == (
        False, 3, 2, ['stackops-swarm-1', 'stackops-swarm-2'])
    assert item['problem'] == 'service demo_web (global): 2 of 3 running; newest task: preparing on stackops-swarm-3'


def test_swarm_global_service_without_any_node_waits():
    services, tasks, nodes = _stack()
    web = _service(services, 'demo_web')
    web['ServiceStatus'].update(RunningTasks=0, DesiredTasks=0)
    tasks = [t for t in tasks if t['ServiceID'] != web['ID']]
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_web')
    assert (item['ok'], item['final'], item['desired']) == (False, False, 0)
    assert item['problem'] == ('service demo_web (global): no task wanted yet (no node that is ready, active and matches '
                               'its placement has one); no task yet')


def test_swarm_task_that_is_shutting_down_does_not_count():
    services, tasks, nodes = _stack()
    for task in tasks:
        if task['ID'] == 'v82qr85s7hw9prydl1cm7geq9':
            task['DesiredState'] = 'shutdown'  # its node went down: swarm places the replica elsewhere
    item = _only(evaluate_stack('demo', services, tasks, nodes)[0], 'demo_api')
    assert (item['ok'], item['running'], item['nodes']) == (False, 1, ['stackops-swarm-2'])


def test_swarm_empty_stack_fails_naming_it():
    evaluations, problems = evaluate_stack('demo', [], [], _swarm('manager_nodes'))
    assert evaluations == []
    assert problems == ['swarm stack demo has no services (none with label com.docker.stack.namespace=demo): '
                        'deploy it with docker stack deploy, or check the stack name']
    assert decide([], [], [], evaluations, problems) == 'failed'


def test_swarm_service_helpers():
    assert service_mode({'Mode': {}}) == 'replicated'
    assert evaluate_service({'ID': 'x', 'Spec': {'Name': 'demo_x', 'Mode': {'Replicated': {'Replicas': 0}}}}, [])['ok'] is True
    assert newest_task([]) is None
    assert task_state({}) == 'unknown'
    task = {'Status': {'State': 'rejected', 'Err': 'invalid mount config\n  for type "bind"'}, 'NodeID': 'abcdefabcdef123'}
    assert describe_task(task, {}) == 'newest task: rejected on abcdefabcdef: invalid mount config for type "bind"'
    assert describe_task(None, {}) == 'no task yet'
    assert runs_current_spec({'Spec': {'ContainerSpec': {'Image': 'a'}}}, {'ContainerSpec': {'Image': 'a'}, 'ForceUpdate': 0})
    assert not runs_current_spec({'Spec': {'ContainerSpec': {'Image': 'a', 'Env': ['X=1']}}}, {'ContainerSpec': {'Image': 'a'}})


@pytest.mark.parametrize('args, message', [
    (([], None, [], 120, 2, ' '), 'swarm_stack is empty'),
    ((['a'], None, [], 120, 2, 'demo'), 'swarm_stack demo cannot be combined with containers or compose_project'),
    (([], 'botstack', [], 120, 2, 'demo'), 'swarm_stack demo cannot be combined with containers or compose_project'),
])
def test_validate_options_swarm_stack(args, message):
    with pytest.raises(ValueError, match=message):
        validate_options(*args)


def test_validate_options_swarm_stack_alone_or_with_urls():
    assert validate_options([], None, [], 120, 2, 'demo') == []
    assert [spec['url'] for spec in validate_options([], None, [{'url': 'http://127.0.0.1/'}], 120, 2, 'demo')] == [
        'http://127.0.0.1/']


def test_wait_until_a_swarm_stack_settles():
    clock = FakeClock()
    services, tasks, nodes = _stack()
    starting = copy.deepcopy(services)
    _service(starting, 'demo_api')['UpdateStatus'] = {'State': 'updating', 'Message': 'update in progress'}
    answers = [evaluate_stack('demo', starting, tasks, nodes), evaluate_stack('demo', services, tasks, nodes)]
    calls = []

    def fetch_services():
        calls.append(1)
        return answers[min(len(calls), len(answers)) - 1]

    result = wait_until_healthy(lambda: ([], []), _urls_answering(200), [], timeout=60, interval=5,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall, fetch_services=fetch_services)
    assert (result['ok'], result['state'], result['rounds'], result['waited'], result['messages']) == (
        True, 'healthy', 2, 5.0, [])
    assert result['containers'] == []
    assert result['services'][0] == dict(name='demo_api', mode='replicated', desired=2, running=2, completed=0,
                                         update_state=None, nodes=['stackops-swarm-2', 'stackops-swarm-3'], ok=True,
                                         problem=None)


def test_wait_for_a_swarm_stack_times_out_with_every_problem():
    clock = FakeClock()
    services, tasks, nodes = _stack()
    _service(services, 'demo_api')['UpdateStatus'] = {'State': 'updating', 'Message': 'update in progress'}
    answer = evaluate_stack('demo', services, tasks, nodes)
    result = wait_until_healthy(lambda: ([], []), _urls_answering(502),
                                [normalise_url_spec({'url': 'http://127.0.0.1:8000/health'})], timeout=4, interval=2,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall, fetch_services=lambda: answer)
    assert (result['ok'], result['state'], result['rounds']) == (False, 'timeout', 3)
    assert result['messages'] == [
        'service demo_api (replicated): 2 of 2 running; newest task: running on stackops-swarm-3; update in progress',
        'http://127.0.0.1:8000/health answered 502, expected 200',
    ]
    assert failure_summary(result, 4) == 'not healthy within 4 s: ' + '; '.join(result['messages'])


def test_wait_for_a_rolled_back_stack_stops_at_once():
    clock = FakeClock()
    answer = evaluate_stack('demo', *_rolled_back())
    result = wait_until_healthy(lambda: ([], []), _urls_answering(200), [], timeout=300, interval=2,
                                clock=clock.clock, sleep=clock.sleep, wall=clock.wall, fetch_services=lambda: answer)
    assert (result['state'], result['rounds'], clock.sleeps) == ('failed', 1, [])
    assert failure_summary(result, 300) == (
        'not healthy, and waiting will not fix it: service demo_api: the update of demo_api was rolled back '
        '(rollback completed); newest failed task: failed on stackops-swarm-3: unhealthy container')


def _swarm_api(tmp_path, services, tasks, nodes):
    return FakeDockerAPI(str(tmp_path / 'docker.sock'), {
        '/services': (200, services), '/tasks': (200, tasks), '/nodes': (200, nodes)})


def test_check_health_swarm_stack_end_to_end(tmp_path, http_base):
    services, tasks, nodes = _stack()
    fake = _swarm_api(tmp_path, services, tasks, nodes)
    clock = FakeClock()
    try:
        result = check_health(swarm_stack=' demo ', urls=[{'url': http_base + '/ok'}], timeout=10, docker_socket=fake.path,
                              clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    finally:
        fake.close()
    assert (result['ok'], result['state'], result['rounds'], result['containers']) == (True, 'healthy', 1, [])
    assert [(s['name'], s['ok']) for s in result['services']] == [
        ('demo_api', True), ('demo_migrate', True), ('demo_postgres', True), ('demo_redis', True), ('demo_web', True)]
    targets = fake.targets()
    assert [urlsplit(t).path for t in targets] == ['/services', '/tasks', '/nodes']
    query = parse_qs(urlsplit(targets[0]).query)
    assert query['status'] == ['true']
    assert json.loads(query['filters'][0]) == {'label': ['com.docker.stack.namespace=demo']}
    assert json.loads(parse_qs(urlsplit(targets[1]).query)['filters'][0]) == {'service': sorted(s['ID'] for s in services)}


class _VanishedServiceAPI(FakeDockerAPI):
    """Answers 404 to GET /tasks with a service filter (a service was removed in between), and the whole list without."""

    def _answer(self, target):
        if target.startswith('/tasks?'):
            target = '/no-such-service'
        return FakeDockerAPI._answer(self, target)


def test_check_health_swarm_stack_reads_all_tasks_when_a_service_vanished(tmp_path):
    services, tasks, nodes = _stack()
    fake = _VanishedServiceAPI(str(tmp_path / 'docker.sock'), {
        '/services': (200, services), '/tasks': (200, tasks), '/nodes': (200, nodes)})
    clock = FakeClock()
    try:
        result = check_health(swarm_stack='demo', timeout=0, docker_socket=fake.path,
                              clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    finally:
        fake.close()
    assert (result['ok'], len(result['services'])) == (True, 5)
    assert [urlsplit(t).path + ('?' if '?' in t else '') for t in fake.targets()] == [
        '/services?', '/tasks?', '/tasks', '/nodes']


def test_check_health_swarm_stack_on_a_worker(tmp_path):
    fake = FakeDockerAPI(str(tmp_path / 'docker.sock'), {'/services': (503, _swarm('worker_services'))})
    try:
        with pytest.raises(NotSwarmManagerError) as excinfo:
            check_health(swarm_stack='demo', timeout=5, docker_socket=fake.path)
    finally:
        fake.close()
    assert str(excinfo.value) == (
        'swarm stack demo cannot be checked on this host: Docker on %s is not a swarm manager, and only a manager can '
        'list services and tasks (it answered HTTP 503: not a swarm manager); run health_check with swarm_stack on a '
        'manager, e.g. delegate_to the first host of the swarm managers group' % fake.path)
    assert excinfo.value.status == 503
    assert isinstance(excinfo.value, DockerAPIError)


def test_check_health_swarm_stack_leader_lost_is_not_reported_as_a_worker(tmp_path):
    fake = FakeDockerAPI(str(tmp_path / 'docker.sock'), {
        '/services': (503, {'message': 'rpc error: code = Unknown desc = The swarm does not have a leader.'})})
    try:
        with pytest.raises(DockerAPIError, match='with HTTP 503: .*does not have a leader') as excinfo:
            check_health(swarm_stack='demo', timeout=5, docker_socket=fake.path)
    finally:
        fake.close()
    assert not isinstance(excinfo.value, NotSwarmManagerError)


def test_check_health_swarm_stack_empty(tmp_path):
    fake = _swarm_api(tmp_path, [], [], _swarm('manager_nodes'))
    clock = FakeClock()
    try:
        result = check_health(swarm_stack='demo', timeout=60, docker_socket=fake.path,
                              clock=clock.clock, sleep=clock.sleep, wall=clock.wall)
    finally:
        fake.close()
    assert (result['ok'], result['state'], result['rounds'], result['services']) == (False, 'failed', 1, [])
    assert result['messages'] == ['swarm stack demo has no services (none with label com.docker.stack.namespace=demo): '
                                  'deploy it with docker stack deploy, or check the stack name']
    # no tasks are asked for when there is no service
    assert [urlsplit(t).path for t in fake.targets()] == ['/services', '/nodes']


def test_check_health_swarm_stack_needs_the_docker_socket(tmp_path):
    with pytest.raises(DockerAPIError, match='Docker socket %s not found: cannot check swarm stack demo' % (tmp_path / 'x.sock')):
        check_health(swarm_stack='demo', docker_socket=str(tmp_path / 'x.sock'))
