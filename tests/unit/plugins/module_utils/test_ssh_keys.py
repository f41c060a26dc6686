# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import struct

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.ssh_keys import public_key_error

# Made with ssh-keygen for these tests only (public halves; the private ones were never kept).
ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXzDuue07RIFlhNyGesrscXK6tdb1Yi2AIVvCsm7fXb me@laptop'
RSA = (
    'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDJp/dYiLti/JNv2gpc2H90MOjhnjimofmKv6g+BJE9DrIIE6DDqrAnz8RtD7OB'
    'cepLtEj+jQqO8M9Hh0+tcFJ4oLwxlguoFUaNjeH6H6zTWwFnOxn+baWDNLi0IDs0QLwN4sGwF1VxP6vDdaXZ7DeW4heU6/AXZkHG'
    'vY6yoRBl4YJr46eLAZ+EcchF/Xvmts9c/hWbUW+hySGgkyjdrHlA+le78Y3JL3NpG9o4hfnNpvts2ZnSwYmblrgKX7M8FV2/ExdC'
    'tjRznoLMr7pDFXHHiC3LnAZfaFJkVu/dRNrVupVXMbHFY6lGa1hfJn/TslUfmV07pfcWKJWcF9M+G6LF r')
ECDSA = (
    'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBGcBqZiq0pyWaVjx8MdqPjEvYz8J'
    'BnW5aILxAV8otTFmYFtKEjqPWoACC4/o3WCBduQCDRFA4gmGNG13BMi3Gf0wuS8xynTUW+1oT97MH6fJE6pdHWOOBl6QKVRecDY+'
    'jA== e')
# The example inventories' key: the right prefix, no key behind it.
DOCUMENTATION = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDocumentationExampleKeyReplaceMeWithYours0000 deploy@laptop'


def _string(data):
    return struct.pack('>I', len(data)) + data


def _line(*fields, **kwargs):
    key_type = kwargs.get('key_type', fields[0].decode('ascii'))
    return '%s %s test' % (key_type, base64.b64encode(b''.join(_string(f) for f in fields)).decode('ascii'))


def _blob(line):
    return base64.b64decode(line.split()[1])


def _fields(line):
    blob, fields = _blob(line), []
    while blob:
        (length,) = struct.unpack('>I', blob[:4])
        fields.append(blob[4:4 + length])
        blob = blob[4 + length:]
    return fields


@pytest.mark.parametrize('line', [
    ED25519, RSA, ECDSA, ED25519.split(' ', 2)[0] + ' ' + ED25519.split()[1],
    ' '.join(ED25519.split()[:2]) + ' a comment with spaces',
    ED25519 + '\n', '  ' + RSA + ' \r\n',
])
def test_real_keys_accepted(line):
    assert public_key_error(line) == ''


def test_security_key_ed25519_accepted_with_its_application():
    point = _fields(ED25519)[1]
    assert public_key_error(_line(b'sk-ssh-ed25519@openssh.com', point, b'ssh:')) == ''
    assert 'application' in public_key_error(_line(b'sk-ssh-ed25519@openssh.com', point, b''))


def test_documentation_key_refused():
    assert public_key_error(DOCUMENTATION) == 'its key data is not base64'


@pytest.mark.parametrize('line, why', [
    ('', 'it is empty'),
    ('   ', 'it is empty'),
    (None, 'it is not text'),
    (['ssh-ed25519'], 'it is not text'),
    ('BEGIN PRIVATE KEY', 'it is a private key'),
    ('-----BEGIN OPENSSH PRIVATE KEY-----', 'it is a private key'),
    ('ssh-dss AAAAB3NzaC1kc3MAAACBAP', 'it must start with a key type'),
    ('ssh-ed25519', 'it has no key data after ssh-ed25519'),
    ('ssh-ed25519 not-base64!', 'its key data is not base64'),
    ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5', 'does not decode to a ssh-ed25519 key: it ends inside a length field'),
    ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE', 'its key data is not base64'),
    ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5===', 'its key data is not base64'),
    ('ssh-ed25519 ＡＡＡＡ', 'its key data is not base64'),
    (ED25519 + '\nssh-ed25519 AAAA', 'more than one line'),
])
def test_malformed_lines_refused(line, why):
    assert why in public_key_error(line)


def test_prefix_of_another_type_refused():
    data = ED25519.split()[1]
    assert public_key_error('ssh-rsa ' + data) == (
        'its key data does not decode to a ssh-rsa key: its data is a ssh-ed25519 key, not ssh-rsa')
    assert 'its data is a ssh-rsa key, not ecdsa-sha2-nistp384' in public_key_error('ecdsa-sha2-nistp384 ' + RSA.split()[1])


def test_blob_structure_refused():
    name, point = _fields(ED25519)
    assert 'an Ed25519 key is 32 bytes, this one 31' in public_key_error(_line(name, point[:31]))
    assert 'left over' in public_key_error(_line(name, point, b'x'))
    assert 'ends inside a length field' in public_key_error(
        'ssh-ed25519 ' + base64.b64encode(_string(name) + b'\0\0').decode('ascii'))
    assert 'longer than the data' in public_key_error(
        'ssh-ed25519 ' + base64.b64encode(_string(name) + struct.pack('>I', 32) + point[:20]).decode('ascii'))
    assert 'does not start with the key type' in public_key_error(_line(b'ssh-foo', point, key_type='ssh-ed25519'))
    # 32 bytes that are no point of the curve (y = p, out of range; y = 2 has no x).
    assert 'not a point of Ed25519' in public_key_error(_line(name, (2 ** 255 - 19).to_bytes(32, 'little')))
    assert 'not a point of Ed25519' in public_key_error(_line(name, (2).to_bytes(32, 'little')))


def test_rsa_structure_refused():
    name, exponent, modulus = _fields(RSA)
    assert public_key_error(_line(name, exponent, modulus)) == ''
    assert 'at least 1024 bits' in public_key_error(_line(name, exponent, modulus[:65]))
    assert 'positive number' in public_key_error(_line(name, exponent, b'\x80' + modulus[2:]))
    assert 'odd modulus' in public_key_error(_line(name, exponent, modulus[:-1] + b'\x02'))


def test_ecdsa_structure_refused():
    name, curve, point = _fields(ECDSA)
    assert public_key_error(_line(name, curve, point)) == ''
    assert 'its curve is not nistp384' in public_key_error(_line(name, b'nistp256', point))
    assert 'not an uncompressed nistp384 point' in public_key_error(_line(name, curve, b'\x02' + point[1:49]))
    bad = bytearray(point)
    bad[-1] ^= 1
    assert 'not on the curve nistp384' in public_key_error(_line(name, curve, bytes(bad)))
