# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TCP connect scan of one address, and comparison of its result with the expected open ports.

Non-blocking connects multiplexed with epoll (selectors elsewhere); concurrency is bounded by
the open-file limit, which is raised towards the hard limit in-process first, and the whole
scan by a time limit. Traffic goes to the one target address only. Only aim it at hosts you own.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import errno
import functools
import ipaddress
import json
import math
import os
import re
import select
import selectors
import socket
import struct
import time

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None

from ansible_collections.stackops.hardened.plugins.module_utils.exposure import (
    format_port_list,
    parse_port_specs,
)


MAX_CONCURRENCY = 16384
DEFAULT_CONCURRENCY = 16384
DEFAULT_TIMEOUT = 1.2
MAX_TIMEOUT = 3600.0
# Connects sent back to back before the answers so far are read: a longer burst overflows
# the receive queues of a loaded machine, and a lost SYN would hide an open port.
BURST = 256
DEFAULT_MAX_DURATION = 300.0
MAX_DURATION = 86400.0
NOFILE_MARGIN = 64
_IN_PROGRESS = (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY)
_OUT_OF_FILES = (errno.EMFILE, errno.ENFILE)
_RANGE = re.compile(r'^(\d+)(?:-(\d+))?$')
_PORTS_ACCEPTED = "use PORT, FIRST-LAST or a comma-separated list of those, with ports 1-65535"


def parse_ports(specs):
    """Sorted unique port numbers from 22, '80', '1-1024', '22,80,8000-8100' or a list of those."""
    if isinstance(specs, (str, int)) and not isinstance(specs, bool):
        specs = [specs]
    if not isinstance(specs, (list, tuple, set)) or not specs:
        raise ValueError('ports %r is not valid: %s' % (specs, _PORTS_ACCEPTED))
    ports = set()
    for spec in specs:
        if isinstance(spec, bool) or not isinstance(spec, (str, int)):
            raise ValueError('port spec %r is not valid: %s' % (spec, _PORTS_ACCEPTED))
        for part in str(spec).split(','):
            part = part.strip()
            match = _RANGE.match(part)
            if not match:
                raise ValueError('port spec %r is not valid: %s' % (part, _PORTS_ACCEPTED))
            first = int(match.group(1))
            last = int(match.group(2)) if match.group(2) else first
            for port in (first, last):
                if not 1 <= port <= 65535:
                    raise ValueError('port %d in %r is out of range: ports are 1-65535' % (port, part))
            if first > last:
                raise ValueError('port range %r runs backwards: write it as %d-%d' % (part, last, first))
            ports.update(range(first, last + 1))
    return sorted(ports)


def validate_target(target):
    """(address text, socket family) for an IPv4 or IPv6 literal; no name resolution."""
    try:
        ip = ipaddress.ip_address(str(target).strip().strip('[]'))
    except ValueError:
        raise ValueError('target %r is not an IPv4 or IPv6 address literal (names are not resolved)' % (target,)) from None
    if ip.is_unspecified or ip.is_multicast:
        raise ValueError('target %r cannot be scanned: give the unicast address of one host' % (target,))
    return str(ip), (socket.AF_INET6 if ip.version == 6 else socket.AF_INET)


class ScanTimeLimit(OSError):
    """The scan ran past its time limit (max_duration) and was stopped."""


def _seconds(value, what, example, most):
    problem = '%s %r is not valid: use seconds > 0, e.g. %s' % (what, value, example)
    if isinstance(value, bool):
        raise ValueError(problem)
    too_large = '%s %r is too large: use seconds > 0 and at most %d' % (what, value, most)
    try:
        seconds = float(value)
    except OverflowError:
        raise ValueError(too_large) from None
    except (TypeError, ValueError):
        raise ValueError(problem) from None
    if math.isnan(seconds) or math.isinf(seconds) or seconds <= 0:
        raise ValueError(problem)
    if seconds > most:
        raise ValueError(too_large)
    return seconds


