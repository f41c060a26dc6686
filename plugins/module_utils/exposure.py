# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which ports are exposed off loopback, and which of those the policy does not allow.

Pure functions: listening sockets, Docker-published ports and Swarm ingress ports in, one
table and the offending (and firewall-filtered) rows with readable messages out. Only
read_swarm_ingress talks to Docker.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import (
    DOCKER_SOCKET,
    NotSwarmManagerError,
    info as docker_info,
    list_services,
    swarm_role,
)
from ansible_collections.stackops.hardened.plugins.module_utils.sockets import (
    address_family,
    classify_address,
    normalise_address,
)


DOCKER_PROXY = 'docker-proxy'
# dockerd itself holds the socket of a port a swarm task publishes in host mode.
DOCKER_DAEMON = 'dockerd'
SWARM_INGRESS = 'swarm-ingress'
FIREWALL_CLAUSE = 'relies on the host firewall (prove it from outside with port_scan)'
ROW_KEYS = ('proto', 'family', 'address', 'scope', 'port', 'process', 'pid', 'container', 'source')

_PORT_SPEC = re.compile(r'([0-9]{1,5})(?:/([A-Za-z]{1,8}))?')


class ExposureError(ValueError):
    """An option port_exposure cannot use; the message names it and what is accepted."""


def parse_port_spec(spec, protos=('tcp', 'udp'), what='port spec'):
    """Parse 22, '80', '443/tcp' or '53/udp' into (port, proto); a bare number means tcp.

    Raises ValueError naming the spec and what is accepted.
    """
    accepted = ' or '.join(["'PORT'"] + ["'PORT/%s'" % proto for proto in protos])
    problem = "%s %s is not valid: use %s with PORT 1-65535" % (what, repr(spec)[:80], accepted)
    if isinstance(spec, bool) or not isinstance(spec, (int, str)):
        raise ExposureError(problem)
    match = _PORT_SPEC.fullmatch(str(spec).strip())
    if not match:
        raise ExposureError(problem)
    port = int(match.group(1))
    proto = (match.group(2) or 'tcp').lower()
    if not 1 <= port <= 65535 or proto not in protos:
        raise ExposureError(problem)
    return port, proto


def parse_port_specs(specs, protos=('tcp', 'udp'), what='port spec'):
    """Parse a list of port specs into a set of (port, proto)."""
    if specs is None:
        return set()
    if isinstance(specs, (str, int)):
        specs = [specs]
    if not isinstance(specs, (list, tuple, set, frozenset)):
        raise ExposureError('%ss must be a list such as [22, 80, "443/tcp"], got %s' % (what, type(specs).__name__))
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


def swarm_ingress_ports(services):
    """The ports a swarm publishes through its routing mesh, from the JSON list of GET /services.

    Each is a dict port, proto, service (name): the Endpoint.Ports whose PublishMode is
    ingress (Docker's default) and that have a PublishedPort. Host-mode ports are left
    out: they are container ports on the node running the task. Sorted, without duplicates.
    """
    found = set()
    for service in services or []:
        name = ((service.get('Spec') or {}).get('Name')) or (service.get('ID') or '')[:12] or None
        for port in ((service.get('Endpoint') or {}).get('Ports')) or []:
            if (port.get('PublishMode') or 'ingress') != 'ingress' or not port.get('PublishedPort'):
                continue
            found.add((int(port['PublishedPort']), (port.get('Protocol') or 'tcp').lower(), name))
    return [dict(port=port, proto=proto, service=name) for port, proto, name in sorted(found, key=_ingress_key)]


def _ingress_key(item):
    port, proto, name = item
    return (port, proto, name or '')


