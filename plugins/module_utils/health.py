# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health of containers and HTTP(S) endpoints: evaluate, decide, describe, and wait.

The evaluation of a container inspect document, of a URL answer, the decision whether
to go on waiting and the messages are plain functions that take data and return data.
The polling loop takes its clock, sleep and fetch functions as arguments, so unit tests
run it instantly with a fake clock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import os
import re
import socket
import ssl
import time

import http.client as http_client
from urllib import request as urllib_request
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import (
    DockerAPIError,
    inspect_container,
    list_containers,
)


COMPOSE_PROJECT_LABEL = 'com.docker.compose.project'
COMPOSE_ONEOFF_LABEL = 'com.docker.compose.oneoff'
REQUEST_TIMEOUT = 10.0
BODY_LIMIT = 1024 * 1024
OUTPUT_LIMIT = 2000
MESSAGE_OUTPUT_LIMIT = 300
USER_AGENT = 'stackops.hardened.health_check'

# Restart policies under which Docker does not start an exited container again by itself.
_NO_RESTART = ('', 'no')

_TIMESTAMP = re.compile(r'^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$')
_SPACE = re.compile(r'\s+')

_PUBLIC_CONTAINER_KEYS = ('name', 'id', 'status', 'health', 'exit_code', 'last_output', 'unhealthy_for', 'ok', 'problem')
_PUBLIC_URL_KEYS = ('url', 'status', 'elapsed', 'error', 'ok', 'problem')


# ---------------------------------------------------------------- options

def validate_options(containers, compose_project, urls, timeout, interval):
    """Check the options; return the URL specs normalised (see normalise_url_spec). Raises ValueError."""
    if not containers and not compose_project and not urls:
        raise ValueError('nothing to check: give containers, compose_project or urls')
    for name in containers or []:
        if not isinstance(name, str) or not name.strip():
            raise ValueError('container name %r is not valid: give the name or ID of a container' % (name,))
    if compose_project is not None and not str(compose_project).strip():
        raise ValueError('compose_project is empty: give the compose project name, or leave it out')
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise ValueError('timeout %r is not valid: use whole seconds >= 0' % (timeout,))
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
        raise ValueError('interval %r is not valid: use seconds > 0, e.g. 2' % (interval,))
    return [normalise_url_spec(spec, index) for index, spec in enumerate(urls or [])]


def normalise_url_spec(spec, index=0):
    """A URL check as a dict with every key set, its body regex compiled and its TLS context built.

    Keys: url, status, body, body_re (None when body is not a valid regex: then it is
    matched as plain text only), ca_path, validate_certs, host_header, headers, label
    (the URL, with the Host header when one is set), ssl_context (None for http).
    """
    where = 'urls[%d]' % index
    if not isinstance(spec, dict):
        raise ValueError('%s must be a dict with at least url, got %r' % (where, spec))
    url = spec.get('url')
    if not isinstance(url, str) or not url.strip():
        raise ValueError('%s.url is missing: give an http:// or https:// URL' % where)
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ValueError('%s.url %r is not valid: give an http:// or https:// URL with a host' % (where, url))
    status = spec.get('status')
    if status is None:
        status = 200
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError('%s.status %r is not valid: use an HTTP status 100-599' % (where, status))
    body = spec.get('body')
    body_re = None
    if body is not None:
        body = str(body)
        try:
            body_re = re.compile(body)
        except re.error:
            body_re = None
    headers = {}
    for key, value in (spec.get('headers') or {}).items():
        headers[str(key)] = '' if value is None else str(value)
    host_header = spec.get('host_header') or None
    if host_header:
        headers['Host'] = host_header
    validate_certs = spec.get('validate_certs')
    validate_certs = True if validate_certs is None else bool(validate_certs)
    ca_path = spec.get('ca_path') or None
    ssl_context = None
    if parts.scheme == 'https':
        ssl_context = build_ssl_context(ca_path, validate_certs, where)
    elif ca_path and not os.path.isfile(ca_path):
        raise ValueError('%s.ca_path %s does not exist or is not a file' % (where, ca_path))
    label = url if not host_header else '%s (Host: %s)' % (url, host_header)
    return dict(url=url, status=status, body=body, body_re=body_re, ca_path=ca_path, validate_certs=validate_certs,
                host_header=host_header, headers=headers, label=label, ssl_context=ssl_context)


