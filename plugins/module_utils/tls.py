# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of a certificate chain and its key, before a server is given them.

Plain functions that take PEM text (and the time) and return data: whether the key
belongs to the certificate, whether the chain links up to a trust anchor, whether the
names are covered, how long the certificate stays valid, whether it names an OCSP
responder. Used by the stackops.hardened.tls_certificate_check filter (on the
controller, before anything changes on a host) and tested with pytest.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import re

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the caller
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

_PEM_CERT = re.compile(r'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', re.S)
_DNS_LABEL = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')


class TLSInputError(ValueError):
    """A PEM input that cannot be read at all."""


# ---------------------------------------------------------------- reading

def load_chain(pem_text, what='certificate chain'):
    """The certificates of a PEM text, in order. Raises TLSInputError when there is none or one is broken."""
    if not isinstance(pem_text, str) or not pem_text.strip():
        raise TLSInputError('%s is empty' % what)
    blocks = _PEM_CERT.findall(pem_text)
    if not blocks:
        raise TLSInputError('%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)' % what)
    certs = []
    for index, block in enumerate(blocks):
        try:
            certs.append(x509.load_pem_x509_certificate(block.encode('ascii')))
        except (ValueError, UnicodeEncodeError) as exc:
            raise TLSInputError('%s: certificate %d cannot be read: %s' % (what, index + 1, exc))
    return certs


def load_key(pem_text, what='private key'):
    """The private key of a PEM text (unencrypted). Raises TLSInputError."""
    if not isinstance(pem_text, str) or not pem_text.strip():
        raise TLSInputError('%s is empty' % what)
    try:
        return serialization.load_pem_private_key(pem_text.encode('ascii'), password=None)
    except TypeError:
        raise TLSInputError('%s is encrypted; nginx needs it without a passphrase' % what)
    except (ValueError, UnicodeEncodeError):
        # The library's message may quote the input: never repeat it.
        raise TLSInputError('%s is not an unencrypted PEM private key' % what)


def load_bundle(path):
    """The certificates of a PEM bundle file; an empty list when the file cannot be read."""
    try:
        with open(path, 'r') as handle:
            text = handle.read()
    except (IOError, OSError, UnicodeDecodeError):
        return []
    certs = []
    for block in _PEM_CERT.findall(text):
        try:
            certs.append(x509.load_pem_x509_certificate(block.encode('ascii')))
        except ValueError:
            continue
    return certs


# ---------------------------------------------------------------- facts of one certificate

def describe(cert):
    """A short, readable name for a certificate: its subject CN (or the whole subject)."""
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if cns:
        return 'CN=%s' % cns[0].value
    return cert.subject.rfc4514_string() or '(empty subject)'


def not_after(cert):
    """The end of validity as an aware UTC datetime."""
    value = getattr(cert, 'not_valid_after_utc', None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def not_before(cert):
    """The start of validity as an aware UTC datetime."""
    value = getattr(cert, 'not_valid_before_utc', None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    return value


def dns_names(cert):
    """The DNS names of the subjectAltName extension, lower case (the CN is not used: clients ignore it)."""
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in ext.value.get_values_for_type(x509.DNSName)]


def ocsp_urls(cert):
    """The OCSP responder URLs named in the authorityInfoAccess extension."""
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    except x509.ExtensionNotFound:
        return []
    return [desc.access_location.value for desc in ext.value
            if desc.access_method == AuthorityInformationAccessOID.OCSP]


def public_key_bytes(key_or_cert):
    """The DER SubjectPublicKeyInfo of a certificate's or a private key's public key."""
    public = key_or_cert.public_key()
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert, key):
    """Whether the private key belongs to the certificate."""
    return public_key_bytes(cert) == public_key_bytes(key)


def name_covered(name, patterns):
    """Whether a DNS name is covered by one of the certificate's names (RFC 6125: a wildcard is one whole left label)."""
    name = name.lower().rstrip('.')
    for pattern in patterns:
        pattern = pattern.lower().rstrip('.')
        if pattern == name:
            return True
        if pattern.startswith('*.') and '.' in name:
            label, rest = name.split('.', 1)
            if rest == pattern[2:] and _DNS_LABEL.match(label):
                return True
    return False


