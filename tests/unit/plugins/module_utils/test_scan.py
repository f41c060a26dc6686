# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scan tests only ever connect to 127.0.0.1 and ::1."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import sys

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils import scan as scan_mod
from ansible_collections.stackops.hardened.plugins.module_utils.scan import (
    clamp_concurrency,
    compare_scan,
    parse_expected_open,
    parse_ports,
    raise_nofile_limit,
    ScanTimeLimit,
    scan_messages,
    scan_tcp,
    validate_concurrency,
    validate_max_duration,
    validate_target,
    validate_timeout,
)

resource = pytest.importorskip('resource')


@pytest.fixture
def listener():
    """A listening TCP socket on 127.0.0.1; yields its port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(('127.0.0.1', 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()


def _closed_port(family=socket.AF_INET, address='127.0.0.1'):
    """A port that was just bound and released, so nothing listens on it."""
    probe = socket.socket(family, socket.SOCK_STREAM)
    probe.bind((address, 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize('specs, expected', [
    (['22'], [22]),
    ([22, '80', '443'], [22, 80, 443]),
    (['1-5'], [1, 2, 3, 4, 5]),
    (['8000-8002', '22,80', ' 443 '], [22, 80, 443, 8000, 8001, 8002]),
    (['5-7', '6-9', '7'], [5, 6, 7, 8, 9]),
    ('65535', [65535]),
    (443, [443]),
    (['1-65535'], list(range(1, 65536))),
])
def test_parse_ports(specs, expected):
    assert parse_ports(specs) == expected


@pytest.mark.parametrize('specs, message', [
    (['0'], "port 0 in '0' is out of range: ports are 1-65535"),
    (['65536'], "port 65536 in '65536' is out of range: ports are 1-65535"),
    (['1-70000'], "port 70000 in '1-70000' is out of range: ports are 1-65535"),
    (['1024-1'], "port range '1024-1' runs backwards: write it as 1-1024"),
    (['http'], "port spec 'http' is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
    (['22,,80'], "port spec '' is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
    (['-5'], "port spec '-5' is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
    (['1-2-3'], "port spec '1-2-3' is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
    (['22/tcp'], "port spec '22/tcp' is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
    ([None], "port spec None is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
    ([True], "port spec True is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
    ([], "ports [] is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
    (None, "ports None is not valid: use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"),
])
def test_parse_ports_refuses(specs, message):
    with pytest.raises(ValueError) as excinfo:
        parse_ports(specs)
    assert str(excinfo.value) == message


def test_validate_target():
    assert validate_target('127.0.0.1') == ('127.0.0.1', socket.AF_INET)
    assert validate_target('::1') == ('::1', socket.AF_INET6)
    assert validate_target('[2001:DB8::10]') == ('2001:db8::10', socket.AF_INET6)
    assert validate_target(' 172.17.0.5 ') == ('172.17.0.5', socket.AF_INET)


@pytest.mark.parametrize('target, message', [
    ('example.com', "target 'example.com' is not an IPv4 or IPv6 address literal (names are not resolved)"),
    ('localhost', "target 'localhost' is not an IPv4 or IPv6 address literal (names are not resolved)"),
    ('10.0.0.0/8', "target '10.0.0.0/8' is not an IPv4 or IPv6 address literal (names are not resolved)"),
    ('', "target '' is not an IPv4 or IPv6 address literal (names are not resolved)"),
    ('0.0.0.0', "target '0.0.0.0' cannot be scanned: give the unicast address of one host"),
    ('::', "target '::' cannot be scanned: give the unicast address of one host"),
    ('224.0.0.1', "target '224.0.0.1' cannot be scanned: give the unicast address of one host"),
])
def test_validate_target_refuses(target, message):
    with pytest.raises(ValueError) as excinfo:
        validate_target(target)
    assert str(excinfo.value) == message


def test_validate_timeout():
    assert validate_timeout(1) == 1.0
    assert validate_timeout('0.25') == 0.25
    assert validate_timeout(0.001) == 0.001


@pytest.mark.parametrize('timeout', [0, -1, 0.0, 'soon', None, True, float('nan'), float('inf')])
def test_validate_timeout_refuses(timeout):
    with pytest.raises(ValueError) as excinfo:
        validate_timeout(timeout)
    assert str(excinfo.value) == 'timeout %r is not valid: use seconds > 0, e.g. 1.0' % (timeout,)


def test_validate_concurrency():
    assert validate_concurrency(1) == 1
    assert validate_concurrency(4096) == 4096
    assert validate_concurrency(16384) == 16384


@pytest.mark.parametrize('concurrency', [0, -5, 16385, 100000, '10', 1.5, None, True])
def test_validate_concurrency_refuses(concurrency):
    with pytest.raises(ValueError) as excinfo:
        validate_concurrency(concurrency)
    assert str(excinfo.value) == 'concurrency %r is not valid: use a whole number 1-16384' % (concurrency,)


@pytest.mark.parametrize('timeout', [3600.5, 1e10, 1e300, 10 ** 400])
def test_validate_timeout_refuses_too_large(timeout):
    """A wait the event loop cannot hold is refused by name, not left to raise OverflowError."""
    with pytest.raises(ValueError) as excinfo:
        validate_timeout(timeout)
    assert str(excinfo.value) == 'timeout %r is too large: use seconds > 0 and at most 3600' % (timeout,)


def test_validate_timeout_accepts_the_largest():
    assert validate_timeout(3600) == 3600.0


def test_scan_with_too_large_timeout_is_a_named_error(listener):
    with pytest.raises(ValueError, match='timeout 1e[+]300 is too large'):
        scan_tcp('127.0.0.1', [listener], timeout=1e300)


def test_validate_max_duration():
    assert validate_max_duration(300) == 300.0
    for value in (0, -1, 'soon', None, True, float('inf'), 86401):
        with pytest.raises(ValueError, match='max_duration'):
            validate_max_duration(value)


def test_scan_stops_at_its_time_limit():
    """A scan of ports that never answer stops at max_duration, naming what was not scanned."""
    with socket.socket() as filler:
        filler.bind(('127.0.0.1', 0))
        filler.listen(0)
        port = filler.getsockname()[1]
        # Fill the backlog so further connects to the port hang (no answer).
        hung = []
        try:
            for dummy in range(8):
                extra = socket.socket()
                extra.setblocking(False)
                extra.connect_ex(('127.0.0.1', port))
                hung.append(extra)
            with pytest.raises(ScanTimeLimit, match='reached its time limit .max_duration. with 1 of 1 ports not scanned'):
                scan_tcp('127.0.0.1', [port], timeout=30, concurrency=1, max_duration=0.5)
        finally:
            for extra in hung:
                extra.close()


@pytest.mark.parametrize('requested, soft, expected', [
    (512, 1024, 512),
    (4096, 1024, 960),
    (4096, 20000, 4096),
    (100, 64, 32),
    (10, 3, 2),
    (10, 1, 1),
])
def test_clamp_concurrency(requested, soft, expected):
    assert clamp_concurrency(requested, soft) == expected


def test_raise_nofile_limit():
    before_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        soft = raise_nofile_limit()
        assert soft >= before_soft
        if hard != resource.RLIM_INFINITY:
            assert soft <= hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] in (soft, resource.RLIM_INFINITY)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (before_soft, hard))


def test_raise_nofile_limit_from_low_soft_limit():
    before_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 256:
        pytest.skip('hard open-file limit too low to test')
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        assert raise_nofile_limit() > 256
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (before_soft, hard))


def test_scan_finds_open_and_closed_on_loopback(listener):
    closed = _closed_port()
    result = scan_tcp('127.0.0.1', [str(listener), str(closed)], timeout=2.0, concurrency=8)
    assert result['open'] == [listener]
    assert result['closed'] == 1
    assert result['filtered'] == 0
    assert result['closed_or_filtered'] == 1
    assert result['scanned'] == 2
    assert result['target'] == '127.0.0.1'
    assert result['concurrency'] == 8
    assert not result['errors']
    assert 0 <= result['duration'] < 2.0


def test_scan_range_on_loopback(listener):
    """A range around the listener, with concurrency smaller than the range."""
    first = max(1, listener - 20)
    last = min(65535, listener + 20)
    result = scan_tcp('127.0.0.1', ['%d-%d' % (first, last)], timeout=2.0, concurrency=4)
    assert listener in result['open']
    assert result['scanned'] == last - first + 1
    assert len(result['open']) + result['closed_or_filtered'] == result['scanned']


@pytest.mark.parametrize('processes', [2, 3])
def test_scan_split_between_processes_merges_results(listener, processes):
    """Forked shares of a range: every port counted once, the listener found once."""
    first = max(1, listener - 50)
    last = min(65535, listener + 50)
    result = scan_tcp('127.0.0.1', ['%d-%d' % (first, last)], timeout=2.0, concurrency=16, processes=processes)
    assert result['processes'] == processes
    assert result['open'].count(listener) == 1
    assert len(result['open']) + result['closed_or_filtered'] == result['scanned'] == last - first + 1


def test_scan_small_scan_stays_in_one_process(listener):
    result = scan_tcp('127.0.0.1', [listener], timeout=2.0)
    assert result['processes'] == 1


def test_scan_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip('no IPv6')
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        server.bind(('::1', 0))
    except OSError:
        server.close()
        pytest.skip('::1 not available')
    server.listen(8)
    try:
        port = server.getsockname()[1]
        closed = _closed_port(socket.AF_INET6, '::1')
        result = scan_tcp('::1', [port, closed], timeout=2.0, concurrency=2)
    finally:
        server.close()
    assert result['open'] == [port]
    assert result['closed'] == 1


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='relies on Linux dropping SYNs when the accept queue is full')
def test_scan_counts_no_answer_as_filtered():
    """A listener with a full accept queue drops new SYNs, so a connect times out, as against a firewall DROP."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(('127.0.0.1', 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for dummy in range(2):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.3)
            fillers.append(filler)
            try:
                filler.connect(('127.0.0.1', port))
            except socket.timeout:
                break
        else:
            pytest.skip('accept queue did not fill')
        result = scan_tcp('127.0.0.1', [port], timeout=0.3, concurrency=1)
    finally:
        for filler in fillers:
            filler.close()
        server.close()
    assert result['open'] == []
    assert result['filtered'] == 1
    assert result['closed'] == 0
    assert result['duration'] >= 0.25


