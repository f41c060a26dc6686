# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small read-only client of the Docker Engine API on its unix socket.

http.client over AF_UNIX, JSON in and out; no Docker SDK. Every failure is a
DockerAPIError whose message names the socket, the request and what went wrong.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import json
import socket

import http.client as http_client
from urllib.parse import quote, urlencode


DOCKER_SOCKET = '/var/run/docker.sock'


class DockerAPIError(Exception):
    """The Docker socket exists but the Engine API could not be read.

    `status` is the HTTP status of the answer, or None when there was no answer.
    """

    def __init__(self, message, status=None):
        super(DockerAPIError, self).__init__(message)
        self.status = status


class NotSwarmManagerError(DockerAPIError):
    """The Engine answered 503 to a cluster request: this node is a swarm worker, or not in a swarm at all."""


class UnixHTTPConnection(http_client.HTTPConnection):
    """HTTP over a unix stream socket, for the Docker Engine API."""

    def __init__(self, path, timeout):
        http_client.HTTPConnection.__init__(self, 'localhost', timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.unix_path)
        except Exception:
            sock.close()
            raise
        self.sock = sock


# The name sockets.py has always used; tests patch its connect().
_UnixHTTPConnection = UnixHTTPConnection


def docker_api_get(path, socket_path=DOCKER_SOCKET, timeout=10.0):
    """GET `path` from the Docker Engine API on a unix socket and return the decoded JSON."""
    connection = UnixHTTPConnection(socket_path, timeout)
    try:
        try:
            connection.request('GET', path, headers={'Host': 'docker', 'Accept': 'application/json'})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http_client.HTTPException, ValueError, TypeError, OverflowError) as exc:
            hint = ''
            if getattr(exc, 'errno', None) in (errno.EACCES, errno.EPERM):
                hint = ': run as root or as a member of the docker group (become: true)'
            raise DockerAPIError('cannot read the Docker Engine API on %s (GET %s): %s%s' % (socket_path, path, exc, hint)) from exc
    finally:
        connection.close()
    if response.status != 200:
        raise DockerAPIError('Docker Engine API on %s answered GET %s with HTTP %d: %s'
                             % (socket_path, path, response.status, body[:300].decode('utf-8', 'replace').strip()),
                             status=response.status)
    try:
        return json.loads(body.decode('utf-8'))
    except ValueError as exc:
        raise DockerAPIError('Docker Engine API on %s answered GET %s with invalid JSON: %s' % (socket_path, path, exc),
                             status=response.status) from exc


def containers_path(all_containers=False, labels=None):
    """The request path of GET /containers/json, optionally with stopped containers and label filters.

    `labels` is a list of 'key=value' or 'key' strings; a container must carry all of them.
    """
    query = []
    if all_containers:
        query.append(('all', '1'))
    if labels:
        query.append(('filters', json.dumps({'label': list(labels)}, sort_keys=True, separators=(',', ':'))))
    if not query:
        return '/containers/json'
    return '/containers/json?' + urlencode(query)


def list_containers(socket_path=DOCKER_SOCKET, all_containers=False, labels=None, timeout=10.0):
    """The JSON list of GET /containers/json (running only unless `all_containers`)."""
    path = containers_path(all_containers, labels)
    containers = docker_api_get(path, socket_path=socket_path, timeout=timeout)
    if not isinstance(containers, list):
        raise DockerAPIError('Docker Engine API on %s answered GET %s with %s, expected a list'
                             % (socket_path, path, type(containers).__name__), status=200)
    return containers


def inspect_container(name_or_id, socket_path=DOCKER_SOCKET, timeout=10.0):
    """The inspect document of one container (GET /containers/{id}/json), or None when there is no such container."""
    path = '/containers/%s/json' % quote(str(name_or_id).lstrip('/'), safe='')
    try:
        document = docker_api_get(path, socket_path=socket_path, timeout=timeout)
    except DockerAPIError as exc:
        if exc.status == 404:
            return None
        raise
    if not isinstance(document, dict):
        raise DockerAPIError('Docker Engine API on %s answered GET %s with %s, expected an object'
                             % (socket_path, path, type(document).__name__), status=200)
    return document


# ---------------------------------------------------------------- swarm (manager only)

def _filters(filters):
    """The JSON of a `filters` query value, keys and values sorted so a request path is stable."""
    return json.dumps(dict((key, sorted(str(value) for value in values)) for key, values in filters.items()),
                      sort_keys=True, separators=(',', ':'))


def api_path(base, query=None, filters=None):
    """`base` with its query: `query` is a list of (name, value); `filters` maps a filter name to its values."""
    query = list(query or [])
    if filters:
        query.append(('filters', _filters(filters)))
    if not query:
        return base
    return base + '?' + urlencode(query)


def is_not_manager_answer(exc):
    """True when a DockerAPIError is the 503 a swarm worker (or a node outside any swarm) gives to cluster requests."""
    return getattr(exc, 'status', None) == 503 and 'not a swarm manager' in str(exc)


def _swarm_list(path, socket_path, timeout):
    try:
        answer = docker_api_get(path, socket_path=socket_path, timeout=timeout)
    except DockerAPIError as exc:
        if is_not_manager_answer(exc):
            raise NotSwarmManagerError(str(exc), status=exc.status) from exc
        raise
    if not isinstance(answer, list):
        raise DockerAPIError('Docker Engine API on %s answered GET %s with %s, expected a list'
                             % (socket_path, path, type(answer).__name__), status=200)
    return answer


def services_path(labels=None, status=True):
    """The request path of GET /services, with ServiceStatus (`status`) and label filters ('key=value' or 'key')."""
    return api_path('/services', [('status', 'true')] if status else [], {'label': labels} if labels else None)


def list_services(socket_path=DOCKER_SOCKET, labels=None, status=True, timeout=10.0):
    """The JSON list of GET /services; only a swarm manager answers (NotSwarmManagerError otherwise)."""
    return _swarm_list(services_path(labels, status), socket_path, timeout)


def list_tasks(socket_path=DOCKER_SOCKET, filters=None, timeout=10.0):
    """The JSON list of GET /tasks; `filters` maps a filter name (service, node, desired-state …) to its values."""
    return _swarm_list(api_path('/tasks', filters=filters), socket_path, timeout)


def list_nodes(socket_path=DOCKER_SOCKET, timeout=10.0):
    """The JSON list of GET /nodes (a swarm manager only)."""
    return _swarm_list('/nodes', socket_path, timeout)


def info(socket_path=DOCKER_SOCKET, timeout=10.0):
    """The document of GET /info (Swarm.LocalNodeState, Swarm.ControlAvailable …)."""
    document = docker_api_get('/info', socket_path=socket_path, timeout=timeout)
    if not isinstance(document, dict):
        raise DockerAPIError('Docker Engine API on %s answered GET /info with %s, expected an object'
                             % (socket_path, type(document).__name__), status=200)
    return document


def swarm_role(document):
    """'manager', 'worker' or None (not in an active swarm) from a GET /info document."""
    swarm = (document or {}).get('Swarm') or {}
    if swarm.get('LocalNodeState') != 'active':
        return None
    return 'manager' if swarm.get('ControlAvailable') else 'worker'
