# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the secrets role (documented in secret_datastores.yml beside this file)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.stackops.hardened.plugins.module_utils.datastore_password import stack_datastores


def secret_datastores(services):
    """The data stores of a compose description that keep a password from a secret."""
    return stack_datastores(services)


class FilterModule(object):  # pylint: disable=too-few-public-methods
    """stackops.hardened secrets filters."""

    def filters(self):
        return {'secret_datastores': secret_datastores}
