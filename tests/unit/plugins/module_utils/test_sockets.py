# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import socket
import threading

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils import sockets as sockets_mod
from ansible_collections.stackops.hardened.plugins.module_utils.sockets import (
    DockerAPIError,
    classify_address,
    decode_address,
    docker_published_ports,
    map_socket_owners,
    parse_socket_table,
    read_docker_published,
    read_listeners,
    read_socket_tables,
)


# What a Debian host with sshd, systemd-resolved, PostgreSQL, a published Redis and an SSH session shows.
PROC_NET_TCP = (
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
    '   0: 00000000:0016 00000000:0000 0A '
    '00000000:00000000 00:00000000 00000000     0        0 18432 1 0000000000000000 100 0 0 10 0\n'
    '   1: 3500007F:0035 00000000:0000 0A '
    '00000000:00000000 00:00000000 00000000   991        0 17001 1 0000000000000000 100 0 0 10 5\n'
    '   2: 0100007F:1538 00000000:0000 0A '
    '00000000:00000000 00:00000000 00000000   105        0 21877 1 0000000000000000 100 0 0 10 0\n'
    '   3: 00000000:18EB 00000000:0000 0A '
    '00000000:00000000 00:00000000 00000000     0        0 25001 1 0000000000000000 100 0 0 10 0\n'
    '   4: 0A01A8C0:1F90 00000000:0000 0A '
    '00000000:00000000 00:00000000 00000000  1000        0 26002 1 0000000000000000 100 0 0 10 0\n'
    '   5: 0F02000A:0016 0202000A:C822 01 '
    '00000000:00000000 02:000A7B5E 00000000     0        0 30110 4 0000000000000000 20 4 30 10 -1\n'
    '   6: 0100007F:1538 0100007F:D3A4 06 '
    '00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n'
)

PROC_NET_TCP6 = (
    '  sl  local_address                         remote_address                        '
    'st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
    '   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A '
    '00000000:00000000 00:00000000 00000000     0        0 18434 1 0000000000000000 100 0 0 10 0\n'
    '   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A '
    '00000000:00000000 00:00000000 00000000     0        0 19020 1 0000000000000000 100 0 0 10 0\n'
    '   2: 0000000000000000FFFF000004030201:01BB 00000000000000000000000000000000:0000 0A '
    '00000000:00000000 00:00000000 00000000    33        0 19500 1 0000000000000000 100 0 0 10 0\n'
    '   3: B80D0120000000000000000010000000:20FB 00000000000000000000000000000000:0000 0A '
    '00000000:00000000 00:00000000 00000000    33        0 19501 1 0000000000000000 100 0 0 10 0\n'
    '   4: 0000000000000000FFFF00000100007F:2382 00000000000000000000000000000000:0000 0A '
    '00000000:00000000 00:00000000 00000000     0        0 19502 1 0000000000000000 100 0 0 10 0\n'
    '   5: B80D0120000000000000000010000000:0016 B80D0120000000000000000020000000:E1F0 01 '
    '00000000:00000000 02:00094E8A 00000000     0        0 31000 2 0000000000000000 20 4 1 10 -1\n'
)

PROC_NET_UDP = (
    '   sl  local_address rem_address   '
    'st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n'
    '  102: 3500007F:0035 00000000:0000 07 '
    '00000000:00000000 00:00000000 00000000   991        0 17000 2 0000000000000000 0\n'
    '  117: 00000000:0044 00000000:0000 07 '
    '00000000:00000000 00:00000000 00000000     0        0 16012 2 0000000000000000 0\n'
    '  200: 0F02000A:A1B2 08080808:0035 01 '
    '00000000:00000000 00:00000000 00000000   991        0 17555 2 0000000000000000 0\n'
    '  201: 00000000:0000 00000000:0000 07 '
    '00000000:00000000 00:00000000 00000000     0        0 17556 2 0000000000000000 0\n'
)

