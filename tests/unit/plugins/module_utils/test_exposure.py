# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import NotSwarmManagerError
from ansible_collections.stackops.hardened.plugins.module_utils.exposure import (
    assess_exposure,
    compare_policy,
    describe_owner,
    format_port_list,
    judge_exposure,
    merge_exposure,
    merge_ingress,
    normalise_ingress_ports,
    parse_port_spec,
    parse_port_specs,
    read_swarm_ingress,
    swarm_ingress_ports,
)
from ansible_collections.stackops.hardened.plugins.module_utils.sockets import docker_published_ports
from ansible_collections.stackops.hardened.tests.unit.plugins.module_utils.test_docker_api import FakeDockerAPI


def sock(proto, address, port, process=None, pid=None, family=None):
    entry = dict(proto=proto, address=address, port=port, inode=pid or 0, process=process, pid=pid)
    if family:
        entry['family'] = family
    return entry


def published(proto, address, port, container, container_port=None):
    return dict(proto=proto, address=address, port=port, container=container, container_port=container_port or port)


SOCKETS = [
    sock('tcp', '0.0.0.0', 22, 'sshd', 601, 4),
    sock('tcp', '::', 22, 'sshd', 601, 6),
    sock('tcp', '127.0.0.53', 53, 'systemd-resolve', 420, 4),
    sock('udp', '127.0.0.53', 53, 'systemd-resolve', 420, 4),
    sock('udp', '0.0.0.0', 68, 'dhclient', 390, 4),
    sock('tcp', '127.0.0.1', 5432, 'postgres', 700, 4),
    sock('tcp', '0.0.0.0', 6379, 'docker-proxy', 1290, 4),
    sock('tcp', '::', 6379, 'docker-proxy', 1297, 6),
    sock('tcp', '0.0.0.0', 80, 'nginx', 900, 4),
    sock('tcp', '0.0.0.0', 80, 'nginx', 901, 4),
    sock('tcp', '0.0.0.0', 443, 'nginx', 900, 4),
    sock('tcp', '10.0.0.5', 9100, 'node_exporter', 812, 4),
    sock('tcp', '::ffff:127.0.0.1', 9090, 'prometheus', 1500, 6),
    sock('tcp', '0.0.0.0', 8080, None, None, 4),
]

DOCKER = [
    published('tcp', '0.0.0.0', 6379, 'botstack-redis-1'),
    published('tcp', '::', 6379, 'botstack-redis-1'),
    published('tcp', '0.0.0.0', 8080, 'botstack-api-1', 8000),
    published('tcp', '0.0.0.0', 5433, 'botstack-db-1', 5432),
    published('tcp', '127.0.0.1', 18000, 'botstack-admin-1', 8000),
]


def _find(rows, **wanted):
    return [row for row in rows if all(row[k] == v for k, v in wanted.items())]


def test_merge_table_shape_and_order():
    rows = merge_exposure(SOCKETS, DOCKER)
    assert all(set(row) == {'proto', 'family', 'address', 'scope', 'port', 'process', 'pid', 'container', 'source'} for row in rows)
    assert [(r['port'], r['proto']) for r in rows] == sorted((r['port'], r['proto']) for r in rows)
    assert len(rows) == len(SOCKETS) + 2  # 5433 and 18000 have no socket (userland-proxy off)
    assert _find(rows, port=22, family=6)[0] == dict(
        proto='tcp', family=6, address='::', scope='all', port=22, process='sshd', pid=601, container=None, source='socket')


def test_merge_attaches_containers():
    rows = merge_exposure(SOCKETS, DOCKER)
    redis = _find(rows, port=6379)
    assert [(r['address'], r['container'], r['source']) for r in redis] == [
        ('0.0.0.0', 'botstack-redis-1', 'socket'),
        ('::', 'botstack-redis-1', 'socket'),
    ]
    # a socket whose owner is not visible still matches a published port on the same address
    assert _find(rows, port=8080)[0]['container'] == 'botstack-api-1'
    # published ports no socket accounts for become rows of their own
    assert _find(rows, port=5433) == [dict(proto='tcp', family=4, address='0.0.0.0', scope='all', port=5433, process=None,
                                           pid=None, container='botstack-db-1', source='docker')]
    assert _find(rows, port=18000)[0]['scope'] == 'loopback'
    assert _find(rows, port=9090)[0]['scope'] == 'loopback'
    assert _find(rows, port=9100)[0]['scope'] == 'specific'


