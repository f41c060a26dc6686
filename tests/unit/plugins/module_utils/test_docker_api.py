# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Docker Engine API client, against a fake Engine API served on a unix socket in tmp_path."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import socket
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils import docker_api
from ansible_collections.stackops.hardened.plugins.module_utils import sockets as sockets_mod
from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import (
    DockerAPIError,
    NotSwarmManagerError,
    api_path,
    containers_path,
    docker_api_get,
    info,
    inspect_container,
    is_not_manager_answer,
    list_containers,
    list_nodes,
    list_services,
    list_tasks,
    services_path,
    swarm_role,
)


class FakeDockerAPI(object):
    """An HTTP/1.1 server on a unix socket: routes map a request path to (status, JSON-able body or raw bytes).

    Serves one request per connection, as many connections as come, until close().
    """

    def __init__(self, path, routes):
        self.path = path
        self.routes = routes
        self.requests = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(8)
        self.server.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn = self.server.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                request = b''
                while b'\r\n\r\n' not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    request += chunk
                self.requests.append(request)
                target = request.split(b' ', 2)[1].decode('ascii') if request.count(b' ') >= 2 else ''
                conn.sendall(self._answer(target))

    def _answer(self, target):
        route = urlsplit(target).path
        status, body = self.routes.get(route, (404, {'message': 'No such container: %s' % route}))
        if callable(body):
            body = body(target)
        if not isinstance(body, bytes):
            body = json.dumps(body).encode('utf-8')
        head = 'HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % (status, len(body))
        return head.encode('ascii') + body

    def targets(self):
        return [request.split(b' ', 2)[1].decode('ascii') for request in self.requests]

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.server.close()


@pytest.fixture
def fake_docker(tmp_path):
    servers = []

    def start(routes):
        server = FakeDockerAPI(str(tmp_path / ('docker%d.sock' % len(servers))), routes)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_sockets_uses_the_shared_client():
    assert sockets_mod.DockerAPIError is DockerAPIError
    assert sockets_mod._UnixHTTPConnection is docker_api.UnixHTTPConnection  # pylint: disable=protected-access
    assert sockets_mod.docker_api_get is docker_api_get


@pytest.mark.parametrize('all_containers, labels, expected', [
    (False, None, '/containers/json'),
    (True, None, '/containers/json?all=1'),
    (True, ['com.docker.compose.project=botstack'],
     '/containers/json?all=1&filters=%7B%22label%22%3A%5B%22com.docker.compose.project%3Dbotstack%22%5D%7D'),
    (False, ['a=1', 'b'], '/containers/json?filters=%7B%22label%22%3A%5B%22a%3D1%22%2C%22b%22%5D%7D'),
])
def test_containers_path(all_containers, labels, expected):
    assert containers_path(all_containers, labels) == expected


def test_list_containers_sends_filters(fake_docker):
    summaries = [{'Id': 'abc', 'Names': ['/botstack-api-1']}]
    fake = fake_docker({'/containers/json': (200, summaries)})
    assert list_containers(fake.path, all_containers=True, labels=['com.docker.compose.project=botstack'], timeout=5) == summaries
    query = parse_qs(urlsplit(fake.targets()[0]).query)
    assert query['all'] == ['1']
    assert json.loads(query['filters'][0]) == {'label': ['com.docker.compose.project=botstack']}
    assert fake.requests[0].startswith(b'GET /containers/json?all=1&filters=')
    assert b'\r\nHost: docker\r\n' in fake.requests[0]


def test_list_containers_refuses_non_list(fake_docker):
    fake = fake_docker({'/containers/json': (200, {'message': 'odd'})})
    with pytest.raises(DockerAPIError, match=r'answered GET /containers/json with dict, expected a list'):
        list_containers(fake.path, timeout=5)


def test_inspect_container(fake_docker):
    document = {'Id': 'f00d' * 16, 'Name': '/botstack-api-1', 'State': {'Status': 'running'}}
    fake = fake_docker({'/containers/botstack-api-1/json': (200, document)})
    assert inspect_container('botstack-api-1', fake.path, timeout=5) == document
    assert inspect_container('/botstack-api-1', fake.path, timeout=5) == document
    assert fake.targets() == ['/containers/botstack-api-1/json'] * 2


def test_inspect_container_quotes_the_name(fake_docker):
    fake = fake_docker({})
    assert inspect_container('a b/../c', fake.path, timeout=5) is None
    assert fake.targets() == ['/containers/a%20b%2F..%2Fc/json']


def test_inspect_missing_container_is_none(fake_docker):
    fake = fake_docker({})
    assert inspect_container('nothing', fake.path, timeout=5) is None


@pytest.mark.parametrize('status, body, match', [
    (500, {'message': 'daemon is shutting down'}, r'answered GET /containers/x/json with HTTP 500: .*shutting down'),
    (200, b'<html>', r'answered GET /containers/x/json with invalid JSON'),
    (200, ['not', 'an', 'object'], r'answered GET /containers/x/json with list, expected an object'),
])
def test_inspect_container_bad_answers(fake_docker, status, body, match):
    fake = fake_docker({'/containers/x/json': (status, body)})
    with pytest.raises(DockerAPIError, match=match) as excinfo:
        inspect_container('x', fake.path, timeout=5)
    assert excinfo.value.status == status