PROC_NET_UDP6 = (
    '  sl  local_address                         remote_address                        '
    'st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n'
    '   50: 00000000000000000000000001000000:0143 00000000000000000000000000000000:0000 07 '
    '00000000:00000000 00:00000000 00000000     0        0 18900 2 0000000000000000 0\n'
    '  118: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 '
    '00000000:00000000 00:00000000 00000000   108        0 18901 2 0000000000000000 0\n'
)


@pytest.mark.parametrize('hex_address, expected', [
    ('00000000', '0.0.0.0'),
    ('0100007F', '127.0.0.1'),
    ('3500007F', '127.0.0.53'),
    ('0A01A8C0', '192.168.1.10'),
    ('00000000000000000000000000000000', '::'),
    ('00000000000000000000000001000000', '::1'),
    ('0000000000000000FFFF000004030201', '::ffff:1.2.3.4'),
    ('0000000000000000ffff00000100007f', '::ffff:127.0.0.1'),
    ('B80D0120000000000000000010000000', '2001:db8::10'),
    ('000080FE00000000FF565002BD69E0FE', 'fe80::250:56ff:fee0:69bd'),
])
def test_decode_address(hex_address, expected):
    assert decode_address(hex_address, 'little') == expected


@pytest.mark.parametrize('hex_address, expected', [
    ('7F000001', '127.0.0.1'),
    ('C0A8010A', '192.168.1.10'),
    ('20010DB8000000000000000000000010', '2001:db8::10'),
    ('00000000000000000000FFFF01020304', '::ffff:1.2.3.4'),
])
def test_decode_address_big_endian_host(hex_address, expected):
    assert decode_address(hex_address, 'big') == expected


@pytest.mark.parametrize('hex_address', ['', '0100007', '0100007F00', 'XYZ0007F', None])
def test_decode_address_refuses_bad_input(hex_address):
    with pytest.raises(ValueError, match='hex digits'):
        decode_address(hex_address)


def test_parse_tcp_keeps_only_listeners():
    entries = parse_socket_table(PROC_NET_TCP, 'tcp', 4)
    assert entries == [
        dict(proto='tcp', family=4, address='0.0.0.0', port=22, inode=18432),
        dict(proto='tcp', family=4, address='127.0.0.53', port=53, inode=17001),
        dict(proto='tcp', family=4, address='127.0.0.1', port=5432, inode=21877),
        dict(proto='tcp', family=4, address='0.0.0.0', port=6379, inode=25001),
        dict(proto='tcp', family=4, address='192.168.1.10', port=8080, inode=26002),
    ]


def test_parse_tcp6():
    entries = parse_socket_table(PROC_NET_TCP6, 'tcp', 6)
    assert [(e['address'], e['port'], e['inode']) for e in entries] == [
        ('::', 22, 18434),
        ('::1', 631, 19020),
        ('::ffff:1.2.3.4', 443, 19500),
        ('2001:db8::10', 8443, 19501),
        ('::ffff:127.0.0.1', 9090, 19502),
    ]
    assert all(e['family'] == 6 and e['proto'] == 'tcp' for e in entries)


def test_parse_udp_keeps_unconnected_bound_sockets():
    assert parse_socket_table(PROC_NET_UDP, 'udp', 4) == [
        dict(proto='udp', family=4, address='127.0.0.53', port=53, inode=17000),
        dict(proto='udp', family=4, address='0.0.0.0', port=68, inode=16012),
    ]
    assert parse_socket_table(PROC_NET_UDP6, 'udp', 6) == [
        dict(proto='udp', family=6, address='::1', port=323, inode=18900),
        dict(proto='udp', family=6, address='::', port=5353, inode=18901),
    ]


def test_parse_infers_family_and_accepts_empty_table():
    assert parse_socket_table(PROC_NET_TCP6, 'tcp')[0]['family'] == 6
    assert not parse_socket_table(PROC_NET_TCP.splitlines()[0], 'tcp', 4)
    assert not parse_socket_table('', 'udp', 6)