def test_merge_docker_proxy_on_other_family():
    """Older Docker: one dual-stack docker-proxy on [::] for a port published on 0.0.0.0."""
    rows = merge_exposure([sock('tcp', '::', 3000, 'docker-proxy', 2000, 6)], [published('tcp', '0.0.0.0', 3000, 'grafana')])
    assert len(rows) == 1
    assert rows[0]['container'] == 'grafana'
    assert rows[0]['source'] == 'socket'


def test_merge_does_not_guess_for_other_processes():
    """nginx on [::]:80 (ipv6only) is not the container Docker publishes on 0.0.0.0:80."""
    rows = merge_exposure([sock('tcp', '::', 80, 'nginx', 900, 6)], [published('tcp', '0.0.0.0', 80, 'web')])
    assert [(r['address'], r['process'], r['container'], r['source']) for r in rows] == [
        ('0.0.0.0', None, 'web', 'docker'),
        ('::', 'nginx', None, 'socket'),
    ]


def test_merge_without_docker_and_family_inference():
    rows = merge_exposure([dict(proto='udp', address='::', port=5353, inode=1)])
    assert rows == [dict(proto='udp', family=6, address='::', scope='all', port=5353, process=None, pid=None, container=None,
                         source='socket')]
    assert not merge_exposure([], None)


def test_compare_policy_messages():
    rows = merge_exposure(SOCKETS, DOCKER)
    offenders, messages = compare_policy(rows, [22, '80', '443/tcp'])
    assert messages == [
        '68/udp listens on 0.0.0.0 (process dhclient, pid 390); allowed off loopback: 22, 80, 443',
        '5433/tcp listens on 0.0.0.0 (container botstack-db-1); allowed off loopback: 22, 80, 443',
        '6379/tcp listens on 0.0.0.0 (container botstack-redis-1); allowed off loopback: 22, 80, 443',
        '6379/tcp listens on :: (container botstack-redis-1); allowed off loopback: 22, 80, 443',
        '8080/tcp listens on 0.0.0.0 (container botstack-api-1); allowed off loopback: 22, 80, 443',
        '9100/tcp listens on 10.0.0.5 (process node_exporter, pid 812); allowed off loopback: 22, 80, 443',
    ]
    assert [(o['port'], o['proto'], o['address']) for o in offenders] == [
        (68, 'udp', '0.0.0.0'), (5433, 'tcp', '0.0.0.0'), (6379, 'tcp', '0.0.0.0'), (6379, 'tcp', '::'),
        (8080, 'tcp', '0.0.0.0'), (9100, 'tcp', '10.0.0.5'),
    ]


def test_compare_policy_process_example():
    rows = merge_exposure([sock('tcp', '0.0.0.0', 6379, 'redis-server', 812, 4)])
    offenders, messages = compare_policy(rows, ['22', '80', '443'])
    assert messages == ['6379/tcp listens on 0.0.0.0 (process redis-server, pid 812); allowed off loopback: 22, 80, 443']
    assert offenders[0]['process'] == 'redis-server'


def test_compare_policy_udp_and_tcp_are_distinct():
    rows = merge_exposure([sock('udp', '0.0.0.0', 53, 'unbound', 10, 4), sock('tcp', '0.0.0.0', 53, 'unbound', 10, 4)])
    offenders, messages = compare_policy(rows, ['53/udp'])
    assert [(o['port'], o['proto']) for o in offenders] == [(53, 'tcp')]
    assert messages == ['53/tcp listens on 0.0.0.0 (process unbound, pid 10); allowed off loopback: 53/udp']
    offenders, messages = compare_policy(rows, ['53', '53/udp'])
    assert not offenders and not messages


