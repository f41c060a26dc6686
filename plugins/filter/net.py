# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters that say why an address, a name or a key is refused; the logic is in
module_utils/net.py and module_utils/ssh_keys.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.stackops.hardened.plugins.module_utils import net
from ansible_collections.stackops.hardened.plugins.module_utils.ssh_keys import public_key_error


def ip_prefix_length(value):
    """The prefix length of an address or CIDR network (32 or 128 for an address), or -1 when it is neither."""
    network = net.ip_network(value, prefix_required=False)
    return -1 if network is None else network.prefixlen


def reserved_domain(value):
    """The reserved domain a name or an e-mail address is under (example.com, test...), or ''."""
    return net.reserved_domain(value)


def ssh_public_key_errors(keys):
    """One message per line that is not an OpenSSH public key: '<first 40 characters>: <why>'."""
    if isinstance(keys, str) or not isinstance(keys, (list, tuple)):
        keys = [keys]
    errors = []
    for key in keys:
        why = public_key_error(key)
        if why:
            # The first line only: a private key pasted by mistake shows its header, not its data.
            shown = key.strip().splitlines()[0] if isinstance(key, str) and key.strip() else repr(key)
            shown = shown if len(shown) <= 40 else shown[:37] + '...'
            errors.append('%s: %s' % (shown, why))
    return errors


class FilterModule(object):
    def filters(self):
        return {
            'ip_prefix_length': ip_prefix_length,
            'reserved_domain': reserved_domain,
            'ssh_public_key_errors': ssh_public_key_errors,
        }
