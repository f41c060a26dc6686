# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import importlib.machinery
import importlib.util
import json
import os

import pytest

from ansible_collections.stackops.hardened.plugins.filter.monitoring import FilterModule
from ansible_collections.stackops.hardened.plugins.module_utils import backup, exposure, monitoring

FILTERS = FilterModule().filters()
TOKEN = '7000000001:AAHtestTOKENnotREALstackops01234567'
SOUND = {
    'telegram': True, 'chat_id': -4012345678, 'bot_token': TOKEN, 'bot_token_file': '/opt/demo/secrets/0/t',
    'durations': {'monitoring_retention_time': '15d', 'monitoring_alert_for': '30s', 'monitoring_group_interval': '1m30s'},
    'sizes': {'monitoring_retention_size': '1GB'},
    'listen': {'monitoring_prometheus_listen': '127.0.0.1:9090', 'monitoring_alertmanager_listen': '[::1]:9093'},
    'allow_public': False,
    'thresholds': {'monitoring_cert_min_days': [14, 1, 90], 'monitoring_disk_free_percent': ['10', 1, 50]},
}


def problems(**changes):
    settings = dict(SOUND)
    settings.update(changes)
    return FILTERS['monitoring_problems'](settings)


def test_sound_inputs_pass():
    assert problems() == []


@pytest.mark.parametrize('chat_id, why', [
    ('', 'empty'), (None, 'empty'), (123456789, 'a placeholder'), ('-1001234567890', 'a placeholder'),
    ('changeme', 'a placeholder'), ('@alerts', 'not a numeric chat id'), ('12.5', 'not a numeric chat id'),
    ('-0123456', 'not a numeric chat id'), (True, 'a boolean'), ('777777777', 'a placeholder'),
])
def test_chat_ids_refused(chat_id, why):
    found = problems(chat_id=chat_id)
    assert len(found) == 1
    assert found[0].startswith('monitoring_telegram_chat_id is refused: ' + why)
    assert 'accepted: the numeric id of the chat' in found[0]


@pytest.mark.parametrize('chat_id', [-4012345678, '-1009876543210', 240512345])
def test_chat_ids_accepted(chat_id):
    assert problems(chat_id=chat_id) == []


@pytest.mark.parametrize('token, why', [
    ('', 'empty'), ('your_token_here', 'a placeholder'), ('123:abc', 'not a bot token'),
    ('7000000001:AAHtestTOKENnotREALstackops0123456', 'not a bot token'),
])
def test_bot_tokens_refused_without_repeating_them(token, why):
    found = problems(bot_token=token)
    assert len(found) == 1
    assert found[0].startswith('the bot token in /opt/demo/secrets/0/t (monitoring_telegram_bot_token_file) is refused: ' + why)
    if token:
        assert token not in found[0]


def test_token_not_read_and_telegram_off_are_not_checked():
    assert problems(bot_token=None) == []
    assert problems(telegram=False, chat_id='', bot_token='') == []


@pytest.mark.parametrize('value', ['15 days', '15', '1h1d', '0s', '', '-5m', 'd'])
def test_durations_that_do_not_parse(value):
    found = problems(durations={'monitoring_retention_time': value})
    assert found == ["monitoring_retention_time is refused: %r does not parse; accepted: %s" % (value, monitoring.DURATION_ACCEPTED)]


def test_duration_and_size_values():
    assert monitoring.duration_seconds('1h30m') == 5400
    assert monitoring.duration_seconds('15d') == 15 * 86400
    assert monitoring.duration_seconds('500ms') == 0.5
    assert monitoring.size_bytes('512MB') == 512 << 20
    assert monitoring.size_bytes('1G') is None
    assert monitoring.size_bytes('0GB') is None


@pytest.mark.parametrize('size', ['1G', '1 GB', 'lots', '0MB', '1.5GB'])
def test_sizes_refused(size):
    found = problems(sizes={'monitoring_retention_size': size})
    assert len(found) == 1 and found[0].startswith("monitoring_retention_size is refused: %r does not parse" % size)


