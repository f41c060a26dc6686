# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the monitoring role checks its inputs and builds its probes with; the logic is in module_utils/monitoring.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.stackops.hardened.plugins.module_utils.monitoring import (
    input_problems,
    probe_spec,
)


def monitoring_problems(settings):
    """One message per refused input of the monitoring role (empty when all are sound)."""
    return input_problems(settings or {})


def monitoring_probe(name, sites=None):
    """The probe of one public name: name, path, status, body."""
    return probe_spec(name, sites)


class FilterModule(object):
    def filters(self):
        return {
            'monitoring_problems': monitoring_problems,
            'monitoring_probe': monitoring_probe,
        }
