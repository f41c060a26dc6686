#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: secret_files
short_description: Keep a stack's secrets as root-only files, one copy per uid that reads them
description:
  - Writes each secret of O(secrets) to C(DIRECTORY/UID/NAME), mode C(0400), owned by C(UID:GID), once for every owner
    in its O(secrets[].owners). The directory and its per-uid subdirectories are C(0700 root:root). Files are replaced
    atomically (a temporary file in the same directory, renamed over the old one).
  - A secret with O(secrets[].value) gets that value. A secret with O(secrets[].generate) is made once on the host from
    the given alphabet with Python's C(secrets) module and never overwritten afterwards; an existing copy is copied to
    new owners.
  - Keeps C(DIRECTORY/fingerprints.json) (C(0400 root:root)), a fingerprint per secret, an HMAC-SHA256 of the value
    under a random key kept in C(DIRECTORY/.fingerprint-key). A fingerprint changes when its value changes and reveals
    nothing about it; the stack role labels services with them, so that rotating a secret recreates exactly the
    services that use it.
  - Results, messages and diffs name secrets, never values. Use C(no_log) on the task all the same.
  - Other checks on the values (placeholders, minimum length, kind) belong before this module runs; see the
    P(stackops.hardened.secret_problems#filter) filter.
author:
  - stackops.hardened developers (@stackops)
options:
  directory:
    description: Directory of the stack's secrets, such as C(/opt/demo/secrets). Created when missing.
    type: path
    required: true
  secrets:
    description: The secrets to keep.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the secret; also its file name and its name under C(/run/secrets/) in containers.
        type: str
        required: true
      value:
        description: The value, from a vault-encrypted variable. Exclusive with O(secrets[].generate).
        type: str
      generate:
        description: Make the value once on the host. Exclusive with O(secrets[].value).
        type: dict
        suboptions:
          length:
            description: Number of characters.
            type: int
            default: 32
          alphabet:
            description: Characters to draw from.
            type: str
            default: ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789
      owners:
        description: C(UID:GID) pairs that each get a copy. Without owners, one copy owned by C(0:0).
        type: list
        elements: str
        default: []
  prune:
    description: Remove files under C(DIRECTORY/UID/) that O(secrets) no longer declares for that uid.
    type: bool
    default: true
  regenerate:
    description:
      - Names of generated secrets (O(secrets[].generate)) to generate anew, replacing the value on the host - a
        rotation. Every run that names a secret here gives it a new value; names of secrets with a O(secrets[].value)
        are refused.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reports what would be written, generated or removed; writes nothing.
  diff_mode:
    support: partial
    description: The diff lists the names of the secrets and files that change, never their values.
'''

EXAMPLES = r'''
- name: Keep the stack's secrets as files
  stackops.hardened.secret_files:
    directory: /opt/demo/secrets
    secrets:
      - name: telegram_bot_token
        value: "{{ vault_telegram_bot_token }}"
        owners: ["10001:10001"]
      - name: redis_password
        generate:
          length: 40
        owners: ["998:998", "10001:10001"]
  no_log: true
  register: demo_secrets
'''

RETURN = r'''
changed_names:
  description: Secrets whose value was written (or would be), new or changed; a change of owner or mode is not listed.
  returned: always
  type: list
  elements: str
  sample: [redis_password]
generated_names:
  description: Secrets generated in this run (or that would be).
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description: Files removed by O(prune).
  returned: always
  type: list
  elements: str
  sample: [/opt/demo/secrets/10002/old_token]
fingerprints:
  description: Fingerprint of each secret; V(pending) in check mode for a secret that would be generated.
  returned: always
  type: dict
  sample: {redis_password: 3f1c0a9e5b7d2c11}
changes:
  description: One line per change made (or that would be), naming secrets and paths only.
  returned: always
  type: list
  elements: str
  sample: ["secret redis_password for uid 998: value"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.secret_store import (
    SecretError,
    sync_store,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directory=dict(type='path', required=True),
            secrets=dict(
                type='list',
                elements='dict',
                required=True,
                no_log=False,
                options=dict(
                    name=dict(type='str', required=True),
                    value=dict(type='str', no_log=True),
                    generate=dict(type='dict', options=dict(
                        length=dict(type='int', default=32),
                        alphabet=dict(type='str', default='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                                                          '0123456789'),
                    )),
                    owners=dict(type='list', elements='str', default=[]),
                ),
                mutually_exclusive=[('value', 'generate')],
                required_one_of=[('value', 'generate')],
            ),
            prune=dict(type='bool', default=True),
            regenerate=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        result = sync_store(module.params['directory'], module.params['secrets'], check_mode=module.check_mode,
                            prune=module.params['prune'], regenerate=module.params['regenerate'])
    except (SecretError, OSError, IOError) as exc:
        module.fail_json(msg='secret_files: %s' % exc)
    if module._diff:
        result['diff'] = dict(before='', after=''.join('%s\n' % line for line in result['changes']))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
