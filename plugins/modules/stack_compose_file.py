#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: stack_compose_file
short_description: Write a stack's hardened compose file, rendered once on the controller
description:
  - Renders the compose project of O(services) with the stack role's hardened defaults (the same project as the
    P(stackops.hardened.stack_compose#filter) filter), as block-style YAML with sorted keys, and writes it to O(dest)
    with M(ansible.builtin.copy).
  - The rendered text is compared with the live file's checksum first; O(validate) runs only when the file would
    change, on the new file before it replaces the live one.
  - Check mode and C(--diff) behave as with M(ansible.builtin.copy).
author:
  - stackops.hardened developers (@stackops)
options:
  services:
    description: The services, in compose syntax (the stack role's C(stack_services)).
    type: dict
    default: {}
  name:
    description: Name of the compose project.
    type: str
    required: true
  defaults:
    description: Settings added to every service unless the service sets the key itself.
    type: dict
    default: {}
  public_ports:
    description: Published ports that answer off loopback, as C({service, port}); every other one binds 127.0.0.1.
    type: list
    elements: raw
    default: []
  secrets_dir:
    description: Directory of the secret files on the host.
    type: path
  fingerprints:
    description: Secret name to fingerprint; a service's label carries those of its secrets.
    type: dict
    default: {}
  dest:
    description: Path of the compose file.
    type: path
    required: true
  owner:
    description: Owner of the file.
    type: str
  group:
    description: Group of the file.
    type: str
  mode:
    description: Mode of the file.
    type: raw
  validate:
    description: Command run on the new file before it replaces O(dest); C(%s) is the new file's path.
    type: str
attributes:
  action:
    support: full
    description: Renders on the controller and writes with the M(ansible.builtin.copy) action.
  check_mode:
    support: full
    description: Says whether the file would change, and writes nothing.
  diff_mode:
    support: full
    description: Shows the change of the compose file as M(ansible.builtin.copy) does.
  platform:
    support: full
    platforms: posix
    description: Writes to any POSIX host.
seealso:
  - plugin: stackops.hardened.stack_compose
    plugin_type: filter
  - module: ansible.builtin.copy
'''

EXAMPLES = r'''
- name: Write the compose file, checked with docker compose config when it changes
  stackops.hardened.stack_compose_file:
    services: "{{ stack_services }}"
    name: demo
    defaults: "{{ stack_service_defaults }}"
    secrets_dir: /opt/demo/secrets
    dest: /opt/demo/compose.yaml
    owner: root
    group: root
    mode: "0640"
    validate: docker compose --project-directory /opt/demo -p demo -f %s config --quiet
'''

RETURN = r'''
changed:
  description: Whether the compose file was (or, in check mode, would be) replaced.
  returned: always
  type: bool
  sample: false
dest:
  description: Path of the compose file.
  returned: success
  type: str
  sample: /opt/demo/compose.yaml
checksum:
  description: SHA1 checksum of the rendered file.
  returned: success
  type: str
  sample: 6e642bb8dd5c2e027bf21dd923337cbb4214f827
'''
