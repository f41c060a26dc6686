# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets as files: the checks a value must pass, generation, fingerprints, and the file store.

Layout of the store (one directory per stack, root only):

    DIR/                      0700 root:root
    DIR/.fingerprint-key      0400 root:root   random key of the fingerprints
    DIR/fingerprints.json     0400 root:root   {name: fingerprint}, no values
    DIR/<uid>/                0700 root:root
    DIR/<uid>/<name>          0400 uid:gid     the value, one copy per uid that reads it

A fingerprint is an HMAC-SHA256 of the value under a key that never leaves the host: it changes
when the value changes, and without the key it says nothing about the value. Messages and
results name secrets; they never carry a value.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import hmac
import json
import os
import re
import secrets as random_source
import string
import tempfile


KEY_FILE = '.fingerprint-key'
MANIFEST = 'fingerprints.json'
NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')
OWNER_PATTERN = re.compile(r'^([0-9]+):([0-9]+)$')
DEFAULT_ALPHABET = string.ascii_letters + string.digits
DEFAULT_LENGTH = 32
MIN_ALPHABET = 16

# kind: (pattern the value must match, what is accepted, default minimum length, can be generated)
KINDS = {
    'generic': (None, 'any text', 16, True),
    'password': (None, 'any text', 16, True),
    'hex': (re.compile(r'^[0-9a-fA-F]+$'), 'hexadecimal digits', 32, True),
    'telegram_bot_token': (re.compile(r'^[0-9]{5,12}:[A-Za-z0-9_-]{35}$'),
                           "a token from @BotFather: the bot's numeric id, a colon and 35 letters, digits, _ or -",
                           0, False),
    'telegram_webhook_secret': (re.compile(r'^[A-Za-z0-9_-]{1,256}$'),
                                'what Telegram accepts as secret_token: 1 to 256 letters, digits, _ or -', 16, True),
}

PLACEHOLDER_WORDS = ('changeme', 'change_me', 'change-me', 'changeit', 'your_', 'your-', 'replace', 'placeholder',
                     'example', 'xxxx', 'todo', 'fixme', 'dummy', 'insert_', '<', '>', '${', '{{')
PLACEHOLDER_VALUES = ('xxx', 'secret', 'password', 'passwd', 'test', 'default', 'admin', 'none', 'null', 'tbd',
                      '123456', '12345678', 'qwerty', 'letmein')


class SecretError(Exception):
    """The store cannot be brought to the desired state."""


# ---------------------------------------------------------------- checks

def placeholder_reason(value):
    """Why VALUE looks like a placeholder, or None. The reason never repeats the whole value."""
    low = value.strip().lower()
    if low in PLACEHOLDER_VALUES:
        return 'a placeholder (a well-known default value)'
    for word in PLACEHOLDER_WORDS:
        if word == low:
            return 'a placeholder (a well-known placeholder word)'
        if word in low:
            return 'a placeholder (it contains %r)' % word
    if len(set(low)) == 1 and len(low) > 1:
        return 'a placeholder (one character repeated)'
    return None


