# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over TLS certificates, run on the controller (documented in tls_certificate_check.yml)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.hardened.plugins.module_utils.tls import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    HAS_CRYPTOGRAPHY,
    check_certificate,
)


def tls_certificate_check(chain, key, names, min_days=30, root='', bundles=None):
    """Problems of a certificate chain and key for these names (see module_utils/tls.py)."""
    if not HAS_CRYPTOGRAPHY:
        raise AnsibleFilterError('tls_certificate_check needs the Python cryptography library on the controller: %s'
                                 % CRYPTOGRAPHY_IMPORT_ERROR)
    if isinstance(names, str):
        names = [names]
    try:
        min_days = int(min_days)
    except (TypeError, ValueError):
        raise AnsibleFilterError('tls_certificate_check: min_days must be a number of days, got %r' % (min_days,))
    return check_certificate(
        str(chain) if chain is not None else '',
        str(key) if key is not None else '',
        [str(name) for name in names or []],
        min_days=min_days,
        root_pem=str(root) if root else None,
        bundle_paths=[str(path) for path in bundles or []],
    )


class FilterModule(object):  # pylint: disable=too-few-public-methods
    """stackops.hardened TLS filters."""

    def filters(self):
        return {'tls_certificate_check': tls_certificate_check}
