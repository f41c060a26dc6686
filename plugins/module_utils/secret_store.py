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
import math
import os
import re
import secrets as random_source
import string

from ansible_collections.stackops.hardened.plugins.module_utils import files


KEY_FILE = '.fingerprint-key'
MANIFEST = 'fingerprints.json'
NAME_PATTERN = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,62}')
OWNER_PATTERN = re.compile(r'([0-9]+):([0-9]+)')
DEFAULT_ALPHABET = string.ascii_letters + string.digits
DEFAULT_LENGTH = 32
MIN_ALPHABET = 16

# kind: (pattern the value must match, what is accepted, default minimum length, can be generated)
KINDS = {
    'generic': (None, 'any text', 16, True),
    'password': (None, 'any text', 16, True),
    'hex': (re.compile(r'[0-9a-fA-F]+'), 'hexadecimal digits', 32, True),
    'telegram_bot_token': (re.compile(r'[0-9]{5,12}:[A-Za-z0-9_-]{35}'),
                           "a token from @BotFather: the bot's numeric id, a colon and 35 letters, digits, _ or -",
                           0, False),
    'telegram_webhook_secret': (re.compile(r'[A-Za-z0-9_-]{1,256}'),
                                'what Telegram accepts as secret_token: 1 to 256 letters, digits, _ or -', 16, True),
}

# The estimated strength (bits) below which a value the user gives is refused, per kind. A bot
# token is issued by Telegram, not chosen, so only its shape is judged.
STRENGTH_FLOORS = {
    'generic': 64,
    'password': 64,
    'hex': 64,
    'telegram_webhook_secret': 64,
    'telegram_bot_token': None,
}
# A value whose random part (what is neither a word, a sequence, a repeat nor a date) carries
# fewer bits than this is made of words and patterns, however long it is.
RANDOM_PART_FLOOR = 24
# Only the beginning of a longer value is estimated: the estimate only grows with what follows.
ESTIMATED_LENGTH = 2048

PLACEHOLDER_WORDS = ('changeme', 'change_me', 'change-me', 'changeit', 'your_', 'your-', 'replace', 'placeholder',
                     'example', 'xxxx', 'todo', 'fixme', 'dummy', 'insert_', '<', '>', '${', '{{')
PLACEHOLDER_VALUES = ('xxx', 'secret', 'password', 'passwd', 'test', 'default', 'admin', 'none', 'null', 'tbd',
                      '123456', '12345678', 'qwerty', 'letmein')


class SecretError(Exception):
    """The store cannot be brought to the desired state, or its input is not valid; names the secret, never a value."""


# ---------------------------------------------------------------- strength

# Words people put in secrets and in the example values of .env files, roughly most common
# first: a word costs about log2 of its rank, as a guesser that tries these first would spend.
_WORDS = """
password secret pass passwd pwd key token jwt api admin root user super strong random test demo dev prod
production stage staging local default change welcome letmein qwerty login access auth session signing sign
private public master main app my your our the this that very long hard safe secure insecure unsafe simple
value string here there code cookie salt hash hmac encrypt encryption crypto cipher base db database data
postgres postgresql pg redis mysql mariadb mongo mongodb rabbit rabbitmq nats kafka elastic django flask rails
laravel node express next nuxt spring server service web site bot telegram hook webhook hello world love
iloveyou dragon monkey shadow sunshine princess football baseball killer trustno abc superman batman michael
jordan ninja mustang hunter ranger buster soccer hockey charlie thomas robert daniel jessica ashley freedom
whatever computer internet cloud docker kube kubernetes stack ops devops backend frontend front back end worker
celery cron beat queue cache store storage bucket minio aws azure google github gitlab slack discord stripe
paypal email mail smtp account guest info support sample example temp tmp new old first last one two three
four five six seven eight nine ten zero please keep never always guess nobody knows only for with without at
least most characters character chars char generate generated real fake not what when where who why how is are
was be it of in on to by and or no yes ok okay go get set put make let give take top best good bad big small
little great life time day night year month week today tomorrow summer winter spring autumn red blue green
black white orange purple yellow cat dog fish bird lion tiger bear wolf fox horse apple banana cherry lemon
mango coffee tea beer pizza music rock star moon sun sky sea fire water earth wind ice snow rain storm light
dark magic power energy force king queen prince lord god angel devil hell heaven home house family friend
baby boy girl man woman people name number letter word phrase passphrase pin otp totp mfa oauth client id
identity bearer refresh access_token signature verify verification system config setting settings env
environment vault keycloak grafana prometheus nginx traefik caddy apache linux ubuntu debian windows apple
mac android iphone samsung admin1 administrator manager owner operator test1 tester testing qa uat sandbox
"""
WORDS = tuple(dict.fromkeys(_WORDS.split()))
_WORD_RANK = dict((word, rank) for rank, word in enumerate(WORDS, 1))
_WORD_LENGTHS = sorted(set(len(word) for word in WORDS), reverse=True)
_LEET = {'4': 'a', '@': 'a', '8': 'b', '(': 'c', '3': 'e', '6': 'g', '1': 'i', '!': 'i', '|': 'i', '0': 'o',
         '5': 's', '$': 's', '7': 't', '+': 't', '2': 'z', '9': 'g'}
