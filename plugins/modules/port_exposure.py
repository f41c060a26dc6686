#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: port_exposure
short_description: Prove which ports listen off loopback, and fail on those the policy does not allow
description:
  - Reads the kernel socket tables C(/proc/net/tcp), C(tcp6), C(udp) and C(udp6) for listening TCP sockets and
    unconnected bound UDP sockets, and finds the owning process of each through C(/proc/<pid>/fd).
  - Reads the ports Docker publishes from the Docker Engine API on its unix socket, so ports forwarded by the kernel
    (C(userland-proxy) off, no C(docker-proxy) socket) are seen too, with the name of their container.
  - On a Docker Swarm manager (C(GET /info) says C(Swarm.LocalNodeState=active) and C(Swarm.ControlAvailable)), also
    reads the services (C(GET /services)) and adds a row for every port published in C(ingress) mode (the routing
    mesh) on V(0.0.0.0), with the service name as container and RV(listeners[].source=swarm-ingress). Such a port
    answers on every node of the swarm although no socket exists (the kernel forwards it), and a worker cannot list
    services; give the workers the manager's RV(swarm_ingress) in O(swarm_ingress_ports).
  - Ports a swarm task publishes in C(host) mode are container ports of the node that runs the task; the socket for
    them is held by C(dockerd) itself and is matched to that container, as C(docker-proxy) sockets are.
  - Every listener whose address is not loopback (C(127.0.0.0/8), C(::1)) and whose port and protocol are not in
    O(allowed) is an offender, unless its port is in O(firewalled) (see there). The module never changes anything.
  - Run it with C(become=true); without root the owners of other users' sockets stay unknown.
author:
  - stackops.hardened developers (@stackops)
options:
  allowed:
    description:
      - Ports allowed to listen off loopback.
      - Each item is V(PORT) (TCP), V(PORT/tcp) or V(PORT/udp), with PORT 1-65535.
      - UDP listeners such as a DHCP client (V(68/udp)) count too; list them if the host needs them.
    type: list
    elements: str
    default: ['22', '80', '443']
  include_docker:
    description:
      - Also read the ports published by running containers from the Docker Engine API.
      - When the socket in O(docker_socket) does not exist, this is noted in RV(docker_note) and the check goes on.
    type: bool
    default: true
  docker_socket:
    description:
      - Path of the Docker Engine API unix socket.
      - If it exists but cannot be read, the module fails.
    type: path
    default: /var/run/docker.sock
  fail_on_offender:
    description:
      - Fail when there is at least one offender. The message lists the offenders, separated by V(; ).
      - With V(false) the module only reports them in RV(offenders) and RV(messages).
    type: bool
    default: true
  firewalled:
    description:
      - Published ports that listen off loopback because they cannot be bound to it (Docker Swarm has no host address
        for published ports, neither in ingress nor in host mode) and that the host firewall drops from outside.
      - Each item is V(PORT) (TCP), V(PORT/tcp) or V(PORT/udp), as in O(allowed).
      - A listener on such a port that is not in O(allowed) is not an offender; it is listed in RV(filtered) with a line
        in RV(filtered_messages) instead.
      - This weakens the check from inside the host to a claim; only a scan from outside
        (M(stackops.hardened.port_scan)) can prove that the firewall really drops these ports. Run that scan whenever
        you use this option.
    type: list
    elements: str
    default: []
  swarm_ingress_ports:
    description:
      - Ports the swarm publishes in ingress mode, given from outside, for swarm workers, which cannot read them
        (only a manager can list services). Pass the RV(swarm_ingress) a run on a manager returned.
      - Each becomes a listener on V(0.0.0.0) of the service, as the ones read on a manager do.
    type: list
    elements: dict
    default: []
    suboptions:
      port:
        description:
          - The published port, 1-65535.
        type: int
        required: true
      proto:
        description:
          - The protocol of the port.
        type: str
        choices: [tcp, udp]
        default: tcp
      service:
        description:
          - The name of the service that publishes the port.
        type: str
        required: true
extends_documentation_fragment:
  - stackops.hardened.read_only
