# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The systemd sandbox of the units the collection adds, written in one place.

Every unit starts from the strictest set (read-only system, no home, no new privileges,
no devices, no network of its own, no kernel knobs, a system-call filter, no capabilities,
Unix sockets only, files it creates readable by root alone)
and each one opens only what its job needs: the paths it writes, the capabilities and
address families it uses, and the few protections its job cannot live with (an
early-boot unit without a private /tmp, an exporter that reads every process, a unit that runs an operator's command without
the write-execute ban). ``render`` returns the [Service] lines; ``problems`` names each
malformed request, so a template never writes a unit systemd would reject.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

CAPABILITY = re.compile(r'^CAP_[A-Z_]+$')
FAMILY = re.compile(r'^AF_[A-Z0-9]+$')
HOME = ('yes', 'read-only', 'tmpfs')
PROC = ('invisible', 'noaccess', 'ptraceable', 'default')
SYSCALL_SET = re.compile(r'^~?@[a-z-]+$')
UMASK = re.compile(r'^0[0-7]{3}$')

# Each option the caller may set, with its default: the strictest value.
DEFAULTS = {
    'writable': [],
    'capabilities': [],
    'families': ['AF_UNIX'],
    'home': 'yes',
    'proc': 'invisible',
    'private_tmp': True,
    'private_devices': True,
    'private_network': True,
    'kernel_modules': True,
    'write_execute': False,
    'syscall_filter': ['@system-service'],
    'umask': '0077',
}
FLAGS = ('private_tmp', 'private_devices', 'private_network', 'kernel_modules', 'write_execute')


def _list(value):
    if isinstance(value, (list, tuple)):
        return list(value)
    return None


def problems(request):
    """One message per option of ``request`` that cannot be written as asked."""
    if not isinstance(request, dict):
        return ['the sandbox request must be a mapping of %s, got %s' % (', '.join(sorted(DEFAULTS)), type(request).__name__)]
    found = []
    for key in sorted(set(request) - set(DEFAULTS), key=str):
        found.append('%s is not a sandbox option (known: %s)' % (key, ', '.join(sorted(DEFAULTS))))
    for key, pattern, what in (('capabilities', CAPABILITY, 'a capability such as CAP_NET_ADMIN'),
                               ('families', FAMILY, 'an address family such as AF_INET'),
                               ('syscall_filter', SYSCALL_SET, 'a system-call set such as @system-service')):
        if key not in request:
            continue
        values = _list(request[key])
        if values is None:
            found.append('%s must be a list of %s' % (key, what))
            continue
        for value in values:
            if not isinstance(value, str) or not pattern.match(value):
                found.append('%s: %r is not %s' % (key, value, what))
    if 'writable' in request:
        paths = _list(request['writable'])
        if paths is None:
            found.append('writable must be a list of absolute paths')
        else:
            for path in paths:
                # A leading '-' is systemd's "skip it when it does not exist".
                bare = path[1:] if isinstance(path, str) and path.startswith('-') else path
                if not isinstance(bare, str) or not bare.startswith('/') or any(c.isspace() for c in bare) or '..' in bare.split('/'):
                    found.append('writable: %r is not an absolute path (optionally after -) without spaces or ..' % (path,))
    for key, allowed in (('home', HOME), ('proc', PROC)):
        if key in request and request[key] not in allowed:
            found.append('%s: %r is not one of %s' % (key, request[key], ', '.join(allowed)))
    if 'umask' in request and not (isinstance(request['umask'], str) and UMASK.match(request['umask'])):
        found.append('umask: %r is not a mode such as 0077 (quoted, four octal digits)' % (request['umask'],))
    for key in FLAGS:
        if key in request and not isinstance(request[key], bool):
            found.append('%s must be true or false, got %r' % (key, request[key]))
    return found


def render(request):
    """The [Service] lines of the sandbox ``request`` asks for; ValueError naming each problem."""
    found = problems(request)
    if found:
        raise ValueError('; '.join(found))
    opts = dict(DEFAULTS)
    opts.update(request)
    lines = [
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=%s' % opts['home'],
    ]
    if opts['writable']:
        lines.append('ReadWritePaths=%s' % ' '.join(opts['writable']))
    if opts['private_tmp']:
        lines.append('PrivateTmp=yes')
    if opts['private_devices']:
        lines.append('PrivateDevices=yes')
    if opts['private_network']:
        lines.append('PrivateNetwork=yes')
    lines += [
        'PrivateMounts=yes',
        'UMask=%s' % opts['umask'],
        'ProtectKernelTunables=yes',
        'ProtectKernelLogs=yes',
        'ProtectControlGroups=yes',
        'ProtectClock=yes',
        'ProtectHostname=yes',
        'ProtectProc=%s' % opts['proc'],
        'RestrictNamespaces=yes',
        'RestrictRealtime=yes',
        'RestrictSUIDSGID=yes',
        'LockPersonality=yes',
        'SystemCallArchitectures=native',
    ]
    if opts['kernel_modules']:
        lines.append('ProtectKernelModules=yes')
    if not opts['write_execute']:
        lines.append('MemoryDenyWriteExecute=yes')
    if opts['syscall_filter']:
        lines.append('SystemCallFilter=%s' % ' '.join(opts['syscall_filter']))
        lines.append('SystemCallErrorNumber=EPERM')
    lines.append('CapabilityBoundingSet=%s' % ' '.join(opts['capabilities']))
    lines.append('RestrictAddressFamilies=%s' % ' '.join(opts['families']))
    return '\n'.join(lines)
