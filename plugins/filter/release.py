# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release filter of the stack role: what a deploy changes, and every refusal, before anything changes.

The logic lives in module_utils/release.py, where unit tests reach it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.hardened.plugins.module_utils.release import (
    apply_image_tags, current_upstreams, plan_release, with_slots)
from ansible_collections.stackops.hardened.plugins.module_utils.stack import StackError, readable_services, render_project


def _plain(value):
    return json.loads(json.dumps(value))


def release_plan(services, name, defaults, image_tags=None, public_ports=None, secrets_dir=None, fingerprints=None,
                 live=None, current=None, options=None):
    """The plan of a deploy: {changed, replace, slots, services, ready, upstreams, migrations, refusals, first}."""
    try:
        services = apply_image_tags(readable_services(_plain(services)), _plain(image_tags or {}))
    except StackError as exc:
        return dict(changed=[], refusals=[str(exc)], services={}, slots={}, ready={}, upstreams={}, migrations=[],
                    replace={}, first=False)

    def rendered(described):
        return render_project(name, described, _plain(defaults or {}), public_ports=_plain(public_ports),
                              secrets_dir=secrets_dir, fingerprints=_plain(fingerprints or {}))

    try:
        return plan_release(services, rendered, live=_plain(live) if live else None,
                            current=_plain(current) if current else None, options=_plain(options or {}))
    except StackError as exc:
        return dict(changed=[], refusals=[str(exc)], services={}, slots={}, ready={}, upstreams={}, migrations=[],
                    replace={}, first=False)


def release_services(services, slots, offset=10000):
    """The services with the published ports of each service in slot b moved by OFFSET."""
    try:
        return with_slots(readable_services(_plain(services)), _plain(slots or {}), int(offset))
    except StackError as exc:
        raise AnsibleFilterError('release_services: %s' % exc)


def release_upstreams(services, slots, offset=10000):
    """{service: loopback port} of every side-by-side service in its slot."""
    try:
        return current_upstreams(readable_services(_plain(services)), _plain(slots or {}), int(offset))
    except StackError as exc:
        raise AnsibleFilterError('release_upstreams: %s' % exc)


class FilterModule(object):  # pylint: disable=too-few-public-methods
    """The release filters."""

    def filters(self):
        return {'release_plan': release_plan, 'release_services': release_services, 'release_upstreams': release_upstreams}
