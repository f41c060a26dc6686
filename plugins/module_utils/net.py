# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Addresses, networks, ports and names as the roles' inputs give them, judged with ``ipaddress``.

Every function takes what a variable holds (a string, an int, anything YAML can give) and
answers without raising: the whole text must be the thing (no surrounding spaces, no trailing
newline), digits are ASCII digits only (``'٣'`` is not 3), and booleans are never numbers.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import re

_ASCII_DIGITS = re.compile(r'[0-9]+\Z')
# A port written as text: 1-65535, no sign, no leading zero.
_PORT_TEXT = re.compile(r'[1-9][0-9]{0,4}\Z')

# Networks set aside for documentation and examples (RFC 5737, RFC 3849, RFC 9637): an
# address there is never a real source, peer or host.
DOCUMENTATION_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20'))

# Domains that can never be a public name (RFC 2606, RFC 6761, RFC 6762, RFC 8375, RFC 9476
# and ICANN's .internal): no public certificate authority issues a certificate for them, and
# no mail to them reaches anyone.
RESERVED_DOMAINS = ('test', 'example', 'invalid', 'localhost', 'local', 'internal', 'alt', 'onion',
                    'home.arpa', 'example.com', 'example.net', 'example.org')


def _text(value):
    """The value as text when it is text, else None (bytes, numbers, lists are not addresses)."""
    if isinstance(value, str):
        return value
    return None


def _version_ok(parsed, version):
    if version in (None, '', 0):
        return True
    return str(version) in ('4', '6') and parsed.version == int(version)


def _leading_zero(text):
    """Whether a dotted-decimal part of the text has a leading zero (010.0.0.1: octal or decimal?)."""
    for part in text.rpartition(':')[2].split('.'):
        if len(part) > 1 and part[0] == '0' and part.isdigit():
            return True
    return False


def ip_address(value, version=None):
    """The ipaddress object the value spells (an address: no prefix length, no zone, no brackets), or None.

    version 4 or 6 limits the answer to that family.
    """
    text = _text(value)
    if not text or '%' in text or not text.isascii() or ('.' in text and _leading_zero(text)):
        return None
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return None
    return parsed if _version_ok(parsed, version) else None


def ip_network(value, version=None, prefix_required=True):
    """The ipaddress network the value spells, or None.

    A network is an address, a slash and a prefix length (ASCII digits, no leading zero but
    0 itself); host bits may be set (``10.0.0.1/8`` is the network 10.0.0.0/8, as nft and
    Docker read it). With prefix_required false, a bare address is also accepted (as a /32
    or /128 network).
    """
    text = _text(value)
    if not text or not text.isascii():
        return None
    if '/' in text:
        address, prefix = text.split('/', 1)
        if not _ASCII_DIGITS.match(prefix) or (len(prefix) > 1 and prefix[0] == '0'):
            return None
        parsed_address = ip_address(address, version)
        if parsed_address is None or int(prefix) > parsed_address.max_prefixlen:
            return None
        return ipaddress.ip_network('%s/%s' % (parsed_address, prefix), strict=False)
    if prefix_required:
        return None
    parsed_address = ip_address(text, version)
    return None if parsed_address is None else ipaddress.ip_network(parsed_address)


def port(value, protocols=None):
    """The (number, protocol) a port value spells, or None.

    A port is an int 1-65535 (not a boolean) or its ASCII decimal text without sign, spaces or
    leading zero. With protocols (such as ['tcp', 'udp']), text may end in /<protocol>; the
    protocol is then returned ('' when none was given).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, '') if 1 <= value <= 65535 else None
    text = _text(value)
    if text is None:
        return None
    protocol = ''
    if protocols and '/' in text:
        text, protocol = text.split('/', 1)
        if protocol not in protocols:
            return None
    if not _PORT_TEXT.match(text):
        return None
    number = int(text)
    return (number, protocol) if number <= 65535 else None


def is_documentation(value):
    """Whether the address or network lies wholly inside a documentation network.

    An IPv4-mapped IPv6 address is judged by its IPv4 address. A network that only contains a
    documentation network (0.0.0.0/0) is not one.
    """
    network = ip_network(value, prefix_required=False)
    if network is None:
        return False
    if network.version == 6 and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            network = ipaddress.ip_network('%s/%d' % (mapped, network.prefixlen - 96))
    return any(network.version == doc.version and network.subnet_of(doc) for doc in DOCUMENTATION_NETWORKS)


def is_unspecified(value):
    """Whether the value is "every address" however it is spelt: 0.0.0.0, ::, [::], 0:0::0, ::ffff:0.0.0.0 or ''."""
    text = _text(value)
    if text is None:
        return False
    if text == '':
        return True
    if text.startswith('[') and text.endswith(']'):
        text = text[1:-1]
    address = ip_address(text)
    if address is None:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_unspecified


def is_wide(value, ipv4=8, ipv6=32):
    """Whether the value is a network with a prefix shorter than ipv4 (IPv4) or ipv6 (IPv6) bits."""
    network = ip_network(value, prefix_required=False)
    if network is None:
        return False
    return network.prefixlen < int(ipv4 if network.version == 4 else ipv6)


def reserved_domain(value):
    """The reserved domain a DNS name (or the domain of an e-mail address) is under, or ''.

    Case and a final dot do not matter: ``API.Example.COM.`` is under example.com.
    """
    text = _text(value)
    if not text:
        return ''
    name = text.rpartition('@')[2].strip().rstrip('.').lower()
    for domain in RESERVED_DOMAINS:
        if name == domain or name.endswith('.' + domain):
            return domain
    return ''
