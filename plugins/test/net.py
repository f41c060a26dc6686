# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tests the roles check addresses, networks, ports, names and keys with; the logic is in
module_utils/net.py and module_utils/ssh_keys.py (Python's ipaddress, not regular expressions)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.stackops.hardened.plugins.module_utils import net
from ansible_collections.stackops.hardened.plugins.module_utils.ssh_keys import public_key_error


def ip_address(value, version=None):
    """An IPv4 or IPv6 address, nothing else (no prefix length, zone, port or brackets)."""
    return net.ip_address(value, version) is not None


def ip_network(value, version=None, prefix_required=True):
    """A network in CIDR form (address/prefix length); a bare address too when prefix_required is false."""
    return net.ip_network(value, version, prefix_required) is not None


def port(value, protocols=None):
    """A port number 1-65535 (an int, or its text); with protocols, text may end in /<protocol>."""
    return net.port(value, protocols) is not None


def documentation_address(value):
    """An address or network wholly inside the documentation networks (RFC 5737, 3849, 9637)."""
    return net.is_documentation(value)


def unspecified_address(value):
    """Every address, however it is spelt (0.0.0.0, ::, [::], 0:0::0, an empty string)."""
    return net.is_unspecified(value)


def wide_network(value, ipv4=8, ipv6=32):
    """A network whose prefix is shorter than ipv4 (IPv4) or ipv6 (IPv6) bits."""
    return net.is_wide(value, ipv4, ipv6)


def reserved_domain(value):
    """A DNS name, or an e-mail address whose domain, is under a reserved domain (.test, example.com...)."""
    return net.reserved_domain(value) != ''


def ssh_public_key(value):
    """An OpenSSH public key line whose data decodes to a key of the type it names."""
    return public_key_error(value) == ''


class TestModule(object):
    def tests(self):
        return {
            'ip_address': ip_address,
            'ip_network': ip_network,
            'port': port,
            'documentation_address': documentation_address,
            'unspecified_address': unspecified_address,
            'wide_network': wide_network,
            'reserved_domain': reserved_domain,
            'ssh_public_key': ssh_public_key,
        }