def test_parse_refuses_wrong_family():
    with pytest.raises(ValueError, match='has an IPv6 address, expected IPv4'):
        parse_socket_table(PROC_NET_TCP6, 'tcp', 4)


def test_parse_refuses_malformed_lines():
    with pytest.raises(ValueError, match='line 2 of the tcp socket table is not in /proc/net format'):
        parse_socket_table('  sl  local_address\n   0: 00000000:0016 0A\n', 'tcp', 4)
    broken = '   0: 0000000G:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18432 1\n'
    with pytest.raises(ValueError, match='line 1 of the tcp socket table cannot be decoded'):
        parse_socket_table(broken, 'tcp', 4)


@pytest.mark.parametrize('proto, family, match', [
    ('sctp', 4, "proto must be 'tcp' or 'udp'"),
    ('tcp', 5, 'family must be 4 or 6'),
])
def test_parse_refuses_bad_arguments(proto, family, match):
    with pytest.raises(ValueError, match=match):
        parse_socket_table(PROC_NET_TCP, proto, family)


@pytest.mark.parametrize('address, scope', [
    ('127.0.0.1', 'loopback'),
    ('127.0.0.53', 'loopback'),
    ('127.255.0.9', 'loopback'),
    ('::1', 'loopback'),
    ('::ffff:127.0.0.1', 'loopback'),
    ('0.0.0.0', 'all'),
    ('::', 'all'),
    ('10.0.0.5', 'specific'),
    ('192.168.1.10', 'specific'),
    ('::ffff:1.2.3.4', 'specific'),
    ('2001:db8::10', 'specific'),
    ('fe80::1%eth0', 'specific'),
    ('[::1]', 'loopback'),
])
def test_classify_address(address, scope):
    assert classify_address(address) == scope


@pytest.mark.parametrize('address', ['localhost', '256.0.0.1', '', '::g'])
def test_classify_address_refuses_non_addresses(address):
    with pytest.raises(ValueError, match='is not an IPv4 or IPv6 address'):
        classify_address(address)


def _fake_proc(root):
    """A /proc tree: sshd (pid 100) and a forked child (pid 301) share 18432; docker-proxy owns 25001."""
    net = root / 'net'
    net.mkdir(parents=True)
    (net / 'tcp').write_text(PROC_NET_TCP)
    (net / 'tcp6').write_text(PROC_NET_TCP6)
    (net / 'udp').write_text(PROC_NET_UDP)
    # no udp6: as on a host with IPv6 partly disabled
    processes = {
        '100': ('sshd\n', {'0': '/dev/null', '3': 'socket:[18432]', '4': 'socket:[18434]', '5': 'pipe:[555]'}),
        '301': ('sshd\n', {'3': 'socket:[18432]', '7': 'socket:[30110]'}),
        '812': ('docker-proxy\n', {'4': 'socket:[25001]', '5': 'anon_inode:[eventpoll]'}),
        '950': ('systemd-resolve\n', {'11': 'socket:[17000]', '12': 'socket:[17001]'}),
        '990': (None, {'3': 'socket:[16012]'}),
    }
    for pid, (comm, fds) in processes.items():
        fd_dir = root / pid / 'fd'
        fd_dir.mkdir(parents=True)
        if comm is not None:
            (root / pid / 'comm').write_text(comm)
        for fd, target in fds.items():
            os.symlink(target, str(fd_dir / fd))
    (root / '1234').mkdir()  # vanished: no fd directory left
    (root / 'self').mkdir()
    (root / 'sys').mkdir()
    return root


def test_map_socket_owners(tmp_path):
    root = _fake_proc(tmp_path)
    owners = map_socket_owners(str(root))
    assert owners == {
        18432: (100, 'sshd'),
        18434: (100, 'sshd'),
        30110: (301, 'sshd'),
        25001: (812, 'docker-proxy'),
        17000: (950, 'systemd-resolve'),
        17001: (950, 'systemd-resolve'),
        16012: (990, None),
    }