def check_items(items, used=None):
    """Refusals for the declared secrets, each naming the secret and the rule; never a value.

    items: list of dicts with name, and value or generate ({length, alphabet}); optional kind, min_length, owners.
    used: {secret name: [services]} of the services that use secrets; a used secret that is not declared is refused.
    """
    problems = []
    if not isinstance(items, list):
        return ['secrets_items must be a list of {name, value or generate, kind, min_length}']
    seen = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get('name'), str) or not NAME_PATTERN.match(item['name']):
            label = item.get('name') if isinstance(item, dict) else item
            problems.append('secrets_items[%d] (%r) needs a name of letters, digits, ., - or _ (at most 63)'
                            % (index, label if isinstance(label, str) else '?'))
            continue
        name = item['name']
        where = 'secret %s' % name
        if name in seen:
            problems.append('%s is declared twice in secrets_items' % where)
        seen.add(name)
        unknown = sorted(set(item) - {'name', 'value', 'generate', 'kind', 'min_length', 'owners'})
        if unknown:
            problems.append('%s has unknown keys %s; it accepts name, value, generate, kind, min_length, owners'
                            % (where, ', '.join(unknown)))
        kind = item.get('kind', 'generic')
        if kind not in KINDS:
            problems.append('%s has kind %r; the kinds are %s' % (where, kind, ', '.join(sorted(KINDS))))
            continue
        pattern, accepted, default_min, can_generate = KINDS[kind]
        try:
            min_length = int(item.get('min_length', default_min))
        except (TypeError, ValueError):
            problems.append('%s has min_length %r; it must be a number' % (where, item.get('min_length')))
            continue
        for owner in item.get('owners') or []:
            if not OWNER_PATTERN.match(str(owner)):
                problems.append('%s has owner %r; owners are UID:GID numbers such as 10001:10001' % (where, owner))
        has_value = item.get('value') is not None
        has_generate = item.get('generate') is not None
        if has_value == has_generate:
            problems.append('%s needs exactly one of value (from a vault-encrypted variable) or generate '
                            '({length, alphabet}: made once on the host)' % where)
            continue
        if has_generate:
            problems.extend(_check_generate(where, item['generate'], kind, pattern, min_length, can_generate))
            continue
        value = item['value']
        if not isinstance(value, str):
            value = str(value)
        if not value.strip():
            problems.append('%s is empty; give it a value (a vault-encrypted variable) or generate it' % where)
            continue
        reason = placeholder_reason(value)
        if reason:
            problems.append('%s is %s; replace it with the real value (a vault-encrypted variable) or generate it'
                            % (where, reason))
            continue
        if len(value) < min_length:
            problems.append('%s is shorter than its minimum of %d characters (it has %d)'
                            % (where, min_length, len(value)))
        if pattern is not None and not pattern.match(value):
            problems.append('%s is not valid for kind %s: it must be %s' % (where, kind, accepted))
    for name in sorted(used or {}):
        if name not in seen:
            problems.append('secret %s is used by %s but not declared in secrets_items'
                            % (name, ', '.join(sorted(used[name]))))
    return problems


def _check_generate(where, generate, kind, pattern, min_length, can_generate):
    problems = []
    if not can_generate:
        return ['%s of kind %s cannot be generated (it is issued elsewhere); give its value' % (where, kind)]
    if not isinstance(generate, dict):
        return ['%s: generate must be a mapping such as {length: 32, alphabet: ...}' % where]
    unknown = sorted(set(generate) - {'length', 'alphabet'})
    if unknown:
        problems.append('%s: generate has unknown keys %s; it accepts length and alphabet' % (where, ', '.join(unknown)))
    try:
        length = int(generate.get('length', DEFAULT_LENGTH))
    except (TypeError, ValueError):
        return problems + ['%s: generate.length %r is not a number' % (where, generate.get('length'))]
    alphabet = str(generate.get('alphabet', DEFAULT_ALPHABET))
    if length < max(min_length, 1):
        problems.append('%s: generate.length is %d, below its minimum of %d' % (where, length, max(min_length, 1)))
    if len(set(alphabet)) < MIN_ALPHABET:
        problems.append('%s: generate.alphabet has %d distinct characters; give at least %d'
                        % (where, len(set(alphabet)), MIN_ALPHABET))
    if pattern is not None and not pattern.match(alphabet):
        problems.append('%s: generate.alphabet has characters that kind %s does not accept' % (where, kind))
    return problems


# ---------------------------------------------------------------- values

def generate_value(length, alphabet=DEFAULT_ALPHABET, choice=random_source.choice):
    return ''.join(choice(alphabet) for dummy in range(int(length)))


def fingerprint(key, name, value):
    return hmac.new(key, ('%s\0%s' % (name, value)).encode('utf-8'), hashlib.sha256).hexdigest()[:16]


def parse_owner(owner):
    match = OWNER_PATTERN.match(str(owner))
    if not match:
        raise SecretError('owner %r is not UID:GID' % (owner,))
    return int(match.group(1)), int(match.group(2))


# ---------------------------------------------------------------- the store

def _read(path):
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _write_atomic(path, data, mode, uid, gid):
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=directory)
    try:
        os.fchmod(fd, mode)
        os.fchown(fd, uid, gid)
        os.write(fd, data.encode('utf-8') if not isinstance(data, bytes) else data)
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.rename(tmp, path)
    finally:
        if fd is not None:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)


def _ensure_dir(path, check_mode, changes):
    if os.path.isdir(path) and not os.path.islink(path):
        st = os.stat(path)
        if (st.st_mode & 0o7777) != 0o700 or st.st_uid != 0 or st.st_gid != 0:
            changes.append('directory %s: mode or owner' % path)
            if not check_mode:
                os.chown(path, 0, 0)
                os.chmod(path, 0o700)
        return
    if os.path.lexists(path):
        raise SecretError('%s exists and is not a directory' % path)
    changes.append('directory %s: created' % path)
    if not check_mode:
        os.makedirs(path, 0o700)
        os.chown(path, 0, 0)
        os.chmod(path, 0o700)


