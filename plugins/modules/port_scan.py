#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: port_scan
short_description: Prove from outside which TCP ports of a host answer, with a connect scan
description:
  - Runs a TCP connect scan of O(target) from the host the module runs on (usually a separate client host or container),
    and compares the open ports with O(expected_open).
  - A port is open when the TCP handshake completes; the connection is then reset at once, and no data is sent.
    A refused connect counts as closed; no answer within O(timeout), or an unreachable reply, as filtered.
  - The ports in O(expected_open) are always scanned, even when outside O(ports).
  - Concurrency is bounded by the open-file limit; the module raises its own soft C(RLIMIT_NOFILE) towards the hard
    limit and keeps the number of connects in flight below it. The whole scan is bounded by O(max_duration).
  - Traffic goes to O(target) only; names are not resolved.
  - Against a host that silently drops, the scan takes about ports / concurrency * timeout seconds.
author:
  - stackops.hardened developers (@stackops)
options:
  target:
    description:
      - IPv4 or IPv6 address to scan. Names are not resolved, so the address proven is the one written here.
    type: str
    required: true
  ports:
    description:
      - TCP ports to scan. Each item is V(PORT), V(FIRST-LAST) or a comma-separated list of those, ports 1-65535.
    type: list
    elements: str
    default: ['1-65535']
  expected_open:
    description:
      - TCP ports that should be open, as V(PORT) or V(PORT/tcp). Any other open port is unexpected.
    type: list
    elements: str
    default: []
  timeout:
    description:
      - Seconds to wait for each connect, counted from the moment it is sent; greater than 0 and at most 3600.
      - The default lets the kernel send the SYN a second time (its first retransmission is at 1 s), so one lost
        SYN does not hide an open port.
    type: float
    default: 1.2
  concurrency:
    description:
      - Most connects in flight at once, 1-16384. Lowered when the open-file limit is smaller.
      - Against a host that silently drops, a full scan takes about (ports / concurrency) x O(timeout) seconds.
    type: int
    default: 16384
  max_duration:
    description:
      - Most seconds the whole scan may take, greater than 0 and at most 86400. A scan that reaches it stops and the
        module fails, saying how many ports were not scanned.
    type: float
    default: 300.0
  fail_on_unexpected:
    description:
      - Fail when an open port is not in O(expected_open), or a port in O(expected_open) is closed or filtered.
      - With V(false) the module only reports them in RV(unexpected_open), RV(expected_closed) and RV(messages).
    type: bool
    default: true
extends_documentation_fragment:
  - stackops.hardened.read_only
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on any POSIX host with Python.
notes:
  - Only aim this module at hosts you own or are explicitly allowed to test. A port scan of someone else's host may be
    unlawful and is likely to be reported as an attack.
  - Run it from where an attacker would stand (another host, or a container on another network) to prove the firewall;
    run from the target itself it proves only what listens.
seealso:
  - module: stackops.hardened.port_exposure
'''

EXAMPLES = r'''
- name: Prove only SSH, HTTP and HTTPS answer from outside
  stackops.hardened.port_scan:
    target: "{{ hostvars['app1']['ansible_host'] }}"
    expected_open: ["22", "80", "443"]
  delegate_to: scanner

- name: Quick scan of the well-known ports over IPv6, report only
  stackops.hardened.port_scan:
    target: "2001:db8::10"
    ports: ["1-1024", "5432", "6379,8080"]
    expected_open: ["22", "443/tcp"]
    timeout: 0.5
    concurrency: 256
    fail_on_unexpected: false
  register: scan
'''

RETURN = r'''
open:
  description: Ports that completed the TCP handshake.
  returned: always
  type: list
  elements: int
  sample: [22, 80, 443, 6379]
unexpected_open:
  description: Open ports not in O(expected_open).
  returned: always
  type: list
  elements: int
  sample: [6379]
expected_closed:
  description: Ports in O(expected_open) that were closed or filtered.
  returned: always
  type: list
  elements: int
  sample: []
scanned:
  description: Number of ports scanned.
  returned: always
  type: int
  sample: 65535
closed:
  description: Number of ports that refused the connect.
  returned: always
  type: int
  sample: 65531
filtered:
  description: Number of ports that did not answer within the timeout, or answered unreachable.
  returned: always
  type: int
  sample: 0
concurrency:
  description: Connects in flight at once, after clamping to the open-file limit.
  returned: always
  type: int
  sample: 16384
duration:
  description: Seconds the scan took.
  returned: always
  type: float
  sample: 2.31
messages:
  description: One line per unexpected open port and per expected port found closed.
  returned: always
  type: list
  elements: str
  sample:
    - "6379/tcp is reachable from outside on 172.17.0.5 (allowed: 22, 80, 443)"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.scan import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_DURATION,
    DEFAULT_TIMEOUT,
    ScanTimeLimit,
    compare_scan,
    parse_expected_open,
    parse_ports,
    scan_messages,
    scan_tcp,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target=dict(type='str', required=True),
            ports=dict(type='list', elements='str', default=['1-65535']),
            expected_open=dict(type='list', elements='str', default=[]),
            timeout=dict(type='float', default=DEFAULT_TIMEOUT),
            concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
            max_duration=dict(type='float', default=DEFAULT_MAX_DURATION),
            fail_on_unexpected=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        expected = parse_expected_open(params['expected_open'])
        ports = sorted(set(parse_ports(params['ports'])) | expected)
        scan = scan_tcp(params['target'], ports, timeout=params['timeout'], concurrency=params['concurrency'],
                        max_duration=params['max_duration'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    except ScanTimeLimit as exc:
        module.fail_json(msg='port scan of %s stopped: %s' % (params['target'], exc))
    except OSError as exc:
        module.fail_json(msg='port scan of %s failed: %s' % (params['target'], exc))

    unexpected_open, expected_closed = compare_scan(scan['open'], params['expected_open'])
    messages = scan_messages(scan['target'], unexpected_open, expected_closed, params['expected_open'])
    result = dict(
        changed=False,
        open=scan['open'],
        unexpected_open=unexpected_open,
        expected_closed=expected_closed,
        scanned=scan['scanned'],
        closed=scan['closed'],
        filtered=scan['filtered'],
        concurrency=scan['concurrency'],
        duration=scan['duration'],
        messages=messages,
    )
    if scan['errors']:
        module.warn('unusual connect errors, counted as filtered: %s'
                    % ', '.join('%s x%d' % (name, count) for name, count in sorted(scan['errors'].items())))
    if messages and params['fail_on_unexpected']:
        module.fail_json(msg='; '.join(messages), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
