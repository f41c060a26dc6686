# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health of containers, swarm stack services and HTTP(S) endpoints: evaluate, decide, describe, and wait.

The evaluation of a container inspect document, of a swarm service with its tasks, of a
URL answer, the decision whether to go on waiting and the messages are plain functions
that take data and return data.
The polling loop takes its clock, sleep and fetch functions as arguments, so unit tests
run it instantly with a fake clock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import calendar
import os
import re
import socket
import ssl
import time

import http.client as http_client
from urllib import request as urllib_request
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit

from ansible_collections.stackops.hardened.plugins.module_utils.redact import MASK, scrub, split_userinfo
from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import (
    DockerAPIError,
    NotSwarmManagerError,
    inspect_container,
    list_containers,
    list_nodes,
    list_services,
    list_tasks,
)


COMPOSE_PROJECT_LABEL = 'com.docker.compose.project'
COMPOSE_ONEOFF_LABEL = 'com.docker.compose.oneoff'
STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace'
REQUEST_TIMEOUT = 10.0
BODY_LIMIT = 1024 * 1024
OUTPUT_LIMIT = 2000
MESSAGE_OUTPUT_LIMIT = 300
USER_AGENT = 'stackops.hardened.health_check'

# Names Docker accepts for containers, compose projects and swarm stacks, and container IDs.
_CONTAINER_NAME = re.compile(r'/?[A-Za-z0-9][A-Za-z0-9_.-]{0,254}')
_PROJECT_NAME = re.compile(r'[a-z0-9][a-z0-9_-]{0,62}')
_STACK_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,62}')
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")
MAX_TIMEOUT = 86400
MAX_INTERVAL = 3600


class HealthError(ValueError):
    """An option health_check cannot use; the message names the option and what is accepted, never a credential."""


# Restart policies under which Docker does not start an exited container again by itself.
_NO_RESTART = ('', 'no')

_TIMESTAMP = re.compile(r'([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,12}))?(Z|[+-][0-9]{2}:[0-9]{2})')
_SPACE = re.compile(r'\s+')

_PUBLIC_CONTAINER_KEYS = ('name', 'id', 'status', 'health', 'exit_code', 'last_output', 'unhealthy_for', 'ok', 'problem')
_PUBLIC_URL_KEYS = ('url', 'status', 'elapsed', 'error', 'ok', 'problem')
_PUBLIC_SERVICE_KEYS = ('name', 'mode', 'desired', 'running', 'completed', 'update_state', 'nodes', 'ok', 'problem')

# Swarm task states that end a task with an error, and update states (UpdateStatus.State).
_TASK_FAILED = ('failed', 'rejected')
_UPDATE_IN_PROGRESS = ('updating', 'rollback_started')
_UPDATE_PAUSED = ('paused', 'rollback_paused')
_MODES = (('Replicated', 'replicated'), ('Global', 'global'), ('ReplicatedJob', 'replicated-job'), ('GlobalJob', 'global-job'))


# ---------------------------------------------------------------- options

def _shown(value):
    """A value as a message may show it: short, and a URL's credentials masked."""
    if isinstance(value, str):
        return repr(scrub(value[:200], ()))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return 'a %s' % type(value).__name__


