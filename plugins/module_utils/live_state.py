# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare what is live on a host with what the roles wrote: one difference per key.

Every function here takes text or data already read from the host and returns data, so the
comparisons are tested with fixture text. A difference is a dict(area, key, expected, live);
"live" and "expected" are strings (None when a side has nothing).

- sysctl: the live value of each key set in our sysctl.d file (/proc/sys), not the file.
- sshd: `sshd -T` (the effective settings, drop-ins included) against the settings of our
  sshd_config, and whether the running daemon was reloaded since those settings changed
  (a stamp the role records right after each reload).
- nftables: the live table against the same rule set loaded into an empty network namespace
  (nft's own normal form on both sides); a rollback still armed is a difference too.
- docker: `docker info` and the default bridge's options against daemon.json, and whether
  dockerd started after daemon.json last changed.
- nginx: whether the workers of the running master started after the newest file of
  `nginx -T` (configuration and certificates) changed.
- services: whether a unit's main process started after its configuration files changed.
- fail2ban: the jails the server runs, and their limits, against jail.local.
- units: enabled and active state; files: owner, group and mode.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import difflib
import hashlib
import re


# sshd keywords that may be given several times; the others take their first value.
SSHD_MULTI = frozenset(('acceptenv', 'allowgroups', 'allowusers', 'denygroups', 'denyusers', 'hostkey',
                        'listenaddress', 'port', 'subsystem', 'setenv', 'hostcertificate'))
# Keywords of our sshd_config that `sshd -T` does not print as such.
SSHD_NOT_PRINTED = frozenset(('include', 'match'))
_TIME = re.compile(r'^(\d+)([smhdwSMHDW])$')
_TIME_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
# Slack between a file's change and the start of the process that must have read it: the
# kernel counts process start in clock ticks (1/100 s).
START_SLACK = 0.05


def difference(area, key, expected, live):
    return dict(area=area, key=key,
                expected=None if expected is None else str(expected),
                live=None if live is None else str(live))


def describe(diff):
    """One line a person can act on: 'sysctl net.ipv4.ip_forward: expected 1, live 0'."""
    return '%s %s: expected %s, live %s' % (diff['area'], diff['key'],
                                            '(nothing)' if diff['expected'] is None else diff['expected'],
                                            '(nothing)' if diff['live'] is None else diff['live'])


# ------------------------------------------------------------------------------- sysctl

def parse_sysctl(text):
    """Settings of a sysctl.d file, in order: [(key, value)]. A key given twice keeps its last value."""
    settings = {}
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#;' or '=' not in line:
            continue
        key, value = line.split('=', 1)
        key = key.strip().lstrip('-').strip().replace('/', '.')
        settings[key] = ' '.join(value.split())
    return sorted(settings.items())


# Keys of the kernel as a whole, not of the host's network namespace. In a container they
# belong to the machine outside (every container that boots applies its distribution's
# values to them), so there they are not the host's live state.
GLOBAL_SYSCTL_PREFIXES = ('kernel.', 'fs.', 'vm.', 'dev.', 'abi.', 'debug.', 'user.', 'net.core.bpf_')


def own_sysctl_keys(wanted, in_container):
    """The keys that are this host's own: all of them on a VM, the namespaced ones in a container."""
    if not in_container:
        return list(wanted)
    return [(key, value) for key, value in wanted if not key.startswith(GLOBAL_SYSCTL_PREFIXES)]


def in_container(exists, environ_of_pid1):
    """exists: os.path.exists; environ_of_pid1: the text of /proc/1/environ (or '')."""
    return (exists('/.dockerenv') or exists('/run/.containerenv') or exists('/run/systemd/container')
            or 'container=' in (environ_of_pid1 or ''))


def sysctl_path(key):
    return '/proc/sys/' + key.replace('.', '/')


def sysctl_drift(wanted, live):
    """wanted: [(key, value)]; live: {key: text or None (the kernel has no such key)}."""
    diffs = []
    for key, value in wanted:
        have = live.get(key)
        if have is None:
            continue  # sysctl -e skips keys this kernel does not have; so do we
        have = ' '.join(have.split())
        if have != value:
            diffs.append(difference('sysctl', key, value, have))
    return diffs


# --------------------------------------------------------------------------------- sshd

def _sshd_tokens(key, value):
    tokens = [token for token in re.split(r'[\s,]+', value.strip()) if token]
    if key in ('allowgroups', 'allowusers', 'denygroups', 'denyusers', 'acceptenv', 'hostkey', 'banner',
               'subsystem', 'authorizedkeysfile', 'persourcepenaltyexemptlist'):
        return tokens  # names and paths keep their case
    out = []
    for token in tokens:
        match = _TIME.match(token)
        out.append(str(int(match.group(1)) * _TIME_UNITS[match.group(2).lower()]) if match else token.lower())
    return out


def parse_sshd_config(text):
    """The settings of an sshd_config up to its first Include or Match: {keyword: [tokens]}.

    sshd takes the first value of a keyword (several values for SSHD_MULTI keywords), so what
    comes before the drop-ins is what we decide."""
    settings = {}
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split(None, 1)
        key = parts[0].lower()
        if key in SSHD_NOT_PRINTED:
            break
        value = parts[1] if len(parts) > 1 else ''
        if key in SSHD_MULTI:
            settings.setdefault(key, []).extend(_sshd_tokens(key, value))
        elif key not in settings:
            settings[key] = _sshd_tokens(key, value)
    return settings


def parse_sshd_t(text):
    """`sshd -T` output: {keyword: [tokens]} (keywords printed on several lines are joined)."""
    settings = {}
    for raw in (text or '').splitlines():
        parts = raw.strip().split(None, 1)
        if not parts:
            continue
        key = parts[0].lower()
        settings.setdefault(key, []).extend(_sshd_tokens(key, parts[1] if len(parts) > 1 else ''))
    return settings


def sshd_drift(wanted, effective):
    diffs = []
    for key in sorted(wanted):
        have = effective.get(key)
        want = wanted[key]
        if key == 'banner' and want == ['none'] and have is None:
            continue
        if have != want:
            diffs.append(difference('sshd', key, ' '.join(want), None if have is None else ' '.join(have)))
    return diffs


def settings_digest(text):
    """The stamp of a daemon's effective settings (recorded after each reload, compared later)."""
    return hashlib.sha256((text or '').encode('utf-8')).hexdigest()


def reload_drift(area, digest, recorded):
    """The settings in force changed since the daemon was last reloaded by the role (or never were)."""
    if recorded is not None and recorded.strip() == digest:
        return []
    return [difference(area, 'loaded settings', 'reloaded since the settings changed (sha256 %s)' % digest[:12],
                       'never reloaded by the role' if recorded is None
                       else 'settings of an earlier reload (sha256 %s)' % recorded.strip()[:12])]


# ----------------------------------------------------------------------------- nftables

def normalise_nft(text):
    """nft's listing as lines without indentation, blank lines, counters, and the elements
    that the kernel adds to dynamic sets (rate meters) at run time."""
    lines = []
    in_set = False
    dynamic = False
    skipping = False
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line:
            continue
        if skipping:
            if '}' in line:
                skipping = False
            continue
        if line.startswith('set ') or line.startswith('map ') or line.startswith('meter '):
            in_set, dynamic = True, False
        elif in_set and line.startswith('flags ') and 'dynamic' in line:
            dynamic = True
        elif in_set and line == '}':
            in_set = False
        if in_set and dynamic and line.startswith('elements = '):
            skipping = not line.rstrip().endswith('}')
            continue
        line = re.sub(r'\s+counter packets \d+ bytes \d+', '', line)
        lines.append(line)
    return lines


def _nft_context(lines):
    context, out = 'table', []
    for line in lines:
        match = re.match(r'^(table|chain|set|map) ([^{\s]+(?: [^{\s]+)?)', line)
        if match and line.endswith('{'):
            context = '%s %s' % (match.group(1), match.group(2)) if match.group(1) != 'table' else 'table'
        out.append(context)
    return out


def nft_drift(table, rendered, live, rollback_pending=False):
    """rendered: the rule set loaded into an empty namespace and listed; live: the live listing
    (None when the table is not loaded)."""
    diffs = []
    if rollback_pending:
        diffs.append(difference('nftables', 'rollback timer', 'not armed (the last change was confirmed)',
                                'armed: the table will be rolled back'))
    if live is None:
        return diffs + [difference('nftables', 'table %s' % table, 'loaded', None)]
    want, have = normalise_nft(rendered), normalise_nft(live)
    if want == have:
        return diffs
    want_ctx, have_ctx = _nft_context(want), _nft_context(have)
    matcher = difflib.SequenceMatcher(a=want, b=have, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == 'equal':
            continue
        for index in range(i1, i2):
            paired = j1 + (index - i1)
            live_line = have[paired] if tag == 'replace' and paired < j2 else None
            diffs.append(difference('nftables', 'table %s %s' % (table, want_ctx[index]), want[index], live_line))
        if tag in ('insert', 'replace'):
            for index in range(j1 + (i2 - i1 if tag == 'replace' else 0), j2):
                diffs.append(difference('nftables', 'table %s %s' % (table, have_ctx[index]), None, have[index]))
    return diffs


# ------------------------------------------------------------------------------- processes

def process_start(stat_text, ticks_per_second, boot_epoch):
    """Epoch seconds at which a process started, from /proc/PID/stat (field 22, clock ticks
    after boot). boot_epoch: time.time() - CLOCK_BOOTTIME, read at the same moment."""
    fields = stat_text.rsplit(')', 1)[1].split()
    return boot_epoch + int(fields[19]) / float(ticks_per_second)


def loaded_drift(area, started, mtimes, what='process'):
    """started: epoch of the process that must have read the files (None: not running);
    mtimes: {path: epoch or None (missing)}."""
    if started is None:
        return [difference(area, what, 'running', None)]
    newer = sorted(path for path, mtime in mtimes.items() if mtime is not None and mtime > started + START_SLACK)
    return [difference(area, path, 'loaded by the running %s' % what,
                       'changed after the %s started' % what) for path in newer]


# ----------------------------------------------------------------------------------- docker

def _docker_bool(value):
    return 'true' if value in (True, 'true', 'True', '1', 1) else 'false'


def docker_drift(config, info, bridge_options, started=None, config_mtime=None):
    """config: daemon.json; info: `docker info` (JSON); bridge_options: the default bridge's Options."""
    diffs = []
    if info is None:
        return [difference('docker', 'dockerd', 'running', None)]
    checks = []
    if 'log-driver' in config:
        checks.append(('log-driver', config['log-driver'], info.get('LoggingDriver')))
    if 'live-restore' in config:
        checks.append(('live-restore', _docker_bool(config['live-restore']), _docker_bool(info.get('LiveRestoreEnabled'))))
    if 'no-new-privileges' in config:
        options = info.get('SecurityOptions') or []
        checks.append(('no-new-privileges', _docker_bool(config['no-new-privileges']),
                       _docker_bool('name=no-new-privileges' in options)))
    bridge_options = bridge_options or {}
    if 'icc' in config:
        checks.append(('icc', _docker_bool(config['icc']),
                       bridge_options.get('com.docker.network.bridge.enable_icc')))
    if 'ip' in config:
        checks.append(('ip', config['ip'], bridge_options.get('com.docker.network.bridge.host_binding_ipv4')))
    for key, want, have in checks:
        if str(want) != str(have):
            diffs.append(difference('docker', key, want, have))
    if config_mtime is not None:
        diffs.extend(loaded_drift('docker', started, {'daemon.json': config_mtime}, 'dockerd'))
    return diffs


# ------------------------------------------------------------------------------------ nginx

_NGINX_FILE = re.compile(r'^# configuration file (\S+):$')
_NGINX_CERT = re.compile(r'^\s*(ssl_certificate|ssl_certificate_key|ssl_trusted_certificate|ssl_client_certificate)'
                         r'\s+([^;$\s]+)\s*;')


def nginx_files(dump):
    """Files the configuration of `nginx -T` is made of: the configuration files, then the certificates and keys."""
    files = []
    for line in (dump or '').splitlines():
        match = _NGINX_FILE.match(line.strip()) or _NGINX_CERT.match(line)
        if match:
            path = match.group(1) if match.re is _NGINX_FILE else match.group(2)
            if path not in files:
                files.append(path)
    return files


def parse_ps(text):
    """`ps -eo pid=,ppid=,args=` lines: [(pid, ppid, args)]."""
    rows = []
    for line in (text or '').splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            rows.append((int(parts[0]), int(parts[1]), parts[2] if len(parts) > 2 else ''))
    return rows


def nginx_workers(rows, master):
    """Workers of the current generation (not those still finishing old connections)."""
    return [pid for pid, ppid, args in rows if ppid == master and args.startswith('nginx: worker process')
            and 'shutting down' not in args]


# --------------------------------------------------------------------------------- fail2ban

def parse_jails(text):
    """jail.local: {jail: {option: value}} for the sections other than DEFAULT."""
    jails, current = {}, None
    for raw in (text or '').splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        match = re.match(r'^\[(.+)\]$', line)
        if match:
            current = match.group(1).strip()
            if current != 'DEFAULT':
                jails.setdefault(current, {})
            continue
        if current and current != 'DEFAULT' and '=' in line:
            key, value = line.split('=', 1)
            jails[current][key.strip().lower()] = value.strip()
    return jails


def parse_jail_list(status):
    """`fail2ban-client status`: the names after 'Jail list:'."""
    for line in (status or '').splitlines():
        if 'Jail list:' in line:
            return sorted(name.strip() for name in line.split('Jail list:', 1)[1].split(',') if name.strip())
    return []


_F2B_SECONDS = re.compile(r'^(\d+)\s*([smhdw]?)$')


def _f2b_seconds(value):
    match = _F2B_SECONDS.match(str(value).strip().lower())
    if not match:
        return str(value).strip()
    return str(int(match.group(1)) * _TIME_UNITS.get(match.group(2) or 's', 1))


FAIL2BAN_LIMITS = ('maxretry', 'findtime', 'bantime')


def fail2ban_drift(jails, running, limits=None):
    """jails: parse_jails(); running: names from the server; limits: {jail: {option: live value}}, or None
    not to compare them (a server started after jail.local changed has read them: see loaded_drift)."""
    diffs = []
    for name in sorted(jails):
        enabled = jails[name].get('enabled', 'false').lower() in ('true', 'yes', '1')
        if enabled != (name in running):
            diffs.append(difference('fail2ban', 'jail %s' % name, 'running' if enabled else 'not running',
                                    'running' if name in running else 'not running'))
            continue
        for option in FAIL2BAN_LIMITS if enabled and limits is not None else ():
            if option in jails[name]:
                want = _f2b_seconds(jails[name][option])
                have = limits.get(name, {}).get(option)
                have = None if have is None else _f2b_seconds(have)
                if want != have:
                    diffs.append(difference('fail2ban', 'jail %s %s' % (name, option), want, have))
    return diffs


# ------------------------------------------------------------------------------------ units

def parse_systemctl_show(text):
    """`systemctl show -p Id -p ... UNIT...`: one dict per unit, in order (blocks split by blank lines)."""
    units, current = [], {}
    for line in (text or '').splitlines() + ['']:
        if not line.strip():
            if current:
                units.append(current)
            current = {}
            continue
        if '=' in line:
            key, value = line.split('=', 1)
            current[key] = value
    return units


ENABLED_STATES = ('enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated')


def unit_drift(wanted, shown):
    """wanted: [{name, enabled (bool or None), active (bool or None)}]; shown: {name: show dict}."""
    diffs = []
    for unit in wanted:
        name = unit['name']
        have = shown.get(name) or {}
        if have.get('LoadState') == 'not-found':
            if unit.get('active') or unit.get('enabled'):
                diffs.append(difference('units', name, 'installed', 'not found'))
            continue
        state = have.get('ActiveState')
        if unit.get('active') is not None:
            want = 'active' if unit['active'] else 'inactive'
            live = 'active' if state in ('active', 'reloading') else 'inactive'
            if want != live:
                diffs.append(difference('units', '%s active' % name, want, state))
        if unit.get('enabled') is not None:
            file_state = have.get('UnitFileState', '')
            live = file_state in ENABLED_STATES
            if live != unit['enabled'] and not (file_state == 'static' and not unit['enabled']):
                diffs.append(difference('units', '%s enabled' % name, 'enabled' if unit['enabled'] else 'disabled',
                                        file_state or None))
    return diffs


def file_drift(wanted, live):
    """wanted: [{path, owner, group, mode}] (any of the three may be missing); live: {path: {owner, group, mode} or None}."""
    diffs = []
    for item in wanted:
        have = live.get(item['path'])
        if have is None:
            diffs.append(difference('files', item['path'], 'present', None))
            continue
        for field in ('owner', 'group', 'mode'):
            if item.get(field) is None:
                continue
            want = str(item[field])
            if field == 'mode':
                want = '%04o' % int(want, 8)
            if str(have[field]) != want:
                diffs.append(difference('files', '%s %s' % (item['path'], field), want, have[field]))
    return diffs
