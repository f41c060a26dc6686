#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: compose_drift
short_description: Tell whether a compose project already runs as its compose file describes
description:
  - Compares the configuration hash of every service of a compose file (C(docker compose config --hash '*')) with the
    C(com.docker.compose.config-hash) label of the project's containers, read from the Docker Engine API on its unix
    socket, and checks their state. Long-running services must be running, one-shot services (such as a migration)
    must have exited with code 0.
  - Returns RV(in_sync) and, when it is false, one reason per service. A play runs C(docker compose up) only when the
    project drifted, so that a project with one-shot services reports no change on a second run (C(up) would start the
    one-shot again).
  - Containers of C(docker compose run) are ignored.
author:
  - stackops.hardened developers (@stackops)
extends_documentation_fragment:
  - stackops.hardened.read_only
options:
  project_src:
    description: Directory of the compose project (its working directory).
    type: path
    required: true
  files:
    description: Compose files, relative to O(project_src).
    type: list
    elements: str
    default: [compose.yaml]
  project_name:
    description: Name of the project; by default the C(name) in the compose file.
    type: str
  oneshots:
    description: Services that run once and exit (expected C(exited) with code 0, not C(running)).
    type: list
    elements: str
    default: []
  docker_cli:
    description: The docker command line client.
    type: path
    default: docker
  docker_socket:
    description: Path of the Docker Engine API socket.
    type: path
    default: /var/run/docker.sock
'''

EXAMPLES = r'''
- name: Find out whether the stack drifted from its compose file
  stackops.hardened.compose_drift:
    project_src: /opt/demo
    project_name: demo
    oneshots: [migrate]
  register: demo_drift

- name: Apply the compose file only when the stack drifted
  community.docker.docker_compose_v2:
    project_src: /opt/demo
    state: present
  when: not demo_drift.in_sync
'''

RETURN = r'''
in_sync:
  description: Whether every service has a container made from its current configuration, in the expected state.
  returned: always
  type: bool
  sample: false
drift:
  description: One line per service that differs, empty when O(project_name) is in sync.
  returned: always
  type: list
  elements: str
  sample: ["service redis: its container was made from another configuration"]
services:
  description: The services that drifted (a service that runs but left the project is not listed).
  returned: always
  type: list
  elements: str
  sample: [redis, api]
oneshots_in_sync:
  description:
    - Whether every one-shot service in O(oneshots) is in sync. When it is, the drifted services can be brought up
      alone (C(docker compose up --no-deps SERVICE...)), and the one-shots are not started again.
  returned: always
  type: bool
  sample: true
desired:
  description: The configuration hash of each service of the compose file.
  returned: always
  type: dict
  sample: {api: 39bf6789efe7aeed32f9e29cb73d7c7af13921e84735013463084f0d03bcfe4a}
containers:
  description: The project's containers as compared.
  returned: always
  type: list
  elements: dict
  sample: [{name: demo-api-1, service: api, state: running, exit_code: 0}]
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import (
    DockerAPIError,
    inspect_container,
    list_containers,
)
from ansible_collections.stackops.hardened.plugins.module_utils.stack import (
    NAME_PATTERN,
    compare_project,
    container_summary,
    parse_config_hashes,
)


_SERVICE = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,62}')


def option_problem(params):
    """What is wrong with the options, naming the option and what is accepted; None when they are sound."""
    src = params['project_src']
    if '\x00' in src or not os.path.isabs(src):
        return 'project_src %r is not an absolute path: give the directory of the compose project' % src[:200]
    if not os.path.isdir(src):
        return 'project_src %s is not a directory: give the directory of the compose project' % src
    if not params['files']:
        return 'files is empty: give the compose file names, such as compose.yaml'
    for name in params['files']:
        if not name or '\x00' in name or '\n' in name or name.startswith('-'):
            return 'files entry %r is not a file name: give a compose file such as compose.yaml' % name[:200]
    if params['project_name'] is not None and not NAME_PATTERN.fullmatch(params['project_name']):
        return ('project_name %r is not a compose project name: lowercase letters, digits, _ or -, at most 63'
                % params['project_name'][:200])
    for name in params['oneshots']:
        if not _SERVICE.fullmatch(name):
            return 'oneshots entry %r is not a service name: letters, digits, _, . or -, at most 63' % name[:200]
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            project_src=dict(type='path', required=True),
            files=dict(type='list', elements='str', default=['compose.yaml']),
            project_name=dict(type='str'),
            oneshots=dict(type='list', elements='str', default=[]),
            docker_cli=dict(type='path', default='docker'),
            docker_socket=dict(type='path', default='/var/run/docker.sock'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problem = option_problem(params)
    if problem:
        module.fail_json(msg='compose_drift: %s' % problem)
    cli = module.get_bin_path(params['docker_cli'], required=True)
    args = [cli, 'compose', '--project-directory', params['project_src']]
    for name in params['files']:
        args += ['-f', name]
    if params['project_name']:
        args += ['-p', params['project_name']]
    rc, out, err = module.run_command(args + ['config', '--hash', '*'], cwd=params['project_src'])
    if rc != 0:
        module.fail_json(msg='docker compose config failed for %s: %s' % (params['project_src'], err.strip() or out))
    desired = parse_config_hashes(out)
    project = params['project_name']
    if not project:
        rc, out, err = module.run_command(args + ['config', '--format', 'json'], cwd=params['project_src'])
        if rc != 0:
            module.fail_json(msg='docker compose config failed for %s: %s' % (params['project_src'], err.strip()))
        try:
            project = module.from_json(out).get('name')
        except (ValueError, AttributeError):
            project = None
        if not isinstance(project, str) or not NAME_PATTERN.fullmatch(project):
            module.fail_json(msg='docker compose config for %s gave no project name; set project_name'
                             % params['project_src'])
    try:
        listed = list_containers(socket_path=params['docker_socket'], all_containers=True,
                                 labels=['com.docker.compose.project=%s' % project])
        containers = []
        for entry in listed:
            document = inspect_container(entry.get('Id'), socket_path=params['docker_socket'])
            if document is not None:
                containers.append(container_summary(document))
    except DockerAPIError as exc:
        module.fail_json(msg=str(exc))
    verdict = compare_project(desired, containers, params['oneshots'])
    module.exit_json(changed=False, in_sync=verdict['in_sync'], drift=verdict['drift'], services=verdict['services'],
                     oneshots_in_sync=verdict['oneshots_in_sync'], desired=desired,
                     containers=[dict((k, c[k]) for k in ('name', 'service', 'state', 'exit_code'))
                                 for c in containers])


if __name__ == '__main__':
    main()