def validate_options(containers, compose_project, urls, timeout, interval, swarm_stack=None):
    """Check the options; return the URL specs normalised (see normalise_url_spec). Raises HealthError."""
    if swarm_stack is not None and (not isinstance(swarm_stack, str) or not _STACK_NAME.fullmatch(swarm_stack.strip())):
        if isinstance(swarm_stack, str) and not swarm_stack.strip():
            raise HealthError('swarm_stack is empty: give the stack name (the NAME of docker stack deploy), or leave it '
                              'out')
        raise HealthError('swarm_stack %s is not a stack name: letters, digits, _, . or - (at most 63)'
                          % _shown(swarm_stack))
    if swarm_stack and (containers or compose_project):
        raise HealthError('swarm_stack %s cannot be combined with containers or compose_project: the containers of a '
                          'swarm stack are tasks spread over its nodes; check them through swarm_stack alone'
                          % swarm_stack)
    if containers is not None and not isinstance(containers, (list, tuple)):
        raise HealthError('containers must be a list of container names, got %s' % type(containers).__name__)
    if urls is not None and not isinstance(urls, (list, tuple)):
        raise HealthError('urls must be a list of {url, status, body, ...}, got %s' % type(urls).__name__)
    if not containers and not compose_project and not urls and not swarm_stack:
        raise HealthError('nothing to check: give containers, compose_project or urls (or swarm_stack, on a swarm '
                          'manager)')
    for name in containers or []:
        if not isinstance(name, str) or not _CONTAINER_NAME.fullmatch(name.strip()):
            raise HealthError('container name %s is not valid: give the name or ID of a container (letters, digits, '
                              '_, . or -)' % _shown(name))
    if compose_project is not None:
        if not isinstance(compose_project, str) or not compose_project.strip():
            raise HealthError('compose_project is empty: give the compose project name, or leave it out')
        if not _PROJECT_NAME.fullmatch(compose_project.strip()):
            raise HealthError('compose_project %s is not a compose project name: lowercase letters, digits, _ or - '
                              '(at most 63)' % _shown(compose_project))
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 0 <= timeout <= MAX_TIMEOUT:
        raise HealthError('timeout %s is not valid: use whole seconds from 0 to %d' % (_shown(timeout), MAX_TIMEOUT))
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 < interval <= MAX_INTERVAL:
        raise HealthError('interval %s is not valid: use seconds > 0 and at most %d, e.g. 2'
                          % (_shown(interval), MAX_INTERVAL))
    return [normalise_url_spec(spec, index) for index, spec in enumerate(urls or [])]


def _headers(where, given):
    """Checked request headers: names are HTTP tokens, values text without line breaks. Never shows a value."""
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise HealthError('%s.headers must be a mapping of header names to values, got %s' % (where, type(given).__name__))
    headers = {}
    for key, value in given.items():
        if not isinstance(key, str) or not _HEADER_NAME.fullmatch(key):
            raise HealthError('%s.headers has a header name %s that is not an HTTP token (letters, digits and '
                              "!#$%%&'*+.^_`|~-)" % (where, _shown(key) if isinstance(key, str) else _shown(key)))
        if value is None:
            value = ''
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise HealthError('%s.headers.%s must be text, got %s (its value is not shown)'
                              % (where, key, type(value).__name__))
        value = str(value)
        if any(c in value for c in '\r\n\x00') or any(ord(c) > 255 for c in value):
            raise HealthError('%s.headers.%s holds a line break, a NUL or a character outside Latin-1 (its value is not '
                              'shown)' % (where, key))
        headers[key] = value
    return headers


