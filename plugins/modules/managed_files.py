#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: managed_files
short_description: Manage the content, owner, group and mode of many small files in one task
description:
  - Brings a list of files to the requested state in one module call, instead of one
    M(ansible.builtin.copy) or M(ansible.builtin.file) task per file. An idempotent re-run of a role that
    writes many small configuration files then costs one round trip to the host.
  - Every entry is checked first (absolute path, known owner and group, octal mode, fields that fit the state) and
    compared with the host; when any entry is wrong or cannot be applied, the module fails before changing anything.
  - Content is written atomically. The new content goes to a temporary file in the same directory, is flushed to
    disk, gets its owner, group and mode, is checked with O(files[].validate) when given, and only then replaces
    the file. A rejected candidate is removed and the old file stays as it was.
  - When a file exists and O(files[].owner), O(files[].group) or O(files[].mode) is not given, the new content keeps
    the existing owner, group and mode. A new file without O(files[].mode) gets V(0666) minus the umask.
  - A symlink at O(files[].path) is followed for V(file) and V(attributes), so the file it points to is managed and the
    link stays. V(absent) removes the link itself.
  - Content never appears in the result, not even in the returned module arguments, except in the diff of diff mode
    when O(hide_content=false).
author:
  - stackops.hardened developers (@stackops)
options:
  files:
    description:
      - The files to manage, in the order they are applied. Each path may appear once.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - Absolute path of the file. Its parent directory must exist.
        type: path
        required: true
      state:
        description:
          - V(file) writes O(files[].content) and sets owner, group and mode when given.
          - V(absent) removes the file or link; nothing happens when it is already missing. A directory is refused.
          - V(attributes) only changes owner, group and mode of an existing file or directory, and fails when the path
            is missing.
        type: str
        choices: [file, absent, attributes]
        default: file
      content:
        description:
          - The whole content of the file, as text written in UTF-8. Required with O(files[].state=file); not allowed
            with the other states.
        type: str
      owner:
        description:
          - User name or numeric uid that should own the file. A name that does not exist on the host is refused.
        type: str
      group:
        description:
          - Group name or numeric gid of the file. A name that does not exist on the host is refused.
        type: str
      mode:
        description:
          - Permissions as a quoted octal string with a leading zero, for example V("0644") or V("0750").
          - Anything else is refused, including an unquoted YAML number such as C(0644), which arrives as decimal 420.
        type: str
      validate:
        description:
          - Command run on the candidate temporary file before it replaces O(files[].path); C(%s) stands for the
            candidate. It is split into words like a shell would, but run without a shell and without expanding
            C(~) or variables. The file is replaced only when the command exits with 0.
          - Only with O(files[].state=file). Not run in check mode.
        type: str
  hide_content:
    description:
      - When V(true), diffs show only paths, state, owner, group and mode, and whether content changes, never the
        content itself. Use it for files holding secrets, together with C(no_log) on the task.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reports which files would change and how, and touches nothing. Validate commands are not run.
  diff_mode:
    support: full
    description:
      - Returns a list of diffs, one per changed content (as text) and one per changed owner, group or mode (as
        before and after dicts).
  platform:
    support: full
    platforms: posix
    description: Runs on any POSIX host with Python.
notes:
  - O(hide_content) keeps content out of what the module returns. Ansible can still show the task arguments
    elsewhere (for example in debug output); set C(no_log=true) on the task for secrets.
  - SELinux contexts and extended attributes are not managed.
seealso:
  - module: ansible.builtin.copy
  - module: ansible.builtin.file
'''

EXAMPLES = r'''
- name: Write the app configuration files in one call
  stackops.hardened.managed_files:
    files:
      - path: /etc/app/app.conf
        content: "{{ lookup('ansible.builtin.template', 'app.conf.j2') }}"
        owner: root
        group: app
        mode: "0640"
      - path: /etc/app/limits.conf
        content: |
          max_connections = 100
        mode: "0644"
      - path: /etc/app/old.conf
        state: absent
      - path: /var/lib/app
        state: attributes
        owner: app
        group: app
        mode: "0750"

- name: Install an sshd drop-in only when sshd accepts it
  stackops.hardened.managed_files:
    files:
      - path: /etc/ssh/sshd_config.d/10-hardening.conf
        content: "{{ lookup('ansible.builtin.template', 'hardening.conf.j2') }}"
        mode: "0600"
        validate: /usr/sbin/sshd -t -f %s
  notify: Reload sshd

- name: Write secrets without showing them in diffs or results
  stackops.hardened.managed_files:
    hide_content: true
    files:
      - path: /etc/app/secrets.env
        content: "DB_PASSWORD={{ app_db_password }}\n"
        owner: root
        group: app
        mode: "0640"
  no_log: true
'''

RETURN = r'''
changed_paths:
  description: Paths that changed, or would change in check mode, in the order given.
  returned: always
  type: list
  elements: str
  sample: ["/etc/app/app.conf", "/etc/app/old.conf"]
results:
  description: One item per entry of O(files), in the order given, with what was done (or would be done) to it.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The normalised absolute path.
      type: str
      sample: /etc/app/app.conf
    state:
      description: The requested state.
      type: str
      sample: file
    actions:
      description:
        - What was (or would be) done, in order. Empty when the path was already as requested.
        - V(write) replaces the content, V(remove) deletes the file, V(chown) changes owner or group, V(chmod) the mode.
      type: list
      elements: str
      sample: ["write", "chmod"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.files import (
    FilesError,
    manage,
    redact_params,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(
                type='list',
                elements='dict',
                required=True,
                options=dict(
                    path=dict(type='path', required=True),
                    state=dict(type='str', choices=['file', 'absent', 'attributes'], default='file'),
                    content=dict(type='str'),
                    owner=dict(type='str'),
                    group=dict(type='str'),
                    mode=dict(type='str'),
                    validate=dict(type='str'),
                ),
            ),
            hide_content=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    invocation = dict(module_args=redact_params(module.params))

    def run_command(args):
        return module.run_command(args, expand_user_and_vars=False, handle_exceptions=False)

    try:
        result = manage(
            module.params['files'],
            run_command=run_command,
            check_mode=module.check_mode,
            want_diff=module._diff,
            hide_content=module.params['hide_content'],
        )
    except ValueError as exc:
        module.fail_json(msg=str(exc), changed=False, invocation=invocation)
    except FilesError as exc:
        done = exc.result or dict(changed=False, changed_paths=[], results=[], diff=[])
        extra = dict(diff=done['diff']) if module._diff else {}
        module.fail_json(msg=str(exc), changed=done['changed'], changed_paths=done['changed_paths'],
                         results=done['results'], invocation=invocation, **extra)

    if not module._diff:
        result.pop('diff')
    module.exit_json(invocation=invocation, **result)


if __name__ == '__main__':
    main()
