#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: datastore_password
short_description: Change a data store's password inside the running server, before its users restart
description:
  - A rotated password file does not change the password a running data store holds (PostgreSQL reads
    C(POSTGRES_PASSWORD_FILE) only when it initialises its data directory). This module sets the value of
    O(secret_file) in the running server of a compose service - C(ALTER ROLE) with a SCRAM-SHA-256 verifier computed
    by the module (the value itself never reaches the server's logs) for PostgreSQL, C(CONFIG SET requirepass) for
    Redis - authenticated with the value the running container still holds in O(password_file), then proves the new
    value logs in.
  - When the new value already logs in, nothing changes. When the service has no running container, nothing changes
    (it reads the new value when it starts).
  - The new value reaches the container only on the standard input of C(docker exec); it is never an argument or an
    environment variable of a command on the host, and never in the result.
author:
  - stackops.hardened developers (@stackops)
options:
  engine:
    description: The data store.
    type: str
    choices: [postgres, redis]
    required: true
  project:
    description: Compose project of the stack.
    type: str
    required: true
  service:
    description: Compose service of the data store.
    type: str
    required: true
  secret_file:
    description: The secret file on the host holding the new value (its first line), as the secrets role wrote it.
    type: path
    required: true
  password_file:
    description: The secret file inside the running container (V(/run/secrets/NAME)), which still holds the old value.
    type: str
    required: true
  user:
    description: PostgreSQL role whose password changes (the service's C(POSTGRES_USER)).
    type: str
  database:
    description: PostgreSQL database to connect to.
    type: str
attributes:
  check_mode:
    support: full
    description: Says whether the running server would get the new value; changes nothing.
  diff_mode:
    support: none
    description: The values are secrets; there is nothing to show.
  platform:
    support: full
    platforms: posix
    description: Runs on the Docker host of the stack, as root.
seealso:
  - module: stackops.hardened.secret_files
'''

EXAMPLES = r'''
- name: Give the running PostgreSQL the rotated password of role demo
  stackops.hardened.datastore_password:
    engine: postgres
    project: demo
    service: postgres
    secret_file: /opt/demo/secrets/999/postgres_password
    password_file: /run/secrets/postgres_password
    user: demo
    database: demo
  become: true
'''

RETURN = r'''
container:
  description: Id of the running container, or null when the service was not running.
  returned: always
  type: str
msg:
  description: What was done, naming the service.
  returned: always
  type: str
  sample: service postgres (postgres) accepts the new value (set in the running server)
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.datastore_password import (
    PasswordError,
    change_password,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            engine=dict(type='str', required=True, choices=['postgres', 'redis']),
            project=dict(type='str', required=True),
            service=dict(type='str', required=True),
            secret_file=dict(type='path', required=True),
            password_file=dict(type='str', required=True, no_log=False),
            user=dict(type='str'),
            database=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    try:
        result = change_password(module.params, check_mode=module.check_mode)
    except PasswordError as exc:
        module.fail_json(msg='%s. The services that use it were not restarted.' % exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
