# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.stackops.hardened.plugins.filter.net import FilterModule
from ansible_collections.stackops.hardened.plugins.test.net import TestModule as NetTests

TESTS = NetTests().tests()
FILTERS = FilterModule().filters()
DOCUMENTATION_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDocumentationExampleKeyReplaceMeWithYours0000 deploy@laptop'


def test_address_tests():
    assert TESTS['ip_address']('10.0.0.1')
    assert TESTS['ip_address']('2001:db8::1', 6)
    assert not TESTS['ip_address']('10.0.0.1', 6)
    assert not TESTS['ip_address']('node-2.example')
    assert TESTS['ip_network']('10.0.0.0/8', 4)
    assert not TESTS['ip_network']('10.0.0.1')
    assert TESTS['ip_network']('10.0.0.1', prefix_required=False)
    assert not TESTS['ip_network']('10.0.0.0/33', prefix_required=False)


def test_port_test():
    assert TESTS['port'](22)
    assert TESTS['port']('443/tcp', ['tcp', 'udp'])
    assert not TESTS['port']('443/tcp')
    assert not TESTS['port'](True)
    assert not TESTS['port']('٢٢')


def test_documentation_wide_reserved_and_key_tests():
    assert TESTS['documentation_address']('192.0.2.0/24')
    assert not TESTS['documentation_address']('0.0.0.0/0')
    assert TESTS['wide_network']('0.0.0.0/0')
    assert not TESTS['wide_network']('172.17.0.3')
    assert TESTS['reserved_domain']('ops@example.com')
    assert not TESTS['reserved_domain']('ops@company.io')
    assert not TESTS['ssh_public_key'](DOCUMENTATION_KEY)


def test_filters():
    assert FILTERS['ip_prefix_length']('10.0.0.0/8') == 8
    assert FILTERS['ip_prefix_length']('10.0.0.1') == 32
    assert FILTERS['ip_prefix_length']('fd00::/48') == 48
    assert FILTERS['ip_prefix_length']('10.0.0.0/33') == -1
    assert FILTERS['reserved_domain']('api.demo.test') == 'test'
    assert FILTERS['reserved_domain']('api.company.io') == ''
    errors = FILTERS['ssh_public_key_errors']([DOCUMENTATION_KEY, 'BEGIN PRIVATE KEY', None])
    assert errors == ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI...: its key data is not base64',
                      'BEGIN PRIVATE KEY: it is a private key; give the public key (the .pub file)',
                      'None: it is not text']
    assert FILTERS['ssh_public_key_errors']('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk') == [
        '-----BEGIN OPENSSH PRIVATE KEY-----: it is a private key; give the public key (the .pub file)']
    assert FILTERS['ssh_public_key_errors']([]) == []
