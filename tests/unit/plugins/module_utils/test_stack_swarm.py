# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Swarm stack file rendered from the same description as the compose project, and what a cluster refuses."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest
import yaml

from ansible_collections.stackops.hardened.plugins.module_utils.stack import (
    StackError,
    check_swarm,
    merge_deep,
    render_swarm,
    size_in_bytes,
    swarm_secret_name,
    swarm_secrets,
    swarm_update_order,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
DEMO_STACK = os.path.join(ROOT, 'inventories', 'dev', 'group_vars', 'all', 'stack.yml')
DEFAULTS = os.path.join(ROOT, 'roles', 'stack', 'defaults', 'main.yml')
FINGERPRINTS = {'postgres_password': 'a1b2c3d4e5f6a7b8c9d0', 'redis_password': '0f1e2d3c4b5a69788796',
                'telegram_bot_token': '1111222233334444', 'telegram_webhook_secret': '9999888877776666'}


def demo_services():
    text = open(DEMO_STACK).read()
    text = text.replace('{{ demo_image_prefix }}', 'stackops-demo').replace('{{ demo_image_tag }}', '1.0')
    return yaml.safe_load(text)['stack_services']


def defaults():
    return yaml.safe_load(open(DEFAULTS))['stack_service_defaults']


def render(swarm=None, fingerprints=None, services=None):
    return render_swarm('demo', services or demo_services(), defaults(), swarm=swarm,
                        fingerprints=FINGERPRINTS if fingerprints is None else fingerprints)


def test_networks_are_overlays_backend_internal_and_both_encrypted_by_default():
    networks = render()['networks']
    assert networks == {
        'frontend': {'driver': 'overlay', 'driver_opts': {'encrypted': 'true'}},
        'backend': {'driver': 'overlay', 'internal': True, 'driver_opts': {'encrypted': 'true'}},
    }


def test_encryption_can_be_turned_off_for_hosts_without_ipsec():
    networks = render(swarm={'encrypted': False})['networks']
    assert networks == {'frontend': {'driver': 'overlay'}, 'backend': {'driver': 'overlay', 'internal': True}}


def test_data_stores_are_pinned_to_the_labelled_node_on_the_backend_only():
    services = render()['services']
    for name in ('postgres', 'redis'):
        assert services[name]['deploy']['placement'] == {'constraints': ['node.labels.stackops.data == true']}
        assert services[name]['networks'] == ['backend']
        assert services[name]['deploy']['update_config']['order'] == 'stop-first'
    assert 'placement' not in services['api']['deploy']
    assert render(swarm={'datastore_label': 'db'})['services']['postgres']['deploy']['placement'] == {
        'constraints': ['node.labels.db == true']}


def test_secrets_are_versioned_external_secrets_mounted_for_the_service_uid():
    project = render()
    assert project['secrets']['postgres_password'] == {'external': True, 'name': 'demo_postgres_password_a1b2c3d4e5f6'}
    assert project['services']['postgres']['secrets'] == [
        {'source': 'postgres_password', 'target': 'postgres_password', 'uid': '999', 'gid': '999', 'mode': 0o400}]
    assert [entry['uid'] for entry in project['services']['api']['secrets']] == ['10001', '10001']


def test_a_rotated_secret_renames_exactly_the_services_that_use_it():
    before = render()
    after = render(fingerprints=dict(FINGERPRINTS, redis_password='77aa77aa77aa77aa'))
    changed = sorted(name for name in before['services']
                     if json.dumps(before['services'][name], sort_keys=True) != json.dumps(after['services'][name], sort_keys=True)
                     or any(before['secrets'][s['source']] != after['secrets'][s['source']]
                            for s in before['services'][name].get('secrets', [])))
    assert changed == ['api', 'beat', 'bot', 'redis', 'worker']
    assert after['secrets']['redis_password']['name'] == 'demo_redis_password_77aa77aa77aa'


def test_keys_swarm_lacks_are_moved_or_dropped():
    api = render()['services']['api']
    for key in ('depends_on', 'restart', 'security_opt', 'mem_limit', 'pids_limit', 'tmpfs', 'x-stackops'):
        assert key not in api
    assert api['deploy']['resources'] == {'limits': {'memory': '512m', 'cpus': '1.0', 'pids': 256}}
    assert api['volumes'] == [{'type': 'tmpfs', 'target': '/tmp'}]
    postgres = render()['services']['postgres']
    assert postgres['volumes'] == ['pgdata:/var/lib/postgresql/data', {'type': 'tmpfs', 'target': '/tmp'},
                                   {'type': 'tmpfs', 'target': '/run/postgresql'},
                                   {'type': 'tmpfs', 'target': '/dev/shm', 'tmpfs': {'size': 128 * 1024 ** 2}}]
    assert 'shm_size' not in postgres
    assert api['read_only'] is True and api['cap_drop'] == ['ALL'] and api['init'] is True


def test_volumes_keep_the_compose_names_so_a_data_node_reuses_its_data():
    assert render()['volumes'] == {'pgdata': {'name': 'demo_pgdata'}, 'redisdata': {'name': 'demo_redisdata'}}


def test_updates_roll_back_by_themselves_and_start_first_only_where_safe():
    services = render()['services']
    update = services['api']['deploy']['update_config']
    assert update == {'parallelism': 1, 'delay': '5s', 'order': 'start-first', 'failure_action': 'rollback',
                      'monitor': '30s', 'max_failure_ratio': 0}
    assert services['api']['deploy']['rollback_config']['order'] == 'start-first'
    assert services['beat']['deploy']['update_config']['order'] == 'stop-first'  # singleton
    assert services['worker']['deploy']['update_config']['order'] == 'start-first'
    host = render(swarm={'publish_mode': 'host'})['services']
    assert host['api']['deploy']['update_config']['order'] == 'stop-first'  # both tasks would want port 8000
    assert host['worker']['deploy']['update_config']['order'] == 'start-first'  # publishes nothing


def test_one_shots_are_jobs_without_update_settings():
    migrate = render()['services']['migrate']
    assert migrate['deploy'] == {'mode': 'replicated-job',
                                 'restart_policy': {'condition': 'on-failure', 'delay': '5s', 'max_attempts': 3},
                                 'resources': {'limits': {'memory': '512m', 'cpus': '1.0', 'pids': 256}}}


def test_ports_keep_their_numbers_in_the_chosen_publish_mode():
    assert render()['services']['api']['ports'] == [{'target': 8000, 'published': 8000, 'protocol': 'tcp',
                                                     'mode': 'ingress'}]
    assert render(swarm={'publish_mode': 'host'})['services']['web']['ports'] == [
        {'target': 8080, 'published': 8081, 'protocol': 'tcp', 'mode': 'host'}]


def test_deploy_overrides_are_laid_over_key_by_key():
    api = render(swarm={'deploy': {'api': {'replicas': 2, 'placement': {'max_replicas_per_node': 1},
                                           'update_config': {'order': 'stop-first'}}}})['services']['api']['deploy']
    assert api['replicas'] == 2
    assert api['placement'] == {'max_replicas_per_node': 1}
    assert api['update_config']['order'] == 'stop-first'
    assert api['update_config']['failure_action'] == 'rollback'
    web = render(swarm={'deploy': {'web': {'mode': 'global'}}})['services']['web']['deploy']
    assert web['mode'] == 'global' and 'replicas' not in web


def test_endpoint_mode_and_publish_mode_are_checked():
    with pytest.raises(StackError, match="stack_swarm_endpoint_mode is 'ipvs'; it accepts vip, dnsrr"):
        render(swarm={'endpoint_mode': 'ipvs'})
    with pytest.raises(StackError, match="stack_swarm_publish_mode is 'mesh'; it accepts ingress, host"):
        render(swarm={'publish_mode': 'mesh'})


def test_a_service_with_network_mode_cannot_be_rendered():
    services = demo_services()
    services['web']['network_mode'] = 'host'
    with pytest.raises(StackError, match='service web sets network_mode'):
        render(services=services)


def test_check_swarm_refuses_what_a_cluster_cannot_run_safely():
    services = demo_services()
    refusals = check_swarm(services, {'deploy': {'postgres': {'replicas': 2}, 'beat': {'mode': 'global'},
                                                 'migrate': {'mode': 'replicated'}, 'nope': {'replicas': 1},
                                                 'api': {'replicas': 2, 'scale': 3}, 'web': {'mode': 'daemon'}}})
    assert refusals == [
        "stack_swarm_deploy.api has 'scale'; it accepts mode, replicas, endpoint_mode, placement, resources, "
        "restart_policy, update_config, rollback_config, labels",
        'service beat is a singleton (x-stackops.singleton): a second task would run every scheduled job twice; '
        'remove replicas/mode from stack_swarm_deploy.beat',
        'service migrate runs once (a one-shot) and deploys as a replicated-job; stack_swarm_deploy.migrate sets mode '
        'replicated',
        'stack_swarm_deploy names service nope, which stack_services does not have (it has api, beat, bot, migrate, '
        'postgres, redis, web, worker)',
        'service postgres is a data store: it keeps its data in a volume on one node, so it runs as one task pinned to '
        'that node; remove replicas/mode from stack_swarm_deploy.postgres (scale it with its own replication instead)',
        "stack_swarm_deploy.web.mode is 'daemon'; it accepts replicated, global, replicated-job, global-job",
    ]
    assert check_swarm(services, {'deploy': {'api': {'replicas': 2}, 'web': {'mode': 'global'}}}) == []
    assert check_swarm(services, {'endpoint_mode': 'x'}) == ["stack_swarm_endpoint_mode is 'x'; it accepts vip, dnsrr"]


def test_swarm_secrets_name_each_version_and_a_file_to_create_it_from():
    assert swarm_secrets('demo', demo_services(), FINGERPRINTS, '/opt/demo/secrets') == [
        {'secret': 'postgres_password', 'name': 'demo_postgres_password_a1b2c3d4e5f6',
         'src': '/opt/demo/secrets/10001/postgres_password'},
        {'secret': 'redis_password', 'name': 'demo_redis_password_0f1e2d3c4b5a',
         'src': '/opt/demo/secrets/10001/redis_password'},
        {'secret': 'telegram_bot_token', 'name': 'demo_telegram_bot_token_111122223333',
         'src': '/opt/demo/secrets/10001/telegram_bot_token'},
        {'secret': 'telegram_webhook_secret', 'name': 'demo_telegram_webhook_secret_999988887777',
         'src': '/opt/demo/secrets/10001/telegram_webhook_secret'},
    ]


@pytest.mark.parametrize('fingerprint, name', [
    ('hmac-sha256:ABCDEF0123456789', 'demo_x_abcdef012345'),
    ('pending', 'demo_x_pending'),
    (None, 'demo_x_absent'),
])
def test_secret_versions_come_from_the_fingerprint(fingerprint, name):
    assert swarm_secret_name('demo', 'x', fingerprint) == name


@pytest.mark.parametrize('value, expected', [('128m', 134217728), ('1g', 1073741824), ('64k', 65536), (4096, 4096),
                                             ('10mb', 10485760)])
def test_sizes(value, expected):
    assert size_in_bytes(value, 'shm_size') == expected


def test_a_bad_size_names_the_setting():
    with pytest.raises(StackError, match="service web: shm_size is 'lots'; give a size such as 64m"):
        render(services=dict(demo_services(), web=dict(demo_services()['web'], shm_size='lots')))


def test_merge_deep_merges_mappings_and_replaces_the_rest():
    merged = merge_deep({'a': {'b': 1, 'c': [1]}, 'd': 1}, {'a': {'c': [2]}, 'e': 2})
    assert merged == {'a': {'b': 1, 'c': [2]}, 'd': 1, 'e': 2}


def test_update_order_of_a_plain_service():
    assert swarm_update_order({'image': 'x/app:1'}, False, 'ingress') == 'start-first'
    assert swarm_update_order({'image': 'x/app:1'}, True, 'ingress') == 'stop-first'


# ---------------------------------------------------------------- rollbacks that are history

def _rolled_back_service(completed_at):
    from ansible_collections.stackops.hardened.plugins.module_utils.health import evaluate_service
    template = {'ContainerSpec': {'Image': 'stackops-demo/app:1.0'}}
    service = {'ID': 's1', 'Spec': {'Name': 'demo_api', 'Mode': {'Replicated': {'Replicas': 1}}, 'TaskTemplate': template},
               'ServiceStatus': {'RunningTasks': 1, 'DesiredTasks': 1},
               'UpdateStatus': {'State': 'rollback_completed', 'CompletedAt': completed_at,
                                'Message': 'rollback completed'}}
    task = {'ID': 't1', 'ServiceID': 's1', 'NodeID': 'n1', 'DesiredState': 'running', 'Status': {'State': 'running'},
            'Spec': template}
    return evaluate_service, service, [task]


def test_a_rollback_before_the_deploy_is_history():
    from ansible_collections.stackops.hardened.plugins.module_utils.health import parse_docker_time
    evaluate_service, service, tasks = _rolled_back_service('2026-11-25T18:00:00.5Z')
    deploy_started = parse_docker_time('2026-11-25T18:05:00Z')
    assert evaluate_service(service, tasks, {'n1': 'node-1'}, rollbacks_before=deploy_started)['ok'] is True
    late = parse_docker_time('2026-11-25T17:59:00Z')
    judged = evaluate_service(service, tasks, {'n1': 'node-1'}, rollbacks_before=late)
    assert judged['ok'] is False and judged['final'] is True
    assert judged['problem'].startswith('service demo_api: the update of demo_api was rolled back (rollback completed)')
    assert evaluate_service(service, tasks, {'n1': 'node-1'})['final'] is True


def test_rollbacks_before_must_be_a_time():
    from ansible_collections.stackops.hardened.plugins.module_utils.health import check_health
    with pytest.raises(ValueError, match="rollbacks_before 'yesterday' does not parse as a time; give one such as"):
        check_health(swarm_stack='demo', rollbacks_before='yesterday', docker_socket='/nonexistent')


def test_a_job_that_may_retry_is_waited_for_until_its_attempts_are_spent():
    from ansible_collections.stackops.hardened.plugins.module_utils.health import evaluate_service, job_retries
    template = {'ContainerSpec': {'Image': 'stackops-demo/app:1.0'},
                'RestartPolicy': {'Condition': 'on-failure', 'MaxAttempts': 3}}
    service = {'ID': 'j1', 'Spec': {'Name': 'demo_migrate', 'Mode': {'ReplicatedJob': {'TotalCompletions': 1}},
                                    'TaskTemplate': template},
               'ServiceStatus': {'CompletedTasks': 0, 'DesiredTasks': 1}, 'JobStatus': {'JobIteration': {'Index': 1}}}

    def failed(number):
        return {'ID': 't%d' % number, 'ServiceID': 'j1', 'NodeID': 'n1', 'DesiredState': 'complete',
                'JobIteration': {'Index': 1}, 'Status': {'State': 'failed', 'Err': 'task: non-zero exit (1)',
                                                         'Timestamp': '2026-11-25T18:0%d:00Z' % number}}
    three = evaluate_service(service, [failed(1), failed(2), failed(3)], {'n1': 'node-1'})
    assert (three['ok'], three['final']) == (False, False)
    four = evaluate_service(service, [failed(1), failed(2), failed(3), failed(4)], {'n1': 'node-1'})
    assert (four['ok'], four['final']) == (False, True)
    assert four['problem'].endswith('a task failed: failed on node-1: task: non-zero exit (1)')
    assert job_retries({}) == 0
    assert job_retries({'RestartPolicy': {'Condition': 'none', 'MaxAttempts': 5}}) == 0
    assert job_retries({'RestartPolicy': {'Condition': 'on-failure'}}) == 1 << 30


def test_published_ports_of_the_demo_stack():
    from ansible_collections.stackops.hardened.plugins.module_utils.stack import published_ports
    assert published_ports(demo_services()) == [{'service': 'api', 'port': 8000, 'proto': 'tcp'},
                                                {'service': 'bot', 'port': 8080, 'proto': 'tcp'},
                                                {'service': 'web', 'port': 8081, 'proto': 'tcp'}]
    assert published_ports({'dns': {'ports': ['127.0.0.1:53:53/udp', {'target': 9000}]}}) == [
        {'service': 'dns', 'port': 53, 'proto': 'udp'}]