def test_compare_policy_deduplicates():
    rows = merge_exposure([
        sock('tcp', '0.0.0.0', 8443, 'haproxy', 50, 4),
        sock('tcp', '0.0.0.0', 8443, 'haproxy', 51, 4),
        sock('tcp', '0.0.0.0', 8443, 'haproxy', 52, 4),
        sock('tcp', '::', 8443, 'haproxy', 50, 6),
    ])
    offenders, messages = compare_policy(rows, [])
    assert len(offenders) == 2
    assert messages == [
        '8443/tcp listens on 0.0.0.0 (process haproxy, pid 50); allowed off loopback: none',
        '8443/tcp listens on :: (process haproxy, pid 50); allowed off loopback: none',
    ]


def test_compare_policy_loopback_is_never_an_offender():
    rows = merge_exposure([sock('tcp', '127.0.0.1', 6379, 'redis-server', 1, 4), sock('tcp', '::1', 6379, 'redis-server', 1, 6),
                           sock('tcp', '::ffff:127.0.0.1', 6380, 'redis-server', 1, 6)])
    assert compare_policy(rows, []) == ([], [])


def test_compare_policy_refuses_bad_spec():
    with pytest.raises(ValueError, match="allowed port spec '8o' is not valid: use 'PORT' or 'PORT/tcp' or 'PORT/udp' with PORT 1-65535"):
        compare_policy([], ['22', '8o'])


@pytest.mark.parametrize('spec, expected', [
    (22, (22, 'tcp')),
    ('80', (80, 'tcp')),
    (' 443/tcp ', (443, 'tcp')),
    ('53/udp', (53, 'udp')),
    ('53/UDP', (53, 'udp')),
    ('1', (1, 'tcp')),
    ('65535/udp', (65535, 'udp')),
])
def test_parse_port_spec(spec, expected):
    assert parse_port_spec(spec) == expected


@pytest.mark.parametrize('spec', ['0', '65536', 70000, -1, '-1', 'abc', '80/sctp', '80/', '/tcp', '', ' ', None, True, 22.5,
                                  '1-1024', '22,80', '080080', ['22']])
def test_parse_port_spec_refuses(spec):
    with pytest.raises(ValueError) as excinfo:
        parse_port_spec(spec)
    assert str(excinfo.value) == "port spec %r is not valid: use 'PORT' or 'PORT/tcp' or 'PORT/udp' with PORT 1-65535" % (spec,)


def test_parse_port_spec_tcp_only():
    assert parse_port_spec('443/tcp', protos=('tcp',)) == (443, 'tcp')
    with pytest.raises(ValueError, match=r"expected '53/udp' is not valid: use 'PORT' or 'PORT/tcp' with PORT 1-65535"):
        parse_port_spec('53/udp', protos=('tcp',), what='expected')


def test_parse_port_specs_and_format():
    pairs = parse_port_specs([443, '22', '80/tcp', '53/udp', '22/tcp'])
    assert pairs == {(22, 'tcp'), (80, 'tcp'), (443, 'tcp'), (53, 'udp')}
    assert format_port_list(pairs) == '22, 53/udp, 80, 443'
    assert format_port_list(set()) == 'none'
    assert parse_port_specs(None) == set()
    assert parse_port_specs('22') == {(22, 'tcp')}


@pytest.mark.parametrize('row, text', [
    (dict(container='app-redis-1', process='docker-proxy', pid=3), 'container app-redis-1'),
    (dict(container=None, process='redis-server', pid=812), 'process redis-server, pid 812'),
    (dict(container=None, process='redis-server', pid=None), 'process redis-server'),
    (dict(container=None, process=None, pid=77), 'pid 77'),
    (dict(container=None, process=None, pid=None), 'process unknown'),
])
def test_describe_owner(row, text):
    assert describe_owner(row) == text


# ---------------------------------------------------------------- Docker Swarm

SWARM_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'swarm')


def _swarm(name):
    with open(os.path.join(SWARM_FIXTURES, name + '.json'), encoding='utf-8') as handle:
        return json.load(handle)


