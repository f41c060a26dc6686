# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which ports are exposed off loopback, and which of those the policy does not allow.

Pure functions: listening sockets and Docker-published ports in, one table and the
offending rows with readable messages out.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.stackops.hardened.plugins.module_utils.sockets import (
    address_family,
    classify_address,
    normalise_address,
)


DOCKER_PROXY = 'docker-proxy'
ROW_KEYS = ('proto', 'family', 'address', 'scope', 'port', 'process', 'pid', 'container', 'source')

_PORT_SPEC = re.compile(r'^(\d{1,5})(?:/([A-Za-z]+))?$')


def parse_port_spec(spec, protos=('tcp', 'udp'), what='port spec'):
    """Parse 22, '80', '443/tcp' or '53/udp' into (port, proto); a bare number means tcp.

    Raises ValueError naming the spec and what is accepted.
    """
    accepted = ' or '.join(["'PORT'"] + ["'PORT/%s'" % proto for proto in protos])
    problem = "%s %r is not valid: use %s with PORT 1-65535" % (what, spec, accepted)
    if isinstance(spec, bool) or not isinstance(spec, (int, str)):
        raise ValueError(problem)
    match = _PORT_SPEC.match(str(spec).strip())
    if not match:
        raise ValueError(problem)
    port = int(match.group(1))
    proto = (match.group(2) or 'tcp').lower()
    if not 1 <= port <= 65535 or proto not in protos:
        raise ValueError(problem)
    return port, proto


def parse_port_specs(specs, protos=('tcp', 'udp'), what='port spec'):
    """Parse a list of port specs into a set of (port, proto)."""
    if specs is None:
        return set()
    if isinstance(specs, (str, int)):
        specs = [specs]
    return set(parse_port_spec(spec, protos=protos, what=what) for spec in specs)


def format_port_list(pairs):
    """'22, 80, 443, 53/udp' for a set of (port, proto); 'none' when empty. tcp is shown bare."""
    if not pairs:
        return 'none'
    return ', '.join(str(port) if proto == 'tcp' else '%d/%s' % (port, proto) for port, proto in sorted(pairs))


def _row(proto, family, address, port, process=None, pid=None, container=None, source='socket'):
    return dict(proto=proto, family=family, address=address, scope=classify_address(address), port=port,
                process=process, pid=pid, container=container, source=source)


def _row_sort_key(row):
    return (row['port'], row['proto'], row['family'], row['address'], row['container'] or '', row['pid'] or 0)


def merge_exposure(sockets, docker_ports=None):
    """Merge listening sockets and Docker-published ports into one table.

    A socket gets the container name when a published port has the same proto, port and
    address, or when the socket belongs to docker-proxy and a published port has the same
    proto and port. Published ports no socket accounts for (userland-proxy off: the
    kernel forwards them) become rows of their own with source 'docker'.
    """
    docker_ports = [dict(record, address=normalise_address(record['address'])) for record in (docker_ports or [])]
    used = set()
    rows = []
    for entry in sockets or []:
        address = normalise_address(entry['address'])
        family = entry.get('family') or address_family(address)
        process = entry.get('process')
        candidates = [i for i, rec in enumerate(docker_ports) if rec['proto'] == entry['proto'] and rec['port'] == entry['port']]
        exact = [i for i in candidates if docker_ports[i]['address'] == address]
        if exact:
            match = exact
        elif process == DOCKER_PROXY:
            match = [i for i in candidates if address_family(docker_ports[i]['address']) == family] or candidates
        else:
            match = []
        container = docker_ports[match[0]]['container'] if match else None
        used.update(exact or match[:1])
        rows.append(_row(entry['proto'], family, address, entry['port'], process=process, pid=entry.get('pid'),
                         container=container, source='socket'))
    for i, record in enumerate(docker_ports):
        if i in used:
            continue
        rows.append(_row(record['proto'], address_family(record['address']), record['address'], record['port'],
                         container=record.get('container'), source='docker'))
    rows.sort(key=_row_sort_key)
    return rows


def describe_owner(row):
    """'container NAME', 'process NAME, pid N' or 'process unknown' for a table row."""
    if row.get('container'):
        return 'container %s' % row['container']
    if row.get('process') and row.get('pid') is not None:
        return 'process %s, pid %d' % (row['process'], row['pid'])
    if row.get('process'):
        return 'process %s' % row['process']
    if row.get('pid') is not None:
        return 'pid %d' % row['pid']
    return 'process unknown'


def compare_policy(rows, allowed):
    """Offending rows and one message line each.

    An offender is a row whose scope is not loopback and whose (port, proto) is not in
    `allowed` (port specs, see parse_port_spec). The same port/proto/address/container is
    reported once. Raises ValueError for a bad spec in `allowed`.
    """
    allowed_pairs = parse_port_specs(allowed, what='allowed port spec')
    shown = format_port_list(allowed_pairs)
    offenders = []
    messages = []
    seen = set()
    for row in sorted(rows, key=_row_sort_key):
        if row['scope'] == 'loopback' or (row['port'], row['proto']) in allowed_pairs:
            continue
        key = (row['port'], row['proto'], row['address'], row.get('container'))
        if key in seen:
            continue
        seen.add(key)
        offenders.append(dict(row))
        messages.append('%d/%s listens on %s (%s); allowed off loopback: %s'
                        % (row['port'], row['proto'], row['address'], describe_owner(row), shown))
    return offenders, messages
