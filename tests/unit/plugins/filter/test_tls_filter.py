# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tls_certificate_check filter: argument handling around module_utils.tls."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.hardened.plugins.filter.tls import FilterModule, tls_certificate_check
from ansible_collections.stackops.hardened.tests.unit.plugins.module_utils.test_tls import (
    key_pem,
    make_cert,
    make_key,
    pem,
)


def test_the_filter_is_registered():
    assert FilterModule().filters()['tls_certificate_check'] is tls_certificate_check


def test_a_self_signed_certificate_for_the_name_passes():
    key = make_key()
    cert = make_cert('api.example.test', key, names=['api.example.test'])
    result = tls_certificate_check(pem(cert), key_pem(key), 'api.example.test', min_days=0)
    # make_cert's validity is fixed around June 2026: judged against the real clock here.
    assert [p for p in result['problems'] if 'expire' not in p and 'valid before' not in p] == []
    assert result['dns_names'] == ['api.example.test']


def test_a_missing_key_is_a_problem_not_a_crash():
    key = make_key()
    cert = make_cert('api.example.test', key, names=['api.example.test'])
    result = tls_certificate_check(pem(cert), None, ['api.example.test'])
    assert 'the private key is empty' in result['problems']


def test_min_days_must_be_a_number():
    with pytest.raises(AnsibleFilterError, match='min_days must be a number of days'):
        tls_certificate_check('', '', ['a.example.test'], min_days='soon')
