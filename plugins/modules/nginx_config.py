#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: nginx_config
short_description: Change nginx configuration files together, keeping them only when nginx -t accepts the whole
description:
  - Compares a set of files with the host. When any differs, puts all the new files in place and removes those in
    O(absent), then runs O(test_command) (C(nginx -t)) on the whole configuration. When the test fails, every file is
    put back as it was (content, owner, group, mode; new files removed) and the module fails with nginx's own
    message. nginx itself is never reloaded by the module; reload it (a handler) when the task reports a change.
  - nginx reads its files only when it starts or reloads, so the running server never sees a rejected candidate.
    An exclusive lock on O(lock_file) is held while the files are swapped and tested; the role's certbot deploy hook
    takes the same lock before its own C(nginx -t) and reload.
  - A file may take its content from a secret file on the host (O(files[].secret_from)) instead of O(files[].content);
    the content then becomes an nginx C(map) entry that matches exactly the token in that file. The token never
    leaves the host, and never appears in the result or in the diff.
author:
  - stackops.hardened developers (@stackops)
options:
  files:
    description:
      - The files wanted, each with its whole content. Their directories must exist.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the file.
        type: path
        required: true
      content:
        description: The whole content of the file. Exactly one of O(files[].content) and O(files[].secret_from).
        type: str
      secret_from:
        description:
          - A file on the host holding a Telegram webhook secret token (1-256 characters C(A-Z), C(a-z), C(0-9), C(_),
            C(-); white space around it is ignored).
          - The content becomes the C(map) entry C("~^TOKEN$" "TOKEN";), for inclusion in a C(map) block over
            C($http_x_telegram_bot_api_secret_token) (a regular expression, because plain C(map) keys ignore case);
            its value is the token passed on to the upstream.
          - A missing file, or one that is not such a token, fails the module before anything changes; in check mode
            a missing file is reported as a change.
        type: path
      owner:
        description: User that owns the file; the current owner (or root for a new file) when not given.
        type: str
      group:
        description: Group of the file; the current group (or root's for a new file) when not given.
        type: str
      mode:
        description: Octal mode, such as V("0644"); the current mode (or V("0644") for a new file) when not given.
        type: str
      label:
        description: What the file is for (a site name), used in messages.
        type: str
      previous:
        description:
          - With O(files[].secret_from) and O(files[].grace) - the grace file of the entry. When the token changes,
            the token it replaces is written here as a C(map) entry whose value is the new token, with a first line
            C(# until EPOCH) (now plus O(files[].grace) seconds); include it in the same C(map) block, so nginx
            accepts the old token too and passes the new one on.
          - The file is removed when its window ended, when it no longer matches the current token, and when
            O(files[].grace) is 0. Something must still remove it at the end of its window between runs (the nginx
            role installs a systemd path unit and service for that).
        type: path
      grace:
        description: Seconds the previous token stays accepted after a change (0 accepts only the new one).
        type: int
        default: 0
  absent:
    description:
      - Files to remove in the same transaction (sites no longer wanted).
    type: list
    elements: path
    default: []
  test_command:
    description:
      - The command that tests the whole configuration with the new files in place. Exit code 0 means accepted.
    type: list
    elements: str
    default: [nginx, -t, -q]
  lock_file:
    description:
      - File locked while the files are swapped and tested.
    type: path
    default: /run/lock/stackops-nginx.lock
attributes:
  check_mode:
    support: full
    description: Reports what would change, with the diff; writes nothing and runs no test.
  diff_mode:
    support: full
    description: One diff per changed file; the content of secret files is replaced by a note.
  platform:
    support: full
    platforms: posix
    description: Runs on the host whose nginx it configures; needs C(flock) support (Linux).
notes:
  - Run as root (C(become=true)).
seealso:
  - module: ansible.builtin.template
'''

EXAMPLES = r'''
- name: Write the site and its webhook secret include, tested by nginx -t together
  stackops.hardened.nginx_config:
    files:
      - path: /etc/nginx/stackops/sites/api.example.test.conf
        content: "{{ lookup('ansible.builtin.template', 'site.conf.j2') }}"
        owner: root
        group: root
        mode: "0644"
      - path: /etc/nginx/stackops/secrets/api.example.test.webhook.map
        secret_from: /opt/demo/secrets/10001/telegram_webhook_secret
        mode: "0600"
        label: api.example.test
    absent:
      - /etc/nginx/stackops/sites/old.example.test.conf
  become: true
  notify: Reload nginx
'''

RETURN = r'''
changed_files:
  description: Paths written or removed (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/nginx/stackops/sites/api.example.test.conf]
grace:
  description: Grace files written, with the epoch second their window ends.
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/nginx/stackops/secrets/api.example.test.webhook.previous.map, label: api.example.test, until: 1767225600}]
test_output:
  description: What O(test_command) printed when it rejected the files (also in the failure message).
  returned: failure
  type: str
  sample: 'nginx: [emerg] unknown directive "proxy_bogus" in /etc/nginx/stackops/sites/api.example.test.conf:40'
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.nginx_config import (
    ConfigError,
    NginxTestFailed,
    apply_changes,
    locked,
    plan_changes,
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
                    content=dict(type='str'),
                    secret_from=dict(type='path'),
                    owner=dict(type='str'),
                    group=dict(type='str'),
                    mode=dict(type='str'),
                    label=dict(type='str'),
                    previous=dict(type='path'),
                    grace=dict(type='int', default=0),
                ),
                mutually_exclusive=[('content', 'secret_from')],
                required_one_of=[('content', 'secret_from')],
            ),
            absent=dict(type='list', elements='path', default=[]),
            test_command=dict(type='list', elements='str', default=['nginx', '-t', '-q']),
            lock_file=dict(type='path', default='/run/lock/stackops-nginx.lock'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not params['test_command'] or any(not word or '\x00' in word for word in params['test_command']):
        module.fail_json(msg='test_command must be a command and its arguments, such as [nginx, -t, -q]; nothing was '
                             'changed', changed_files=[])
    try:
        if module.check_mode:
            changes = plan_changes(params['files'], params['absent'], check_mode=True)
            changed_files = [change['path'] for change in changes]
        else:
            with locked(params['lock_file']):
                changes = plan_changes(params['files'], params['absent'])
                changed_files = apply_changes(
                    changes, lambda: module.run_command(params['test_command'], handle_exceptions=False)) if changes else []
    except NginxTestFailed as exc:
        module.fail_json(msg=str(exc), test_output=exc.output, changed_files=[])
    except ConfigError as exc:
        module.fail_json(msg=str(exc), changed_files=[])

    labels = dict((entry['path'], entry.get('label')) for entry in params['files'])
    result = dict(changed=bool(changes), changed_files=changed_files,
                  grace=[dict(path=change['path'], label=labels.get(change['grace_of']), until=change['until'])
                         for change in changes if change.get('grace_of') and change['action'] == 'write'])
    if module._diff and changes:
        result['diff'] = [change['diff'] for change in changes]
    module.exit_json(**result)


if __name__ == '__main__':
    main()
