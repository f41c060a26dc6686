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
    readable_services,
    render_swarm,
    secret_consumer_problems,
    secret_owners,
    service_secret_names,
    swarm_secrets,
)


def _services(services):
    """The stack_services mapping as the renderers read it; AnsibleFilterError naming what cannot be read."""
    try:
        return readable_services(services)
    except StackError as exc:
        raise AnsibleFilterError('stack_services: %s' % exc)


def _guarded(what, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except StackError as exc:
        raise AnsibleFilterError('%s: %s' % (what, exc))


def stack_policy(services, name, public_ports=None, strict=False, require_pinned=False, secret_names=None, swarm=None,
                 project_dir=None):
    """{refusals, warnings} of a stack description; with swarm (the Swarm settings), also what a cluster refuses."""
    verdict = check_stack(name, services, public_ports=public_ports, strict=strict, require_pinned=require_pinned,
                          secret_names=secret_names, project_dir=project_dir)
    if swarm is not None and isinstance(services, dict):
        verdict['refusals'] = verdict['refusals'] + check_swarm(services, swarm, public_ports=public_ports)
    return verdict


def stack_compose(services, name, defaults, public_ports=None, secrets_dir=None, fingerprints=None):
    """The hardened compose project of a stack description."""
    return _guarded('stack_compose', render_project, name, services, defaults or {}, public_ports=public_ports,
                    secrets_dir=secrets_dir, fingerprints=fingerprints or {})


def stack_swarm(services, name, defaults, swarm=None, fingerprints=None, public_ports=None):
    """The Swarm stack file of a stack description."""
    return _guarded('stack_swarm', render_swarm, name, services, defaults or {}, swarm=swarm,
                    fingerprints=fingerprints or {}, public_ports=public_ports)


def stack_swarm_secrets(services, name, fingerprints=None, secrets_dir=None):
    """[{secret, name, src}]: the versioned Swarm secrets a stack needs and the file each is created from."""
    return _guarded('stack_swarm_secrets', swarm_secrets, name, services, fingerprints or {}, secrets_dir)


def stack_published_ports(services):
    """[{service, port, proto}]: every published port of a stack description."""
    return _guarded('stack_published_ports', published_ports, services)


def stack_oneshots(services):
    """Names of the services that run once and exit."""
    return _guarded('stack_oneshots', oneshot_services, _services(services))


def stack_secret_owners(services):
    """{secret: ['uid:gid', ...]} of the services that use each secret."""
    return _guarded('stack_secret_owners', secret_owners, _services(services))


def _secret_users(services):
    used = {}
    for name, spec in sorted(services.items()):
        for secret in service_secret_names(spec):
            used.setdefault(secret, []).append(name)
    return used


def stack_secret_users(services):
    """{secret: [service, ...]}: which services use each secret."""
    return _guarded('stack_secret_users', _secret_users, _services(services))


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