def build_ssl_context(ca_path=None, validate_certs=True, where='urls'):
    """A client TLS context: verification against only `ca_path` when given, the system CAs otherwise, or none."""
    if not validate_certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_path and not os.path.isfile(ca_path):
        raise ValueError('%s.ca_path %s does not exist or is not a file' % (where, ca_path))
    try:
        return ssl.create_default_context(cafile=ca_path)
    except (ssl.SSLError, OSError) as exc:
        raise ValueError('%s.ca_path %s is not a readable PEM CA bundle: %s' % (where, ca_path, exc)) from exc


# ---------------------------------------------------------------- containers

def parse_docker_time(text):
    """Seconds since the epoch from Docker's RFC 3339 timestamps (nanoseconds, Z or offset); None for zero/unknown."""
    match = _TIMESTAMP.match(text or '')
    if not match:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if year <= 1:
        return None
    value = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    if match.group(7):
        value += float('0.' + match.group(7))
    zone = match.group(8)
    if zone != 'Z':
        offset = int(zone[1:3]) * 3600 + int(zone[4:6]) * 60
        value -= offset if zone[0] == '+' else -offset
    return float(value)


def _log_entries(health):
    entries = [entry for entry in (health or {}).get('Log') or [] if isinstance(entry, dict)]
    return sorted(entries, key=lambda entry: parse_docker_time(entry.get('Start')) or 0.0)


def _trim(text, limit):
    text = (text or '').strip()
    if len(text) > limit:
        text = text[:limit].rstrip() + '...'
    return text


def _extrapolate_streak(since, failing, streak, started):
    """When the failing streak is longer than Docker's short log, move `since` back by the missing checks.

    `failing` holds the failing log entries, newest first. The spacing of the checks is
    taken from the log; the result is never before the container started.
    """
    if since is None or not isinstance(streak, int) or streak <= len(failing) or len(failing) < 2:
        return since
    newest = parse_docker_time(failing[0].get('Start'))
    if newest is None or newest <= since:
        return since
    spacing = (newest - since) / (len(failing) - 1)
    since -= spacing * (streak - len(failing))
    if started is not None:
        since = max(since, started)
    return since


