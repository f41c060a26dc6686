#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: stack_release
short_description: Record and read the releases of a compose stack on one host
description:
  - Keeps the history of a stack's releases in O(directory)/O(stack)/, one JSON file per release (mode 0600, the
    directory 0700) and a C(current) file naming the release that serves.
  - A release records its id, the time, every service's image reference and the image it resolved to (the registry
    digest where the image came from a registry, and the local image id), the rendered compose file and its
    sha256, who ran the deploy, the backup taken before it and the loopback slot of each side-by-side service.
  - V(state=read) changes nothing and returns the history, the current release and the previous one. The previous
    release is the last one deployed before the current one that was neither rolled back nor failed, so after a
    rollback the next rollback goes further back. With O(target), the release a rollback would go to is resolved,
    and a target that is not a recorded release fails the module before anything changes.
  - V(state=active) makes a release current. Without O(rollback_to) a new release is recorded from O(images) and
    O(compose_file); when it is the same as the current one (same images, same compose file) nothing changes. With
    O(rollback_to) the recorded release becomes current again and the one it replaces is marked rolled back.
  - V(state=failed) records a release that failed its gate; it never becomes current.
  - Only the last O(keep) releases are kept, and always the current one.
author:
  - stackops.hardened developers (@stackops)
options:
  stack:
    description: Name of the stack (its compose project name).
    type: str
    required: true
  directory:
    description: Directory under which each stack's releases are kept.
    type: path
    default: /var/lib/stackops/releases
  state:
    description: What to do (see the description).
    type: str
    choices: [read, active, failed]
    default: read
  target:
    description:
      - With V(state=read), the release a rollback goes to - V(previous) or a recorded release id - returned as
        RV(target_release).
    type: str
  images:
    description: Image reference of each service, service name to reference.
    type: dict
    default: {}
  compose_file:
    description: The rendered compose file of the release; its text is recorded.
    type: path
  by:
    description: Who ran the deploy (a user, a CI job).
    type: str
    default: unknown
  backup:
    description: Files of the backup taken before the release (the database dumps).
    type: list
    elements: str
    default: []
  slots:
    description: Loopback slot (V(a) or V(b)) of each side-by-side service.
    type: dict
    default: {}
  rollback_to:
    description: With V(state=active), the recorded release id that becomes current again.
    type: str
  reason:
    description: With V(state=failed), what failed (the service and the check).
    type: str
  note:
    description: A note kept with the release.
    type: str
  keep:
    description: How many releases to keep (the current one is always kept).
    type: int
    default: 5
  docker_socket:
    description: Docker Engine API socket, read to resolve image references to what they are.
    type: path
    default: /var/run/docker.sock
attributes:
  check_mode:
    support: full
    description: Nothing is written in check mode; the result says what would be recorded.
  diff_mode:
    support: none
    description: Releases are records, not files an operator edits; nothing is shown as a diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the Debian host that holds the releases.
'''

EXAMPLES = r'''
- name: Read the releases of the stack
  stackops.hardened.stack_release:
    stack: demo
  register: demo_releases

- name: Resolve the release a rollback goes to
  stackops.hardened.stack_release:
    stack: demo
    target: previous

- name: Record the release that passed its gate
  stackops.hardened.stack_release:
    stack: demo
    state: active
    images: {api: "registry.example.com/demo/app:1.4.2"}
    compose_file: /opt/demo/compose.yaml
    by: "ci pipeline 1234"
    slots: {api: b}
    keep: 5
'''

RETURN = r'''
current:
  description: The current release (without its compose text), or null.
  returned: always
  type: dict
previous:
  description: The release a rollback without a target goes to (without its compose text), or null.
  returned: always
  type: dict
history:
  description: Every kept release, oldest first, without the compose text.
  returned: always
  type: list
  elements: dict
target_release:
  description: With O(target), the release a rollback goes to, with its compose text.
  returned: when O(target) is given
  type: dict
release:
  description: The release written by V(state=active) or V(state=failed) (without its compose text).
  returned: when state is active or failed
  type: dict
