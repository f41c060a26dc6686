# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils import net


@pytest.mark.parametrize('value, version', [
    ('192.168.1.10', 4), ('0.0.0.0', 4), ('255.255.255.255', 4), ('::', 6), ('::1', 6),
    ('2001:db8::7', 6), ('fe80::1', 6), ('2001:0db8:0000::1', 6), ('::ffff:10.0.0.1', 6),
])
def test_addresses_accepted(value, version):
    assert net.ip_address(value).version == version
    assert net.ip_address(value, version) is not None
    assert net.ip_address(value, 10 - version) is None


@pytest.mark.parametrize('value', [
    '', ' ', '10.0.0.1 ', ' 10.0.0.1', '10.0.0.1\n', '10.0.0.256', '10.0.0', '10.0.0.1.2', '010.0.0.1', '10.00.0.1',
    '1.2.3.04', '١٠.0.0.1', '10.0.0.٣', '10.0.0.1/32', '[::1]', '::1%eth0', 'fe80::1%1', '2001:::1', ':::',
    '2001:db8::g', 'localhost', 'node-2.example', '0x0a000001', None, 167772161, True, 10.5, ['10.0.0.1'],
    {'a': 1}, b'10.0.0.1',
])
def test_addresses_refused(value):
    assert net.ip_address(value) is None


@pytest.mark.parametrize('value, prefix', [
    ('10.0.0.0/8', 8), ('10.0.0.1/8', 8), ('172.16.0.0/12', 12), ('0.0.0.0/0', 0), ('10.0.0.1/32', 32),
    ('2001:db8::/32', 32), ('::/0', 0), ('fd00:d0c::/48', 48), ('::1/128', 128),
])
def test_networks_accepted(value, prefix):
    assert net.ip_network(value).prefixlen == prefix


@pytest.mark.parametrize('value', [
    '10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/00', '10.0.0.0/+8', '10.0.0.0/-8',
    '10.0.0.0/8\n', '10.0.0.0/8 ', '10.0.0.0/٨', '10.0.0.0/8/8', '10.300.0.0/16', '2001:db8::/129',
    '2001:db8::/0128', '2001:::1/64', 'fe80::%eth0/64', '/8', '', None, 8, True,
])
def test_networks_refused(value):
    assert net.ip_network(value) is None


def test_networks_with_or_without_prefix():
    assert net.ip_network('198.51.100.7', prefix_required=False).prefixlen == 32
    assert net.ip_network('2001:db8::1', prefix_required=False).prefixlen == 128
    assert net.ip_network('10.0.0.0/8', version=6) is None
    assert net.ip_network('10.0.0.0/8', version='4').prefixlen == 8
    assert net.ip_network('10.0.0.0/8', version='five') is None
    assert net.ip_network('bastion.example.com', prefix_required=False) is None


@pytest.mark.parametrize('value, protocols, expected', [
    (22, None, (22, '')), ('22', None, (22, '')), (65535, None, (65535, '')), ('65535', None, (65535, '')),
    ('1', None, (1, '')), ('443/tcp', ['tcp', 'udp'], (443, 'tcp')), ('51820/udp', ['tcp', 'udp'], (51820, 'udp')),
    (80, ['tcp', 'udp'], (80, '')),
])
def test_ports_accepted(value, protocols, expected):
    assert net.port(value, protocols) == expected


@pytest.mark.parametrize('value, protocols', [
    (0, None), ('0', None), (65536, None), ('65536', None), (70000, None), (-1, None), ('-1', None), ('+22', None),
    ('022', None), ('22 ', None), (' 22', None), ('22\n', None), ('٢٢', None), ('²', None), ('22.0', None),
    (22.0, None), (True, None), (False, None), (None, None), ('', None), ('http', None), ([22], None),
    ('443/tcp', None), ('53/icmp', ['tcp', 'udp']), ('443/TCP', ['tcp', 'udp']), ('/tcp', ['tcp', 'udp']),
    ('443/tcp/udp', ['tcp', 'udp']), ('80,443', ['tcp', 'udp']),
])
def test_ports_refused(value, protocols):
    assert net.port(value, protocols) is None


@pytest.mark.parametrize('value', [
    '192.0.2.0/24', '192.0.2.7', '198.51.100.0/25', '203.0.113.10', '2001:db8::/32', '2001:db8:1::/48',
    '2001:db8::1', '3fff::/20', '3fff:0fff::1', '::ffff:192.0.2.1', '::ffff:203.0.113.0/120',
])
def test_documentation_addresses(value):
    assert net.is_documentation(value)


@pytest.mark.parametrize('value', [
    '0.0.0.0/0', '::/0', '192.0.0.0/16', '2001:db8::/31', '10.0.0.1', '172.17.0.2', '198.51.101.1',
    '2001:db9::1', '::ffff:10.0.0.1', 'not an address', None, 3221225985,
])
def test_not_documentation_addresses(value):
    assert not net.is_documentation(value)


def test_wide_networks():
    assert net.is_wide('0.0.0.0/0')
    assert net.is_wide('10.0.0.0/7')
    assert not net.is_wide('10.0.0.0/8')
    assert not net.is_wide('172.17.0.3')
    assert net.is_wide('::/0')
    assert net.is_wide('2001:db8::/31')
    assert not net.is_wide('2001:db8::/32')
    assert not net.is_wide('not a network')
    assert net.is_wide('10.0.0.0/15', ipv4=16)


@pytest.mark.parametrize('value, domain', [
    ('api.demo.test', 'test'), ('test', 'test'), ('shop.example', 'example'), ('x.invalid', 'invalid'),
    ('app.localhost', 'localhost'), ('printer.local', 'local'), ('db.internal', 'internal'),
    ('router.home.arpa', 'home.arpa'), ('example.com', 'example.com'), ('www.example.com', 'example.com'),
    ('API.Example.NET.', 'example.net'), ('a.b.example.org', 'example.org'), ('ops@example.com', 'example.com'),
    ('ops@Mail.Example.ORG', 'example.org'), ('ops@example.test', 'test'), ('x.onion', 'onion'),
])
def test_reserved_domains(value, domain):
    assert net.reserved_domain(value) == domain


@pytest.mark.parametrize('value', [
    'api.example.co', 'myexample.com', 'example.com.au', 'testing.dev', 'test.dev', 'ops@company.io',
    'local.company.io', 'api.contest', 'example.community', '', None, 42, ['example.com'],
])
def test_not_reserved_domains(value):
    assert net.reserved_domain(value) == ''


@pytest.mark.parametrize('value', ['', '0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0', '0000::', '::0', '::ffff:0.0.0.0'])
def test_unspecified_addresses(value):
    assert net.is_unspecified(value)


@pytest.mark.parametrize('value', ['127.0.0.1', '::1', '0.0.0.1', '00.0.0.0', '0', 0, None, '[::', '0.0.0.0/0', ' '])
def test_not_unspecified_addresses(value):
    assert not net.is_unspecified(value)