def issued_by(cert, issuer):
    """Whether issuer's subject is cert's issuer and issuer's key signed cert."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def is_self_issued(cert):
    """Whether a certificate signed itself (a root)."""
    return issued_by(cert, cert)


# ---------------------------------------------------------------- the checks

def chain_problems(chain, anchors):
    """What is wrong with the order and completeness of a chain (leaf first), as messages.

    Each certificate must be issued by the next one. The last one must be a root (self-signed)
    or be issued by one of the anchors (the roots clients trust; they need not be served).
    """
    problems = []
    for index in range(len(chain) - 1):
        if not issued_by(chain[index], chain[index + 1]):
            problems.append(
                'the chain is not in order: certificate %d (%s) is not issued by certificate %d (%s); '
                'give the leaf first, then each issuer' % (
                    index + 1, describe(chain[index]), index + 2, describe(chain[index + 1])))
            return problems
    last = chain[-1]
    if is_self_issued(last):
        return problems
    for anchor in anchors:
        if issued_by(last, anchor):
            return problems
    problems.append(
        'the chain is incomplete: %s is issued by %s, which is neither in the chain nor a trusted root; '
        'add the intermediate certificates after the leaf%s' % (
            describe(last), last.issuer.rfc4514_string() or '(empty issuer)',
            '' if len(chain) > 1 else ' (the chain holds only the leaf)'))
    return problems


def check_certificate(chain_pem, key_pem, names, min_days=30, root_pem=None, bundle_paths=(), now=None):
    """Check a certificate chain and its key for a server with the given names.

    Returns a dict: problems (list of messages, empty when all is well), and when the leaf
    could be read: subject, serial (hex), not_after (ISO 8601), days_left, dns_names,
    ocsp_url (the first OCSP responder, or None).
    """
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    result = dict(problems=[], subject=None, serial=None, not_after=None, days_left=None,
                  dns_names=[], ocsp_url=None)
    try:
        chain = load_chain(chain_pem, 'the certificate chain')
    except TLSInputError as exc:
        result['problems'].append(str(exc))
        return result
    leaf = chain[0]
    left = not_after(leaf) - now
    result.update(
        subject=describe(leaf),
        serial='%x' % leaf.serial_number,
        not_after=not_after(leaf).strftime('%Y-%m-%dT%H:%M:%SZ'),
        days_left=int(left.total_seconds() // 86400),
        dns_names=dns_names(leaf),
    )
    urls = ocsp_urls(leaf)
    result['ocsp_url'] = urls[0] if urls else None

    try:
        key = load_key(key_pem, 'the private key')
    except TLSInputError as exc:
        result['problems'].append(str(exc))
    else:
        if not key_matches(leaf, key):
            result['problems'].append(
                'the private key does not match the certificate (%s): it belongs to another certificate' % describe(leaf))

    anchors = []
    if root_pem:
        try:
            anchors.extend(load_chain(root_pem, 'the root certificate'))
        except TLSInputError as exc:
            result['problems'].append(str(exc))
    for path in bundle_paths or ():
        anchors.extend(load_bundle(path))
    result['problems'].extend(chain_problems(chain, anchors))

    missing = [name for name in names if not name_covered(name, result['dns_names'])]
    if missing:
        result['problems'].append(
            'the certificate does not cover %s: its names (subjectAltName) are %s' % (
                ', '.join(missing), ', '.join(result['dns_names']) or 'none'))

    if not_after(leaf) <= now:
        result['problems'].append('the certificate expired on %s' % result['not_after'])
    elif left < datetime.timedelta(days=min_days):
        result['problems'].append(
            'the certificate expires on %s, in %d days, within the %d days asked for' % (
                result['not_after'], left.days, min_days))
    if not_before(leaf) > now:
        result['problems'].append(
            'the certificate is not valid before %s' % not_before(leaf).strftime('%Y-%m-%dT%H:%M:%SZ'))
    return result
