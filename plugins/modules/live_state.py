#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: live_state
short_description: Compare the live hardening state of a host with what the roles wrote, in one call
description:
  - Reads what is in force on the host, not what the files say, and names each difference with its key, the
    expected value and the live one. The roles call it once each and apply what differs (a run cut short after a
    file was written, or a change made behind the collection's back); C(verify.yml) calls it for its C(drift) check.
  - Only reads, except with O(sshd.record=true), which records the settings sshd runs with right after a reload.
  - Each option checks one area; areas left out are not read. An area whose tool is not installed yet (check mode on
    a new host) is listed in RV(skipped) instead.
author:
  - stackops.hardened developers (@stackops)
options:
  sysctl_files:
    description:
      - sysctl.d files whose keys are compared with the live kernel values under C(/proc/sys). A key this kernel does
        not have is skipped, as C(sysctl -e) does. A missing file is skipped.
      - In a container, the keys of the kernel as a whole (C(kernel.*), C(fs.*), C(vm.*) and the like) belong to the
        machine outside and are not compared; the keys of the host's network namespace (C(net.*)) are.
    type: list
    elements: path
    default: []
  sshd:
    description:
      - Compares C(sshd -T) (the effective settings, drop-ins included) with the settings of O(sshd.config) before
        its first C(Include) or C(Match), and checks that sshd was reloaded since its effective settings last
        changed (the digest recorded in O(sshd.stamp)).
    type: dict
    suboptions:
      config:
        description: The sshd_config the role writes.
        type: path
        default: /etc/ssh/sshd_config
      stamp:
        description: File holding the digest of C(sshd -T) recorded after the last reload.
        type: path
        default: /var/lib/stackops/live/sshd.sha256
      record:
        description: Record the digest of the current C(sshd -T) in O(sshd.stamp) (right after a reload). Not in check mode.
        type: bool
        default: false
  nftables:
    description:
      - Compares the live table with the rule set file loaded into an empty network namespace (C(unshare --net)),
        both listed by nft, ignoring counters and the elements of dynamic sets. A rollback timer still armed is a
        difference.
    type: dict
    suboptions:
      table:
        description: Family and name of the table.
        type: str
        default: inet stackops
      rules_file:
        description: The rule set file.
        type: path
        required: true
      rollback_timer:
        description: Unit of the timer that rolls an unconfirmed change back; empty to not check.
        type: str
        default: ''
  docker:
    description:
      - Compares C(docker info) and the default bridge's options with daemon.json (log driver, live-restore,
        no-new-privileges, icc, ip), and checks that dockerd started after daemon.json last changed.
    type: dict
    suboptions:
      config_file:
        description: daemon.json.
        type: path
        default: /etc/docker/daemon.json
  nginx:
    description:
      - Checks that the running nginx master has loaded the current files, that is, that its workers started after
        the newest change of any file C(nginx -T) names (configuration files, certificates and keys).
    type: bool
    default: false
  fail2ban:
    description:
      - Compares the jails the fail2ban server runs with the enabled jails of a jail.local. That the server read
        the current limits is checked by listing C(fail2ban.service) in O(services) with the jail.local.
    type: dict
    suboptions:
      jail_file:
        description: The jail.local the role writes. When it is missing, nothing is compared.
        type: path
        default: /etc/fail2ban/jail.local
  services:
    description:
      - Units whose main process must have started after their configuration files last changed.
    type: list
    elements: dict
    default: []
    suboptions:
      unit:
        description: The unit.
        type: str
        required: true
      files:
        description: Its configuration files (missing ones are skipped).
        type: list
        elements: path
        required: true
  units:
    description: Units and whether they must be enabled and active (V(null) for either means not checked).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The unit.
        type: str
        required: true
      enabled:
        description: Must be enabled (static units count as enabled).
        type: bool
      active:
        description: Must be active.
        type: bool
  files:
    description: Files and directories whose owner, group and mode must be as given.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: User name.
        type: str
      group:
        description: Group name.
        type: str
      mode:
        description: Octal mode as a quoted string, such as V("0400").
        type: str