'''

import datetime
import getpass
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import DockerAPIError, docker_api_get
from ansible_collections.stackops.hardened.plugins.module_utils.release import (
    STACK_PATTERN, ReleaseError, activate, add_failed, find, load_history, new_record, previous_release, prune,
    rollback_target, save_history, summary)

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2
    from urllib import quote


def resolve_images(images, socket_path):
    """{service: {image, digest, id}}: the registry digest of the image where it came from one, and its id."""
    resolved = {}
    for service in sorted(images):
        reference = images[service]
        entry = dict(image=reference, digest=None, id=None)
        try:
            document = docker_api_get('/images/%s/json' % quote(reference, safe=''), socket_path=socket_path)
        except DockerAPIError:
            document = None
        if isinstance(document, dict):
            entry['id'] = document.get('Id')
            name = reference.split('@', 1)[0]
            last = name.rsplit('/', 1)[-1]
            repository = name.rsplit(':', 1)[0] if ':' in last else name
            for digest in document.get('RepoDigests') or []:
                if digest.split('@', 1)[0] == repository:
                    entry['digest'] = digest.split('@', 1)[1]
        resolved[service] = entry
    return resolved


def now_text():
    return datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def main():
    module = AnsibleModule(
        argument_spec=dict(
            stack=dict(type='str', required=True),
            directory=dict(type='path', default='/var/lib/stackops/releases'),
            state=dict(type='str', choices=['read', 'active', 'failed'], default='read'),
            target=dict(type='str'),
            images=dict(type='dict', default={}),
            compose_file=dict(type='path'),
            by=dict(type='str', default='unknown'),
            backup=dict(type='list', elements='str', default=[]),
            slots=dict(type='dict', default={}),
            rollback_to=dict(type='str'),
            reason=dict(type='str'),
            note=dict(type='str'),
            keep=dict(type='int', default=5),
            docker_socket=dict(type='path', default='/var/run/docker.sock'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not STACK_PATTERN.match(params['stack']):
        module.fail_json(msg='stack_release: stack %r is not a compose project name (lower-case letters, digits, _ and -)'
                         % params['stack'][:80])
    directory = os.path.join(params['directory'], params['stack'])
    try:
        history, current_id = load_history(directory)
        result = dict(changed=False)
        if params['state'] == 'read':
            if params['target'] is not None:
                result['target_release'] = rollback_target(history, current_id, params['target'])
        elif params['state'] == 'active' and params['rollback_to']:
            target = rollback_target(history, current_id, params['rollback_to'])
            if target['id'] != current_id:
                history, release = activate(history, target, now_text(), rollback=True)
                kept, removed = prune(history, params['keep'], release['id'])
                if not module.check_mode:
                    save_history(directory, kept, release['id'], removed)
                history, current_id = kept, release['id']
                result['changed'] = True
            result['release'] = summary(target)
        else:
            if not params['compose_file']:
                module.fail_json(msg='stack_release: state=%s needs compose_file' % params['state'])
            with open(params['compose_file']) as handle:
                compose = handle.read()
            images = resolve_images(params['images'], params['docker_socket'])
            by = params['by'] if params['by'] != 'unknown' else getpass.getuser()
            record = new_record(params['stack'], now_text(), images, compose, by, backup=params['backup'],
                                slots=params['slots'], note=params['note'])
            if params['state'] == 'failed':
                history, release = add_failed(history, record, record['time'], params['reason'] or 'the gate failed')
                result['changed'] = True
            else:
                current = find(history, current_id)
                if current is not None and current.get('content') == record['content'] and \
                        current.get('slots') == record['slots']:
                    release = current
                else:
                    history, release = activate(history, record, record['time'])
                    current_id = release['id']
                    result['changed'] = True
            if result['changed']:
                kept, removed = prune(history, params['keep'], current_id)
                if not module.check_mode:
                    save_history(directory, kept, current_id, removed)
                history = kept
            result['release'] = summary(release)
    except (ReleaseError, IOError, OSError) as exc:
        module.fail_json(msg='stack_release: %s' % exc)
    current = find(history, current_id)
    previous = previous_release(history, current_id) if current else None
    result.update(current=summary(current) if current else None, previous=summary(previous) if previous else None,
                  history=[summary(record) for record in history])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