attributes:
  platform:
    support: full
    platforms: posix
    description: Needs Linux C(/proc).
notes:
  - Sockets are read in the network namespace the module runs in; run it on the host, not in a container.
  - Swarm ingress ports are only read when O(include_docker=true); O(swarm_ingress_ports) are used either way.
seealso:
  - module: stackops.hardened.port_scan
  - module: stackops.hardened.health_check
'''

EXAMPLES = r'''
- name: Prove only SSH, HTTP and HTTPS listen off loopback
  become: true
  stackops.hardened.port_exposure:
    allowed:
      - "22"
      - "80"
      - "443"

- name: Allow DNS over UDP as well, and report without failing
  become: true
  stackops.hardened.port_exposure:
    allowed: ["22", "443/tcp", "53/udp"]
    fail_on_offender: false
  register: exposure

- name: Show the offenders
  ansible.builtin.debug:
    var: exposure.messages

- name: Read the swarm's ingress ports on the first manager (the API port relies on the firewall)
  become: true
  stackops.hardened.port_exposure:
    allowed: ["22", "80", "443"]
    firewalled: ["8000"]
  delegate_to: "{{ groups['swarm_managers'] | first }}"
  run_once: true
  register: manager_exposure

- name: Check every node, with the ingress ports the manager read
  become: true
  stackops.hardened.port_exposure:
    allowed: ["22", "80", "443"]
    firewalled: ["8000"]
    swarm_ingress_ports: "{{ manager_exposure.swarm_ingress }}"
  register: node_exposure

- name: Show what only the outside scan can prove
  ansible.builtin.debug:
    var: node_exposure.filtered_messages
'''

RETURN = r'''
listeners:
  description: Every listener found, from the socket tables and from Docker, sorted by port.
  returned: always
  type: list
  elements: dict
  contains:
    proto:
      description: V(tcp) or V(udp).
      type: str
      sample: tcp
    family:
      description: IP version, V(4) or V(6).
      type: int
      sample: 4
    address:
      description: Address listened on, in normalised text form.
      type: str
      sample: 0.0.0.0
    scope:
      description: V(loopback), V(all) (wildcard address) or V(specific).
      type: str
      sample: all
    port:
      description: Port number.
      type: int
      sample: 6379
    process:
      description: Name of the owning process, V(null) when it could not be seen.
      type: str
      sample: docker-proxy
    pid:
      description: PID of the owning process, V(null) when it could not be seen.
      type: int
      sample: 812
    container:
      description: Name of the container that publishes the port, V(null) if none.
      type: str
      sample: botstack-redis-1
    source:
      description:
        - V(socket) when read from the kernel socket tables, V(docker) when only Docker reported it, V(swarm-ingress)
          for a port the swarm publishes in ingress mode (C(container) is then the service name).
      type: str
      sample: socket
  sample:
    - proto: tcp
      family: 4
      address: 0.0.0.0
      scope: all
      port: 22
      process: sshd
      pid: 601
      container: null
      source: socket
offenders:
  description: The listeners off loopback whose port and protocol are not allowed, once per port, protocol, address and container.
  returned: always
  type: list
  elements: dict
  sample:
    - proto: tcp
      family: 4
      address: 0.0.0.0
      scope: all
      port: 6379
      process: docker-proxy
      pid: 1290
      container: botstack-redis-1
      source: socket
messages:
  description: One line per offender.
  returned: always
  type: list
  elements: str
  sample:
    - "6379/tcp listens on 0.0.0.0 (container botstack-redis-1); allowed off loopback: 22, 80, 443"
docker_note:
  description: What was read from Docker, or why Docker was not checked.
  returned: always
  type: str
  sample: read 2 published port(s) of 5 running container(s) from /var/run/docker.sock
filtered:
  description:
    - The listeners off loopback whose port is in O(firewalled) and not in O(allowed), once per port, protocol,
      address and container. They are not offenders; the host firewall must drop them, which only a scan from
      outside proves.
  returned: always
  type: list
  elements: dict
  sample:
    - proto: tcp
      family: 4
      address: 0.0.0.0
      scope: all
      port: 8000
      process: null
      pid: null
      container: demo_api
      source: swarm-ingress
