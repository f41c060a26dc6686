# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Releases: overrides, the gate's timing, the plan of a deploy, and the recorded history."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.release import (
    ONESHOT, OVERLAP, SIDE_BY_SIDE, STOP_FIRST, DATASTORE, ReleaseError, activate, add_failed, apply_image_tags,
    gate_timeout, new_record, plan_release, previous_release, prune, readiness, retag, rollback_target, with_slots)
from ansible_collections.stackops.hardened.plugins.module_utils.stack import render_project

DIGEST = 'sha256:' + 'ab' * 32

SERVICES = {
    'postgres': {'image': 'reg.test:5443/demo/postgres:1.0', 'healthcheck': {'test': ['CMD', 'true']}},
    'migrate': {'image': 'reg.test:5443/demo/app:1.0', 'command': ['migrate'],
                'depends_on': {'postgres': {'condition': 'service_healthy'}}},
    'api': {'image': 'reg.test:5443/demo/app:1.0', 'ports': ['8000:8000'],
            'x-stackops': {'ready': '/ready'},
            'depends_on': {'migrate': {'condition': 'service_completed_successfully'}},
            'healthcheck': {'test': ['CMD', 'true'], 'interval': '10s', 'timeout': '5s', 'retries': 5,
                            'start_period': '20s'}},
    'bot': {'image': 'reg.test:5443/demo/app:1.0', 'ports': ['8080:8080'], 'healthcheck': {'test': ['CMD', 'true']}},
    'worker': {'image': 'reg.test:5443/demo/app:1.0', 'healthcheck': {'test': ['CMD', 'true']}},
    'beat': {'image': 'reg.test:5443/demo/app:1.0', 'x-stackops': {'singleton': True},
             'healthcheck': {'test': ['CMD', 'true']}},
}


def render(services):
    return render_project('demo', services, {'read_only': True}, secrets_dir='/opt/demo/secrets')


def plan(services, live=None, current=None, **options):
    return plan_release(services, render, live=live, current=current, options=options)


# ---------------------------------------------------------------- overrides

@pytest.mark.parametrize('override, expected', [
    ('1.4.2', 'reg.test:5443/demo/app:1.4.2'),
    (DIGEST, 'reg.test:5443/demo/app@' + DIGEST),
    ('1.4.2@' + DIGEST, 'reg.test:5443/demo/app:1.4.2@' + DIGEST),
    ('other.test/team/app:2.0', 'other.test/team/app:2.0'),
])
def test_retag_accepts_tags_digests_and_references(override, expected):
    assert retag('reg.test:5443/demo/app:1.0', override, 'stack_image_tags.api') == expected


@pytest.mark.parametrize('override', ['', 'bad tag', '-1.0', 'sha256:12', '1.0@sha256:xyz', 'Upper/App:1', 7, None,
                                      'a' * 129])
def test_retag_refuses_what_is_no_reference(override):
    with pytest.raises(ReleaseError) as err:
        retag('reg.test:5443/demo/app:1.0', override, 'stack_image_tags.api')
    assert 'stack_image_tags.api' in str(err.value)
    assert 'it accepts' in str(err.value)


def test_unknown_service_in_overrides_is_refused_by_name():
    with pytest.raises(ReleaseError) as err:
        apply_image_tags(SERVICES, {'apii': '1.1', 'api': '1.1'})
    message = str(err.value)
    assert 'stack_image_tags names apii, which is not a service' in message
    assert 'api, beat, bot, migrate, postgres, worker' in message


def test_overrides_leave_the_input_alone():
    before = copy.deepcopy(SERVICES)
    result = apply_image_tags(SERVICES, {'api': '1.1'})
    assert result['api']['image'] == 'reg.test:5443/demo/app:1.1'
    assert result['worker']['image'] == 'reg.test:5443/demo/app:1.0'
    assert SERVICES == before


def test_overrides_must_be_a_mapping():
    with pytest.raises(ReleaseError, match='must be a mapping'):
        apply_image_tags(SERVICES, ['api'])


# ---------------------------------------------------------------- the gate

def test_gate_timeout_follows_the_healthcheck():
    # 20 s start period, then 5 checks up to 10 s + 5 s apart, then the margin
    assert gate_timeout('api', SERVICES['api'], margin=10) == 20 + 5 * 15 + 10


def test_gate_timeout_uses_dockers_defaults_and_compound_durations():
    assert gate_timeout('w', {}, margin=0) == 3 * 60
    assert gate_timeout('w', {'healthcheck': {'interval': '1m30s', 'timeout': '500ms', 'retries': 2}},
                        margin=0) == 181
    with pytest.raises(ReleaseError, match='service w: healthcheck.interval'):
        gate_timeout('w', {'healthcheck': {'interval': 'soon'}})


