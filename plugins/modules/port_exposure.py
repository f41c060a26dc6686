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
  - Every listener whose address is not loopback (C(127.0.0.0/8), C(::1)) and whose port and protocol are not in
    O(allowed) is an offender. The module never changes anything.
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
extends_documentation_fragment:
  - stackops.hardened.read_only
attributes:
  platform:
    support: full
    platforms: posix
    description: Needs Linux C(/proc).
notes:
  - Sockets are read in the network namespace the module runs in; run it on the host, not in a container.
seealso:
  - module: stackops.hardened.port_scan
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
      description: V(socket) when read from the kernel socket tables, V(docker) when only Docker reported it.
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
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.exposure import (
    compare_policy,
    merge_exposure,
    parse_port_specs,
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
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        parse_port_specs(params['allowed'], what='allowed port spec')
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    try:
        sockets = read_listeners()
    except (OSError, ValueError) as exc:
        module.fail_json(msg='cannot read the listening sockets: %s' % exc)

    docker_ports = []
    docker_note = 'Docker not checked (include_docker=false)'
    if params['include_docker']:
        try:
            docker_ports, docker_note = read_docker_published(params['docker_socket'])
        except DockerAPIError as exc:
            module.fail_json(msg=str(exc))

    listeners = merge_exposure(sockets, docker_ports)
    offenders, messages = compare_policy(listeners, params['allowed'])
    unowned = [row for row in listeners if row['source'] == 'socket' and row['pid'] is None]
    if unowned:
        if os.geteuid() != 0:
            why = 'run with become: true to see the owners'
        else:
            why = 'they belong to the kernel or to processes outside this PID namespace'
        module.warn('%d listening socket(s) have no owning process visible: %s' % (len(unowned), why))

    result = dict(changed=False, listeners=listeners, offenders=offenders, messages=messages, docker_note=docker_note)
    if offenders and params['fail_on_offender']:
        module.fail_json(msg='; '.join(messages), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
