# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.exposure import (
    compare_policy,
    describe_owner,
    format_port_list,
    merge_exposure,
    parse_port_spec,
    parse_port_specs,
)


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