def _ingress(service, port, target, proto='tcp', mode='ingress'):
    """A service of the stack demo that publishes `port` in `mode`, as GET /services shows it."""
    entry = {'Protocol': proto, 'TargetPort': target, 'PublishedPort': port}
    if mode is not None:
        entry['PublishMode'] = mode
    return {'ID': service + '-id', 'Spec': {'Name': service, 'Labels': {'com.docker.stack.namespace': 'demo'}},
            'Endpoint': {'Spec': {'Mode': 'vip', 'Ports': [entry]}, 'Ports': [entry]}}


# The captured services publish in host mode only; an ingress-mode stack adds these.
INGRESS_SERVICES = _swarm('manager_services_status_true') + [
    _ingress('demo_api', 8000, 8000),
    _ingress('demo_dns', 5353, 53, proto='udp', mode=None),  # PublishMode left out: Docker's default is ingress
    _ingress('demo_ssh', 2222, 22, mode='host'),
]


def test_swarm_ingress_ports_from_services():
    assert swarm_ingress_ports(INGRESS_SERVICES) == [
        dict(port=5353, proto='udp', service='demo_dns'),
        dict(port=8000, proto='tcp', service='demo_api'),
    ]
    assert swarm_ingress_ports(INGRESS_SERVICES + [_ingress('demo_api', 8000, 8000)]) == swarm_ingress_ports(INGRESS_SERVICES)
    # host-mode ports (all of the captured stack) are container ports of the node running the task, not ingress
    assert swarm_ingress_ports(_swarm('manager_services_status_true')) == []
    assert swarm_ingress_ports(None) == []


def test_normalise_ingress_ports_given_from_a_manager():
    given = [{'port': 8000, 'proto': 'tcp', 'service': 'demo_api'}, {'port': '5353', 'proto': 'UDP', 'service': 'demo_dns'},
             {'port': 8000, 'service': 'demo_api'}]
    assert normalise_ingress_ports(given) == [
        dict(port=5353, proto='udp', service='demo_dns'),
        dict(port=8000, proto='tcp', service='demo_api'),
    ]
    assert normalise_ingress_ports(None) == []


@pytest.mark.parametrize('given, message', [
    (['8000'], "swarm_ingress_ports[0] must be a dict with port, proto and service, got '8000'"),
    ([{'port': 0, 'service': 'a'}], 'swarm_ingress_ports[0].port 0 is not valid: use a port 1-65535'),
    ([{'port': 80, 'service': 'a'}, {'port': True, 'service': 'b'}], 'swarm_ingress_ports[1].port True is not valid'),
    ([{'port': 80, 'proto': 'sctp', 'service': 'a'}], "swarm_ingress_ports[0].proto 'sctp' is not valid: use 'tcp' or 'udp'"),
])
def test_normalise_ingress_ports_refuses(given, message):
    with pytest.raises(ValueError) as excinfo:
        normalise_ingress_ports(given)
    assert str(excinfo.value).startswith(message)


def test_merge_ingress_read_and_given():
    read = swarm_ingress_ports(INGRESS_SERVICES)
    given = [dict(port=8000, proto='tcp', service='demo_api'), dict(port=9000, proto='tcp', service='demo_admin')]
    assert merge_ingress(read, given) == [
        dict(port=5353, proto='udp', service='demo_dns'),
        dict(port=8000, proto='tcp', service='demo_api'),
        dict(port=9000, proto='tcp', service='demo_admin'),
    ]
    assert merge_ingress([], None) == []


