# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks and comparisons of the backup role, as plain functions on data.

- which databases a stack description declares (the ``environment`` of its Postgres service);
- whether an age recipient is well formed (X25519 ``age1…`` with its bech32 checksum, or an
  SSH public key);
- whether a restic repository is written in a form restic accepts;
- the newest run of a backup directory and its age;
- per-table row counts as printed by psql, and their comparison.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import binascii
import re
import struct

from ansible_collections.stackops.hardened.plugins.module_utils.backup_retention import parse_run_name
from ansible_collections.stackops.hardened.plugins.module_utils.redact import mask_urls, secret_key_kind

# --- the stack's databases --------------------------------------------------------------


def _environment(service):
    """The environment of a compose service as a dict (compose allows a mapping or KEY=VALUE list)."""
    env = service.get('environment') or {}
    if isinstance(env, dict):
        return dict((str(k), '' if v is None else str(v)) for k, v in env.items())
    result = {}
    for item in env:
        key, sep, value = str(item).partition('=')
        result[key] = value if sep else ''
    return result


def stack_databases(services, service_name='postgres'):
    """Databases the stack's Postgres service declares, as the official image creates them.

    POSTGRES_DB, else POSTGRES_USER, else ``postgres``. Returns [] when the service is not
    in the description. ``services`` is the compose ``services`` mapping (or a list of
    mappings with ``name``).
    """
    if isinstance(services, list):
        services = dict((s.get('name'), s) for s in services if isinstance(s, dict))
    if not isinstance(services, dict) or not isinstance(services.get(service_name), dict):
        return []
    env = _environment(services[service_name])
    name = env.get('POSTGRES_DB') or env.get('POSTGRES_USER') or 'postgres'
    return [name]


# --- age recipients ------------------------------------------------------------------------

BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'


def _bech32_polymod(values):
    generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ value
        for i in range(5):
            chk ^= generators[i] if ((top >> i) & 1) else 0
    return chk


def bech32_decode(text):
    """Return (hrp, data bytes) of a bech32 string (any length, as age uses it), or None."""
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    pos = text.rfind('1')
    if pos < 1 or pos + 7 > len(text):
        return None
    hrp, rest = text[:pos], text[pos + 1:]
    if any(c not in BECH32_CHARSET for c in rest):
        return None
    values = [BECH32_CHARSET.find(c) for c in rest]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _bech32_polymod(expanded + values) != 1:
        return None
    acc, bits, out = 0, 0, bytearray()
    for value in values[:-6]:
        acc = (acc << 5) | value
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xff)
    if bits >= 5 or (acc & ((1 << bits) - 1)):
        return None
    return hrp, bytes(out)


_SSH_TYPES = ('ssh-ed25519', 'ssh-rsa')


def recipient_error(recipient):
    """Why an age recipient is malformed, or '' when it is well formed. Never repeats a private key."""
    if recipient is not None and not isinstance(recipient, str):
        return 'it is a %s, not a string: give an age public key (age1...) or an SSH public key' % type(recipient).__name__
    if not isinstance(recipient, str) or not recipient.strip():
        return 'it is empty'
    recipient = recipient.strip()
    kind = secret_key_kind(recipient)
    if kind:
        return ('it is a private key, %s; give the public key (age1..., from age-keygen -y), and keep the private key '
                'off the host (the private key is not shown)' % kind)
    if recipient.lower().startswith('age1'):
        decoded = bech32_decode(recipient)
        if decoded is None:
            return 'it is not a valid age1... public key (bad characters, length or checksum)'
        hrp, data = decoded
        if hrp != 'age' or len(data) != 32:
            return 'it is not an X25519 age public key (plugin recipients such as age1yubikey1... are not supported)'
        return ''
    fields = recipient.split()
    if fields[0] in _SSH_TYPES:
        if len(fields) < 2:
            return 'the SSH public key has no key data'
        try:
            blob = base64.b64decode(fields[1].encode('ascii'), validate=True)
            (length,) = struct.unpack('>I', blob[:4])
            inner = blob[4:4 + length].decode('ascii')
        except (binascii.Error, struct.error, UnicodeError, ValueError):
            return 'the SSH public key data is not valid base64 of an SSH key'
        if inner != fields[0]:
            return 'the SSH key data says %s, not %s' % (inner, fields[0])
        return ''
    return 'it must be an age public key (age1...) or an SSH public key (ssh-ed25519 or ssh-rsa)'


def recipient_label(recipient, index):
    """How a message shows recipient number INDEX (from 1): the public key itself, never a private key or other text."""
    if isinstance(recipient, str):
        text = recipient.strip()
        if secret_key_kind(text):
            return 'recipient %d (a private key, not shown)' % index
        if len(text) <= 800 and (text.lower().startswith('age1') or text.split(' ', 1)[0] in _SSH_TYPES) \
                and '\n' not in text:
            return "'%s'" % text
    return 'recipient %d' % index


def recipient_errors(recipients):
    """One message per malformed age recipient: '<recipient or its number>: <why>'; a private key is never shown."""
    if recipients is None:
        return []
    if isinstance(recipients, str) or not isinstance(recipients, (list, tuple)):
        if secret_key_kind(recipients):
            return ['backup_age_recipients is a private key, %s, not a list of public keys (not shown)'
                    % secret_key_kind(recipients)]
        return ['backup_age_recipients must be a list of public keys, got %s' % type(recipients).__name__]
    errors = []
    for index, recipient in enumerate(recipients, 1):
        why = recipient_error(recipient)
        if why:
            errors.append('%s: %s' % (recipient_label(recipient, index), why))
    return errors


# --- restic repositories ----------------------------------------------------------------------

