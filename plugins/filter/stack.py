# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the stack and secrets roles: the policy gate and the compose project they render.

The logic lives in module_utils (stack.py, secret_store.py), where unit tests reach it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.hardened.plugins.module_utils.secret_store import check_items
from ansible_collections.stackops.hardened.plugins.module_utils.stack import (
    StackError,
    check_stack,
    check_swarm,
    oneshot_services,
    published_ports,
    render_project,
    render_swarm,
    secret_consumer_problems,
    secret_owners,
    service_secret_names,
    swarm_secrets,
)


def _services(services):
    if services is None:
        return {}
    if not isinstance(services, dict):
        raise AnsibleFilterError('stack_services must be a mapping of service names to compose service definitions')
    return dict((name, spec if isinstance(spec, dict) else {}) for name, spec in services.items())


def stack_policy(services, name, public_ports=None, strict=False, require_pinned=False, secret_names=None, swarm=None):
    """{refusals, warnings} of a stack description; with swarm (the Swarm settings), also what a cluster refuses."""
    verdict = check_stack(name, services, public_ports=public_ports, strict=strict, require_pinned=require_pinned,
                          secret_names=secret_names)
    if swarm is not None and isinstance(services, dict):
        verdict['refusals'] = verdict['refusals'] + check_swarm(_services(services), swarm)
    return verdict


def stack_compose(services, name, defaults, public_ports=None, secrets_dir=None, fingerprints=None):
    """The hardened compose project of a stack description."""
    try:
        return render_project(name, _services(services), defaults or {}, public_ports=public_ports,
                              secrets_dir=secrets_dir, fingerprints=fingerprints or {})
    except StackError as exc:
        raise AnsibleFilterError('stack_compose: %s' % exc)


def stack_swarm(services, name, defaults, swarm=None, fingerprints=None):
    """The Swarm stack file of a stack description."""
    try:
        return render_swarm(name, _services(services), defaults or {}, swarm=swarm, fingerprints=fingerprints or {})
    except StackError as exc:
        raise AnsibleFilterError('stack_swarm: %s' % exc)


def stack_swarm_secrets(services, name, fingerprints=None, secrets_dir=None):
    """[{secret, name, src}]: the versioned Swarm secrets a stack needs and the file each is created from."""
    return swarm_secrets(name, _services(services), fingerprints or {}, secrets_dir)


def stack_published_ports(services):
    """[{service, port, proto}]: every published port of a stack description."""
    try:
        return published_ports(_services(services))
    except StackError as exc:
        raise AnsibleFilterError('stack_published_ports: %s' % exc)


def stack_oneshots(services):
    """Names of the services that run once and exit."""
    return oneshot_services(_services(services))


def stack_secret_owners(services):
    """{secret: ['uid:gid', ...]} of the services that use each secret."""
    return secret_owners(_services(services))


def stack_secret_users(services):
    """{secret: [service, ...]}: which services use each secret."""
    used = {}
    for name, spec in sorted(_services(services).items()):
        for secret in service_secret_names(spec):
            used.setdefault(secret, []).append(name)
    return used


def secret_problems(items, services=None):
    """Refusals for declared secrets and the services that read them (names and rules only, never values)."""
    services = _services(services)
    return check_items(items, used=stack_secret_users(services)) + secret_consumer_problems(services)


class FilterModule(object):  # pylint: disable=too-few-public-methods
    """The stack and secrets filters."""

    def filters(self):
        return {
            'stack_policy': stack_policy,
            'stack_compose': stack_compose,
            'stack_swarm': stack_swarm,
            'stack_swarm_secrets': stack_swarm_secrets,
            'stack_published_ports': stack_published_ports,
            'stack_oneshots': stack_oneshots,
            'stack_secret_owners': stack_secret_owners,
            'stack_secret_users': stack_secret_users,
            'secret_problems': secret_problems,
        }