_KEYBOARD_ROWS = ('`1234567890-=', 'qwertyuiop[]\\', "asdfghjkl;'", 'zxcvbnm,./', '1qaz2wsx3edc4rfv5tgb6yhn7ujm')
_SEPARATORS = ' _-.:/+,;|~'
_YEAR = re.compile(r'(?:19|20)[0-9]{2}')


def _cardinality(value):
    size = 0
    if any(c.islower() for c in value):
        size += 26
    if any(c.isupper() for c in value):
        size += 26
    if any(c in string.digits for c in value):
        size += 10
    if any(c in string.punctuation or c == ' ' for c in value):
        size += 33
    if any(ord(c) > 127 for c in value):
        size += 100
    return max(size, 10)


def _case_bits(segment):
    if segment.islower() or not any(c.isalpha() for c in segment):
        return 0.0
    if segment.isupper() or (segment[0].isupper() and segment[1:].islower()):
        return 1.0
    return 2.0


def _word_matches(value, lower):
    """(start, end, bits) of each dictionary word in VALUE, plain or in l33t spelling."""
    readings = [lower, ''.join(_LEET.get(c, c) for c in lower),
                ''.join(('l' if c == '1' else _LEET.get(c, c)) for c in lower)]
    found = {}
    for start in range(len(lower)):
        for length in _WORD_LENGTHS:
            end = start + length
            if end > len(lower):
                continue
            for reading in readings:
                piece = reading[start:end]
                rank = _WORD_RANK.get(piece)
                if rank is None:
                    continue
                subs = sum(1 for a, b in zip(lower[start:end], piece) if a != b)
                bits = max(math.log2(rank), 1.0) + _case_bits(value[start:end]) + subs
                if (start, end) not in found or found[(start, end)] > bits:
                    found[(start, end)] = bits
    return [(start, end, bits) for (start, end), bits in found.items()]


def _sequence_matches(lower):
    """Runs of three or more characters in alphabetical, numeric or keyboard order (either way).

    One edge per start position, to the end of the run it begins: linear in the length.
    """
    found = []
    n = len(lower)
    for alphabet in (string.ascii_lowercase, string.digits) + _KEYBOARD_ROWS:
        positions = [alphabet.find(c) for c in lower]
        for direction in (1, -1):
            end = n - 1
            for start in range(n - 1, -1, -1):
                if start == n - 1 or positions[start] < 0 or positions[start + 1] < 0 \
                        or positions[start + 1] - positions[start] != direction:
                    end = start
                length = end - start + 1
                if length >= 3:
                    base = 1.0 if lower[start] in 'az019q`' else math.log2(len(alphabet))
                    found.append((start, end + 1, base + math.log2(length) + (1.0 if direction < 0 else 0.0)))
    return found


def _repeat_matches(value, cardinality):
    """A character repeated three or more times, and a block (up to 64 characters) that repeats the one before it."""
    found = []
    n = len(value)
    end = n - 1
    for start in range(n - 1, -1, -1):
        if start == n - 1 or value[start + 1] != value[start]:
            end = start
        if end - start + 1 >= 3:
            found.append((start, end + 1, math.log2(cardinality) + math.log2(end - start + 1)))
    for start in range(2, n - 1):
        for length in range(2, min(start, n - start, 64) + 1):
            if value[start:start + length] == value[start - length:start]:
                found.append((start, start + length, math.log2(length) + 1.0))
    return found


