"""The fault-injection harness's choices and comparisons (tests/faults/harness.py), without hosts."""
import importlib.util
import os
import random

_PATH = os.path.join(os.path.dirname(__file__), '..', '..', 'faults', 'harness.py')
_SPEC = importlib.util.spec_from_file_location('faults_harness', _PATH)
harness = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(harness)

TASKS = [(role, 'TASK [stackops.hardened.%s : task %d]' % (role, number))
         for role in harness.ROLES for number in range(4)]


def test_one_cut_per_role_in_run_order_with_both_kinds():
    cuts = harness.choose_cuts(TASKS, random.Random(3))
    assert [cut['role'] for cut in cuts] == harness.ROLES
    assert set(cut['kind'] for cut in cuts) == set(harness.KINDS)
    assert all(0.0 <= cut['delay'] < 2.0 for cut in cuts)


def test_the_seed_replays_the_same_cuts():
    assert harness.choose_cuts(TASKS, random.Random(42)) == harness.choose_cuts(TASKS, random.Random(42))
    assert harness.choose_cuts(TASKS, random.Random(42)) != harness.choose_cuts(TASKS, random.Random(43))


def test_every_nth_task_and_the_handlers():
    cuts = harness.every_nth(TASKS, 10)
    assert [cut['at'] for cut in cuts[:3]] == [TASKS[0][1], TASKS[10][1], TASKS[20][1]]
    assert sum(1 for cut in cuts if cut['at'].startswith('RUNNING HANDLER')) >= 5


def test_headers_as_ansible_prints_them():
    match = harness.HEADER.match('RUNNING HANDLER [stackops.hardened.baseline : Reload sshd] *****')
    assert match and match.group(2) == 'stackops.hardened.baseline : Reload sshd'
    assert harness.role_of('TASK [stackops.hardened.docker : Write daemon.json]') == 'docker'


def test_compare_names_each_difference():
    reference = {'sysctl': {'net.ipv4.ip_forward': '1'}, 'nftables': ['a', 'b'],
                 'containers': [{'name': '/demo-api-1', 'status': 'running'}]}
    other = {'sysctl': {'net.ipv4.ip_forward': '0'}, 'nftables': ['a', 'b', 'tcp dport 6390 accept'],
             'containers': [{'name': '/demo-api-1', 'status': 'exited'}]}
    assert harness.compare(reference, reference) == []
    diffs = harness.compare(reference, other)
    assert 'containers./demo-api-1.status: reference "running", here "exited"' in diffs
    assert "nftables: missing []; extra ['tcp dport 6390 accept']" in diffs
    assert 'sysctl.net.ipv4.ip_forward: reference "1", here "0"' in diffs


def test_recap_line():
    match = harness.RECAP.match('stackops-faults-cut        : ok=153  changed=3    unreachable=0    failed=0    skipped=1')
    assert match.group(3) == '3'


def test_a_cut_falls_at_its_point_or_as_the_run_leaves_the_role():
    cut = dict(role='docker', at='RUNNING HANDLER [stackops.hardened.docker : Restart docker]', delay=0.1, kind='sigint')
    seen = ['TASK [stackops.hardened.firewall : Write the rule set]',
            'TASK [stackops.hardened.docker : Install the engine]',
            'TASK [stackops.hardened.docker : Write daemon.json]',
            'TASK [stackops.hardened.secrets : Write the secret files]']
    decisions, in_role = [], False
    for header in seen:
        arm, in_role, fallback = harness.arm_decision(cut, header, in_role)
        decisions.append((arm, fallback))
    # not before the role, not inside it while its point may still come, then as the run leaves it
    assert decisions == [(False, False), (False, False), (False, False), (True, True)]
    assert harness.arm_decision(cut, cut['at'], True) == (True, True, False)