def evaluate_container(name, document, now, allow_completed=False):
    """What one container inspect document (GET /containers/{id}/json) says about its health.

    `name` is what was asked for (used when `document` is None: the container does not
    exist); `now` is the wall clock in seconds since the epoch; `allow_completed` accepts
    a one-shot container that exited with code 0 and is not restarted (a migration of a
    compose project). Returns a dict: name, id, status, health (healthy, unhealthy,
    starting, or None without a healthcheck), exit_code, last_output, unhealthy_for
    (seconds since the first failing check of the current streak; when the streak is
    longer than Docker's log of the last five checks, estimated from the spacing of the
    checks; None unless unhealthy), started_for, restart_count, restart_policy,
    oom_killed, error, ok, final (the problem cannot go away without someone acting),
    problem (None; set by the caller with container_message).
    """
    if not document:
        return dict(name=name, id=None, status='missing', health=None, exit_code=None, last_output=None,
                    unhealthy_for=None, started_for=None, restart_count=0, restart_policy=None, oom_killed=False,
                    error=None, ok=False, final=False, problem=None)
    state = document.get('State') or {}
    status = state.get('Status') or ('running' if state.get('Running') else 'unknown')
    health = state.get('Health') or None
    health_status = (health or {}).get('Status') or None
    if health_status == 'none':
        health_status = None
    log = _log_entries(health)
    last_output = _trim(log[-1].get('Output'), OUTPUT_LIMIT) if log else None
    started = parse_docker_time(state.get('StartedAt'))
    restart_policy = ((document.get('HostConfig') or {}).get('RestartPolicy') or {}).get('Name') or ''
    exit_code = state.get('ExitCode')
    result = dict(
        name=(document.get('Name') or '').lstrip('/') or name,
        id=(document.get('Id') or '')[:12] or None,
        status=status,
        health=health_status,
        exit_code=exit_code,
        last_output=last_output,
        unhealthy_for=None,
        started_for=round(max(0.0, now - started), 1) if started is not None and status == 'running' else None,
        restart_count=document.get('RestartCount') or 0,
        restart_policy=restart_policy,
        oom_killed=bool(state.get('OOMKilled')),
        error=(state.get('Error') or '').strip() or None,
        ok=False,
        final=False,
        problem=None,
    )
    if status == 'running':
        if health_status is None:
            result['final'] = True
        elif health_status == 'healthy':
            result['ok'] = True
        elif health_status == 'unhealthy':
            failing = []
            for entry in reversed(log):
                if entry.get('ExitCode') == 0:
                    break
                failing.append(entry)
            since = None
            if failing:
                since = parse_docker_time(failing[-1].get('Start')) or parse_docker_time(failing[-1].get('End'))
                since = _extrapolate_streak(since, failing, (health or {}).get('FailingStreak'), started)
            result['unhealthy_for'] = round(max(0.0, now - since), 1) if since is not None else 0.0
    elif status in ('exited', 'dead'):
        completed = status == 'exited' and exit_code == 0 and restart_policy in _NO_RESTART + ('on-failure',)
        if allow_completed and completed:
            result['ok'] = True
        elif status == 'dead' or restart_policy in _NO_RESTART or (restart_policy == 'on-failure' and exit_code == 0):
            result['final'] = True
    return result


def _output_clause(evaluation):
    output = evaluation.get('last_output')
    if not output:
        return 'no check has finished yet' if evaluation.get('health') == 'starting' else 'no check output'
    return 'last check output: %s' % _trim(_SPACE.sub(' ', output), MESSAGE_OUTPUT_LIMIT)


def container_message(evaluation):
    """One line naming what is wrong with a container, or None when it is fine."""
    if evaluation['ok']:
        return None
    name = evaluation['name']
    status = evaluation['status']
    code = evaluation.get('exit_code')
    if status == 'missing':
        return 'container %s does not exist' % name
    if status == 'running':
        health = evaluation.get('health')
        if health is None:
            return 'container %s is running but has no healthcheck: declare one that tests the service' % name
        if health == 'unhealthy':
            return 'container %s unhealthy for %d s; %s' % (name, evaluation.get('unhealthy_for') or 0, _output_clause(evaluation))
        if health == 'starting':
            after = ''
            if evaluation.get('started_for') is not None:
                after = ' %d s after it started' % evaluation['started_for']
            return 'container %s still starting%s (no healthcheck has passed yet); %s' % (name, after, _output_clause(evaluation))
        return 'container %s reports health %r' % (name, health)
    if status == 'exited':
        message = 'container %s exited with code %s' % (name, code)
        if evaluation.get('oom_killed'):
            message += ' (killed: out of memory)'
        if evaluation.get('restart_policy') in _NO_RESTART:
            message += '; restart policy "no", so Docker will not start it again'
    elif status == 'restarting':
        message = 'container %s is restarting (last exit code %s, restarted %d times)' % (
            name, code, evaluation.get('restart_count') or 0)
    elif status == 'dead':
        message = 'container %s is dead (exit code %s)' % (name, code)
    elif status == 'created':
        message = 'container %s was created but has not been started' % name
    elif status == 'paused':
        message = 'container %s is paused' % name
    elif status == 'removing':
        message = 'container %s is being removed' % name
    else:
        message = 'container %s is %s' % (name, status)
    if evaluation.get('error'):
        message += '; error: %s' % evaluation['error']
    return message