def strength(value):
    """(estimated bits, bits of the random part) of a secret VALUE.

    The cheapest reading of the value as a chain of dictionary words (plain, capitalised or
    in l33t spelling), alphabetical, numeric and keyboard sequences, repeats, years,
    separators, digits and, for everything else, characters drawn at random from the
    character classes the value uses. The random part is what that reading could not
    explain. A small estimator of the zxcvbn kind, in pure Python so that it runs wherever
    the collection does.
    """
    value = value[:ESTIMATED_LENGTH]
    n = len(value)
    if not n:
        return 0.0, 0.0
    lower = value.lower()
    cardinality = _cardinality(value)
    random_char = math.log2(cardinality)
    edges = [[] for dummy in range(n)]   # edges[start] = [(end, bits, random bits)]
    for start, end, bits in _word_matches(value, lower) + _sequence_matches(lower) \
            + _repeat_matches(value, cardinality):
        edges[start].append((end, bits, 0.0))
    for match in _YEAR.finditer(value):
        edges[match.start()].append((match.end(), math.log2(200), 0.0))
    for start in range(n):
        char = value[start]
        if char in _SEPARATORS:
            edges[start].append((start + 1, 2.0, 0.0))
        if char in string.digits:
            edges[start].append((start + 1, math.log2(10), math.log2(10)))
        edges[start].append((start + 1, random_char, random_char))
    best = [(float('inf'), 0.0)] * (n + 1)
    best[0] = (0.0, 0.0)
    for start in range(n):
        bits_here, random_here = best[start]
        for end, bits, random_bits in edges[start]:
            candidate = (bits_here + bits, random_here + random_bits)
            if candidate[0] < best[end][0]:
                best[end] = candidate
    return best[n]


def weakness_reason(value, kind='generic'):
    """Why a value given for a secret of KIND is too easy to guess, or None. Never holds the value or its length."""
    floor = STRENGTH_FLOORS.get(kind, STRENGTH_FLOORS['generic'])
    if floor is None:
        return None
    bits, random_bits = strength(value)
    if bits < floor:
        return ('too easy to guess: its estimated strength is below the floor of %d bits for kind %s (dictionary '
                'words, sequences, repeats and dates count for little)' % (floor, kind))
    if random_bits < RANDOM_PART_FLOOR:
        return ('too easy to guess: it is made of dictionary words, sequences, repeats or dates, with less than '
                '%d bits of random characters (the floor for kind %s is %d bits)' % (RANDOM_PART_FLOOR, kind, floor))
    return None


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


ITEM_KEYS = ('name', 'value', 'generate', 'kind', 'min_length', 'owners')


def name_problem(name):
    """Why NAME cannot name a secret (a file in the store), or None."""
    if not isinstance(name, str):
        return 'needs a name of letters, digits, ., - or _ (at most 63)'
    if name.startswith('/') or '/' in name or '..' in name or '\x00' in name:
        return ('needs a name of letters, digits, ., - or _ (at most 63); a name is a file in the store, so it is never '
                'absolute and never holds / or ..')
    if not NAME_PATTERN.fullmatch(name):
        return 'needs a name of letters, digits, ., - or _ (at most 63), starting with a letter or digit'
    return None


def check_name(name, where='secret'):
    """NAME when it can name a file in the store; SecretError otherwise (the name is shown with repr)."""
    reason = name_problem(name)
    if reason:
        raise SecretError('%s %s %s' % (where, repr(name)[:80] if isinstance(name, str) else '', reason))
    return name