attributes:
  check_mode:
    support: full
    description: Reads the same in check mode; O(sshd.record) records nothing.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show a diff of.
  platform:
    support: full
    platforms: debian
    description: Debian 12 and 13 with systemd (sshd, nft, docker, nginx and fail2ban-client where their areas are read).
notes:
  - Secret values are never read; only owners and modes of O(files).
seealso:
  - module: stackops.hardened.managed_files
'''

EXAMPLES = r'''
- name: Read the live kernel settings and sshd in one call
  stackops.hardened.live_state:
    sysctl_files: [/etc/sysctl.d/90-stackops-hardening.conf]
    sshd: {}
  register: live

- name: Apply the kernel settings when a live value differs
  ansible.builtin.debug:
    msg: "{{ live.messages }}"
  changed_when: true
  when: live.drift.sysctl | length > 0
  notify: Apply sysctl settings
'''

RETURN = r'''
drift:
  description: The differences of each area that was checked (an empty list when it matches).
  returned: always
  type: dict
  sample: {sysctl: [{area: sysctl, key: net.ipv4.conf.all.send_redirects, expected: '0', live: '1'}], sshd: []}
differences:
  description: All differences, each with area, key, expected and live (V(null) when a side has nothing).
  returned: always
  type: list
  elements: dict
summary:
  description: For each area with differences, its messages joined by C(; ) (for a task that says why it applies them).
  returned: always
  type: dict
  sample: {sysctl: 'sysctl net.ipv4.conf.all.send_redirects: expected 0, live 1'}
skipped:
  description: Areas asked for but not read, because their tool (sshd, nft, docker, nginx, fail2ban-client) is not installed.
  returned: always
  type: list
  elements: str
messages:
  description: One line per difference, such as C(sysctl net.ipv4.conf.all.send_redirects - expected 0, live 1).
  returned: always
  type: list
  elements: str