def normalise_url_spec(spec, index=0):
    """A URL check as a dict with every key set, its body regex compiled and its TLS context built.

    Keys: url (shown: credentials masked), request_url (what is fetched: without userinfo, which
    becomes a Basic Authorization header), status, body, body_re (None when body is not a
    valid regex: then it is matched as plain text only), ca_path, validate_certs, host_header,
    headers, label (the shown URL, with the Host header when one is set), ssl_context (None for
    http), secrets (the strings no message may carry: the URL's userinfo and every header value).
    """
    where = 'urls[%d]' % index
    if not isinstance(spec, dict):
        raise HealthError('%s must be a dict with at least url, got %s' % (where, type(spec).__name__))
    url = spec.get('url')
    if not isinstance(url, str) or not url.strip():
        raise HealthError('%s.url is missing: give an http:// or https:// URL' % where)
    url = url.strip()
    request_url, user, password = split_userinfo(url)
    shown = scrub(url, ())
    secrets = [item for item in (user, password) if item]
    if any(c in url for c in ' \t\r\n\x00') or len(url) > 8192:
        raise HealthError('%s.url %s is not valid: a URL has no white space or NUL and is at most 8192 characters'
                          % (where, repr(shown[:200])))
    try:
        parts = urlsplit(request_url)
        port = parts.port
        hostname = parts.hostname
    except ValueError as exc:
        raise HealthError('%s.url %s does not parse (%s): give an http:// or https:// URL with a host and a port from '
                          '1 to 65535' % (where, repr(shown[:200]), scrub(str(exc), secrets))) from None
    if parts.scheme not in ('http', 'https') or not hostname:
        raise HealthError('%s.url %s is not valid: give an http:// or https:// URL with a host' % (where, repr(shown[:200])))
    if port is not None and not 1 <= port <= 65535:
        raise HealthError('%s.url %s has port %d: use a port from 1 to 65535' % (where, repr(shown[:200]), port))
    status = spec.get('status')
    if status is None:
        status = 200
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise HealthError('%s.status %s is not valid: use an HTTP status 100-599' % (where, _shown(status)))
    body = spec.get('body')
    body_re = None
    if body is not None:
        if not isinstance(body, (str, int, float)) or isinstance(body, bool):
            raise HealthError('%s.body must be text, got %s' % (where, type(body).__name__))
        body = str(body)
        try:
            body_re = re.compile(body)
        except (re.error, RecursionError, OverflowError):
            body_re = None
    headers = _headers(where, spec.get('headers'))
    secrets.extend(value for value in headers.values() if value)
    if (user or password) and not any(key.lower() == 'authorization' for key in headers):
        token = base64.b64encode(('%s:%s' % (unquote(user or ''), unquote(password or ''))).encode('utf-8')).decode('ascii')
        headers['Authorization'] = 'Basic %s' % token
        secrets.append(token)
    host_header = spec.get('host_header') or None
    if host_header is not None and (not isinstance(host_header, str) or any(c in host_header for c in ' \r\n\x00/')):
        raise HealthError('%s.host_header %s is not a host name (with an optional port)' % (where, _shown(host_header)))
    if host_header:
        headers['Host'] = host_header
    validate_certs = spec.get('validate_certs')
    if validate_certs is not None and not isinstance(validate_certs, bool):
        raise HealthError('%s.validate_certs must be true or false, got %s' % (where, _shown(validate_certs)))
    validate_certs = True if validate_certs is None else validate_certs
    ca_path = spec.get('ca_path') or None
    if ca_path is not None and (not isinstance(ca_path, str) or '\x00' in ca_path):
        raise HealthError('%s.ca_path must be the path of a PEM CA bundle, got %s' % (where, _shown(ca_path)))
    ssl_context = None
    if parts.scheme == 'https':
        ssl_context = build_ssl_context(ca_path, validate_certs, where)
    elif ca_path and not os.path.isfile(ca_path):
        raise HealthError('%s.ca_path %s does not exist or is not a file' % (where, ca_path))
    label = shown if not host_header else '%s (Host: %s)' % (shown, host_header)
    return dict(url=shown, request_url=request_url, status=status, body=body, body_re=body_re, ca_path=ca_path,
                validate_certs=validate_certs, host_header=host_header, headers=headers, label=label,
                ssl_context=ssl_context, secrets=secrets)


def url_credentials(urls):
    """The credentials in the urls option (userinfo of each URL, header values): strings no output may carry."""
    found = []
    for spec in urls if isinstance(urls, (list, tuple)) else []:
        if not isinstance(spec, dict):
            continue
        if isinstance(spec.get('url'), str):
            dummy, user, password = split_userinfo(spec['url'])
            found.extend(item for item in (user, password) if item)
        headers = spec.get('headers')
        if isinstance(headers, dict):
            found.extend(str(value) for value in headers.values() if isinstance(value, (str, int, float)) and str(value))
    return found


def redact_params(params):
    """The module arguments as the returned invocation shows them: URL credentials and header values masked."""
    redacted = dict(params)
    urls = []
    for spec in params.get('urls') or []:
        if isinstance(spec, dict):
            spec = dict(spec)
            if isinstance(spec.get('url'), str):
                spec['url'] = scrub(spec['url'], ())
            if isinstance(spec.get('headers'), dict):
                spec['headers'] = dict((key, MASK) for key in spec['headers'])
        urls.append(spec)
    redacted['urls'] = urls
    return redacted


def build_ssl_context(ca_path=None, validate_certs=True, where='urls'):
    """A client TLS context: verification against only `ca_path` when given, the system CAs otherwise, or none."""
    if not validate_certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_path and not os.path.isfile(ca_path):
        raise HealthError('%s.ca_path %s does not exist or is not a file' % (where, ca_path))
    try:
        return ssl.create_default_context(cafile=ca_path)
    except (ssl.SSLError, OSError) as exc:
        raise HealthError('%s.ca_path %s is not a readable PEM CA bundle: %s' % (where, ca_path, exc)) from exc