def whole_number(value, field, where, minimum=0):
    """VALUE as an int: an int (not a bool) or ASCII digits. SecretError naming the field and what is accepted."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r'[0-9]{1,9}', value.strip()):
        number = int(value.strip())
    else:
        shown = repr(value)[:40] if isinstance(value, (str, int, float)) else type(value).__name__
        raise SecretError('%s: %s %s is not a number; give a whole number of ASCII digits, at least %d'
                          % (where, field, shown, minimum))
    if number < minimum or number > 1000000:
        raise SecretError('%s: %s is %d; give a whole number from %d to 1000000' % (where, field, number, minimum))
    return number


def check_owner(owner, where):
    """(uid, gid) of a UID:GID string, each id bounds-checked. SecretError naming the secret and the owner."""
    match = OWNER_PATTERN.fullmatch(owner) if isinstance(owner, str) else None
    if not match:
        shown = repr(owner)[:40] if isinstance(owner, (str, int)) else type(owner).__name__
        raise SecretError('%s has owner %s; owners are UID:GID numbers such as 10001:10001' % (where, shown))
    try:
        return files.parse_id(match.group(1), 'owner uid', where), files.parse_id(match.group(2), 'owner gid', where)
    except files.FileSpecError as exc:
        raise SecretError('%s; owners are UID:GID numbers such as 10001:10001' % exc)


def check_items(items, used=None):
    """Refusals for the declared secrets, each naming the secret and the rule; never a value, nor its length.

    items: list of dicts with name, and value or generate ({length, alphabet}); optional kind, min_length, owners.
    used: {secret name: [services]} of the services that use secrets; a used secret that is not declared is refused.
    A value is refused when it is empty, a placeholder, shorter than the minimum of its kind, not of the
    shape of its kind, or too easy to guess (see weakness_reason); a generated value is not judged.
    """
    problems = []
    if not isinstance(items, (list, tuple)):
        return ['secrets_items must be a list of {name, value or generate, kind, min_length}']
    seen = set()
    for index, item in enumerate(items):
        label = item.get('name') if isinstance(item, dict) else item
        reason = name_problem(label) if isinstance(item, dict) else name_problem(None)
        if reason:
            problems.append('secrets_items[%d] (%r) %s' % (index, label[:80] if isinstance(label, str) else '?', reason))
            continue
        problems.extend(_check_item(item, seen))
    if used is not None and not isinstance(used, dict):
        return problems + ['the services that use secrets must be a mapping of secret names to service lists']
    for name in sorted((used or {}), key=str):
        if name not in seen:
            users = used[name] if isinstance(used[name], (list, tuple)) else [used[name]]
            problems.append('secret %s is used by %s but not declared in secrets_items'
                            % (name, ', '.join(sorted(str(user) for user in users))))
    return problems


def _check_item(item, seen):
    name = item['name']
    where = 'secret %s' % name
    problems = []
    if name in seen:
        problems.append('%s is declared twice in secrets_items' % where)
    seen.add(name)
    unknown = sorted(str(key) for key in item if key not in ITEM_KEYS)
    if unknown:
        problems.append('%s has unknown keys %s; it accepts %s' % (where, ', '.join(unknown), ', '.join(ITEM_KEYS)))
    kind = item.get('kind', 'generic')
    if not isinstance(kind, str) or kind not in KINDS:
        shown = repr(kind)[:40] if isinstance(kind, (str, int, float)) else type(kind).__name__
        return problems + ['%s has kind %s; the kinds are %s' % (where, shown, ', '.join(sorted(KINDS)))]
    pattern, accepted, default_min, can_generate = KINDS[kind]
    try:
        min_length = whole_number(item.get('min_length', default_min), 'min_length', where)
    except SecretError:
        shown = item.get('min_length')
        shown = repr(shown)[:40] if isinstance(shown, (str, int, float)) else type(shown).__name__
        return problems + ['%s has min_length %s; it must be a number (ASCII digits, 0 or more)' % (where, shown)]
    owners = item.get('owners') or []
    if not isinstance(owners, (list, tuple)):
        problems.append('%s: owners must be a list of UID:GID strings such as ["10001:10001"]' % where)
        owners = []
    for owner in owners:
        try:
            check_owner(owner, where)
        except SecretError as exc:
            problems.append(str(exc))
    has_value = item.get('value') is not None
    has_generate = item.get('generate') is not None
    if has_value == has_generate:
        return problems + ['%s needs exactly one of value (from a vault-encrypted variable) or generate '
                           '({length, alphabet}: made once on the host)' % where]
    if has_generate:
        return problems + _check_generate(where, item['generate'], kind, pattern, min_length, can_generate)
    value = item['value']
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return problems + ['%s: value must be text (a string), got %s' % (where, type(value).__name__)]
    return problems + value_problems(where, value, kind, min_length)


def value_problems(where, value, kind='generic', min_length=None):
    """Refusals of a VALUE given for a secret (WHERE names it): never the value, nor its length."""
    pattern, accepted, default_min, dummy = KINDS[kind]
    min_length = default_min if min_length is None else min_length
    if not value.strip():
        return ['%s is empty; give it a value (a vault-encrypted variable) or generate it' % where]
    reason = placeholder_reason(value)
    if reason:
        return ['%s is %s; replace it with the real value (a vault-encrypted variable) or generate it'
                % (where, reason)]
    problems = []
    if len(value) < min_length:
        problems.append('%s is shorter than its minimum of %d characters' % (where, min_length))
    if pattern is not None and not pattern.fullmatch(value):
        problems.append('%s is not valid for kind %s: it must be %s' % (where, kind, accepted))
    if not problems:
        reason = weakness_reason(value, kind)
        if reason:
            problems.append('%s is %s; use a random value (a vault-encrypted variable) or generate it'
                            % (where, reason))
    return problems


def _check_generate(where, generate, kind, pattern, min_length, can_generate):
    problems = []
    if not can_generate:
        return ['%s of kind %s cannot be generated (it is issued elsewhere); give its value' % (where, kind)]
    if not isinstance(generate, dict):
        return ['%s: generate must be a mapping such as {length: 32, alphabet: ...}' % where]
    unknown = sorted(str(key) for key in generate if key not in ('length', 'alphabet'))
    if unknown:
        problems.append('%s: generate has unknown keys %s; it accepts length and alphabet' % (where, ', '.join(unknown)))
    length = generate.get('length', DEFAULT_LENGTH)
    if length is None:
        length = DEFAULT_LENGTH
    try:
        length = whole_number(length, 'generate.length', where, minimum=-1000000)
    except SecretError:
        shown = repr(length)[:40] if isinstance(length, (str, int, float)) else type(length).__name__
        return problems + ['%s: generate.length %s is not a number' % (where, shown)]
    alphabet = generate.get('alphabet', DEFAULT_ALPHABET)
    if alphabet is None:
        alphabet = DEFAULT_ALPHABET
    if not isinstance(alphabet, str):
        return problems + ['%s: generate.alphabet must be a string of characters, got %s'
                           % (where, type(alphabet).__name__)]
    if length < max(min_length, 1):
        problems.append('%s: generate.length is %d, below its minimum of %d' % (where, length, max(min_length, 1)))
    if len(set(alphabet)) < MIN_ALPHABET:
        problems.append('%s: generate.alphabet has %d distinct characters; give at least %d'
                        % (where, len(set(alphabet)), MIN_ALPHABET))
    if pattern is not None and not pattern.fullmatch(alphabet):
        problems.append('%s: generate.alphabet has characters that kind %s does not accept' % (where, kind))
    return problems


# ---------------------------------------------------------------- values

def generate_value(length, alphabet=DEFAULT_ALPHABET, choice=random_source.choice):
    return ''.join(choice(alphabet) for dummy in range(int(length)))


def fingerprint(key, name, value):
    return hmac.new(key, ('%s\0%s' % (name, value)).encode('utf-8'), hashlib.sha256).hexdigest()[:16]


def parse_owner(owner):
    """(uid, gid) of a UID:GID string; SecretError when it is not one or an id is out of range."""
    return check_owner(owner, 'owner')


# ---------------------------------------------------------------- the store

def _read(path):
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except (IOError, OSError, UnicodeError):
        return None


def _write_atomic(path, data, mode, uid, gid):
    """The collection's one atomic writer; SecretError naming the path (never the data) on failure."""
    try:
        files.write_atomic(path, data, mode=mode, uid=uid, gid=gid, follow_symlinks=False)
    except files.FilesError as exc:
        raise SecretError(str(exc))