def gather_containers(names, project, inspect, list_project):
    """Inspect documents of the named containers and of every container of a compose project.

    `inspect(name_or_id)` returns an inspect document or None; `list_project(project)`
    returns the summaries of GET /containers/json?all=1 for the project label. Returns
    (entries, problems): entries are dicts name, document (None when missing),
    allow_completed (True for project containers); problems are lines for what has no
    container to name (a project without containers).
    """
    entries = []
    seen = set()
    for name in names or []:
        document = inspect(name)
        if document and document.get('Id'):
            seen.add(document['Id'])
        entries.append(dict(name=name, document=document, allow_completed=False))
    problems = []
    if project:
        summaries = []
        for summary in list_project(project) or []:
            labels = summary.get('Labels') or {}
            if labels.get(COMPOSE_ONEOFF_LABEL) == 'True':
                continue  # `docker compose run` containers are not part of the service set
            summaries.append(summary)
        found = []
        for summary in summaries:
            if summary.get('Id') in seen:
                continue
            document = inspect(summary.get('Id'))
            if not document:
                continue  # removed between the list and the inspect
            seen.add(summary.get('Id'))
            found.append(dict(name=(document.get('Name') or '').lstrip('/') or summary.get('Id')[:12],
                              document=document, allow_completed=True))
        entries.extend(sorted(found, key=lambda entry: entry['name']))
        if not summaries:
            problems.append('compose project %s has no containers (none with label %s=%s)'
                            % (project, COMPOSE_PROJECT_LABEL, project))
    return entries, problems


# ---------------------------------------------------------------- URLs

class _HTTPSConnection(http_client.HTTPSConnection):
    """HTTPS whose SNI and certificate name check use `server_hostname` (the Host header) instead of the URL host."""

    def __init__(self, host, server_hostname=None, **kwargs):
        http_client.HTTPSConnection.__init__(self, host, **kwargs)
        self._server_hostname = server_hostname
        self._tls_context = kwargs.get('context')

    def connect(self):
        if not self._server_hostname:
            http_client.HTTPSConnection.connect(self)
            return
        http_client.HTTPConnection.connect(self)
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_hostname)


class _HTTPSHandler(urllib_request.HTTPSHandler):
    def __init__(self, context, server_hostname):
        urllib_request.HTTPSHandler.__init__(self, context=context)
        self._tls_context = context
        self._server_hostname = server_hostname

    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req, context=self._tls_context, server_hostname=self._server_hostname)


