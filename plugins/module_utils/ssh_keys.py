# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""OpenSSH public keys judged by what their data decodes to, not by how the line starts.

A line ``<type> <base64> [comment]`` is a key when the base64 is canonical, decodes to the SSH
wire form of a key of that same type, with the structure that type has (lengths, curve
name, point encoding, an Ed25519 point on the curve) and nothing left over. A text that only
looks like one (``ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDocumentationExample…``) is not.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import binascii
import re
import struct

try:
    from cryptography.hazmat.primitives.asymmetric import ec
except ImportError:  # pragma: no cover - the controller has it (ansible-core needs it)
    ec = None

KEY_TYPES = ('ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
             'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com')
# sshd's own floor for RSA keys (RequiredRSASize).
RSA_MIN_BITS = 1024

_BASE64 = re.compile(r'[A-Za-z0-9+/]+={0,2}\Z')
# Bytes of one coordinate of each curve's points (an uncompressed point is 04 || X || Y).
_CURVE_BYTES = {'nistp256': 32, 'nistp384': 48, 'nistp521': 66}

# Ed25519 (RFC 8032): a public key is the encoding of a point on this curve.
_P = 2 ** 255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P


class _Malformed(Exception):
    pass


def _read_string(blob, offset):
    if offset + 4 > len(blob):
        raise _Malformed('it ends inside a length field')
    (length,) = struct.unpack('>I', blob[offset:offset + 4])
    start = offset + 4
    if start + length > len(blob):
        raise _Malformed('a field is longer than the data')
    return blob[start:start + length], start + length


def _ed25519_point_ok(data):
    """Whether 32 bytes are the encoding of a point on Ed25519 (RFC 8032, 5.1.3)."""
    if len(data) != 32:
        return False
    number = int(binascii.hexlify(data[::-1]), 16)
    sign = number >> 255
    y = number & ((1 << 255) - 1)
    if y >= _P:
        return False
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x2 = (u * pow(v, _P - 2, _P)) % _P
    if x2 == 0:
        return sign == 0
    return pow(x2, (_P - 1) // 2, _P) == 1


def _ec_point_ok(curve, point):
    """Whether an uncompressed point lies on the NIST curve (checked by cryptography)."""
    curves = {'nistp256': ec.SECP256R1, 'nistp384': ec.SECP384R1, 'nistp521': ec.SECP521R1}
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(curves[curve](), point)
    except ValueError:
        return False
    return True


def _check_structure(key_type, blob):
    name, offset = _read_string(blob, 0)
    if name != key_type.encode('ascii'):
        try:
            said = name.decode('ascii')
        except UnicodeError:
            said = ''
        if said in KEY_TYPES:
            raise _Malformed('its data is a %s key, not %s' % (said, key_type))
        raise _Malformed('its data does not start with the key type %s' % key_type)
    if key_type in ('ssh-ed25519', 'sk-ssh-ed25519@openssh.com'):
        point, offset = _read_string(blob, offset)
        if len(point) != 32:
            raise _Malformed('an Ed25519 key is 32 bytes, this one %d' % len(point))
        if not _ed25519_point_ok(point):
            raise _Malformed('its 32 bytes are not a point of Ed25519')
    elif key_type == 'ssh-rsa':
        exponent, offset = _read_string(blob, offset)
        modulus, offset = _read_string(blob, offset)
        if not exponent or not modulus or exponent[0] & 0x80 or modulus[0] & 0x80:
            raise _Malformed('its exponent or modulus is not a positive number')
        bits = len(modulus.lstrip(b'\0')) * 8
        if bits < RSA_MIN_BITS or int(binascii.hexlify(exponent), 16) < 3 or not modulus[-1] & 1:
            raise _Malformed('it is not an RSA key sshd accepts (at least %d bits, odd modulus)' % RSA_MIN_BITS)
    else:
        curve, offset = _read_string(blob, offset)
        expected = key_type.split('-')[-1].split('@')[0]
        if curve != expected.encode('ascii'):
            raise _Malformed('its curve is not %s' % expected)
        point, offset = _read_string(blob, offset)
        if len(point) != 1 + 2 * _CURVE_BYTES[expected] or point[:1] != b'\x04':
            raise _Malformed('its point is not an uncompressed %s point' % expected)
        if ec is not None and not _ec_point_ok(expected, point):
            raise _Malformed('its point is not on the curve %s' % expected)
    if key_type.startswith('sk-'):
        application, offset = _read_string(blob, offset)
        if not application:
            raise _Malformed('a security-key key needs its application (ssh:)')
    if offset != len(blob):
        raise _Malformed('bytes are left over after the key')


def public_key_error(line):
    """Why the text is not an OpenSSH public key line (``<type> <base64> [comment]``), or ''."""
    if not isinstance(line, str):
        return 'it is not text'
    if not line.strip():
        return 'it is empty'
    if 'PRIVATE KEY' in line:
        return 'it is a private key; give the public key (the .pub file)'
    line = line.strip()
    if '\n' in line or '\r' in line:
        return 'it holds more than one line'
    fields = line.split()
    if fields[0] not in KEY_TYPES:
        return 'it must start with a key type (%s)' % ', '.join(KEY_TYPES)
    if len(fields) < 2:
        return 'it has no key data after %s' % fields[0]
    data = fields[1]
    if not data.isascii() or not _BASE64.match(data) or len(data) % 4:
        return 'its key data is not base64'
    try:
        blob = base64.b64decode(data.encode('ascii'), validate=True)
    except (binascii.Error, ValueError):
        return 'its key data is not base64'
    if base64.b64encode(blob).decode('ascii') != data:
        return 'its key data is not base64'
    try:
        _check_structure(fields[0], blob)
    except _Malformed as exc:
        return 'its key data does not decode to a %s key: %s' % (fields[0], exc)
    return ''
