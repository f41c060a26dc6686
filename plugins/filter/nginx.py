# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the nginx role, run on the controller (documented in nginx_*.yml beside this file)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.hardened.plugins.module_utils.nginx_limits import (
    parse_duration,
    rate_limit_problems,
    rate_limits,
)


def nginx_rate_limit_problems(sites):
    """Sentences naming each malformed rate-limited location of nginx_sites."""
    return rate_limit_problems(sites)


def nginx_rate_limits(items, site_id):
    """The rate-limited locations of one site, normalised for the template."""
    if rate_limit_problems([{'name': str(site_id), 'rate_limits': items}]):
        raise AnsibleFilterError('nginx_rate_limits: %s' % '; '.join(rate_limit_problems(
            [{'name': str(site_id), 'rate_limits': items}])))
    return rate_limits(items, str(site_id))


def nginx_duration_problem(value, name='the duration'):
    """'' when value is a duration nginx_duration_seconds accepts, else a sentence naming the variable."""
    try:
        parse_duration(value)
    except ValueError as exc:
        return '%s: %s' % (name, exc)
    return ''


def nginx_duration_seconds(value):
    """Seconds of a duration (90, 90s, 10m, 2h, 1h30m, 1d)."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise AnsibleFilterError('nginx_duration_seconds: %s' % exc)


class FilterModule(object):  # pylint: disable=too-few-public-methods
    """stackops.hardened nginx filters."""

    def filters(self):
        return {
            'nginx_rate_limit_problems': nginx_rate_limit_problems,
            'nginx_rate_limits': nginx_rate_limits,
            'nginx_duration_problem': nginx_duration_problem,
            'nginx_duration_seconds': nginx_duration_seconds,
        }
