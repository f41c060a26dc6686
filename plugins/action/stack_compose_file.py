# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a stack's compose project once, in Python, and hand the text to the copy action.

The live file is read once (one stat with its checksum): when its content, owner, group
and mode are already what is wanted, nothing else runs on the host. Otherwise the copy
action writes it, and its validate command (docker compose config) runs on the new file
before it replaces the live one.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import yaml

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible.utils.hashing import checksum_s

from ansible_collections.stackops.hardened.plugins.module_utils.stack import (
    StackError,
    render_project,
)

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeDumper as _Dumper

_RENDER_ARGS = ('services', 'name', 'defaults', 'public_ports', 'secrets_dir', 'fingerprints')
_COPY_ARGS = ('dest', 'owner', 'group', 'mode', 'validate')


def dump_project(project):
    """YAML text of a compose project: block style, keys sorted, 2-space indent.

    The same text as to_nice_yaml(indent=2, sort_keys=true), written by libyaml's emitter
    where PyYAML has it (the pure Python one, under templating, took most of a re-run).
    """
    return yaml.dump(project, Dumper=_Dumper, indent=2, allow_unicode=True, default_flow_style=False, sort_keys=True)


def _plain(value):
    """Templated data as plain dicts, lists, strings and numbers."""
    return json.loads(json.dumps(value))


def _services(services):
    if services is None:
        return {}
    if not isinstance(services, dict):
        raise AnsibleActionFail('services must be a mapping of service names to compose service definitions')
    return dict((name, spec if isinstance(spec, dict) else {}) for name, spec in services.items())


class ActionModule(ActionBase):
    """stackops.hardened.stack_compose_file"""

    TRANSFERS_FILES = True
    _VALID_ARGS = frozenset(_RENDER_ARGS + _COPY_ARGS)

    def _in_place(self, args, content, task_vars):
        """True when the live file already has this content, owner, group and mode."""
        mode = args.get('mode')
        if mode is not None and not (isinstance(mode, str) and mode.isdigit()):
            return False  # symbolic modes: the copy action judges them
        stat = self._execute_remote_stat(args['dest'], all_vars=task_vars, follow=False, checksum=True)
        if not stat.get('exists') or stat.get('isdir') or stat.get('checksum') != checksum_s(to_bytes(content)):
            return False
        if args.get('owner') is not None and stat.get('pw_name') != args['owner']:
            return False
        if args.get('group') is not None and stat.get('gr_name') != args['group']:
            return False
        return mode is None or int(stat.get('mode', '0'), 8) == int(mode, 8)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        for required in ('name', 'dest'):
            if not args.get(required):
                raise AnsibleActionFail('%s is required' % required)
        try:
            project = render_project(
                _plain(args['name']),
                _services(_plain(args.get('services'))),
                _plain(args.get('defaults') or {}),
                public_ports=_plain(args.get('public_ports')),
                secrets_dir=_plain(args.get('secrets_dir')),
                fingerprints=_plain(args.get('fingerprints') or {}),
            )
        except StackError as exc:
            raise AnsibleActionFail('stack_compose_file: %s' % exc)

        content = dump_project(project)
        if self._in_place(args, content, task_vars):
            result.update(changed=False, dest=args['dest'], checksum=checksum_s(to_bytes(content)))
            return result

        new_task = self._task.copy()
        new_task.args = dict((key, args[key]) for key in _COPY_ARGS if args.get(key) is not None)
        new_task.args['content'] = content
        copy_action = self._shared_loader_obj.action_loader.get(
            'ansible.legacy.copy', task=new_task, connection=self._connection, play_context=self._play_context,
            loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
        result.update(copy_action.run(task_vars=task_vars))
        return result
