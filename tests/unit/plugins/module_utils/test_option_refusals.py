"""Malformed options to the backup, exposure and compose_drift code end in a message, not a traceback."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils import backup_restore, exposure
from ansible_collections.stackops.hardened.plugins.module_utils.backup_retention import parse_run_name
from ansible_collections.stackops.hardened.plugins.modules.compose_drift import option_problem

GOOD = dict(project='demo', service='postgres', database='app', backup_dir='/var/backups/stackops')
SECRET = 'AGE-SECRET-KEY-1' + 'Q' * 58


def test_sound_restore_options_pass():
    backup_restore.validate_params(dict(GOOD, run='latest', jobs=2, identity=SECRET, target='scratch'))


@pytest.mark.parametrize('key, value, words', [
    ('project', 'Demo Project', 'project'),
    ('project', None, 'project is required'),
    ('service', '-x', 'service'),
    ('database', '--help', 'database'),
    ('backup_dir', 'relative/dir', 'absolute path'),
    ('backup_dir', '/tmp/a\x00b', 'absolute path'),
    ('run', '../../etc', 'run'),
    ('jobs', 0, 'jobs'),
    ('jobs', True, 'jobs'),
    ('jobs', 2.5, 'whole number'),
    ('max_age_hours', float('nan'), 'max_age_hours'),
    ('tolerance_percent', 101, 'tolerance_percent'),
    ('target', 'production', 'scratch or live'),
    ('stop_services', 'api', 'stop_services must be a list'),
    ('stop_services', ['api', '--rm'], 'stop_services[1]'),
    ('image', '-v', 'image'),
])
def test_restore_option_refused_by_name(key, value, words):
    with pytest.raises(backup_restore.RestoreError) as caught:
        backup_restore.validate_params(dict(GOOD, **{key: value}))
    assert words in str(caught.value)


@pytest.mark.parametrize('identity, words', [
    ('age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq', 'public key'),
    ('ssh-ed25519 AAAAC3Nza hello', 'public key'),
    ('AGE-SECRET-KEY-1SHORTSECRETVALUE', 'not shown'),
    (12345, 'must be text'),
])
def test_identity_refused_without_echoing_it(identity, words):
    with pytest.raises(backup_restore.RestoreError) as caught:
        backup_restore.validate_params(dict(GOOD, identity=identity))
    assert words in str(caught.value)
    if isinstance(identity, str) and identity.startswith('AGE-SECRET'):
        assert 'SHORTSECRETVALUE' not in str(caught.value)


@pytest.mark.parametrize('name', [None, 7, '20261125T033000Z\n', '２０２６1125T033000Z', 'x20261125T033000Z'])
def test_run_names_that_are_not_runs(name):
    assert parse_run_name(name) is None


def test_run_name_parses():
    assert parse_run_name('20261125T033000Z').hour == 3


@pytest.mark.parametrize('spec', ['٢٢', '22/tcpx', '22/' + 'a' * 40, 0, 65536, True, None, 2.0])
def test_port_spec_refused(spec):
    with pytest.raises(exposure.ExposureError):
        exposure.parse_port_spec(spec)


def test_port_spec_message_is_bounded():
    with pytest.raises(ValueError) as caught:
        exposure.parse_port_spec('9' * 10000)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize('ports, words', [
    ({'port': 80}, 'must be a list'),
    ([{'port': '٨٠'}], 'port'),
    ([{'port': 80, 'proto': ['tcp']}], 'proto'),
    ([{'port': 80, 'service': {'a': 1}}], 'service'),
    ([['80']], 'must be a dict'),
])
def test_ingress_ports_refused(ports, words):
    with pytest.raises(exposure.ExposureError) as caught:
        exposure.normalise_ingress_ports(ports)
    assert words in str(caught.value)


def drift(tmp_path, **over):
    params = dict(project_src=str(tmp_path), files=['compose.yaml'], project_name=None, oneshots=[])
    params.update(over)
    return option_problem(params)


def test_drift_sound_options(tmp_path):
    assert drift(tmp_path) is None


@pytest.mark.parametrize('over, words', [
    (dict(project_src='relative'), 'project_src'),
    (dict(files=[]), 'files is empty'),
    (dict(files=['--file']), 'files entry'),
    (dict(project_name='Bad Name'), 'project_name'),
    (dict(oneshots=['migrate;rm']), 'oneshots entry'),
])
def test_drift_refusals(tmp_path, over, words):
    assert words in drift(tmp_path, **over)


def test_drift_missing_directory(tmp_path):
    assert 'not a directory' in drift(tmp_path, project_src=str(tmp_path / 'absent'))