class _NoRedirect(urllib_request.HTTPRedirectHandler):
    """Redirects are answers to check (HTTP -> HTTPS answers 301), not to follow."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _tls_name(host_header):
    """The host name of a Host header value, without its port."""
    host = host_header.strip()
    if host.startswith('['):
        return host[1:host.index(']')] if ']' in host else host[1:]
    if host.count(':') == 1:
        return host.split(':', 1)[0]
    return host


def describe_error(exc, timeout):
    """A short lower-case description of why a request got no HTTP answer."""
    if isinstance(exc, URLError) and not isinstance(exc, HTTPError):
        exc = exc.reason
    if isinstance(exc, ssl.SSLCertVerificationError):
        return 'certificate verify failed (%s)' % (exc.verify_message or exc.reason or exc)
    if isinstance(exc, ssl.SSLError):
        return 'TLS handshake failed (%s)' % (exc.reason or exc)
    if isinstance(exc, socket.timeout) or (isinstance(exc, OSError) and 'timed out' in str(exc)):
        return 'no answer within %g s' % timeout
    if isinstance(exc, socket.gaierror):
        return 'cannot resolve the host name (%s)' % (exc.strerror or exc)
    if isinstance(exc, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(exc, ConnectionResetError):
        return 'connection reset'
    if isinstance(exc, http_client.RemoteDisconnected):
        return 'connection closed without an answer'
    if isinstance(exc, http_client.HTTPException):
        return 'invalid HTTP answer (%s: %s)' % (type(exc).__name__, exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def fetch_url(spec, timeout=REQUEST_TIMEOUT):
    """GET one URL spec (from normalise_url_spec) once, without proxies and without following redirects.

    Returns a dict: status (int, or None without an HTTP answer), body (text, at most 1 MiB),
    error (None, or why there was no answer), elapsed (seconds).
    """
    handlers = [urllib_request.ProxyHandler({}), _NoRedirect()]
    if spec.get('ssl_context') is not None:
        server_hostname = _tls_name(spec['host_header']) if spec.get('host_header') else None
        handlers.append(_HTTPSHandler(spec['ssl_context'], server_hostname))
    opener = urllib_request.build_opener(*handlers)
    headers = dict(spec.get('headers') or {})
    if not any(key.lower() == 'user-agent' for key in headers):
        headers['User-Agent'] = USER_AGENT
    request = urllib_request.Request(spec['url'], headers=headers, method='GET')
    status = None
    body = b''
    error = None
    started = time.monotonic()
    try:
        response = opener.open(request, timeout=timeout)
        try:
            status = response.getcode()
            body = response.read(BODY_LIMIT)
        finally:
            response.close()
    except HTTPError as exc:
        status = exc.code
        try:
            body = exc.read(BODY_LIMIT) or b''
        except (OSError, http_client.HTTPException, AttributeError):
            body = b''
        finally:
            exc.close()
    except (URLError, OSError, http_client.HTTPException, ValueError) as exc:
        error = describe_error(exc, timeout)
    return dict(status=status, body=body.decode('utf-8', 'replace'), error=error,
                elapsed=round(time.monotonic() - started, 3))


def body_matches(spec, text):
    """True when the body contains spec['body'] as text or its regular expression finds a match."""
    if spec.get('body') is None:
        return True
    text = text or ''
    if spec['body'] in text:
        return True
    return bool(spec.get('body_re') is not None and spec['body_re'].search(text))


def evaluate_url(spec, result):
    """One URL answer judged against its spec: url, status, elapsed, error, ok, problem (a line, or None)."""
    label = spec.get('label') or spec['url']
    status = result.get('status')
    error = result.get('error')
    problem = None
    if error or status is None:
        problem = '%s: %s' % (label, error or 'no answer')
    elif status != spec['status']:
        problem = '%s answered %d, expected %d' % (label, status, spec['status'])
    elif not body_matches(spec, result.get('body')):
        start = _trim(_SPACE.sub(' ', result.get('body') or ''), 120) or '(empty)'
        problem = '%s answered %d but the body does not match %r; body starts: %s' % (label, status, spec['body'], start)
    return dict(url=spec['url'], status=status, elapsed=result.get('elapsed'), error=error,
                ok=problem is None, problem=problem)


# ---------------------------------------------------------------- deciding and waiting

def decide(containers, urls, problems=()):
    """'healthy' when everything is ok, 'failed' when a container has a problem waiting cannot fix, else 'waiting'."""
    if not problems and all(item['ok'] for item in containers) and all(item['ok'] for item in urls):
        return 'healthy'
    if any(not item['ok'] and item.get('final') for item in containers):
        return 'failed'
    return 'waiting'


def compose_messages(containers, urls, problems=()):
    """Every problem, one line each: containers first, then the project, then URLs."""
    lines = [item['problem'] for item in containers if item.get('problem')]
    lines.extend(problems)
    lines.extend(item['problem'] for item in urls if item.get('problem'))
    return lines


def failure_summary(result, timeout):
    """The module's failure message: why it stopped, then every problem."""
    if result['state'] == 'failed':
        why = 'not healthy, and waiting will not fix it'
    else:
        why = 'not healthy within %d s' % timeout
    return '%s: %s' % (why, '; '.join(result['messages']))