# ---------------------------------------------------------------- containers

def parse_docker_time(text):
    """Seconds since the epoch from Docker's RFC 3339 timestamps (nanoseconds, Z or offset); None for zero/unknown."""
    match = _TIMESTAMP.fullmatch(text) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if year <= 1:
        return None
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] and hour < 24 and minute < 60
            and second <= 60):
        return None
    value = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    if match.group(7):
        value += float('0.' + match.group(7))
    zone = match.group(8)
    if zone != 'Z':
        if int(zone[1:3]) > 14 or int(zone[4:6]) > 59:
            return None
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


# ---------------------------------------------------------------- swarm stack services

def service_mode(spec):
    """'replicated', 'global', 'replicated-job' or 'global-job' from a service spec (Docker's default: replicated)."""
    mode = (spec or {}).get('Mode') or {}
    for key, name in _MODES:
        if key in mode:
            return name
    return 'replicated'


def task_state(task):
    """The state a task is in (Status.State: new, pending, starting, running, complete, failed, rejected, shutdown …)."""
    return str(((task or {}).get('Status') or {}).get('State') or 'unknown').lower()


def _task_order(task):
    status = task.get('Status') or {}
    when = parse_docker_time(status.get('Timestamp')) or parse_docker_time(task.get('UpdatedAt')) or 0.0
    return (when, (task.get('Version') or {}).get('Index') or 0)


def newest_task(tasks):
    """The task whose status changed last (Status.Timestamp, then Version.Index), or None."""
    tasks = list(tasks or [])
    return max(tasks, key=_task_order) if tasks else None


def runs_current_spec(task, template):
    """True when a task was made from the service's current task template (same container spec, same force counter).

    Swarm copies the template into every task it creates, so a task of an older spec
    (the image or the environment before an update) differs in its ContainerSpec.
    """
    spec = (task or {}).get('Spec') or {}
    template = template or {}
    return ((spec.get('ContainerSpec') or {}) == (template.get('ContainerSpec') or {})
            and (spec.get('ForceUpdate') or 0) == (template.get('ForceUpdate') or 0))


def _job_iteration(document):
    return ((document or {}).get('JobIteration') or {}).get('Index') or 0


def _where(task, hostnames):
    node = task.get('NodeID')
    if not node:
        return 'not placed on a node'
    return 'on %s' % (hostnames.get(node) or node[:12])


def describe_task(task, hostnames, what='newest task'):
    """'newest task: starting on node-2', with its error when it has one; 'no task yet' without a task."""
    if task is None:
        return 'no task yet'
    text = '%s: %s %s' % (what, task_state(task), _where(task, hostnames))
    error = _trim(_SPACE.sub(' ', (task.get('Status') or {}).get('Err') or ''), MESSAGE_OUTPUT_LIMIT)
    if error:
        text += ': %s' % error
    return text


def _failed_task_clause(tasks, hostnames):
    failed = newest_task(t for t in tasks if task_state(t) in _TASK_FAILED)
    if failed is None:
        failed = newest_task(t for t in tasks if (t.get('Status') or {}).get('Err'))
    if failed is None:
        return 'no failed task left in the task history'
    return describe_task(failed, hostnames, 'newest failed task')


def _desired(spec, mode, status):
    mode_spec = (spec.get('Mode') or {})
    if mode == 'replicated':
        replicas = (mode_spec.get('Replicated') or {}).get('Replicas')
        return 1 if replicas is None else int(replicas)
    if mode == 'replicated-job':
        job = mode_spec.get('ReplicatedJob') or {}
        return int(job.get('TotalCompletions') or job.get('MaxConcurrent') or 1)
    return int(status.get('DesiredTasks') or 0)


def job_retries(template):
    """How many failed tasks a job may leave before Swarm gives up: its restart policy's MaxAttempts when it restarts on
    failure (0 without a policy, or with condition none; unlimited attempts count as one retry per check round)."""
    policy = template.get('RestartPolicy') or {}
    if not policy or policy.get('Condition') == 'none':
        return 0
    attempts = int(policy.get('MaxAttempts') or 0)
    return attempts if attempts > 0 else 1 << 30


