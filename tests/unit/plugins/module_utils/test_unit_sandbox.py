# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils import unit_sandbox


def options(text):
    return dict(line.split('=', 1) for line in text.splitlines())


def test_the_empty_request_is_the_strictest_sandbox():
    got = options(unit_sandbox.render({}))
    assert got['ProtectSystem'] == 'strict'
    assert got['ProtectHome'] == 'yes'
    assert got['NoNewPrivileges'] == 'yes'
    assert got['PrivateTmp'] == 'yes'
    assert got['PrivateDevices'] == 'yes'
    assert got['PrivateNetwork'] == 'yes'
    assert got['UMask'] == '0077'
    assert got['ProtectKernelModules'] == 'yes'
    assert got['MemoryDenyWriteExecute'] == 'yes'
    assert got['SystemCallFilter'] == '@system-service'
    assert got['CapabilityBoundingSet'] == ''
    assert got['RestrictAddressFamilies'] == 'AF_UNIX'
    assert 'ReadWritePaths' not in got


def test_a_request_opens_only_what_it_names():
    got = options(unit_sandbox.render({
        'writable': ['/var/backups/demo', '/run', '-/var/lib/nginx'],
        'capabilities': ['CAP_DAC_READ_SEARCH'],
        'families': ['AF_UNIX', 'AF_INET', 'AF_INET6'],
        'home': 'read-only',
        'proc': 'default',
        'private_tmp': False,
        'private_network': False,
        'kernel_modules': False,
        'write_execute': True,
        'syscall_filter': [],
        'umask': '0027',
    }))
    assert got['ReadWritePaths'] == '/var/backups/demo /run -/var/lib/nginx'
    assert got['CapabilityBoundingSet'] == 'CAP_DAC_READ_SEARCH'
    assert got['RestrictAddressFamilies'] == 'AF_UNIX AF_INET AF_INET6'
    assert got['ProtectHome'] == 'read-only'
    assert got['ProtectProc'] == 'default'
    assert got['UMask'] == '0027'
    for gone in ('PrivateTmp', 'PrivateNetwork', 'ProtectKernelModules', 'MemoryDenyWriteExecute', 'SystemCallFilter'):
        assert gone not in got
    # what the request did not name stays strict
    assert got['PrivateDevices'] == 'yes'
    assert got['ProtectSystem'] == 'strict'


@pytest.mark.parametrize('request_, named', [
    ({'writeable': []}, 'writeable is not a sandbox option'),
    ({'writable': 'relative/path'}, 'writable must be a list'),
    ({'writable': ['var/lib']}, "'var/lib' is not an absolute path"),
    ({'writable': ['/var/lib/a b']}, "'/var/lib/a b' is not an absolute path"),
    ({'writable': ['/var/../etc']}, "'/var/../etc' is not an absolute path"),
    ({'writable': ['-relative']}, "'-relative' is not an absolute path"),
    ({'capabilities': ['NET_ADMIN']}, "capabilities: 'NET_ADMIN' is not a capability"),
    ({'capabilities': 'CAP_NET_ADMIN'}, 'capabilities must be a list'),
    ({'families': ['AF_INET', 'inet6']}, "families: 'inet6' is not an address family"),
    ({'syscall_filter': ['system-service']}, "syscall_filter: 'system-service' is not a system-call set"),
    ({'home': 'no'}, "home: 'no' is not one of yes, read-only, tmpfs"),
    ({'proc': 'hidden'}, "proc: 'hidden' is not one of"),
    ({'umask': 27}, "umask: 27 is not a mode"),
    ({'umask': '0778'}, "umask: '0778' is not a mode"),
    ({'private_tmp': 'yes'}, "private_tmp must be true or false, got 'yes'"),
    ({'capabilities': ['CAP_X\nExecStart=/bin/sh']}, 'is not a capability'),
    (['writable'], 'must be a mapping'),
])
def test_each_malformed_option_is_named(request_, named):
    with pytest.raises(ValueError, match=None) as err:
        unit_sandbox.render(request_)
    assert named in str(err.value)


def test_every_problem_is_named_at_once():
    found = unit_sandbox.problems({'home': 'no', 'families': ['x'], 'bogus': 1})
    assert len(found) == 3


def test_no_rendered_line_can_smuggle_another_option():
    text = unit_sandbox.render({'writable': ['/a'], 'capabilities': ['CAP_NET_ADMIN'], 'families': ['AF_NETLINK']})
    keys = [line.split('=', 1)[0] for line in text.splitlines()]
    assert len(keys) == len(set(keys))
    assert 'ExecStart' not in keys