def request_timeout(remaining):
    """Seconds one HTTP request may take: what is left of the wait, between 1 and REQUEST_TIMEOUT."""
    return max(1.0, min(REQUEST_TIMEOUT, remaining))


def wait_until_healthy(fetch_containers, fetch, url_specs, timeout, interval,
                       clock=time.monotonic, sleep=time.sleep, wall=time.time):
    """Poll until every container is healthy and every URL answers as expected, or stop.

    `fetch_containers()` returns (entries, problems) as gather_containers does;
    `fetch(spec, timeout)` returns a dict as fetch_url does. Stops when all is well, when
    a container has a problem that waiting cannot fix (the other items are then reported
    as they were in that round), or at `timeout` seconds (one last round runs at the
    deadline). Returns a dict: ok, state (healthy, failed or timeout), containers, urls
    (public fields only), messages, waited (seconds), rounds.
    """
    started = clock()
    deadline = started + timeout
    unhealthy_seen = {}
    rounds = 0
    while True:
        rounds += 1
        entries, problems = fetch_containers()
        now = clock()
        today = wall()
        containers = []
        for entry in entries:
            evaluation = evaluate_container(entry['name'], entry.get('document'), today, entry.get('allow_completed', False))
            key = evaluation['id'] or evaluation['name']
            if evaluation['health'] == 'unhealthy' and evaluation['status'] == 'running':
                first = unhealthy_seen.setdefault(key, now)
                evaluation['unhealthy_for'] = round(max(evaluation['unhealthy_for'] or 0.0, now - first), 1)
            else:
                unhealthy_seen.pop(key, None)
            evaluation['problem'] = container_message(evaluation)
            containers.append(evaluation)
        urls = [evaluate_url(spec, fetch(spec, request_timeout(deadline - clock()))) for spec in url_specs]
        state = decide(containers, urls, problems)
        now = clock()
        if state != 'waiting':
            break
        if now >= deadline:
            state = 'timeout'
            break
        sleep(min(interval, deadline - now))
    return dict(
        ok=state == 'healthy',
        state=state,
        containers=[dict((key, item[key]) for key in _PUBLIC_CONTAINER_KEYS) for item in containers],
        urls=[dict((key, item[key]) for key in _PUBLIC_URL_KEYS) for item in urls],
        messages=compose_messages(containers, urls, problems),
        waited=round(clock() - started, 1),
        rounds=rounds,
    )


def check_health(containers=None, compose_project=None, urls=None, timeout=120, interval=2.0,
                 docker_socket='/var/run/docker.sock', clock=time.monotonic, sleep=time.sleep, wall=time.time):
    """Validate the options, then wait as wait_until_healthy does, reading Docker from `docker_socket`.

    Raises ValueError for bad options and DockerAPIError when containers are asked for
    and the Docker Engine API cannot be read.
    """
    names = [str(name).strip() for name in containers or []]
    project = str(compose_project).strip() if compose_project is not None else None
    url_specs = validate_options(names, project, urls, timeout, interval)

    if names or project:
        if not os.path.exists(docker_socket):
            asked = ', '.join(names + (['compose project %s' % project] if project else []))
            raise DockerAPIError('Docker socket %s not found: cannot check %s' % (docker_socket, asked))

        def inspect(name):
            return inspect_container(name, socket_path=docker_socket)

        def list_project(name):
            return list_containers(socket_path=docker_socket, all_containers=True,
                                   labels=['%s=%s' % (COMPOSE_PROJECT_LABEL, name)])

        def fetch_containers():
            return gather_containers(names, project, inspect, list_project)
    else:
        def fetch_containers():
            return [], []

    return wait_until_healthy(fetch_containers, fetch_url, url_specs, timeout, interval,
                              clock=clock, sleep=sleep, wall=wall)