def evaluate_service(service, tasks, hostnames=None, rollbacks_before=None):
    """What one swarm service (an item of GET /services?status=true) and its tasks (GET /tasks) say.

    `hostnames` maps node ID to host name (GET /nodes). A service is settled when:
    replicated: as many running tasks (desired state running) as replicas, all of the
    current spec; global: one running task of the current spec on every node swarm
    wants one on (ServiceStatus.DesiredTasks, at least one); job: at least as many
    completed tasks as completions wanted. An update in progress (updating,
    rollback_started) is waited for; a paused update, a rolled back update and a failed
    job task are final. Returns a dict: name, mode, desired, running, completed,
    update_state, nodes (host names of the nodes with a running task), ok, final,
    problem (one line, or None).

    `rollbacks_before` (seconds since the epoch): a rollback completed before it is history
    (the deploy that follows it may rightly change nothing), and the service is judged on
    its tasks alone.
    """
    hostnames = hostnames or {}
    spec = service.get('Spec') or {}
    name = spec.get('Name') or (service.get('ID') or '')[:12]
    mode = service_mode(spec)
    template = spec.get('TaskTemplate') or {}
    status = service.get('ServiceStatus') or {}
    update = service.get('UpdateStatus') or {}
    update_state = update.get('State') or None
    update_message = _trim(_SPACE.sub(' ', update.get('Message') or ''), MESSAGE_OUTPUT_LIMIT) or 'no message'
    own = [task for task in tasks or [] if task.get('ServiceID') == service.get('ID')]
    live = [task for task in own if task_state(task) == 'running' and task.get('DesiredState') == 'running']
    stale = [task for task in live if not runs_current_spec(task, template)]
    desired = _desired(spec, mode, status)
    job = mode.endswith('-job')
    iteration = _job_iteration(service.get('JobStatus'))
    job_tasks = [task for task in own if _job_iteration(task) == iteration] if job else []
    if 'CompletedTasks' in status:
        completed = int(status.get('CompletedTasks') or 0)
    else:
        completed = len([task for task in job_tasks if task_state(task) == 'complete'])
    result = dict(
        name=name, mode=mode, desired=desired, running=len(live), completed=completed, update_state=update_state,
        nodes=sorted(set(hostnames.get(task['NodeID']) or task['NodeID'][:12] for task in live if task.get('NodeID'))),
        ok=False, final=False, problem=None,
    )
    head = 'service %s (%s)' % (name, mode)
    if update_state == 'rollback_completed' and rollbacks_before is not None:
        finished = parse_docker_time(update.get('CompletedAt'))
        if finished is not None and finished < rollbacks_before:
            update_state = None
    if update_state == 'rollback_completed':
        result['final'] = True
        result['problem'] = 'service %s: the update of %s was rolled back (%s); %s' % (
            name, name, update_message, _failed_task_clause(own, hostnames))
        return result
    if update_state in _UPDATE_PAUSED:
        what = 'rollback' if update_state == 'rollback_paused' else 'update'
        result['final'] = True
        result['problem'] = 'service %s: the %s of %s is paused (%s); %s; resume or roll it back by hand' % (
            name, what, name, update_message, _failed_task_clause(own, hostnames))
        return result
    if job:
        if desired > 0 and completed >= desired:
            result['ok'] = True
            return result
        failures = [task for task in job_tasks if task_state(task) in _TASK_FAILED]
        failed = newest_task(failures)
        if failed is not None and len(failures) > job_retries(template):
            result['final'] = True
            result['problem'] = '%s: %d of %d completed; %s' % (
                head, completed, desired, describe_task(failed, hostnames, 'a task failed'))
            return result
        result['problem'] = '%s: %d of %d completed; %s' % (
            head, completed, desired, describe_task(newest_task(job_tasks or own), hostnames))
        return result
    counted = status.get('RunningTasks', len(live))
    on_nodes = len(set(task.get('NodeID') for task in live))
    settled = (len(live) == desired and counted == desired and not stale and update_state not in _UPDATE_IN_PROGRESS
               and (mode != 'global' or (desired > 0 and on_nodes == desired)))
    if settled:
        result['ok'] = True
        return result
    if mode == 'global' and desired == 0:
        problem = '%s: no task wanted yet (no node that is ready, active and matches its placement has one); %s' % (
            head, describe_task(newest_task(own), hostnames))
    else:
        problem = '%s: %d of %d running' % (head, len(live), desired)
        if stale:
            problem += ', %d of them on the previous spec' % len(stale)
        problem += '; %s' % describe_task(newest_task(own), hostnames)
    if update_state == 'updating':
        problem += '; update in progress'
    elif update_state == 'rollback_started':
        problem += '; rolling back (%s)' % update_message
    result['problem'] = problem
    return result


