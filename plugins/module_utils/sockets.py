# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what listens on this host: kernel socket tables, owning processes, Docker publishes.

Plain functions that take text or paths and return data, so unit tests can feed them
fixture text and a fake /proc tree. Nothing here needs AnsibleModule.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import os
import re
import sys

from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import (  # noqa: F401  pylint: disable=unused-import
    DOCKER_SOCKET,
    DockerAPIError,
    _UnixHTTPConnection,
    docker_api_get,
    list_containers,
)


TCP_LISTEN = '0A'
UDP_UNCONNECTED = '07'

# (file name under <proc>/net, proto, family)
SOCKET_TABLES = (
    ('tcp', 'tcp', 4),
    ('tcp6', 'tcp', 6),
    ('udp', 'udp', 4),
    ('udp6', 'udp', 6),
)

_SOCKET_LINK = re.compile(r'^socket:\[(\d+)\]$')
_HEX = re.compile(r'^[0-9A-Fa-f]+$')


def decode_address(hex_address, byteorder=None):
    """Decode the kernel's hex address to text.

    IPv4 is one 32-bit word (8 hex digits), IPv6 four 32-bit words (32 hex digits), each
    word printed in host byte order: little-endian on x86 and arm64, so reversed per word.
    `byteorder` ('little' or 'big') defaults to this host's. IPv4-mapped IPv6 addresses
    come back as '::ffff:1.2.3.4'.
    """
    if not _HEX.match(hex_address or '') or len(hex_address) not in (8, 32):
        raise ValueError('socket address %r is not 8 or 32 hex digits' % (hex_address,))
    raw = bytes.fromhex(hex_address)
    if (byteorder or sys.byteorder) == 'little':
        raw = b''.join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    return normalise_address(str(ipaddress.IPv6Address(raw)))


def normalise_address(address):
    """Return the canonical text form of an IP address ('::ffff:1.2.3.4' for v4-mapped)."""
    text = str(address).strip()
    if text.startswith('[') and text.endswith(']'):
        text = text[1:-1]
    text = text.split('%', 1)[0]
    ip = ipaddress.ip_address(text)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return '::ffff:%s' % ip.ipv4_mapped
    return str(ip)


def address_family(address):
    """4 or 6 for an address in text form."""
    return 6 if ':' in address else 4


def parse_socket_table(text, proto, family=None):
    """Parse the text of /proc/net/{tcp,tcp6,udp,udp6}.

    Returns listening sockets only: TCP in LISTEN state, UDP unconnected (state 07) and
    bound to a port. Each is a dict: proto, family, address, port, inode.
    """
    if proto not in ('tcp', 'udp'):
        raise ValueError("proto must be 'tcp' or 'udp', got %r" % (proto,))
    if family not in (None, 4, 6):
        raise ValueError('family must be 4 or 6, got %r' % (family,))
    wanted_state = TCP_LISTEN if proto == 'tcp' else UDP_UNCONNECTED
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0] == 'sl':
            continue
        if not fields[0].endswith(':') or len(fields) < 10:
            raise ValueError('line %d of the %s socket table is not in /proc/net format: %r' % (number, proto, line))
        if fields[3].upper() != wanted_state:
            continue
        try:
            hex_address, hex_port = fields[1].split(':')
            address = decode_address(hex_address)
            port = int(hex_port, 16)
            inode = int(fields[9])
        except ValueError as exc:
            raise ValueError('line %d of the %s socket table cannot be decoded (%s): %r' % (number, proto, exc, line)) from exc
        line_family = 4 if len(hex_address) == 8 else 6
        if family is not None and line_family != family:
            raise ValueError('line %d of the %s socket table has an IPv%d address, expected IPv%d: %r'
                             % (number, proto, line_family, family, line))
        if port == 0:
            continue
        entries.append(dict(proto=proto, family=line_family, address=address, port=port, inode=inode))
    return entries


def read_socket_tables(proc_root='/proc'):
    """Read and parse all four socket tables under <proc_root>/net.

    /proc/net/tcp must exist (this is Linux); the others may be missing (IPv6 disabled).
    """
    sockets = []
    for name, proto, family in SOCKET_TABLES:
        path = os.path.join(proc_root, 'net', name)
        try:
            with open(path, encoding='utf-8', errors='replace') as handle:
                text = handle.read()
        except OSError as exc:
            if name == 'tcp':
                raise OSError(exc.errno, 'cannot read %s (%s): listening sockets are read from Linux /proc' % (path, exc.strerror)) from exc
            continue
        sockets.extend(parse_socket_table(text, proto, family))
    return sockets


