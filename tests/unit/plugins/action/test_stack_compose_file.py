# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compose file text of the stack_compose_file action is the text the stack role wrote before."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
import yaml

from ansible.errors import AnsibleActionFail
from ansible.plugins.filter.core import to_nice_yaml

from ansible_collections.stackops.hardened.plugins.action.stack_compose_file import _plain, _services, dump_project
from ansible_collections.stackops.hardened.plugins.module_utils.stack import render_project

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def _dev_project():
    with open(os.path.join(ROOT, 'inventories', 'dev', 'group_vars', 'all', 'stack.yml'), encoding='utf-8') as handle:
        services = yaml.safe_load(handle)['stack_services']
    with open(os.path.join(ROOT, 'roles', 'stack', 'defaults', 'main.yml'), encoding='utf-8') as handle:
        defaults = yaml.safe_load(handle)['stack_service_defaults']
    return render_project('demo', services, defaults, public_ports=[], secrets_dir='/opt/demo/secrets',
                          fingerprints={'postgres_password': 'a' * 16, 'redis_password': 'b' * 16})


def test_dump_is_the_text_of_to_nice_yaml():
    """Byte for byte what to_nice_yaml(indent=2, sort_keys=true) gave: an upgrade rewrites no compose file."""
    project = _dev_project()
    text = dump_project(project)
    assert text == to_nice_yaml(project, indent=2, sort_keys=True)
    assert yaml.safe_load(text) == project
    assert text.startswith('name: demo\n') or 'services:\n' in text


def test_dump_keeps_unicode_and_sorts_keys():
    text = dump_project({'services': {'b': {'environment': {'GREETING': 'grüß dich'}}, 'a': {}}})
    assert text == to_nice_yaml({'services': {'b': {'environment': {'GREETING': 'grüß dich'}}, 'a': {}}},
                                indent=2, sort_keys=True)
    assert 'grüß' in text
    assert text.index('  a:') < text.index('  b:')


def test_plain_turns_subclasses_into_plain_types():
    class Tagged(str):
        pass

    value = _plain({'image': Tagged('x:1'), 'ports': ('8000:8000',)})
    assert value == {'image': 'x:1', 'ports': ['8000:8000']}
    assert type(value['image']) is str  # pylint: disable=unidiomatic-typecheck


def test_services_must_be_a_mapping():
    with pytest.raises(AnsibleActionFail, match='services must be a mapping'):
        _services(['api'])
    assert _services(None) == {}
    assert _services({'api': None}) == {'api': {}}