def _store_items(directory, items):
    """Checked copies of the store's items: (name, [(uid, gid)], value or None, (length, alphabet) or None).

    Refuses, whatever was checked before, a name that is absolute or leaves the store, an owner
    that is not UID:GID within range, and a generated secret without a positive length or with
    fewer than 16 distinct characters to draw from.
    """
    if not isinstance(directory, str) or not os.path.isabs(directory) or '\x00' in directory \
            or os.path.normpath(directory) == '/':
        raise SecretError('directory must be an absolute path such as /opt/demo/secrets, not the root directory')
    if not isinstance(items, (list, tuple)):
        raise SecretError('secrets must be a list of {name, value or generate, owners}')
    checked, seen = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SecretError('secrets[%d] must be a mapping with name and value or generate' % index)
        name = check_name(item.get('name'), 'secrets[%d] name' % index)
        where = 'secret %s' % name
        if name in seen:
            raise SecretError('%s is given twice' % where)
        seen.add(name)
        owners = item.get('owners') or ['0:0']
        if not isinstance(owners, (list, tuple)):
            raise SecretError('%s: owners must be a list of UID:GID strings such as ["10001:10001"]' % where)
        owners = list(dict.fromkeys(check_owner(owner, where) for owner in owners))
        value, spec = item.get('value'), item.get('generate')
        if (value is None) == (spec is None):
            raise SecretError('%s needs exactly one of value or generate' % where)
        if value is not None:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value:
                raise SecretError('%s: value must be non-empty text' % where)
            if '\x00' in value:
                raise SecretError('%s: value holds a NUL character' % where)
            try:
                value.encode('utf-8')
            except UnicodeError:
                raise SecretError('%s: value holds characters UTF-8 cannot encode' % where) from None
            checked.append((name, owners, value, None))
            continue
        if not isinstance(spec, dict):
            raise SecretError('%s: generate must be a mapping such as {length: 32, alphabet: ...}' % where)
        length = spec.get('length')
        length = whole_number(DEFAULT_LENGTH if length is None else length, 'generate.length', where, minimum=1)
        alphabet = spec.get('alphabet')
        alphabet = DEFAULT_ALPHABET if alphabet is None else alphabet
        if not isinstance(alphabet, str) or len(set(alphabet)) < MIN_ALPHABET or '\x00' in alphabet:
            raise SecretError('%s: generate.alphabet must be a string of at least %d distinct characters'
                              % (where, MIN_ALPHABET))
        checked.append((name, owners, None, (length, alphabet)))
    return checked


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