def test_ingress_rows_on_a_manager():
    """No socket exists for an ingress port (the kernel forwards it): the row comes from the service."""
    rows = merge_exposure([sock('tcp', '0.0.0.0', 22, 'sshd', 601, 4)], [], swarm_ingress_ports(INGRESS_SERVICES))
    assert rows == [
        dict(proto='tcp', family=4, address='0.0.0.0', scope='all', port=22, process='sshd', pid=601, container=None,
             source='socket'),
        dict(proto='udp', family=4, address='0.0.0.0', scope='all', port=5353, process=None, pid=None, container='demo_dns',
             source='swarm-ingress'),
        dict(proto='tcp', family=4, address='0.0.0.0', scope='all', port=8000, process=None, pid=None, container='demo_api',
             source='swarm-ingress'),
    ]
    offenders, messages = compare_policy(rows, ['22'])
    assert messages == [
        '5353/udp listens on 0.0.0.0 (service demo_dns, swarm ingress); allowed off loopback: 22',
        '8000/tcp listens on 0.0.0.0 (service demo_api, swarm ingress); allowed off loopback: 22',
    ]
    assert [o['source'] for o in offenders] == ['swarm-ingress', 'swarm-ingress']


def test_given_ingress_ports_on_a_worker():
    given = normalise_ingress_ports([{'port': 8000, 'proto': 'tcp', 'service': 'demo_api'}])
    result = assess_exposure([], docker_published_ports(_swarm('worker_containers_json')), given, ['22'], [])
    assert [(r['port'], r['address'], r['container'], r['source']) for r in result['listeners']] == [
        (8000, '0.0.0.0', 'demo_api', 'swarm-ingress'),
        (8000, '0.0.0.0', 'demo_api.1.v0xcddldsipq619en5dn3kyvr', 'docker'),
        (8081, '0.0.0.0', 'demo_web.ssdk7owwsl3kl3ndgs88jupus.y8y2osq6wlsi6rnd2k22br97l', 'docker'),
    ]
    assert result['messages'][0] == '8000/tcp listens on 0.0.0.0 (service demo_api, swarm ingress); allowed off loopback: 22'


def test_dockerd_host_mode_socket_is_matched_to_its_container():
    """A swarm task's host-mode port: dockerd holds the socket, the container (worker_containers_json) publishes it."""
    records = docker_published_ports(_swarm('worker_containers_json'))
    sockets = [sock('tcp', '0.0.0.0', 8000, 'dockerd', 961, 4), sock('tcp', '::', 8081, 'dockerd', 961, 6),
               sock('tcp', '::', 7946, 'dockerd', 961, 6)]
    rows = merge_exposure(sockets, records)
    assert [(r['port'], r['address'], r['process'], r['container'], r['source']) for r in rows] == [
        (7946, '::', 'dockerd', None, 'socket'),
        (8000, '0.0.0.0', 'dockerd', 'demo_api.1.v0xcddldsipq619en5dn3kyvr', 'socket'),
        (8081, '::', 'dockerd', 'demo_web.ssdk7owwsl3kl3ndgs88jupus.y8y2osq6wlsi6rnd2k22br97l', 'socket'),
    ]
    offenders, messages = compare_policy(rows, ['22', '7946'])
    assert messages == [
        '8000/tcp listens on 0.0.0.0 (container demo_api.1.v0xcddldsipq619en5dn3kyvr); allowed off loopback: 22, 7946',
        '8081/tcp listens on :: (container demo_web.ssdk7owwsl3kl3ndgs88jupus.y8y2osq6wlsi6rnd2k22br97l); '
        'allowed off loopback: 22, 7946',
    ]
    assert len(offenders) == 2


def test_firewalled_ports_are_filtered_not_offenders():
    rows = merge_exposure([sock('tcp', '0.0.0.0', 22, 'sshd', 601, 4), sock('tcp', '0.0.0.0', 8081, 'dockerd', 961, 4),
                           sock('tcp', '0.0.0.0', 6379, 'redis-server', 812, 4)],
                          docker_published_ports(_swarm('manager_containers_json')),
                          [dict(port=8000, proto='tcp', service='demo_api')])
    result = judge_exposure(rows, ['22'], ['8000', '8081/tcp', '443'])
    assert result['filtered_messages'] == [
        '8000/tcp listens on 0.0.0.0 (service demo_api, swarm ingress); relies on the host firewall '
        '(prove it from outside with port_scan)',
        '8081/tcp listens on 0.0.0.0 (container demo_web.rr4527d6167uivgd7enm48s1p.r1endz90h5rw1pr4w18qe8gib); relies on '
        'the host firewall (prove it from outside with port_scan)',
    ]
    assert [(r['port'], r['source']) for r in result['filtered']] == [(8000, 'swarm-ingress'), (8081, 'socket')]
    assert result['messages'] == ['6379/tcp listens on 0.0.0.0 (process redis-server, pid 812); allowed off loopback: 22']
    assert [o['port'] for o in result['offenders']] == [6379]
    # the same port/proto in allowed is allowed, not filtered; udp is not tcp
    assert judge_exposure(rows, ['22', '8000', '6379'], ['8000', '8081/udp'])['filtered'] == []
    assert compare_policy(rows, ['22'], ['8000', '8081']) == (result['offenders'], result['messages'])
    # without firewalled, the filtered rows are offenders again
    assert [o['port'] for o in compare_policy(rows, ['22'])[0]] == [6379, 8000, 8081]