'''

import json
import os
import grp
import pwd
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.stackops.hardened.plugins.module_utils import live_state as ls


def _read(path):
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


class Host(object):
    def __init__(self, module):
        self.module = module
        self.ticks = os.sysconf('SC_CLK_TCK')
        self.boot = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)

    def has(self, tool):
        return bool(self.module.get_bin_path(tool, opt_dirs=['/usr/sbin', '/sbin'])) or os.path.exists(tool)

    def run(self, args, data=None):
        return self.module.run_command(args, data=data, expand_user_and_vars=False)

    def started(self, pid):
        if not pid:
            return None
        text = _read('/proc/%d/stat' % int(pid))
        return None if text is None else ls.process_start(text, self.ticks, self.boot)


def check_sysctl(host, files):
    wanted = {}
    for path in files:
        text = _read(path)
        if text is not None:
            wanted.update(dict(ls.parse_sysctl(text)))
    environ = _read('/proc/1/environ') or ''
    container = ls.in_container(os.path.exists, environ.replace('\0', '\n'))
    wanted = dict(ls.own_sysctl_keys(sorted(wanted.items()), container))
    live = {}
    for key in wanted:
        value = _read(ls.sysctl_path(key))
        live[key] = None if value is None else value.strip()
    return ls.sysctl_drift(sorted(wanted.items()), live)


def check_sshd(host, spec, check_mode):
    rc, out, err = host.run(['/usr/sbin/sshd', '-T'])
    if rc != 0:
        return [ls.difference('sshd', 'sshd -T', 'runs', (err or out).strip() or 'rc %d' % rc)], False
    config = _read(spec['config'])
    diffs = ls.sshd_drift(ls.parse_sshd_config(config), ls.parse_sshd_t(out)) if config is not None else []
    digest = ls.settings_digest(out)
    recorded = _read(spec['stamp'])
    changed = False
    if spec['record']:
        if (recorded or '').strip() != digest and not check_mode:
            directory = os.path.dirname(spec['stamp'])
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o700)
            with open(spec['stamp'], 'w') as handle:
                handle.write(digest + '\n')
        changed = (recorded or '').strip() != digest
        recorded = digest
    return diffs + ls.reload_drift('sshd', digest, recorded), changed


def check_nftables(host, spec):
    family_name = spec['table'].split()
    live = None
    rc, out, dummy = host.run(['nft', '--stateless', 'list', 'table'] + family_name)
    if rc == 0:
        live = out
    pending = False
    if spec['rollback_timer']:
        rc, dummy, dummy2 = host.run(['systemctl', 'is-active', '--quiet', spec['rollback_timer']])
        pending = rc == 0
    if not os.path.exists(spec['rules_file']):
        return [ls.difference('nftables', spec['rules_file'], 'written', None)]
    rc, rendered, err = host.run(['unshare', '--net', '--', 'sh', '-c',
                                  'nft -f "$1" && nft --stateless list table "$2" "$3"', 'sh',
                                  spec['rules_file']] + family_name)
    if rc != 0:
        return [ls.difference('nftables', spec['rules_file'], 'loads in an empty namespace', err.strip())]
    return ls.nft_drift(spec['table'], rendered, live, pending)


def check_docker(host, spec, shown):
    text = _read(spec['config_file'])
    if text is None:
        return [ls.difference('docker', spec['config_file'], 'written', None)]
    try:
        config = json.loads(text)
    except ValueError as exc:
        return [ls.difference('docker', spec['config_file'], 'JSON', str(exc))]
    rc, out, dummy = host.run(['docker', 'info', '--format', '{{json .}}'])
    info = json.loads(out) if rc == 0 and out.strip().startswith('{') else None
    options = {}
    if info is not None:
        rc, out, dummy = host.run(['docker', 'network', 'inspect', 'bridge', '--format', '{{json .Options}}'])
        if rc == 0 and out.strip().startswith('{'):
            options = json.loads(out)
    pid = int(shown.get('docker.service', {}).get('MainPID') or 0)
    return ls.docker_drift(config, info, options, host.started(pid), _mtime(spec['config_file']))


def _processes():
    rows = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        stat_text = _read('/proc/%s/stat' % entry)
        cmdline = _read('/proc/%s/cmdline' % entry)
        if stat_text is None or cmdline is None:
            continue
        ppid = int(stat_text.rsplit(')', 1)[1].split()[1])
        rows.append((int(entry), ppid, cmdline.replace('\0', ' ').strip(), stat_text))
    return rows


def check_nginx(host):
    rc, out, err = host.run(['nginx', '-T'])
    if rc != 0:
        return [ls.difference('nginx', 'nginx -T', 'passes', (err or out).strip().splitlines()[-1:] or 'rc %d' % rc)]
    master = (_read('/run/nginx.pid') or '').strip()
    if not master.isdigit() or not os.path.exists('/proc/%s' % master):
        return [ls.difference('nginx', 'master process', 'running', None)]
    rows = _processes()
    workers = ls.nginx_workers([(pid, ppid, args) for pid, ppid, args, dummy in rows], int(master))
    starts = [ls.process_start(stat_text, host.ticks, host.boot) for pid, dummy, dummy2, stat_text in rows
              if pid in workers]
    started = min(starts) if starts else None
    return ls.loaded_drift('nginx', started, dict((path, _mtime(path)) for path in ls.nginx_files(out)),
                           'nginx workers')


def check_fail2ban(host, spec):
    text = _read(spec['jail_file'])
    if text is None:
        return []
    jails = ls.parse_jails(text)
    rc, out, err = host.run(['fail2ban-client', 'status'])
    if rc != 0:
        if not any(options.get('enabled', '').lower() == 'true' for options in jails.values()):
            return []
        return [ls.difference('fail2ban', 'server', 'running', 'not answering (fail2ban-client status exits %d)' % rc)]
    # The limits of each jail are read by a server started after jail.local changed: the
    # role checks that with O(services); one call here keeps the check cheap.
    return ls.fail2ban_drift(jails, ls.parse_jail_list(out))


def check_files(items):
    live = {}
    for item in items:
        try:
            st = os.lstat(item['path'])
        except OSError:
            live[item['path']] = None
            continue
        try:
            owner = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            owner = str(st.st_uid)
        try:
            group = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            group = str(st.st_gid)
        live[item['path']] = dict(owner=owner if not str(item.get('owner') or '').isdigit() else str(st.st_uid),
                                  group=group if not str(item.get('group') or '').isdigit() else str(st.st_gid),
                                  mode='%04o' % (st.st_mode & 0o7777))
    return ls.file_drift(items, live)


def show_units(host, names):
    if not names:
        return {}
    rc, out, dummy = host.run(['systemctl', 'show', '-p', 'Id', '-p', 'LoadState', '-p', 'ActiveState',
                               '-p', 'UnitFileState', '-p', 'MainPID', '--'] + names)
    blocks = ls.parse_systemctl_show(out) if rc == 0 else []
    shown = {}
    for name, block in zip(names, blocks):
        shown[name] = block
        full = name if '.' in name else name + '.service'
        shown[full] = block
    return shown


# The tool each area needs: an area whose tool is not installed (a check-mode run on a new
# host) is not read and is listed in `skipped`; the tasks that install it report the change.
TOOLS = dict(sshd='/usr/sbin/sshd', nftables='nft', docker='docker', nginx='nginx', fail2ban='fail2ban-client')


def collect(module):
    params = module.params
    host = Host(module)
    drift, changed = {}, False
    skipped = sorted(area for area, tool in TOOLS.items() if params[area] and not host.has(tool))
    for area in skipped:
        params[area] = None
    unit_names = [unit['name'] for unit in params['units']] + [service['unit'] for service in params['services']]
    if params['docker'] is not None:
        unit_names.append('docker.service')
    shown = show_units(host, list(dict.fromkeys(unit_names)))
    if params['sysctl_files']:
        drift['sysctl'] = check_sysctl(host, params['sysctl_files'])
    if params['sshd'] is not None:
        drift['sshd'], changed = check_sshd(host, params['sshd'], module.check_mode)
    if params['nftables'] is not None:
        drift['nftables'] = check_nftables(host, params['nftables'])
    if params['docker'] is not None:
        drift['docker'] = check_docker(host, params['docker'], shown)
    if params['nginx']:
        drift['nginx'] = check_nginx(host)
    if params['fail2ban'] is not None:
        drift['fail2ban'] = check_fail2ban(host, params['fail2ban'])
    for service in params['services']:
        block = shown.get(service['unit'], {})
        pid = int(block.get('MainPID') or 0)
        mtimes = dict((path, _mtime(path)) for path in service['files'])
        drift.setdefault('services', []).extend(
            ls.loaded_drift(service['unit'], host.started(pid), mtimes, 'main process') if any(mtimes.values()) else [])
    if params['units']:
        drift['units'] = ls.unit_drift(params['units'], shown)
    if params['files']:
        drift['files'] = check_files(params['files'])
    differences = [item for area in sorted(drift) for item in drift[area]]
    summary = dict((area, '; '.join(ls.describe(item) for item in drift[area])) for area in drift if drift[area])
    return dict(changed=changed, drift=drift, differences=differences, skipped=skipped, summary=summary,
                messages=[ls.describe(item) for item in differences])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysctl_files=dict(type='list', elements='path', default=[]),
            sshd=dict(type='dict', options=dict(
                config=dict(type='path', default='/etc/ssh/sshd_config'),
                stamp=dict(type='path', default='/var/lib/stackops/live/sshd.sha256'),
                record=dict(type='bool', default=False))),
            nftables=dict(type='dict', options=dict(
                table=dict(type='str', default='inet stackops'),
                rules_file=dict(type='path', required=True),
                rollback_timer=dict(type='str', default=''))),
            docker=dict(type='dict', options=dict(
                config_file=dict(type='path', default='/etc/docker/daemon.json'))),
            nginx=dict(type='bool', default=False),
            fail2ban=dict(type='dict', options=dict(
                jail_file=dict(type='path', default='/etc/fail2ban/jail.local'))),
            services=dict(type='list', elements='dict', default=[], options=dict(
                unit=dict(type='str', required=True),
                files=dict(type='list', elements='path', required=True))),
            units=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                enabled=dict(type='bool'),
                active=dict(type='bool'))),
            files=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                owner=dict(type='str'),
                group=dict(type='str'),
                mode=dict(type='str'))),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**collect(module))


if __name__ == '__main__':
    main()