def test_scan_clamps_concurrency_to_open_files(listener, monkeypatch):
    monkeypatch.setattr(scan_mod, 'raise_nofile_limit', lambda: 100)
    result = scan_tcp('127.0.0.1', [listener], timeout=1.0, concurrency=4096)
    assert result['concurrency'] == 50
    assert result['open'] == [listener]


@pytest.mark.parametrize('kwargs, message', [
    (dict(target='example.com', ports=['22']), 'target'),
    (dict(target='127.0.0.1', ports=['0']), 'port 0'),
    (dict(target='127.0.0.1', ports=['22'], timeout=0), 'timeout 0'),
    (dict(target='127.0.0.1', ports=['22'], concurrency=20000), 'concurrency 20000'),
    (dict(target='127.0.0.1', ports=['22'], timeout=1e9), 'timeout 1000000000.0 is too large'),
    (dict(target='127.0.0.1', ports=['22'], max_duration=0), 'max_duration 0'),
])
def test_scan_validates_before_connecting(kwargs, message, monkeypatch):
    def no_sockets(*args, **kw):
        raise AssertionError('a socket was opened before the inputs were validated')

    monkeypatch.setattr(socket, 'socket', no_sockets)
    with pytest.raises(ValueError, match=message):
        scan_tcp(**kwargs)


