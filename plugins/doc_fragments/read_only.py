# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes shared by the modules that only read and prove (port_exposure, port_scan, health_check)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):  # pylint: disable=too-few-public-methods
    """The read-only proof modules: same result in check mode, nothing to diff."""

    DOCUMENTATION = r'''
attributes:
  check_mode:
    support: full
    description: The module only reads; it checks the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
'''
