# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of provided certificates: key, chain, names, expiry, OCSP. Certificates are made here."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from ansible_collections.stackops.hardened.plugins.module_utils.tls import (
    TLSInputError,
    check_certificate,
    load_chain,
    load_key,
    name_covered,
)

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def make_key():
    return ec.generate_private_key(ec.SECP256R1())


def make_cert(subject_cn, key, issuer_cert=None, issuer_key=None, names=(), ca=False,
              not_before=NOW - DAY, not_after=NOW + 90 * DAY, ocsp=None):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    if ocsp:
        builder = builder.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp))]),
            critical=False)
    return builder.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())


def pem(*certs):
    return ''.join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope='module')
def pki():
    root_key, inter_key, leaf_key, other_key = make_key(), make_key(), make_key(), make_key()
    root = make_cert('Test Root', root_key, ca=True, not_after=NOW + 3650 * DAY)
    inter = make_cert('Test Intermediate', inter_key, root, root_key, ca=True, not_after=NOW + 1000 * DAY)
    leaf = make_cert('api.example.test', leaf_key, inter, inter_key, names=['api.example.test', 'www.example.test'])
    return dict(root=root, root_key=root_key, inter=inter, inter_key=inter_key, leaf=leaf, leaf_key=leaf_key,
                other_key=other_key)


def check(pki, chain, key=None, names=('api.example.test',), root=True, **kwargs):
    return check_certificate(chain, key_pem(key or pki['leaf_key']), list(names), min_days=kwargs.pop('min_days', 14),
                             root_pem=pem(pki['root']) if root else None, now=NOW, **kwargs)


def test_a_good_chain_has_no_problem(pki):
    result = check(pki, pem(pki['leaf'], pki['inter']))
    assert result['problems'] == []
    assert result['subject'] == 'CN=api.example.test'
    assert result['dns_names'] == ['api.example.test', 'www.example.test']
    assert result['days_left'] == 90
    assert result['ocsp_url'] is None
    assert result['serial'] == '%x' % pki['leaf'].serial_number


def test_the_root_may_be_in_the_chain(pki):
    assert check(pki, pem(pki['leaf'], pki['inter'], pki['root']), root=False)['problems'] == []


def test_a_root_from_a_bundle_file_is_trusted(pki, tmp_path):
    bundle = tmp_path / 'bundle.pem'
    bundle.write_text(pem(pki['root']))
    result = check(pki, pem(pki['leaf'], pki['inter']), root=False, bundle_paths=[str(bundle), str(tmp_path / 'none')])
    assert result['problems'] == []


def test_a_key_of_another_certificate_is_refused(pki):
    result = check(pki, pem(pki['leaf'], pki['inter']), key=pki['other_key'])
    assert result['problems'] == [
        'the private key does not match the certificate (CN=api.example.test): it belongs to another certificate']


def test_a_chain_without_its_intermediate_is_incomplete(pki):
    result = check(pki, pem(pki['leaf']))
    assert len(result['problems']) == 1
    assert result['problems'][0].startswith(
        'the chain is incomplete: CN=api.example.test is issued by CN=Test Intermediate, which is neither in the chain')
    assert result['problems'][0].endswith('(the chain holds only the leaf)')


def test_a_chain_without_a_known_root_is_incomplete(pki):
    result = check(pki, pem(pki['leaf'], pki['inter']), root=False)
    assert result['problems'] == [
        'the chain is incomplete: CN=Test Intermediate is issued by CN=Test Root, which is neither in the chain nor a '
        'trusted root; add the intermediate certificates after the leaf']


def test_a_chain_out_of_order_is_refused(pki):
    result = check(pki, pem(pki['inter'], pki['leaf']))
    assert any(p.startswith('the chain is not in order: certificate 1 (CN=Test Intermediate) is not issued by '
                            'certificate 2 (CN=api.example.test)') for p in result['problems'])