def test_firewalled_refuses_bad_spec():
    with pytest.raises(ValueError, match="firewalled port spec '80x' is not valid"):
        judge_exposure([], ['22'], ['80x'])


def test_describe_owner_of_ingress_rows():
    assert describe_owner(dict(source='swarm-ingress', container='demo_api')) == 'service demo_api, swarm ingress'
    assert describe_owner(dict(source='swarm-ingress', container=None)) == 'swarm ingress'


def _exists(tmp_path):
    path = tmp_path / 'docker.sock'
    path.write_text('')
    return str(path)


def test_read_swarm_ingress_on_a_manager(tmp_path):
    asked = []

    def read_services(socket_path, timeout):
        asked.append((socket_path, timeout))
        return INGRESS_SERVICES

    path = _exists(tmp_path)
    ports, role, note = read_swarm_ingress(path, read_info=lambda socket_path, timeout: _swarm('manager_info'),
                                           read_services=read_services)
    assert (role, note) == ('manager', 'swarm manager: read 2 ingress port(s) of 8 service(s)')
    assert ports == swarm_ingress_ports(INGRESS_SERVICES)
    assert asked == [(path, 10.0)]


def test_read_swarm_ingress_on_a_worker_does_not_list_services(tmp_path):
    def read_services(socket_path, timeout):
        raise AssertionError('a worker cannot list services')

    ports, role, note = read_swarm_ingress(_exists(tmp_path), read_info=lambda socket_path, timeout: _swarm('worker_info'),
                                           read_services=read_services)
    assert (ports, role) == ([], 'worker')
    assert note == ('swarm worker: it cannot list services, so ingress ports are only those given in swarm_ingress_ports '
                    '(read them on a manager)')


def test_read_swarm_ingress_outside_a_swarm_and_without_docker(tmp_path):
    outside = {'Swarm': {'LocalNodeState': 'inactive', 'ControlAvailable': False}}
    assert read_swarm_ingress(_exists(tmp_path), read_info=lambda socket_path, timeout: outside) == (
        [], None, 'not in an active swarm: no swarm ingress ports')
    missing = str(tmp_path / 'none.sock')
    assert read_swarm_ingress(missing) == ([], None, 'Docker socket %s not found: no swarm ingress ports read' % missing)


def test_read_swarm_ingress_demoted_manager(tmp_path):
    def read_services(socket_path, timeout):
        raise NotSwarmManagerError('answered GET /services with HTTP 503: This node is not a swarm manager.', status=503)

    assert read_swarm_ingress(_exists(tmp_path), read_info=lambda socket_path, timeout: _swarm('manager_info'),
                              read_services=read_services) == (
        [], 'worker', 'swarm node no longer a manager: no swarm ingress ports read')


def test_read_swarm_ingress_from_the_engine_api(tmp_path):
    routes = {'/info': (200, _swarm('manager_info')), '/services': (200, INGRESS_SERVICES)}
    fake = FakeDockerAPI(str(tmp_path / 'docker.sock'), routes)
    try:
        ports, role, dummy = read_swarm_ingress(fake.path, timeout=5)
    finally:
        fake.close()
    assert (role, [p['port'] for p in ports]) == ('manager', [5353, 8000])
    assert fake.targets() == ['/info', '/services']