def validate_timeout(timeout):
    """Seconds per connect as a finite float > 0 and at most MAX_TIMEOUT (the event loop's waits stay bounded)."""
    return _seconds(timeout, 'timeout', '1.0', MAX_TIMEOUT)


def validate_max_duration(max_duration):
    """Seconds the whole scan may take, a finite float > 0 and at most MAX_DURATION."""
    return _seconds(max_duration, 'max_duration', '300', MAX_DURATION)


def validate_concurrency(concurrency):
    """Number of connects in flight as an int 1..MAX_CONCURRENCY."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError('concurrency %r is not valid: use a whole number 1-%d' % (concurrency, MAX_CONCURRENCY))
    return concurrency


def raise_nofile_limit():
    """Raise the soft RLIMIT_NOFILE towards the hard limit; return the soft limit now in force."""
    if resource is None:
        return 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard
    if wanted == resource.RLIM_INFINITY:
        wanted = 1048576
    if soft != resource.RLIM_INFINITY and soft < wanted:
        for candidate in (wanted, 65536, 16384, 8192, 4096):
            if candidate <= soft:
                break
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (candidate, hard))
                break
            except (ValueError, OSError):
                continue
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        soft = 1048576
    return soft


def clamp_concurrency(concurrency, soft_limit, margin=NOFILE_MARGIN):
    """Concurrency kept below the open-file soft limit minus a margin, at least 1."""
    margin = min(margin, soft_limit // 2)
    return max(1, min(concurrency, soft_limit - margin))


def _is_self_connect(sock):
    """True when a loopback connect met itself (source port == target port, TCP simultaneous open)."""
    try:
        return sock.getsockname()[:2] == sock.getpeername()[:2]
    except OSError:
        return False


def _close(sock):
    try:
        sock.close()
    except OSError:
        pass


def _no_op(dummy):
    """Nothing: an epoll interest set drops a socket when it is closed."""


class _Poller(object):
    """Readiness of many non-blocking connects: epoll where the kernel has it, else selectors.

    With epoll, a socket leaves the interest set when it is closed, so unregister is free.
    """

    def __init__(self, size):
        self._epoll = select.epoll(size + 16) if hasattr(select, 'epoll') else None
        self._selector = None if self._epoll else selectors.DefaultSelector()
        if self._epoll:
            # the hot path of a scan: no Python frame of ours per connect
            self.register = functools.partial(self._epoll.register, eventmask=select.EPOLLOUT)
            self.unregister = _no_op

    def register(self, fd):
        if self._epoll:
            self._epoll.register(fd, select.EPOLLOUT)
        else:
            self._selector.register(fd, selectors.EVENT_WRITE)

    def unregister(self, fd):
        if self._selector:
            self._selector.unregister(fd)

    def poll(self, timeout):
        if self._epoll:
            return [fd for fd, dummy in self._epoll.poll(timeout)]
        return [key.fd for key, dummy in self._selector.select(timeout)]

    def close(self):
        (self._epoll or self._selector).close()


def scan_tcp(target, ports, timeout=DEFAULT_TIMEOUT, concurrency=DEFAULT_CONCURRENCY, processes=None,
             max_duration=DEFAULT_MAX_DURATION):
    """TCP connect scan of `ports` on `target`.

    Large scans are split between processes (one per CPU, at most 4; `processes` overrides),
    each with its share of the ports and of the concurrency: a scan of a host that answers
    quickly is bound by the CPU time of the connects, not by the network.

    Each connect waits `timeout` seconds from the moment it is sent. The default, 1.2 s, lets
    the kernel send the SYN a second time (its first retransmission is at 1 s), so one lost
    SYN does not hide an open port. The whole scan stops with ScanTimeLimit after
    `max_duration` seconds.

    Returns a dict: target, open (sorted port list), closed (refused), filtered (no answer
    within timeout or unreachable), closed_or_filtered, scanned, errors (errno name -> count
    for unusual failures, counted as filtered), concurrency (after clamping), processes,
    timeout, duration (seconds).
    """
    address, family = validate_target(target)
    port_list = parse_ports(ports)
    timeout = validate_timeout(timeout)
    max_duration = validate_max_duration(max_duration)
    workers = clamp_concurrency(validate_concurrency(concurrency), raise_nofile_limit())
    if processes is None:
        processes = min(os.cpu_count() or 1, 4) if len(port_list) >= 4096 else 1
    processes = max(1, min(int(processes), len(port_list), workers))

    started = time.monotonic()
    stop_at = started + max_duration
    if processes == 1:
        share = _scan_share(address, family, port_list, timeout, workers, stop_at)
    else:
        share = _scan_in_processes(address, family, port_list, timeout, workers, processes, stop_at)
    return dict(
        target=address,
        open=sorted(share['open']),
        closed=share['closed'],
        filtered=share['filtered'],
        closed_or_filtered=share['closed'] + share['filtered'],
        scanned=len(port_list),
        errors=share['errors'],
        concurrency=workers,
        processes=processes,
        timeout=timeout,
        duration=round(time.monotonic() - started, 3),
    )


def _scan_in_processes(address, family, port_list, timeout, workers, processes, stop_at):
    """Run _scan_share in `processes` forked children (interleaved ports) and merge their results."""
    children = []
    for index in range(processes):
        ports = port_list[index::processes]
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: scan its share, report as JSON, leave without cleanup handlers
            code = 0
            try:
                os.close(read_fd)
                result = _scan_share(address, family, ports, timeout, max(1, workers // processes), stop_at)
                payload = json.dumps(result).encode('utf-8')
            except ScanTimeLimit as exc:
                payload = json.dumps(dict(failure=str(exc), time_limit=True)).encode('utf-8')
                code = 1
            except Exception as exc:  # pylint: disable=broad-except
                payload = json.dumps(dict(failure=str(exc))).encode('utf-8')
                code = 1
            with os.fdopen(write_fd, 'wb') as pipe:
                pipe.write(payload)
            os._exit(code)  # pylint: disable=protected-access
        os.close(write_fd)
        children.append((pid, read_fd))
    merged = dict(open=[], closed=0, filtered=0, errors={})
    failures = []
    time_limit = False
    for pid, read_fd in children:
        with os.fdopen(read_fd, 'rb') as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        result = json.loads(data.decode('utf-8')) if data else dict(failure='scan process %d ended without a result' % pid)
        if 'failure' in result:
            failures.append(result['failure'])
            time_limit = time_limit or result.get('time_limit', False)
            continue
        merged['open'].extend(result['open'])
        merged['closed'] += result['closed']
        merged['filtered'] += result['filtered']
        for name, count in result['errors'].items():
            merged['errors'][name] = merged['errors'].get(name, 0) + count
    if failures:
        if time_limit:
            raise ScanTimeLimit(failures[0])
        raise OSError('port scan failed: %s' % '; '.join(failures))
    return merged


def _scan_share(address, family, port_list, timeout, workers, stop_at):
    """Scan `port_list` with at most `workers` connects in flight; counts and open ports.

    Each connect's deadline is counted from the moment it was sent; in-flight connects are
    kept in the order they were sent, which is the order of their deadlines.
    """
    sockaddr_extra = (0, 0) if family == socket.AF_INET6 else ()
    linger = struct.pack('ii', 1, 0)
    sock_type = socket.SOCK_STREAM | getattr(socket, 'SOCK_NONBLOCK', 0)
    counts = dict(closed=0, filtered=0)
    errors = collections.Counter()
    open_ports = []
    pending = collections.deque(port_list)
    inflight = collections.OrderedDict()  # fd -> (socket, port, deadline), oldest first
    poller = _Poller(workers)
    monotonic = time.monotonic
    sol_socket, so_error = socket.SOL_SOCKET, socket.SO_ERROR
    refused = errno.ECONNREFUSED
    burst = BURST
    new_socket = socket.socket
    register = poller.register
    unregister = poller.unregister
    ipv4 = family == socket.AF_INET

    def settle(sock, port, code):
        if code == 0 and _is_self_connect(sock):
            code = errno.ECONNREFUSED
        if code == 0:
            open_ports.append(port)
            # reset rather than linger in TIME_WAIT on the target
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        elif code == errno.ECONNREFUSED:
            counts['closed'] += 1
        else:
            counts['filtered'] += 1
            if code not in (errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN):
                errors[errno.errorcode.get(code, str(code))] += 1

    try:
        while pending or inflight:
            now = monotonic()
            if now >= stop_at:
                raise ScanTimeLimit('the scan of %s reached its time limit (max_duration) with %d of %d ports not '
                                    'scanned: raise max_duration or scan fewer ports'
                                    % (address, len(pending) + len(inflight), len(port_list)))
            room = min(workers - len(inflight), burst)
            while pending and room > 0:
                room -= 1
                port = pending.popleft()
                try:
                    sock = new_socket(family, sock_type)
                except OSError as exc:
                    if exc.errno in _OUT_OF_FILES and inflight:
                        pending.appendleft(port)
                        workers = max(1, len(inflight) - 1)
                        break
                    raise
                if sock_type == socket.SOCK_STREAM:
                    sock.setblocking(False)
                try:
                    code = sock.connect_ex((address, port) if ipv4 else (address, port) + sockaddr_extra)
                except OSError as exc:
                    code = exc.errno
                if code in _IN_PROGRESS:
                    fd = sock.fileno()
                    register(fd)
                    inflight[fd] = (sock, port, monotonic() + timeout)
                else:
                    settle(sock, port, code)
                    _close(sock)
            if not inflight:
                continue
            if pending and len(inflight) < workers:
                wait = 0.0  # more to send: take the answers so far, then send the next burst
            else:
                wait = max(0.0, min(next(iter(inflight.values()))[2], stop_at) - monotonic())
            for fd in poller.poll(wait):
                entry = inflight.pop(fd, None)
                if entry is None:
                    continue
                sock, port = entry[:2]
                unregister(fd)
                code = sock.getsockopt(sol_socket, so_error)
                if code == refused:
                    counts['closed'] += 1
                else:
                    settle(sock, port, code)
                sock.close()
            now = monotonic()
            while inflight:
                fd, (sock, port, deadline) = next(iter(inflight.items()))
                if deadline > now:
                    break
                del inflight[fd]
                poller.unregister(fd)
                _close(sock)
                counts['filtered'] += 1
    finally:
        for entry in inflight.values():
            _close(entry[0])
        poller.close()

    return dict(open=open_ports, closed=counts['closed'], filtered=counts['filtered'], errors=dict(errors))


def parse_expected_open(expected_open):
    """Set of TCP ports from specs like 22, '443' or '443/tcp'."""
    return set(port for port, dummy in parse_port_specs(expected_open, protos=('tcp',), what='expected_open port spec'))


def compare_scan(open_ports, expected_open):
    """(unexpected_open, expected_but_closed), both sorted port lists."""
    expected = parse_expected_open(expected_open)
    found = set(int(port) for port in open_ports)
    return sorted(found - expected), sorted(expected - found)


def scan_messages(target, unexpected_open, expected_closed, expected_open):
    """One line per finding, e.g. '6379/tcp is reachable from outside on 172.17.0.5 (allowed: 22, 80, 443)'."""
    allowed = format_port_list(set((port, 'tcp') for port in parse_expected_open(expected_open)))
    messages = ['%d/tcp is reachable from outside on %s (allowed: %s)' % (port, target, allowed) for port in unexpected_open]
    messages.extend('%d/tcp is expected open on %s but is closed or filtered' % (port, target) for port in expected_closed)
    return messages