def test_readiness_on_a_service_without_a_port_is_refused():
    with pytest.raises(ReleaseError) as err:
        readiness('worker', {'image': 'x:1', 'x-stackops': {'ready': '/ready'}})
    assert 'service worker: x-stackops.ready' in str(err.value)
    assert 'publishes no TCP port' in str(err.value)


def test_readiness_reads_path_status_body():
    assert readiness('api', SERVICES['api']) == dict(path='/ready', status=200, body=None)
    spec = dict(SERVICES['api'], **{'x-stackops': {'ready': {'path': '/ok', 'status': 204, 'body': 'up'}}})
    assert readiness('api', spec) == dict(path='/ok', status=204, body='up')
    for bad in ({'path': 'ready'}, {'path': '/r', 'status': 99}, {'path': '/r', 'when': 1}, 5):
        with pytest.raises(ReleaseError, match='x-stackops.ready'):
            readiness('api', dict(SERVICES['api'], **{'x-stackops': {'ready': bad}}))


# ---------------------------------------------------------------- the plan

def test_first_release_changes_everything_and_keeps_slot_a():
    result = plan(SERVICES)
    assert result['refusals'] == []
    assert result['first'] is True
    assert set(result['changed']) == set(SERVICES)
    assert result['slots'] == {'api': 'a'}
    assert result['upstreams'] == {'api': 8000}
    assert result['replace'] == dict(postgres=DATASTORE, migrate=ONESHOT, api=SIDE_BY_SIDE, bot=STOP_FIRST,
                                     worker=OVERLAP, beat=STOP_FIRST)


def test_same_release_changes_nothing():
    live = render(with_slots(SERVICES, {'api': 'b'}, 10000))
    result = plan(SERVICES, live=live, current={'slots': {'api': 'b'}})
    assert result['changed'] == []
    assert result['upstreams'] == {'api': 18000}


def test_a_new_api_moves_to_the_other_port_and_is_gated_there():
    live = render(SERVICES)
    services = apply_image_tags(SERVICES, {'api': '1.1'})
    result = plan(services, live=live, current={'slots': {'api': 'a'}}, public={'api': 'api.demo.test'})
    assert result['changed'] == ['api']
    assert result['slots'] == {'api': 'b'}
    assert result['upstreams'] == {'api': 18000}
    gate = result['ready']['api']
    assert gate['url'] == 'http://127.0.0.1:18000/ready'
    assert gate['timeout'] == 105
    assert gate['public'] == dict(host='api.demo.test', path='/ready', status=200)
    ports = result['services']['api']['ports']
    assert ports[0]['published'] == '18000'
    # and back to 8000 on the next one
    again = plan(apply_image_tags(SERVICES, {'api': '1.2'}), live=render(result['services']),
                 current={'slots': result['slots']})
    assert again['upstreams'] == {'api': 8000}


def test_a_data_store_image_change_is_refused_without_the_flag():
    live = render(SERVICES)
    services = apply_image_tags(SERVICES, {'postgres': '2.0'})
    result = plan(services, live=live, current={})
    assert len(result['refusals']) == 1
    assert 'service postgres is a data store' in result['refusals'][0]
    assert 'stack_release_allow_datastore_change' in result['refusals'][0]
    assert plan(services, live=live, current={}, allow_datastore_change=True)['refusals'] == []


def test_a_changed_migration_is_refused_in_refuse_mode_and_run_otherwise():
    live = render(SERVICES)
    services = apply_image_tags(SERVICES, {'migrate': '1.1', 'api': '1.1'})
    refused = plan(services, live=live, migrations='refuse')
    assert refused['refusals'] and 'stack_migrations is refuse and the one-shot migrate changes' in refused['refusals'][0]
    assert '-e stack_migrations=run' in refused['refusals'][0]
    ran = plan(services, live=live, migrations='run')
    assert ran['refusals'] == [] and ran['migrations'] == ['migrate']
    assert 'migrate' not in ran['ready']
    assert plan(services, live=live, migrations='sometimes')['refusals'][0].startswith('stack_migrations is')


def test_readiness_without_port_is_a_refusal_of_the_plan():
    services = copy.deepcopy(SERVICES)
    services['worker']['x-stackops'] = {'ready': '/ready'}
    result = plan(services)
    assert any('service worker: x-stackops.ready' in refusal for refusal in result['refusals'])


# ---------------------------------------------------------------- the records

def record(n, status='active'):
    rec = new_record('demo', '2026-03-12T10:%02d:00Z' % n, {'api': {'image': 'x:%d' % n, 'digest': DIGEST}},
                     'compose %d' % n, 'ci')
    return dict(rec, seq=n, status=status)