def evaluate_stack(stack, services, tasks, nodes, rollbacks_before=None):
    """Every service of a swarm stack judged by evaluate_service, by name; and the stack's own problems.

    `services`, `tasks` and `nodes` are the lists of GET /services?status=true, GET /tasks
    and GET /nodes; services are those whose label com.docker.stack.namespace is `stack`.
    Returns (evaluations, problems): a stack without services is a problem, and it is
    final (docker stack deploy creates every service before it returns).
    """
    hostnames = {}
    for node in nodes or []:
        if node.get('ID'):
            hostnames[node['ID']] = ((node.get('Description') or {}).get('Hostname')) or node['ID'][:12]
    own = [service for service in services or []
           if (((service.get('Spec') or {}).get('Labels') or {}).get(STACK_NAMESPACE_LABEL)) == stack]
    evaluations = sorted((evaluate_service(service, tasks, hostnames, rollbacks_before=rollbacks_before)
                          for service in own), key=lambda item: item['name'])
    problems = []
    if not own:
        problems.append('swarm stack %s has no services (none with label %s=%s): deploy it with docker stack deploy, '
                        'or check the stack name' % (stack, STACK_NAMESPACE_LABEL, stack))
    return evaluations, problems


def not_manager_message(stack, docker_socket):
    """Why a swarm stack cannot be checked where the module runs, and where to run it instead."""
    return ('swarm stack %s cannot be checked on this host: Docker on %s is not a swarm manager, and only a manager can '
            'list services and tasks (it answered HTTP 503: not a swarm manager); run health_check with swarm_stack on a '
            'manager, e.g. delegate_to the first host of the swarm managers group' % (stack, docker_socket))


def read_stack(stack, docker_socket, rollbacks_before=None):
    """GET the services of a swarm stack, their tasks and the nodes, and evaluate them (see evaluate_stack).

    Raises NotSwarmManagerError (with not_manager_message) on a worker or a node outside any swarm.
    """
    try:
        services = list_services(socket_path=docker_socket, labels=['%s=%s' % (STACK_NAMESPACE_LABEL, stack)], status=True)
        ids = [service['ID'] for service in services if service.get('ID')]
        tasks = []
        if ids:
            try:
                tasks = list_tasks(socket_path=docker_socket, filters={'service': ids})
            except DockerAPIError as exc:
                if exc.status != 404:
                    raise
                tasks = list_tasks(socket_path=docker_socket)  # a service went away between the two requests
        nodes = list_nodes(socket_path=docker_socket)
    except NotSwarmManagerError as exc:
        raise NotSwarmManagerError(not_manager_message(stack, docker_socket), status=exc.status) from exc
    return evaluate_stack(stack, services, tasks, nodes, rollbacks_before=rollbacks_before)


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
    request = urllib_request.Request(spec.get('request_url') or spec['url'], headers=headers, method='GET')
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
        error = scrub(describe_error(exc, timeout), spec.get('secrets') or ())
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
    secrets = spec.get('secrets') or ()
    return dict(url=spec['url'], status=status, elapsed=result.get('elapsed'), error=scrub(error, secrets),
                ok=problem is None, problem=scrub(problem, secrets))


# ---------------------------------------------------------------- deciding and waiting

def decide(containers, urls, problems=(), services=(), final_problems=()):
    """'healthy' when everything is ok, 'failed' when a container or service has a problem waiting cannot fix, else 'waiting'.

    `problems` keep the check waiting; `final_problems` (a swarm stack without services) fail it.
    """
    if (not problems and not final_problems and all(item['ok'] for item in containers)
            and all(item['ok'] for item in services) and all(item['ok'] for item in urls)):
        return 'healthy'
    if final_problems or any(not item['ok'] and item.get('final') for item in list(containers) + list(services)):
        return 'failed'
    return 'waiting'


