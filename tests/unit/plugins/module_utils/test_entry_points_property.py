"""Generated input against the entry points of module_utils that modules and filters call.

Whatever reaches them from an inventory or a task (any YAML value: text with any unicode,
huge numbers, nested lists and mappings), the only outcomes are an answer or the entry
point's own, documented error; never a TypeError, KeyError, AttributeError or any other
exception that would end a run in a traceback.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.stackops.hardened.plugins.module_utils import (
    backup_restore, backup_retention, exposure, files, health, monitoring, net, nginx_limits, release, scan,
    secret_store, ssh_keys,
)

# What YAML can carry into a module argument or a filter.
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-2 ** 70, max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(['0644', '٣', '22/tcp', '1-1024', '127.0.0.1', '::1', '198.51.100.0/24', '/etc/passwd', '../x',
                     'AGE-SECRET-KEY-1QQ', 'https://u:p@example.test/', '15m', '10r/s', 'latest', '0:0', '']),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=10), st.integers(), st.sampled_from(
        ['path', 'content', 'mode', 'owner', 'port', 'proto', 'service', 'url', 'rate', 'burst', 'name', 'value',
         'status', 'location', 'generate', 'length'])), inner, max_size=4),
), max_leaves=12)
OPTIONS = st.dictionaries(st.sampled_from(
    ['project', 'service', 'database', 'backup_dir', 'run', 'user', 'password_file', 'image', 'jobs', 'max_age_hours',
     'tolerance_percent', 'stop_services', 'target', 'identity']), VALUES, max_size=8)

# Each entry point, and the errors it may answer with (its own type, or ValueError subclasses it documents).
ENTRY_POINTS = [
    ('files.normalise_entries', files.normalise_entries, (ValueError,)),
    ('exposure.parse_port_spec', exposure.parse_port_spec, (ValueError,)),
    ('exposure.parse_port_specs', exposure.parse_port_specs, (ValueError,)),
    ('exposure.normalise_ingress_ports', exposure.normalise_ingress_ports, (ValueError,)),
    ('backup_retention.parse_run_name', backup_retention.parse_run_name, ()),
    ('net.ip_address', net.ip_address, ()),
    ('net.ip_network', net.ip_network, ()),
    ('net.port', net.port, ()),
    ('net.is_documentation', net.is_documentation, ()),
    ('net.reserved_domain', net.reserved_domain, ()),
    ('ssh_keys.public_key_error', ssh_keys.public_key_error, ()),
    ('scan.parse_ports', scan.parse_ports, (ValueError,)),
    ('scan.validate_target', scan.validate_target, (ValueError,)),
    ('scan.validate_timeout', scan.validate_timeout, (ValueError,)),
    ('scan.validate_max_duration', scan.validate_max_duration, (ValueError,)),
    ('scan.validate_concurrency', scan.validate_concurrency, (ValueError,)),
    ('health.normalise_url_spec', health.normalise_url_spec, (health.HealthError,)),
    ('secret_store.check_items', secret_store.check_items, (secret_store.SecretError,)),
    ('secret_store.name_problem', secret_store.name_problem, ()),
    ('monitoring.duration_seconds', monitoring.duration_seconds, (ValueError,)),
    ('monitoring.size_bytes', monitoring.size_bytes, (ValueError,)),
    ('monitoring.chat_id_error', monitoring.chat_id_error, ()),
    ('monitoring.bot_token_error', monitoring.bot_token_error, ()),
    ('monitoring.listen_error', monitoring.listen_error, ()),
    ('nginx_limits.parse_rate', nginx_limits.parse_rate, (ValueError,)),
    ('nginx_limits.parse_duration', nginx_limits.parse_duration, (ValueError,)),
    ('nginx_limits.rate_limit_problems', nginx_limits.rate_limit_problems, (ValueError,)),
    ('release.parse_reference', release.parse_reference, (release.ReleaseError,)),
]


@pytest.mark.parametrize('name, function, allowed', ENTRY_POINTS, ids=[row[0] for row in ENTRY_POINTS])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES)
def test_entry_point_answers_or_raises_its_own_error(name, function, allowed, value):
    try:
        function(value)
    except allowed:
        pass


@settings(max_examples=300, deadline=None)
@given(options=OPTIONS)
def test_restore_options_answer_or_raise_restore_error(options):
    try:
        backup_restore.validate_params(options)
    except backup_restore.RestoreError as exc:
        identity = options.get('identity')
        if isinstance(identity, str) and len(identity) > 8:
            assert identity not in str(exc)


@settings(max_examples=200, deadline=None)
@given(containers=VALUES, project=VALUES, urls=VALUES, timeout=VALUES, interval=VALUES)
def test_health_options_answer_or_raise_health_error(containers, project, urls, timeout, interval):
    try:
        health.validate_options(containers, project, urls, timeout, interval)
    except health.HealthError:
        pass


@settings(max_examples=200, deadline=None)
@given(entries=VALUES)
def test_managed_files_check_mode_plans_or_refuses(entries, tmp_path_factory):
    root = tmp_path_factory.mktemp('files')
    if isinstance(entries, list):
        entries = [dict(entry, path=str(root / str(index))) if isinstance(entry, dict) else entry
                   for index, entry in enumerate(entries)]
    try:
        files.manage(entries, check_mode=True)
    except ValueError:
        pass
    assert list(root.iterdir()) == []
