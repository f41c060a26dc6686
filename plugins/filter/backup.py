# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the backup role checks its inputs with; the logic is in module_utils/backup.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.stackops.hardened.plugins.module_utils.backup import (
    recipient_errors,
    restic_repository_error,
    stack_databases,
)


def backup_stack_databases(services, service_name='postgres'):
    """Databases the stack's Postgres service declares (POSTGRES_DB, else POSTGRES_USER, else postgres)."""
    return stack_databases(services, service_name)


def backup_recipient_errors(recipients):
    """One message per malformed age recipient: '<recipient>: <why>'; a private key is named, never shown."""
    return recipient_errors(recipients)


def backup_restic_repository_error(url):
    """Why restic would not accept the repository string, or '' when it would."""
    return restic_repository_error(url)


class FilterModule(object):
    def filters(self):
        return {
            'backup_stack_databases': backup_stack_databases,
            'backup_recipient_errors': backup_recipient_errors,
            'backup_restic_repository_error': backup_restic_repository_error,
        }