def _file_state(path, value, uid, gid):
    """None when PATH holds VALUE with mode 0400 and owner uid:gid, else what differs."""
    if not os.path.lexists(path):
        return 'created'
    if os.path.islink(path) or not os.path.isfile(path):
        return 'replaced (was not a regular file)'
    st = os.stat(path)
    differs = []
    if _read(path) != value:
        differs.append('value')
    if (st.st_mode & 0o7777) != 0o400:
        differs.append('mode')
    if (st.st_uid, st.st_gid) != (uid, gid):
        differs.append('owner')
    return ', '.join(differs) or None


def _other_copies(directory, name, paths):
    """Copies of NAME under uids that no longer read it: a generated value is kept when its owners change."""
    mine = set(entry[0] for entry in paths)
    found = []
    for entry in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        path = os.path.join(directory, entry, name)
        if entry.isdigit() and path not in mine and os.path.isfile(path) and not os.path.islink(path):
            found.append(path)
    return found


def sync_store(directory, items, check_mode=False, prune=True, generate=generate_value):
    """Bring DIRECTORY to hold ITEMS; returns dict(changed, changed_names, generated_names, removed, fingerprints,
    changes). items: dicts with name, owners (['uid:gid']), and value or generate ({length, alphabet}).

    A generated secret is made once: an existing copy is kept and copied to new owners. In check mode nothing is
    written; a secret that would be generated gets the fingerprint 'pending'."""
    changes, changed_names, generated_names, removed = [], set(), [], []
    _ensure_dir(directory, check_mode, changes)
    key_path = os.path.join(directory, KEY_FILE)
    key = None
    if os.path.isfile(key_path):
        with open(key_path, 'rb') as handle:
            key = handle.read()
    if not key:
        changes.append('fingerprint key: created')
        key = random_source.token_bytes(32)
        if not check_mode:
            _write_atomic(key_path, key, 0o400, 0, 0)
    fingerprints, wanted = {}, set()
    for item in items:
        name = item['name']
        owners = [parse_owner(owner) for owner in (item.get('owners') or ['0:0'])]
        paths = [(os.path.join(directory, str(uid), name), uid, gid) for uid, gid in owners]
        value = item.get('value')
        if value is None:
            existing = [_read(path) for path in [entry[0] for entry in paths] + _other_copies(directory, name, paths)
                        if os.path.isfile(path)]
            existing = [text for text in existing if text]
            if existing:
                value = existing[0]
            else:
                spec = item.get('generate') or {}
                generated_names.append(name)
                changed_names.add(name)
                if check_mode:
                    fingerprints[name] = 'pending'
                    for path, uid, gid in paths:
                        changes.append('secret %s for uid %d: generated' % (name, uid))
                        wanted.add(path)
                    continue
                value = generate(int(spec.get('length', DEFAULT_LENGTH)), str(spec.get('alphabet', DEFAULT_ALPHABET)))
        value = str(value)
        for path, uid, gid in paths:
            wanted.add(path)
            state = _file_state(path, value, uid, gid)
            if state is None:
                continue
            changes.append('secret %s for uid %d: %s' % (name, uid, state))
            if 'value' in state or state.startswith(('created', 'replaced')):
                changed_names.add(name)
            if not check_mode:
                _ensure_dir(os.path.dirname(path), False, [])
                if os.path.lexists(path) and not os.path.isfile(path):
                    os.unlink(path)
                _write_atomic(path, value, 0o400, uid, gid)
        fingerprints[name] = fingerprint(key, name, value)
    if prune:
        for entry in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            sub = os.path.join(directory, entry)
            if not entry.isdigit() or not os.path.isdir(sub):
                continue
            for file_name in sorted(os.listdir(sub)):
                path = os.path.join(sub, file_name)
                if path not in wanted:
                    removed.append(path)
                    changes.append('secret file %s: removed (no longer declared for uid %s)' % (path, entry))
                    if not check_mode:
                        os.unlink(path)
    manifest_path = os.path.join(directory, MANIFEST)
    manifest = json.dumps(fingerprints, indent=2, sort_keys=True) + '\n'
    if 'pending' not in fingerprints.values():
        state = _file_state(manifest_path, manifest, 0, 0)
        if state is not None:
            changes.append('fingerprints.json: %s' % state)
            if not check_mode:
                _write_atomic(manifest_path, manifest, 0o400, 0, 0)
    return dict(changed=bool(changes), changed_names=sorted(changed_names), generated_names=sorted(generated_names),
                removed=removed, fingerprints=fingerprints, changes=changes)