def test_record_names_time_images_compose_and_who():
    rec = new_record('demo', '2026-03-12T10:15:00.123Z', {'api': {'image': 'x:1', 'digest': DIGEST}}, 'text', 'ci@host',
                     backup=['/var/backups/demo.dump'])
    assert rec['id'].startswith('20260312T101500Z-')
    assert rec['by'] == 'ci@host' and rec['backup'] == ['/var/backups/demo.dump']
    assert len(rec['compose_sha256']) == 64


def test_previous_goes_further_back_after_a_rollback():
    history = [record(1, 'superseded'), record(2, 'superseded'), record(3)]
    target = rollback_target(history, history[2]['id'])
    assert target['id'] == history[1]['id']
    history, current = activate(history, target, '2026-03-12T11:00:00Z', rollback=True)
    assert current['id'] == history[1]['id']
    assert [item['status'] for item in history] == ['superseded', 'active', 'rolled_back']
    # the next rollback goes to the first release, never forward to the third
    assert rollback_target(history, current['id'])['id'] == history[0]['id']


def test_a_new_deploy_after_a_rollback_has_the_rolled_back_to_release_as_previous():
    history = [record(1, 'superseded'), record(2, 'active'), record(3, 'rolled_back')]
    fresh = record(9)
    history, current = activate(history, fresh, '2026-03-12T12:00:00Z')
    assert current['seq'] == 4
    assert previous_release(history, current['id'])['id'] == history[1]['id']


def test_failed_releases_are_recorded_but_never_previous_or_targets():
    history = [record(1, 'superseded'), record(2)]
    history, failed = add_failed(history, record(7), '2026-03-12T12:00:00Z', 'api: readiness')
    assert failed['status'] == 'failed' and failed['seq'] == 3
    assert previous_release(history, history[1]['id'])['id'] == history[0]['id']
    with pytest.raises(ReleaseError, match='failed its gate'):
        rollback_target(history, history[1]['id'], failed['id'])


def test_a_rollback_target_that_is_not_recorded_is_refused():
    history = [record(1, 'superseded'), record(2)]
    with pytest.raises(ReleaseError) as err:
        rollback_target(history, history[1]['id'], '20990101T000000Z-abcdef')
    assert 'is not a recorded release' in str(err.value) and history[0]['id'] in str(err.value)
    with pytest.raises(ReleaseError, match='accepts previous or a recorded release id'):
        rollback_target(history, history[1]['id'], '../../etc/passwd')
    with pytest.raises(ReleaseError, match='no release before'):
        rollback_target(history[:1], history[0]['id'])


def test_prune_keeps_the_newest_and_the_current():
    history = [record(n, 'superseded') for n in range(1, 8)]
    kept, removed = prune(history, 3, history[-1]['id'])
    assert [item['seq'] for item in kept] == [5, 6, 7]
    assert len(removed) == 4
    kept, removed = prune(history, 3, history[0]['id'])
    assert [item['seq'] for item in kept] == [1, 6, 7]
    with pytest.raises(ReleaseError, match='stack_releases_keep'):
        prune(history, 0)


def test_history_is_kept_on_disk_with_a_current_pointer(tmp_path):
    from ansible_collections.stackops.hardened.plugins.module_utils.release import load_history, save_history
    directory = str(tmp_path / 'demo')
    assert load_history(directory) == ([], None)
    history, current = activate([], record(1), '2026-03-12T10:00:00Z')
    history, current = activate(history, record(2), '2026-03-12T10:05:00Z')
    save_history(directory, history, current['id'])
    loaded, current_id = load_history(directory)
    assert current_id == current['id'] and [item['seq'] for item in loaded] == [1, 2]
    kept, removed = prune(loaded, 1, current_id)
    save_history(directory, kept, current_id, removed)
    assert [item['id'] for item in load_history(directory)[0]] == [current_id]
    assert oct((tmp_path / 'demo' / (current_id + '.json')).stat().st_mode & 0o777) == '0o600'


def test_the_filter_refuses_instead_of_raising():
    from ansible_collections.stackops.hardened.plugins.filter.release import release_plan
    result = release_plan(SERVICES, 'demo', {}, image_tags={'nope': '1'})
    assert result['refusals'] and 'stack_image_tags names nope' in result['refusals'][0]
    result = release_plan(SERVICES, 'demo', {'read_only': True}, image_tags={'api': '1.1'}, live=render(SERVICES),
                          secrets_dir='/opt/demo/secrets', current={'slots': {'api': 'a'}})
    assert result['changed'] == ['api'] and result['refusals'] == []
