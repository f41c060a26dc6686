# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated compose services fed to the gate, the renderers and the stack filters: the only outcomes are a result
or the collection's own error (StackError; AnsibleFilterError from a filter), never another exception."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.stackops.hardened.plugins.filter.stack import FilterModule
from ansible_collections.stackops.hardened.plugins.module_utils.stack import (
    StackError,
    check_stack,
    check_swarm,
    render_project,
    render_swarm,
)

DEFAULTS = dict(init=True, read_only=True, cap_drop=['ALL'], security_opt=['no-new-privileges:true'],
                mem_limit='512m', cpus=1.0, pids_limit=256, tmpfs=['/tmp'])
WORDS = st.sampled_from(['0', '00', '+0', 'root', '10001:10001', '\u0663', '', ' ', 'true', 'host', 'ALL', 'NONE', 'CMD',
                         'CMD-SHELL', '/var/run/docker.sock:/s', '../etc:/e', '${X}', '$$X', '6379:6379', '[::]:5432:5432',
                         '8010-8000:80', 'redis:7', 'postgres:17', 'curl -f http://x || true', 'sh -c "true"',
                         'echo "unclosed', 'redis-cli -a x ping', 'celery -A p worker -B', 'a://b:c@d', 'lots',
                         '1.5', '-1', '4294967296', 'backend', 'frontend', 'seccomp=unconfined', '\n', '..', '(', ')'])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 40, max_value=2 ** 40),
                    st.floats(allow_nan=True), WORDS, st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.one_of(WORDS, st.integers()), inner, max_size=4)),
                      max_leaves=12)
KEYS = st.sampled_from(['image', 'user', 'command', 'entrypoint', 'healthcheck', 'ports', 'expose', 'volumes',
                        'environment', 'labels', 'secrets', 'networks', 'network_mode', 'pid', 'ipc', 'cgroup',
                        'userns_mode', 'privileged', 'cap_add', 'cap_drop', 'security_opt', 'devices', 'extends',
                        'pids_limit', 'mem_limit', 'cpus', 'stop_grace_period', 'depends_on', 'tmpfs', 'shm_size',
                        'x-stackops', 'restart', 'build'])
HEALTH = st.fixed_dictionaries({}, optional=dict(test=st.one_of(VALUES, st.lists(WORDS, max_size=4)),
                                                 disable=SCALARS, interval=SCALARS, retries=SCALARS))
EXT = st.fixed_dictionaries({}, optional={'allow': VALUES, 'datastore': SCALARS, 'oneshot': SCALARS,
                                          'singleton': SCALARS, 'other': SCALARS})
SERVICE = st.dictionaries(KEYS, VALUES, max_size=8).flatmap(
    lambda spec: st.fixed_dictionaries(dict((key, st.just(value)) for key, value in spec.items()
                                            if key not in ('healthcheck', 'x-stackops')),
                                       optional=dict(healthcheck=HEALTH, **{'x-stackops': EXT})))
SERVICES = st.one_of(st.dictionaries(st.one_of(st.sampled_from(['api', 'db', 'web', 'Bad', 'a\n']), st.integers()),
                                     st.one_of(SERVICE, SCALARS), min_size=0, max_size=4), VALUES)
SWARM = st.one_of(st.none(), st.fixed_dictionaries({}, optional=dict(
    deploy=st.one_of(VALUES, st.dictionaries(st.sampled_from(['api', 'db']), st.dictionaries(
        st.sampled_from(['replicas', 'mode', 'placement', 'other']), VALUES, max_size=3), max_size=2)),
    publish_mode=VALUES, endpoint_mode=VALUES, encrypted=SCALARS)))
PUBLIC = st.one_of(st.none(), st.lists(st.fixed_dictionaries(dict(service=WORDS, port=SCALARS)), max_size=2), VALUES)
FILTERS = FilterModule().filters()


def outcome(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except (StackError, AnsibleFilterError):
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(services=SERVICES, public=PUBLIC, swarm=SWARM, strict=st.booleans())
def test_the_gate_answers_with_a_verdict(services, public, swarm, strict):
    verdict = check_stack('demo', services, public_ports=public, strict=strict, require_pinned=strict)
    assert set(verdict) == {'refusals', 'warnings'}
    assert all(isinstance(message, str) for message in verdict['refusals'] + verdict['warnings'])
    assert isinstance(check_swarm(services, swarm, public_ports=public), list)
    outcome(FILTERS['stack_policy'], services, 'demo', public_ports=public, swarm=swarm)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(services=SERVICES, public=PUBLIC, swarm=SWARM)
def test_renderers_and_filters_answer_or_raise_their_own_error(services, public, swarm):
    outcome(render_project, 'demo', services, DEFAULTS, public_ports=public, secrets_dir='/s', fingerprints={})
    outcome(render_swarm, 'demo', services, DEFAULTS, swarm=swarm, fingerprints={}, public_ports=public)
    for name in ('stack_compose', 'stack_swarm'):
        outcome(FILTERS[name], services, 'demo', DEFAULTS)
    for name in ('stack_published_ports', 'stack_oneshots', 'stack_secret_owners', 'stack_secret_users'):
        outcome(FILTERS[name], services)
    outcome(FILTERS['stack_swarm_secrets'], services, 'demo', {}, '/s')