def test_a_name_not_covered_is_refused(pki):
    result = check(pki, pem(pki['leaf'], pki['inter']), names=['api.example.test', 'shop.example.test'])
    assert result['problems'] == [
        'the certificate does not cover shop.example.test: its names (subjectAltName) are api.example.test, '
        'www.example.test']


def test_an_expired_certificate_is_refused(pki):
    leaf = make_cert('api.example.test', pki['leaf_key'], pki['inter'], pki['inter_key'], names=['api.example.test'],
                     not_before=NOW - 100 * DAY, not_after=NOW - 2 * DAY)
    result = check(pki, pem(leaf, pki['inter']))
    assert result['problems'] == ['the certificate expired on %s' % (NOW - 2 * DAY).strftime('%Y-%m-%dT%H:%M:%SZ')]
    assert result['days_left'] == -2


def test_a_certificate_expiring_within_the_threshold_is_refused(pki):
    leaf = make_cert('api.example.test', pki['leaf_key'], pki['inter'], pki['inter_key'], names=['api.example.test'],
                     not_after=NOW + 5 * DAY)
    result = check(pki, pem(leaf, pki['inter']))
    assert result['problems'] == ['the certificate expires on 2026-06-06T12:00:00Z, in 5 days, within the 14 days '
                                  'asked for']
    assert check(pki, pem(leaf, pki['inter']), min_days=3)['problems'] == []


def test_a_certificate_not_yet_valid_is_refused(pki):
    leaf = make_cert('api.example.test', pki['leaf_key'], pki['inter'], pki['inter_key'], names=['api.example.test'],
                     not_before=NOW + DAY)
    assert check(pki, pem(leaf, pki['inter']))['problems'] == [
        'the certificate is not valid before 2026-06-02T12:00:00Z']


def test_the_ocsp_responder_is_reported(pki):
    leaf = make_cert('api.example.test', pki['leaf_key'], pki['inter'], pki['inter_key'], names=['api.example.test'],
                     ocsp='http://ocsp.example.test')
    assert check(pki, pem(leaf, pki['inter']))['ocsp_url'] == 'http://ocsp.example.test'


def test_several_problems_are_all_reported(pki):
    result = check(pki, pem(pki['leaf']), key=pki['other_key'], names=['shop.example.test'], root=False)
    assert len(result['problems']) == 3


@pytest.mark.parametrize('chain, message', [
    ('', 'the certificate chain is empty'),
    ('hello', 'the certificate chain holds no PEM certificate'),
    ('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'the certificate chain: certificate 1 cannot'),
])
def test_an_unreadable_chain_is_reported(pki, chain, message):
    result = check(pki, chain)
    assert result['problems'][0].startswith(message)
    assert result['subject'] is None


def test_an_unreadable_key_is_reported_without_its_content(pki):
    result = check_certificate(pem(pki['leaf'], pki['inter']), '-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n'
                               '-----END PRIVATE KEY-----\n', ['api.example.test'], root_pem=pem(pki['root']), now=NOW)
    assert result['problems'] == ['the private key is not an unencrypted PEM private key']
    assert 'c2VjcmV0' not in result['problems'][0]


def test_an_encrypted_key_is_refused(pki):
    encrypted = pki['leaf_key'].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.BestAvailableEncryption(b'pass')).decode()
    with pytest.raises(TLSInputError, match='encrypted; nginx needs it without a passphrase'):
        load_key(encrypted)


def test_load_chain_keeps_the_order(pki):
    chain = load_chain(pem(pki['leaf'], pki['inter']))
    assert [c.serial_number for c in chain] == [pki['leaf'].serial_number, pki['inter'].serial_number]


@pytest.mark.parametrize('name, patterns, covered', [
    ('api.example.test', ['api.example.test'], True),
    ('API.example.test.', ['api.example.test'], True),
    ('api.example.test', ['*.example.test'], True),
    ('example.test', ['*.example.test'], False),
    ('a.b.example.test', ['*.example.test'], False),
    ('api.example.test', ['*.other.test', 'www.example.test'], False),
    ('api.example.test', [], False),
])
def test_name_covered(name, patterns, covered):
    assert name_covered(name, patterns) is covered