def test_dead_socket(tmp_path):
    path = str(tmp_path / 'd.sock')
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()
    with pytest.raises(DockerAPIError, match='cannot read the Docker Engine API on %s \\(GET /containers/json\\)' % path) as excinfo:
        list_containers(path, timeout=5)
    assert excinfo.value.status is None


def test_permission_hint(tmp_path, monkeypatch):
    def refuse(self):
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(docker_api.UnixHTTPConnection, 'connect', refuse)
    with pytest.raises(DockerAPIError, match='run as root or as a member of the docker group'):
        inspect_container('x', str(tmp_path / 'd.sock'))


# ---------------------------------------------------------------- swarm

SWARM_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'swarm')


def _swarm(name):
    with open(os.path.join(SWARM_FIXTURES, name + '.json'), encoding='utf-8') as handle:
        return json.load(handle)


@pytest.mark.parametrize('labels, status, expected', [
    (None, True, '/services?status=true'),
    (None, False, '/services'),
    (['com.docker.stack.namespace=demo'], True,
     '/services?status=true&filters=%7B%22label%22%3A%5B%22com.docker.stack.namespace%3Ddemo%22%5D%7D'),
])
def test_services_path(labels, status, expected):
    assert services_path(labels, status) == expected


def test_api_path_sorts_filter_values():
    assert api_path('/tasks', filters={'service': ['b', 'a']}) == '/tasks?filters=%7B%22service%22%3A%5B%22a%22%2C%22b%22%5D%7D'
    assert api_path('/nodes') == '/nodes'


def test_list_services_tasks_nodes_and_info_on_a_manager(fake_docker):
    services = _swarm('manager_services_status_true')
    tasks = _swarm('manager_tasks')
    nodes = _swarm('manager_nodes')
    manager = _swarm('manager_info')
    fake = fake_docker({'/services': (200, services), '/tasks': (200, tasks), '/nodes': (200, nodes), '/info': (200, manager)})
    assert list_services(fake.path, labels=['com.docker.stack.namespace=demo'], timeout=5) == services
    assert list_tasks(fake.path, filters={'service': ['zgywkbv7ows39xhdhz7ods4s2']}, timeout=5) == tasks
    assert list_tasks(fake.path, timeout=5) == tasks
    assert list_nodes(fake.path, timeout=5) == nodes
    assert info(fake.path, timeout=5) == manager
    targets = fake.targets()
    assert json.loads(parse_qs(urlsplit(targets[0]).query)['filters'][0]) == {'label': ['com.docker.stack.namespace=demo']}
    assert parse_qs(urlsplit(targets[0]).query)['status'] == ['true']
    assert json.loads(parse_qs(urlsplit(targets[1]).query)['filters'][0]) == {'service': ['zgywkbv7ows39xhdhz7ods4s2']}
    assert targets[2:] == ['/tasks', '/nodes', '/info']
    assert swarm_role(manager) == 'manager'


def test_swarm_role():
    assert swarm_role(_swarm('worker_info')) == 'worker'
    assert swarm_role({'Swarm': {'LocalNodeState': 'inactive', 'ControlAvailable': False}}) is None
    assert swarm_role({'Swarm': {'LocalNodeState': 'pending', 'ControlAvailable': True}}) is None
    assert swarm_role({}) is None


@pytest.mark.parametrize('call', [
    lambda path: list_services(path, timeout=5),
    lambda path: list_tasks(path, timeout=5),
    lambda path: list_nodes(path, timeout=5),
])
def test_a_worker_is_not_a_manager(fake_docker, call):
    refusal = _swarm('worker_services')
    fake = fake_docker({'/services': (503, refusal), '/tasks': (503, refusal), '/nodes': (503, refusal)})
    with pytest.raises(NotSwarmManagerError, match='with HTTP 503: .*This node is not a swarm manager') as excinfo:
        call(fake.path)
    assert excinfo.value.status == 503
    assert is_not_manager_answer(excinfo.value)


def test_other_503_is_a_plain_error(fake_docker):
    fake = fake_docker({'/services': (503, {'message': 'The swarm does not have a leader.'})})
    with pytest.raises(DockerAPIError, match='does not have a leader') as excinfo:
        list_services(fake.path, timeout=5)
    assert not isinstance(excinfo.value, NotSwarmManagerError)
    assert not is_not_manager_answer(excinfo.value)


def test_swarm_lists_and_info_refuse_odd_answers(fake_docker):
    fake = fake_docker({'/nodes': (200, {'message': 'odd'}), '/info': (200, ['odd'])})
    with pytest.raises(DockerAPIError, match=r'answered GET /nodes with dict, expected a list'):
        list_nodes(fake.path, timeout=5)
    with pytest.raises(DockerAPIError, match=r'answered GET /info with list, expected an object'):
        info(fake.path, timeout=5)