def compose_messages(containers, urls, problems=(), services=()):
    """Every problem, one line each: containers first, then swarm services, then the project or stack, then URLs."""
    lines = [item['problem'] for item in containers if item.get('problem')]
    lines.extend(item['problem'] for item in services if item.get('problem'))
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
                       clock=time.monotonic, sleep=time.sleep, wall=time.time, fetch_services=None):
    """Poll until every container is healthy, every swarm service settled and every URL answers as expected, or stop.

    `fetch_containers()` returns (entries, problems) as gather_containers does;
    `fetch_services()` (optional) returns (evaluations, final problems) as evaluate_stack
    does; `fetch(spec, timeout)` returns a dict as fetch_url does. Stops when all is
    well, when a container or service has a problem that waiting cannot fix (the other
    items are then reported as they were in that round), or at `timeout` seconds (one
    last round runs at the deadline). Returns a dict: ok, state (healthy, failed or
    timeout), containers, services, urls (public fields only), messages, waited
    (seconds), rounds.
    """
    started = clock()
    deadline = started + timeout
    unhealthy_seen = {}
    rounds = 0
    while True:
        rounds += 1
        entries, problems = fetch_containers()
        services, stack_problems = fetch_services() if fetch_services is not None else ([], [])
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
        state = decide(containers, urls, problems, services, stack_problems)
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
        services=[dict((key, item[key]) for key in _PUBLIC_SERVICE_KEYS) for item in services],
        urls=[dict((key, item[key]) for key in _PUBLIC_URL_KEYS) for item in urls],
        messages=compose_messages(containers, urls, list(problems) + list(stack_problems), services),
        waited=round(clock() - started, 1),
        rounds=rounds,
    )


def check_health(containers=None, compose_project=None, urls=None, timeout=120, interval=2.0,
                 docker_socket='/var/run/docker.sock', clock=time.monotonic, sleep=time.sleep, wall=time.time,
                 swarm_stack=None, rollbacks_before=None):
    """Validate the options, then wait as wait_until_healthy does, reading Docker from `docker_socket`.

    `rollbacks_before` is a Docker timestamp (RFC 3339): swarm rollbacks completed before it
    are not failures. Raises HealthError when it cannot be read.

    Raises HealthError for bad options and DockerAPIError when containers or a swarm stack
    are asked for and the Docker Engine API cannot be read (NotSwarmManagerError when the
    stack is asked of a node that is not a swarm manager).
    """
    url_specs = validate_options(containers, compose_project, urls, timeout, interval, swarm_stack=swarm_stack)
    names = [name.strip() for name in containers or []]
    project = compose_project.strip() if compose_project is not None else None
    stack = swarm_stack.strip() if swarm_stack is not None else None
    before = None
    if rollbacks_before is not None and rollbacks_before != '':
        if not isinstance(rollbacks_before, str):
            raise HealthError('rollbacks_before %s does not parse as a time; give one such as 2026-11-25T18:00:00Z '
                              '(RFC 3339, UTC or with an offset)' % _shown(rollbacks_before))
        before = parse_docker_time(rollbacks_before.strip())
        if before is None:
            raise HealthError('rollbacks_before %s does not parse as a time; give one such as 2026-11-25T18:00:00Z '
                              '(RFC 3339, UTC or with an offset)' % _shown(rollbacks_before))

    if names or project or stack:
        if not os.path.exists(docker_socket):
            asked = ', '.join(names + (['compose project %s' % project] if project else [])
                              + (['swarm stack %s' % stack] if stack else []))
            raise DockerAPIError('Docker socket %s not found: cannot check %s' % (docker_socket, asked))

    if names or project:
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

    fetch_services = None
    if stack:
        def fetch_services():
            return read_stack(stack, docker_socket, rollbacks_before=before)

    return wait_until_healthy(fetch_containers, fetch_url, url_specs, timeout, interval,
                              clock=clock, sleep=sleep, wall=wall, fetch_services=fetch_services)