@pytest.mark.parametrize('address, why', [
    ('0.0.0.0:9090', '0.0.0.0 is off loopback'), ('203.0.113.7:9090', '203.0.113.7 is off loopback'),
    ('localhost:9090', 'a name, not an address'), ('127.0.0.1', 'not HOST:PORT'), ('127.0.0.1:70000', 'port 70000 is out of range'),
])
def test_listen_addresses_refused(address, why):
    found = problems(listen={'monitoring_prometheus_listen': address})
    assert len(found) == 1
    assert found[0].startswith('monitoring_prometheus_listen is refused: %r: %s' % (address, why))


def test_listen_off_loopback_with_the_flag():
    assert problems(listen={'monitoring_prometheus_listen': '0.0.0.0:9090'}, allow_public=True) == []
    assert 'monitoring_allow_public_listen: true' in problems(listen={'x': '10.0.0.5:9090'})[0]


@pytest.mark.parametrize('value, why', [(0, 'outside 1-90'), (91, 'outside 1-90'), ('many', 'not a number'),
                                        (True, 'a boolean, not a number'), (float('nan'), 'outside 1-90')])
def test_thresholds_out_of_range(value, why):
    found = problems(thresholds={'monitoring_cert_min_days': [value, 1, 90]})
    assert len(found) == 1
    assert found[0] == 'monitoring_cert_min_days is refused: %r is %s; accepted: a number from 1 to 90' % (value, why)


def test_render_metrics_escapes_and_groups():
    text = monitoring.render_metrics([
        ('stackops_container_healthy', {'container': 'a', 'problem': 'said "no"\nthen\\'}, 0),
        ('stackops_reboot_required', {}, False),
        ('stackops_container_healthy', {'container': 'b', 'problem': ''}, 1),
    ])
    lines = text.splitlines()
    assert lines[0] == '# HELP stackops_container_healthy ' + monitoring.METRIC_HELP['stackops_container_healthy']
    assert lines[1] == '# TYPE stackops_container_healthy gauge'
    assert lines[2] == 'stackops_container_healthy{container="a",problem="said \\"no\\"\\nthen\\\\"} 0'
    assert lines[3] == 'stackops_container_healthy{container="b",problem=""} 1'
    assert lines[-1] == 'stackops_reboot_required 0'
    with pytest.raises(ValueError, match='not a valid Prometheus label name'):
        monitoring.render_metrics([('x', {'bad-label': '1'}, 1)])


def test_container_samples_carry_the_health_check_message():
    evaluations = [{'name': 'demo-api-1', 'ok': False, 'restart_count': 2}, {'name': 'demo-web-1', 'ok': True}]
    samples = monitoring.container_samples(evaluations, {'demo-api-1': 'api'},
                                           {'demo-api-1': 'container demo-api-1 unhealthy for 30 s; ' + 'x' * 400})
    healthy = [s for s in samples if s[0] == 'stackops_container_healthy']
    assert healthy[0][1]['service'] == 'api' and healthy[0][2] == 0
    assert healthy[0][1]['problem'].startswith('container demo-api-1 unhealthy') and len(healthy[0][1]['problem']) == 300
    assert healthy[1][2] == 1 and healthy[1][1]['problem'] == ''
    assert ('stackops_container_restarts', {'container': 'demo-api-1', 'service': 'api'}, 2) in samples


def test_exposure_samples_from_the_exposure_judgement():
    sockets = [{'proto': 'tcp', 'address': '0.0.0.0', 'port': 8999, 'process': 'python3', 'pid': 42},
               {'proto': 'tcp', 'address': '0.0.0.0', 'port': 443, 'process': 'nginx', 'pid': 7},
               {'proto': 'tcp', 'address': '127.0.0.1', 'port': 9090, 'process': 'prometheus', 'pid': 9}]
    result = exposure.assess_exposure(sockets, [], None, ['22', '80', '443'])
    samples = monitoring.exposure_samples(result, exposure.describe_owner)
    assert samples == [('stackops_listener_unexpected', {'port': '8999', 'proto': 'tcp', 'address': '0.0.0.0',
                                                         'owner': 'process python3, pid 42'}, 1),
                       ('stackops_unexpected_listeners', {}, 1)]