def test_map_socket_owners_limited_to_inodes(tmp_path):
    root = _fake_proc(tmp_path)
    assert map_socket_owners(str(root), inodes=[25001, 424242]) == {25001: (812, 'docker-proxy')}


def test_map_socket_owners_tolerates_permission_errors_and_vanishing(tmp_path, monkeypatch):
    root = _fake_proc(tmp_path)
    real_listdir = os.listdir
    real_readlink = os.readlink

    def listdir(path):
        if str(path) == str(root / '100' / 'fd'):
            raise PermissionError(13, 'Permission denied', str(path))
        return real_listdir(path)

    def readlink(path):
        if str(path) == str(root / '812' / 'fd' / '4'):
            raise FileNotFoundError(2, 'No such file or directory', str(path))
        return real_readlink(path)

    monkeypatch.setattr(os, 'listdir', listdir)
    monkeypatch.setattr(os, 'readlink', readlink)
    owners = map_socket_owners(str(root))
    assert 18432 in owners and owners[18432] == (301, 'sshd')
    assert 18434 not in owners
    assert 25001 not in owners
    assert owners[17001] == (950, 'systemd-resolve')


def test_map_socket_owners_missing_proc(tmp_path):
    assert not map_socket_owners(str(tmp_path / 'nothing'))


def test_read_socket_tables_and_listeners(tmp_path):
    root = _fake_proc(tmp_path)
    tables = read_socket_tables(str(root))
    assert len(tables) == 5 + 5 + 2
    listeners = read_listeners(str(root))
    by_key = dict(((e['proto'], e['address'], e['port']), e) for e in listeners)
    assert by_key[('tcp', '0.0.0.0', 22)]['process'] == 'sshd'
    assert by_key[('tcp', '0.0.0.0', 22)]['pid'] == 100
    assert by_key[('tcp', '::', 22)]['pid'] == 100
    assert by_key[('tcp', '0.0.0.0', 6379)]['process'] == 'docker-proxy'
    assert by_key[('udp', '0.0.0.0', 68)]['pid'] == 990
    assert by_key[('udp', '0.0.0.0', 68)]['process'] is None
    assert by_key[('tcp', '192.168.1.10', 8080)]['pid'] is None
    assert by_key[('tcp', '192.168.1.10', 8080)]['process'] is None


def test_read_socket_tables_needs_proc_net_tcp(tmp_path):
    with pytest.raises(OSError, match='listening sockets are read from Linux /proc'):
        read_socket_tables(str(tmp_path))


DOCKER_CONTAINERS = [
    {
        'Id': '8dfafdbc3a40a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a',
        'Names': ['/botstack-redis-1'],
        'Image': 'redis:7',
        'Ports': [
            {'IP': '0.0.0.0', 'PrivatePort': 6379, 'PublicPort': 6379, 'Type': 'tcp'},
            {'IP': '::', 'PrivatePort': 6379, 'PublicPort': 6379, 'Type': 'tcp'},
            {'IP': '0.0.0.0', 'PrivatePort': 6379, 'PublicPort': 6379, 'Type': 'tcp'},
        ],
    },
    {
        'Id': '1f2e3d4c5b6a',
        'Names': ['/botstack-api-1'],
        'Ports': [
            {'IP': '127.0.0.1', 'PrivatePort': 8000, 'PublicPort': 18000, 'Type': 'tcp'},
            {'PrivatePort': 9000, 'Type': 'tcp'},
        ],
    },
    {'Id': 'abcdef0123456789', 'Names': ['/dns'], 'Ports': [{'HostIp': '', 'PrivatePort': 53, 'PublicPort': 5353, 'Type': 'udp'}]},
    {'Id': '0123456789abcdef', 'Names': [], 'Ports': [{'PrivatePort': 80, 'PublicPort': 8081, 'Type': 'tcp'}]},
    {'Id': 'feedfacecafe', 'Names': ['/botstack-worker-1'], 'Ports': None},
]