def _read_comm(proc_root, pid):
    try:
        with open(os.path.join(proc_root, pid, 'comm'), encoding='utf-8', errors='replace') as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def map_socket_owners(proc_root='/proc', inodes=None):
    """Map socket inode -> (pid, process name) from /proc/<pid>/fd links 'socket:[INODE]'.

    Processes that vanish or that we may not inspect are skipped. When several processes
    share a socket (a forked server), the lowest pid wins. Pass `inodes` to stop looking
    once all of them are found.
    """
    wanted = set(inodes) if inodes is not None else None
    owners = {}
    try:
        pids = [name for name in os.listdir(proc_root) if name.isdigit()]
    except OSError:
        return owners
    for pid in sorted(pids, key=int):
        if wanted is not None and not wanted:
            break
        fd_dir = os.path.join(proc_root, pid, 'fd')
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        comm = None
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            match = _SOCKET_LINK.match(target)
            if not match:
                continue
            inode = int(match.group(1))
            if inode in owners or (wanted is not None and inode not in wanted):
                continue
            if comm is None:
                comm = _read_comm(proc_root, pid)
            owners[inode] = (int(pid), comm)
            if wanted is not None:
                wanted.discard(inode)
    return owners


def read_listeners(proc_root='/proc'):
    """Listening sockets with their owner: the socket dicts plus pid and process (or None)."""
    sockets = read_socket_tables(proc_root)
    owners = map_socket_owners(proc_root, inodes=[entry['inode'] for entry in sockets])
    for entry in sockets:
        pid, process = owners.get(entry['inode'], (None, None))
        entry['pid'] = pid
        entry['process'] = process
    return sockets


def classify_address(address):
    """'loopback' (127.0.0.0/8, ::1, ::ffff:127.x), 'all' (0.0.0.0, ::) or 'specific'."""
    try:
        ip = ipaddress.ip_address(normalise_address(address))
    except ValueError:
        raise ValueError('%r is not an IPv4 or IPv6 address' % (address,)) from None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return 'all'
    if ip.is_loopback:
        return 'loopback'
    return 'specific'


def docker_published_ports(containers):
    """Turn the JSON list of GET /containers/json into published port records.

    Each record: proto, address ('0.0.0.0' when the host IP is empty), port (PublicPort),
    container (name without the leading '/'), container_port (PrivatePort). Exposed but
    unpublished ports (no PublicPort) are skipped; duplicates are dropped.
    """
    records = []
    seen = set()
    for container in containers or []:
        names = container.get('Names') or []
        if names:
            name = names[0].lstrip('/')
        else:
            name = (container.get('Id') or '')[:12] or None
        for port in container.get('Ports') or []:
            public = port.get('PublicPort')
            if not public:
                continue
            address = port.get('IP') or port.get('HostIp') or '0.0.0.0'
            record = dict(
                proto=(port.get('Type') or 'tcp').lower(),
                address=normalise_address(address),
                port=int(public),
                container=name,
                container_port=int(port['PrivatePort']) if port.get('PrivatePort') else None,
            )
            key = tuple(sorted(record.items(), key=lambda item: item[0]))
            if key in seen:
                continue
            seen.add(key)
            records.append(record)
    records.sort(key=lambda r: (r['port'], r['proto'], r['address'], r['container'] or ''))
    return records


def read_docker_published(socket_path=DOCKER_SOCKET, timeout=10.0):
    """Ports published by running containers, from the Docker Engine API.

    Returns (records, note). A missing socket gives ([], note saying Docker was not
    checked); a socket that exists but cannot be read raises DockerAPIError.
    """
    if not os.path.exists(socket_path):
        return [], 'Docker socket %s not found: no Docker-published ports checked' % socket_path
    containers = list_containers(socket_path=socket_path, timeout=timeout)
    records = docker_published_ports(containers)
    note = 'read %d published port(s) of %d running container(s) from %s' % (len(records), len(containers), socket_path)
    return records, note