def sync_store(directory, items, check_mode=False, prune=True, generate=generate_value, regenerate=()):
    """Bring DIRECTORY to hold ITEMS; returns dict(changed, changed_names, generated_names, removed, fingerprints,
    changes). items: dicts with name, owners (['uid:gid']), and value or generate ({length, alphabet}).

    A generated secret is made once: an existing copy is kept and copied to new owners, unless its name is in
    regenerate (a rotation: a new value replaces it). In check mode nothing is written; a secret that would be
    generated gets the fingerprint 'pending'."""
    changes, changed_names, generated_names, removed = [], set(), [], []
    checked = _store_items(directory, items)
    regenerate = set(regenerate or ())
    generated = set(name for name, _owners, value, _spec in checked if value is None)
    refused = sorted(regenerate - generated)
    if refused:
        several = len(refused) > 1
        raise SecretError('regenerate names %s, which %s not generated secret%s of this store: give a secret with a '
                          'value its new value instead' % (', '.join(refused), 'are' if several else 'is',
                                                           's' if several else ''))
    directory = os.path.normpath(directory)
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
    for name, owners, value, spec in checked:
        paths = [(os.path.join(directory, str(uid), name), uid, gid) for uid, gid in owners]
        if value is None:
            existing = [_read(path) for path in [entry[0] for entry in paths] + _other_copies(directory, name, paths)
                        if os.path.isfile(path)] if name not in regenerate else []
            existing = [text for text in existing if text]
            if existing:
                value = existing[0]
            else:
                generated_names.append(name)
                changed_names.add(name)
                if check_mode:
                    fingerprints[name] = 'pending'
                    for path, uid, gid in paths:
                        changes.append('secret %s for uid %d: generated' % (name, uid))
                        wanted.add(path)
                    continue
                value = generate(spec[0], spec[1])
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