def test_backup_samples_use_the_backup_rules():
    now = datetime.datetime(2026, 12, 3, 12, 0, 0)
    names = ['20261201T033000Z', '20261202T033000Z', '.20261203T033000Z.partial', 'lost+found']
    samples = monitoring.backup_samples('demo', names, now, 26, backup.newest_run, backup.run_age_hours)
    assert ('stackops_backup_runs', {'stack': 'demo'}, 2) in samples
    assert ('stackops_backup_max_age_seconds', {'stack': 'demo'}, 93600.0) in samples
    assert ('stackops_backup_newest_age_seconds', {'stack': 'demo', 'run': '20261202T033000Z'}, 117000.0) in samples
    empty = monitoring.backup_samples('demo', [], now, 26, backup.newest_run, backup.run_age_hours)
    assert [s[0] for s in empty] == ['stackops_backup_runs', 'stackops_backup_max_age_seconds']


def test_restore_samples_and_nft_tables():
    failed = monitoring.restore_samples('demo', 'demo', {'run': 'R'}, ['table public.items differs'], 1000.0)
    assert failed[0] == ('stackops_restore_check_success', {'stack': 'demo', 'database': 'demo', 'run': 'R',
                                                            'problem': 'table public.items differs'}, 0)
    assert monitoring.restore_samples('demo', 'demo', {}, [], 1.0)[0][2] == 1
    listing = 'table ip nat\ntable inet stackops\ntable ip filter\n'
    assert monitoring.nft_has_table(listing, 'inet', 'stackops')
    assert not monitoring.nft_has_table(listing, 'ip', 'stackops')
    assert not monitoring.nft_has_table('', 'inet', 'stackops')


def test_probe_spec_defaults():
    sites = {'api.demo.test': {'path': '/ready', 'status': 200, 'body': '"postgres": *"ok"'}}
    assert FILTERS['monitoring_probe']('api.demo.test', sites) == {'name': 'api.demo.test', 'path': '/ready',
                                                                   'status': 200, 'body': '"postgres": *"ok"'}
    assert FILTERS['monitoring_probe']('app.demo.test', sites) == {'name': 'app.demo.test', 'path': '/', 'status': 200,
                                                                   'body': ''}


def _load_collector():
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'monitoring', 'files',
                        'stackops-monitoring-collect')
    loader = importlib.machinery.SourceFileLoader('stackops_monitoring_collect', path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_collector_writes_every_part_and_reports_a_failing_one(tmp_path, monkeypatch):
    collector = _load_collector()
    backups = tmp_path / 'backups'
    backups.mkdir()
    (backups / '20261202T033000Z').mkdir()
    monkeypatch.setattr(collector.docker_api, 'list_containers', lambda **kw: [{'Id': 'abc', 'Labels': {
        'com.docker.compose.service': 'api'}}])
    monkeypatch.setattr(collector.docker_api, 'inspect_container', lambda cid: {
        'Id': 'abc', 'Name': '/demo-api-1', 'RestartCount': 1,
        'State': {'Status': 'running', 'Health': {'Status': 'healthy', 'Log': []}, 'StartedAt': '2026-12-03T10:00:00Z'}})
    monkeypatch.setattr(collector.sockets, 'read_listeners', lambda: [
        {'proto': 'tcp', 'address': '0.0.0.0', 'port': 6379, 'process': 'redis-server', 'pid': 5}])
    monkeypatch.setattr(collector.sockets, 'read_docker_published', lambda: ([], 'none'))

    def broken(*args, **kwargs):
        raise OSError('nft: not found')
    monkeypatch.setattr(collector.subprocess, 'run', broken)
    config = {'textfile_dir': str(tmp_path), 'stack': 'demo', 'allowed_ports': ['22', '80', '443'],
              'backup_dir': str(backups), 'backup_max_age_hours': 26, 'firewall_table': 'stackops'}
    (tmp_path / 'collector.json').write_text(json.dumps(config))
    assert collector.main(['--config', str(tmp_path / 'collector.json')]) == 0
    text = (tmp_path / 'stackops.prom').read_text()
    assert 'stackops_container_healthy{container="demo-api-1",problem="",service="api"} 1' in text
    assert 'stackops_container_restarts{container="demo-api-1",service="api"} 1' in text
    assert ('stackops_listener_unexpected{address="0.0.0.0",owner="process redis-server, pid 5",port="6379",proto="tcp"} 1'
            in text)
    assert 'stackops_backup_runs{stack="demo"} 1' in text
    assert 'stackops_collector_success{part="firewall"} 0' in text
    assert 'stackops_collector_success{part="containers"} 1' in text
    assert 'stackops_reboot_required 0' in text
