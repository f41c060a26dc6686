# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filter the roles write their units' sandbox with; the logic is in module_utils/unit_sandbox.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.hardened.plugins.module_utils.unit_sandbox import problems, render


def unit_sandbox(request):
    """The [Service] sandbox lines of a unit; AnsibleFilterError naming each malformed option."""
    try:
        return render(request)
    except ValueError as exc:
        raise AnsibleFilterError('unit_sandbox: %s' % exc)


def unit_sandbox_problems(request):
    """One message per option of a sandbox request that cannot be written, for a role's checks of its input."""
    return problems(request)


class FilterModule(object):
    def filters(self):
        return {'unit_sandbox': unit_sandbox, 'unit_sandbox_problems': unit_sandbox_problems}