_RESTIC_FORMS = (
    ('local path', re.compile(r'^(local:)?/\S*$')),
    ('sftp', re.compile(r'^sftp:(//)?([^@\s/:]+@)?[^@\s/:]+(:\d+)?(:|/)\S*$')),
    ('rest', re.compile(r'^rest:https?://\S+$')),
    ('s3', re.compile(r'^s3:(https?://[^\s/]+/[^\s/]\S*|[a-zA-Z0-9.-]+\.[a-zA-Z0-9.-]+(:\d+)?/[^\s/]\S*)$')),
    ('b2', re.compile(r'^b2:[a-zA-Z0-9-]+(:\S*)?$')),
    ('azure', re.compile(r'^azure:[a-z0-9-]+:/?\S*$')),
    ('gs', re.compile(r'^gs:[a-z0-9._-]+:/?\S*$')),
    ('swift', re.compile(r'^swift:[^\s:]+:/?\S*$')),
    ('rclone', re.compile(r'^rclone:[^\s:]+:\S*$')),
)

RESTIC_ACCEPTED = (
    'an absolute local path (/srv/restic or local:/srv/restic), sftp:user@host:/path, rest:https://host/path, '
    's3:https://host/bucket/path or s3:s3.amazonaws.com/bucket/path, b2:bucket:path, azure:container:/path, '
    'gs:bucket:/path, swift:container:/path or rclone:remote:path'
)


def restic_repository_kind(url):
    """The backend restic would use for a repository string, or None when restic does not accept it."""
    if not isinstance(url, str) or len(url) > 4096 or '\n' in url:
        return None
    for kind, pattern in _RESTIC_FORMS:
        if pattern.fullmatch(url):
            return kind
    return None


def restic_repository_label(url):
    """The repository as a message may show it: credentials in a URL replaced by ***."""
    if not isinstance(url, str):
        return 'a %s' % type(url).__name__
    return "'%s'" % mask_urls(url[:300] + ('...' if len(url) > 300 else ''))


def restic_repository_error(url):
    """Why restic would not accept a repository string (or would take it for something else), or ''.

    The message starts with the repository as restic_repository_label shows it (never a password).
    """
    if restic_repository_kind(url):
        return ''
    hint = ''
    if isinstance(url, str):
        shown = mask_urls(url)
        if url.startswith('s3://'):
            hint = ' (restic reads s3://bucket as a local directory; write s3:https://host/bucket or s3:host/bucket)'
        elif re.match(r'(https?|ftp|ssh)://', url):
            hint = ' (restic has no %s backend; for a REST server write rest:%s)' % (url.split(':')[0], shown[:300])
        elif url and not url.startswith('/') and ':' not in url:
            hint = ' (a relative path depends on the directory cron starts in; give an absolute path)'
        elif '\n' in url:
            hint = ' (it holds a line break)'
    return '%s: restic does not accept it%s; accepted: %s' % (restic_repository_label(url), hint, RESTIC_ACCEPTED)


# --- runs and their age ----------------------------------------------------------------------


def newest_run(names, wanted=None):
    """The newest run name among names, or the one named ``wanted`` (None when absent)."""
    runs = sorted((n for n in names if parse_run_name(n) is not None), reverse=True)
    if wanted and wanted not in ('latest', 'newest'):
        return wanted if wanted in runs else None
    return runs[0] if runs else None


def run_age_hours(name, now):
    """Hours between the start of run ``name`` and ``now`` (a naive UTC datetime)."""
    started = parse_run_name(name)
    if started is None:
        raise ValueError('%r is not a backup run name (YYYYMMDDTHHMMSSZ)' % name)
    return (now - started).total_seconds() / 3600.0


# --- row counts ----------------------------------------------------------------------------------

# One SQL statement that psql turns into one count per table with \gexec.
COUNT_TABLES_SQL = (
    "SELECT 'SELECT ' || string_agg(format('%L || ''|'' || (SELECT count(*) FROM %I.%I)', "
    "n.nspname || '.' || c.relname, n.nspname, c.relname), ' UNION ALL SELECT ' ORDER BY n.nspname, c.relname) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' "
    "HAVING count(*) > 0 \\gexec\n"
)


def parse_counts(text):
    """Parse ``schema.table|count`` lines (psql -At) into a dict."""
    counts = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        table, sep, count = line.rpartition('|')
        if not sep or not count.isdigit():
            raise ValueError('unexpected line in the row counts: %r' % line)
        counts[table] = int(count)
    return counts


def compare_counts(live, restored, tolerance_percent=0.0):
    """Compare per-table row counts of the live and the restored database.

    Returns (rows, problems): rows is a list of {table, live, restored, ok}, sorted by table;
    problems a list of messages, one per table that is missing on one side or whose counts
    differ by more than tolerance_percent of the live count.
    """
    rows, problems = [], []
    for table in sorted(set(live) | set(restored)):
        in_live, in_restored = live.get(table), restored.get(table)
        ok = True
        if in_restored is None:
            ok = False
            problems.append('table %s (%d rows live) is not in the backup' % (table, in_live))
        elif in_live is None:
            ok = False
            problems.append('table %s (%d rows in the backup) is not in the live database' % (table, in_restored))
        elif in_live != in_restored:
            allowed = abs(in_live) * float(tolerance_percent) / 100.0
            if abs(in_live - in_restored) > allowed:
                ok = False
                problems.append('table %s has %d rows live and %d in the backup (tolerance %s%%)'
                                % (table, in_live, in_restored, tolerance_percent))
        rows.append(dict(table=table, live=in_live, restored=in_restored, ok=ok))
    return rows, problems