DOCKER_RECORDS = [
    dict(proto='udp', address='0.0.0.0', port=5353, container='dns', container_port=53),
    dict(proto='tcp', address='0.0.0.0', port=6379, container='botstack-redis-1', container_port=6379),
    dict(proto='tcp', address='::', port=6379, container='botstack-redis-1', container_port=6379),
    dict(proto='tcp', address='0.0.0.0', port=8081, container='0123456789ab', container_port=80),
    dict(proto='tcp', address='127.0.0.1', port=18000, container='botstack-api-1', container_port=8000),
]


def test_docker_published_ports():
    assert docker_published_ports(DOCKER_CONTAINERS) == DOCKER_RECORDS
    assert not docker_published_ports([])
    assert not docker_published_ports(None)


def test_docker_published_ports_of_swarm_tasks():
    """Host-mode ports of swarm tasks are container ports on the node that runs the task (captured on a worker)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'swarm', 'worker_containers_json.json')
    with open(path, encoding='utf-8') as handle:
        containers = json.load(handle)
    assert docker_published_ports(containers) == [
        dict(proto='tcp', address='0.0.0.0', port=8000, container='demo_api.1.v0xcddldsipq619en5dn3kyvr', container_port=8000),
        dict(proto='tcp', address='0.0.0.0', port=8081,
             container='demo_web.ssdk7owwsl3kl3ndgs88jupus.y8y2osq6wlsi6rnd2k22br97l', container_port=8080),
    ]


def test_read_docker_published_without_socket(tmp_path):
    records, note = read_docker_published(str(tmp_path / 'docker.sock'))
    assert not records
    assert note == 'Docker socket %s not found: no Docker-published ports checked' % (tmp_path / 'docker.sock')


class _FakeDocker(object):
    """A one-request HTTP server on a unix socket, standing in for the Docker Engine API."""

    def __init__(self, path, status, body):
        self.path = path
        self.request = b''
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.response = ('HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n'
                         % (status, len(body))).encode('ascii') + body
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True
        self.thread.start()

    def _serve(self):
        conn = self.server.accept()[0]
        with conn:
            while b'\r\n\r\n' not in self.request:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                self.request += chunk
            conn.sendall(self.response)

    def close(self):
        self.thread.join(5)
        self.server.close()


def test_read_docker_published_from_api(tmp_path):
    path = str(tmp_path / 'd.sock')
    fake = _FakeDocker(path, 200, json.dumps(DOCKER_CONTAINERS).encode('utf-8'))
    try:
        records, note = read_docker_published(path, timeout=5)
    finally:
        fake.close()
    assert fake.request.startswith(b'GET /containers/json HTTP/1.1\r\n')
    assert records == DOCKER_RECORDS
    assert note == 'read 5 published port(s) of 5 running container(s) from %s' % path


@pytest.mark.parametrize('status, body, match', [
    (500, b'{"message": "daemon is shutting down"}', 'answered GET /containers/json with HTTP 500: .*shutting down'),
    (200, b'<html>', 'answered GET /containers/json with invalid JSON'),
    (200, b'{"message": "not a list"}', 'with dict, expected a list'),
])
def test_read_docker_published_bad_answers(tmp_path, status, body, match):
    path = str(tmp_path / 'd.sock')
    fake = _FakeDocker(path, status, body)
    try:
        with pytest.raises(DockerAPIError, match=match):
            read_docker_published(path, timeout=5)
    finally:
        fake.close()


def test_read_docker_published_dead_socket(tmp_path):
    path = str(tmp_path / 'd.sock')
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()
    with pytest.raises(DockerAPIError, match='cannot read the Docker Engine API on %s' % path):
        read_docker_published(path, timeout=5)


def test_docker_api_permission_hint(tmp_path, monkeypatch):
    def refuse(self):
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(sockets_mod._UnixHTTPConnection, 'connect', refuse)  # pylint: disable=protected-access
    path = tmp_path / 'd.sock'
    path.write_text('')
    with pytest.raises(DockerAPIError, match='docker group'):
        read_docker_published(str(path))