def test_compare_scan():
    assert compare_scan([22, 80, 443, 6379], ['22', '80', '443']) == ([6379], [])
    assert compare_scan([22, 6379, 8080], [22, '80/tcp', '443']) == ([6379, 8080], [80, 443])
    assert compare_scan([], []) == ([], [])
    assert compare_scan([22], []) == ([22], [])


def test_compare_scan_refuses_udp_and_bad_specs():
    with pytest.raises(ValueError, match=r"expected_open port spec '53/udp' is not valid: use 'PORT' or 'PORT/tcp' with PORT 1-65535"):
        compare_scan([22], ['53/udp'])
    with pytest.raises(ValueError, match=r"expected_open port spec '0' is not valid"):
        compare_scan([22], ['0'])
    with pytest.raises(ValueError, match=r"expected_open port spec '1-1024' is not valid"):
        parse_expected_open(['1-1024'])


def test_scan_messages():
    assert scan_messages('172.17.0.5', [6379], [], ['22', '80', '443']) == [
        '6379/tcp is reachable from outside on 172.17.0.5 (allowed: 22, 80, 443)',
    ]
    assert scan_messages('2001:db8::10', [8080], [443], ['443/tcp', 22]) == [
        '8080/tcp is reachable from outside on 2001:db8::10 (allowed: 22, 443)',
        '443/tcp is expected open on 2001:db8::10 but is closed or filtered',
    ]
    assert scan_messages('10.0.0.1', [22], [], []) == ['22/tcp is reachable from outside on 10.0.0.1 (allowed: none)']
    assert not scan_messages('10.0.0.1', [], [], ['22'])