def normalise_ingress_ports(ports, what='swarm_ingress_ports'):
    """Check ingress ports given from outside (a manager's swarm_ingress): a list of dicts port, proto, service.

    proto defaults to tcp. Returns them as swarm_ingress_ports does. Raises ValueError
    naming the item and what is accepted.
    """
    found = set()
    if ports is not None and not isinstance(ports, (list, tuple)):
        raise ExposureError('%s must be a list of {port, proto, service}, got %s' % (what, type(ports).__name__))
    for index, item in enumerate(ports or []):
        where = '%s[%d]' % (what, index)
        if not isinstance(item, dict):
            raise ExposureError('%s must be a dict with port, proto and service, got %s' % (where, repr(item)[:80]))
        port = item.get('port')
        if isinstance(port, str) and re.fullmatch(r'[0-9]{1,5}', port.strip()):
            port = int(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            shown = repr(item.get('port'))[:40] if isinstance(item.get('port'), (str, int)) else type(item.get('port')).__name__
            raise ExposureError('%s.port %s is not valid: use a port 1-65535' % (where, shown))
        proto = item.get('proto') or 'tcp'
        if not isinstance(proto, str) or proto.strip().lower() not in ('tcp', 'udp'):
            shown = repr(proto)[:40] if isinstance(proto, (str, int)) else type(proto).__name__
            raise ExposureError("%s.proto %s is not valid: use 'tcp' or 'udp'" % (where, shown))
        proto = proto.strip().lower()
        service = item.get('service')
        if service is not None and not isinstance(service, (str, int)) or isinstance(service, bool):
            raise ExposureError('%s.service must be a service name (text), got %s' % (where, type(service).__name__))
        service = str(service).strip() if service is not None else ''
        found.add((port, proto, service or None))
    return [dict(port=port, proto=proto, service=name) for port, proto, name in sorted(found, key=_ingress_key)]


def merge_ingress(*lists):
    """One sorted list of ingress ports from several (read on a manager, given from outside), without duplicates."""
    found = set()
    for ports in lists:
        for item in ports or []:
            found.add((item['port'], item['proto'], item.get('service')))
    return [dict(port=port, proto=proto, service=name) for port, proto, name in sorted(found, key=_ingress_key)]


def _services_without_status(socket_path, timeout):
    return list_services(socket_path=socket_path, status=False, timeout=timeout)


def read_swarm_ingress(socket_path=DOCKER_SOCKET, timeout=10.0, read_info=docker_info, read_services=_services_without_status):
    """The swarm's ingress ports as this host can read them: (ports, role, note).

    `role` is 'manager', 'worker' or None (no Docker socket, or not in an active swarm).
    Only a manager can list services; a worker gets no ports and a note saying so.
    Raises DockerAPIError when the socket exists but cannot be read.
    """
    if not os.path.exists(socket_path):
        return [], None, 'Docker socket %s not found: no swarm ingress ports read' % socket_path
    role = swarm_role(read_info(socket_path=socket_path, timeout=timeout))
    if role is None:
        return [], None, 'not in an active swarm: no swarm ingress ports'
    if role == 'worker':
        return [], role, ('swarm worker: it cannot list services, so ingress ports are only those given in '
                          'swarm_ingress_ports (read them on a manager)')
    try:
        services = read_services(socket_path=socket_path, timeout=timeout)
    except NotSwarmManagerError:
        return [], 'worker', 'swarm node no longer a manager: no swarm ingress ports read'
    ports = swarm_ingress_ports(services)
    return ports, role, 'swarm manager: read %d ingress port(s) of %d service(s)' % (len(ports), len(services))


def merge_exposure(sockets, docker_ports=None, ingress=None):
    """Merge listening sockets, Docker-published ports and swarm ingress ports into one table.

    A socket gets the container name when a published port has the same proto, port and
    address, or when the socket belongs to docker-proxy or dockerd (a swarm host-mode
    port) and a published port has the same proto and port. Published ports no socket
    accounts for (userland-proxy off: the kernel forwards them) become rows of their own
    with source 'docker'. Every ingress port (see swarm_ingress_ports) is a row on
    0.0.0.0 with source 'swarm-ingress' and the service name as container: the kernel
    forwards it on every node of the swarm, without a socket.
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
        elif process in (DOCKER_PROXY, DOCKER_DAEMON):
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
    for item in ingress or []:
        rows.append(_row(item['proto'], 4, '0.0.0.0', item['port'], container=item.get('service'), source=SWARM_INGRESS))
    rows.sort(key=_row_sort_key)
    return rows


def describe_owner(row):
    """'container NAME', 'service NAME, swarm ingress', 'process NAME, pid N' or 'process unknown' for a table row."""
    if row.get('source') == SWARM_INGRESS:
        return 'service %s, swarm ingress' % row['container'] if row.get('container') else 'swarm ingress'
    if row.get('container'):
        return 'container %s' % row['container']
    if row.get('process') and row.get('pid') is not None:
        return 'process %s, pid %d' % (row['process'], row['pid'])
    if row.get('process'):
        return 'process %s' % row['process']
    if row.get('pid') is not None:
        return 'pid %d' % row['pid']
    return 'process unknown'


def judge_exposure(rows, allowed, firewalled=None):
    """The rows off loopback the policy does not allow, split into offenders and firewall-filtered rows.

    A row whose scope is not loopback and whose (port, proto) is not in `allowed` (port
    specs, see parse_port_spec) is an offender, unless its (port, proto) is in
    `firewalled`: a published port that cannot be bound to loopback (Swarm has no host
    address for published ports) and that the host firewall drops from outside. Such a
    row is only filtered, which is a claim the outside scan (port_scan) must prove. The
    same port/proto/address/container is reported once. Returns a dict: offenders,
    messages, filtered, filtered_messages. Raises ValueError for a bad spec.
    """
    allowed_pairs = parse_port_specs(allowed, what='allowed port spec')
    firewalled_pairs = parse_port_specs(firewalled, what='firewalled port spec')
    shown = format_port_list(allowed_pairs)
    result = dict(offenders=[], messages=[], filtered=[], filtered_messages=[])
    seen = set()
    for row in sorted(rows, key=_row_sort_key):
        pair = (row['port'], row['proto'])
        if row['scope'] == 'loopback' or pair in allowed_pairs:
            continue
        key = (row['port'], row['proto'], row['address'], row.get('container'))
        if key in seen:
            continue
        seen.add(key)
        where = '%d/%s listens on %s (%s)' % (row['port'], row['proto'], row['address'], describe_owner(row))
        if pair in firewalled_pairs:
            result['filtered'].append(dict(row))
            result['filtered_messages'].append('%s; %s' % (where, FIREWALL_CLAUSE))
        else:
            result['offenders'].append(dict(row))
            result['messages'].append('%s; allowed off loopback: %s' % (where, shown))
    return result


def assess_exposure(sockets, docker_ports=None, ingress=None, allowed=None, firewalled=None):
    """The whole judgement: merge_exposure, then judge_exposure. Returns a dict: listeners, offenders, messages,
    filtered, filtered_messages."""
    listeners = merge_exposure(sockets, docker_ports, ingress)
    result = judge_exposure(listeners, allowed, firewalled)
    result['listeners'] = listeners
    return result


def compare_policy(rows, allowed, firewalled=None):
    """Offending rows and one message line each (see judge_exposure; firewalled rows are not offenders).

    An offender is a row whose scope is not loopback and whose (port, proto) is not in
    `allowed` (port specs, see parse_port_spec). The same port/proto/address/container is
    reported once. Raises ValueError for a bad spec in `allowed`.
    """
    result = judge_exposure(rows, allowed, firewalled)
    return result['offenders'], result['messages']