filtered_messages:
  description: One line per filtered listener.
  returned: always
  type: list
  elements: str
  sample:
    - "8000/tcp listens on 0.0.0.0 (service demo_api, swarm ingress); relies on the host firewall (prove it from outside
      with port_scan)"
swarm_ingress:
  description:
    - The ports the swarm publishes in ingress mode, read on a manager and given in O(swarm_ingress_ports), sorted.
    - Pass it to the runs on the workers as O(swarm_ingress_ports).
  returned: always
  type: list
  elements: dict
  contains:
    port:
      description: The published port.
      type: int
      sample: 8000
    proto:
      description: V(tcp) or V(udp).
      type: str
      sample: tcp
    service:
      description: The name of the service.
      type: str
      sample: demo_api
swarm_note:
  description: What was read from Docker Swarm, or why nothing was.
  returned: always
  type: str
  sample: "swarm manager: read 1 ingress port(s) of 5 service(s)"
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.exposure import (
    assess_exposure,
    merge_ingress,
    normalise_ingress_ports,
    parse_port_specs,
    read_swarm_ingress,
)
from ansible_collections.stackops.hardened.plugins.module_utils.sockets import (
    DockerAPIError,
    read_docker_published,
    read_listeners,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            allowed=dict(type='list', elements='str', default=['22', '80', '443']),
            include_docker=dict(type='bool', default=True),
            docker_socket=dict(type='path', default='/var/run/docker.sock'),
            fail_on_offender=dict(type='bool', default=True),
            firewalled=dict(type='list', elements='str', default=[]),
            swarm_ingress_ports=dict(
                type='list',
                elements='dict',
                default=[],
                options=dict(
                    port=dict(type='int', required=True),
                    proto=dict(type='str', choices=['tcp', 'udp'], default='tcp'),
                    service=dict(type='str', required=True),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        parse_port_specs(params['allowed'], what='allowed port spec')
        parse_port_specs(params['firewalled'], what='firewalled port spec')
        given_ingress = normalise_ingress_ports(params['swarm_ingress_ports'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    try:
        sockets = read_listeners()
    except (OSError, ValueError) as exc:
        module.fail_json(msg='cannot read the listening sockets: %s' % exc)

    docker_ports = []
    docker_note = 'Docker not checked (include_docker=false)'
    read_ingress = []
    role = None
    swarm_note = 'Docker Swarm not checked (include_docker=false)'
    if params['include_docker']:
        try:
            docker_ports, docker_note = read_docker_published(params['docker_socket'])
            read_ingress, role, swarm_note = read_swarm_ingress(params['docker_socket'])
        except DockerAPIError as exc:
            module.fail_json(msg=str(exc))
        if role == 'worker' and not given_ingress:
            module.warn('this host is a swarm worker: it cannot list services, so ports the swarm publishes in ingress '
                        'mode (they answer on every node) are not seen; pass the swarm_ingress a run on a manager '
                        'returned as swarm_ingress_ports')
    if given_ingress:
        swarm_note += '; %d ingress port(s) given in swarm_ingress_ports' % len(given_ingress)
    swarm_ingress = merge_ingress(read_ingress, given_ingress)

    judged = assess_exposure(sockets, docker_ports, swarm_ingress, params['allowed'], params['firewalled'])
    listeners, offenders, messages = judged['listeners'], judged['offenders'], judged['messages']
    unowned = [row for row in listeners if row['source'] == 'socket' and row['pid'] is None]
    if unowned:
        if os.geteuid() != 0:
            why = 'run with become: true to see the owners'
        else:
            why = 'they belong to the kernel or to processes outside this PID namespace'
        module.warn('%d listening socket(s) have no owning process visible: %s' % (len(unowned), why))

    result = dict(changed=False, listeners=listeners, offenders=offenders, messages=messages, docker_note=docker_note,
                  filtered=judged['filtered'], filtered_messages=judged['filtered_messages'],
                  swarm_ingress=swarm_ingress, swarm_note=swarm_note)
    if offenders and params['fail_on_offender']:
        module.fail_json(msg='; '.join(messages), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
