# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secret checks, generation, fingerprints, and the file store against real files in tmp_path."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat
import string

import pytest
import yaml

from ansible_collections.stackops.hardened.plugins.module_utils.secret_store import (
    DEFAULT_ALPHABET,
    KEY_FILE,
    MANIFEST,
    SecretError,
    check_items,
    fingerprint,
    generate_value,
    placeholder_reason,
    sync_store,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
IS_ROOT = os.geteuid() == 0
# The store's directories, key and manifest are root:root by design (_ensure_dir chowns them to 0:0), so
# the store can only be exercised as root; the file owners are the test's own uid:gid wherever possible.
needs_root = pytest.mark.skipif(not IS_ROOT, reason='the secret store chowns its directories to root:root')
ME = '%d:%d' % (os.getuid(), os.getgid())

GOOD = 'Vq7rT2mZx9LkP4wN8sHc'
BOT_TOKEN = '123456789:AAHfT3kq9Zr2Lw8Vb5Nc1Md4Pe7Qf0Rg6Sh'
HEX = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'


def problems_of(item, used=None):
    return check_items([item], used=used)


def only(problems, *words, **kwargs):
    """The single problem; it names the secret, holds every word, and never the value."""
    name = kwargs.get('name', 'db')
    value = kwargs.get('value')
    assert len(problems) == 1, problems
    message = problems[0]
    assert 'secret %s' % name in message, message
    for word in words:
        assert word in message, (word, message)
    if value:
        assert str(value) not in message, message
    return message


# ---------------------------------------------------------------- check_items

@pytest.mark.parametrize('item', [
    dict(name='db', value=GOOD),
    dict(name='db', value=GOOD, kind='password', min_length=20, owners=['10001:10001', '999:998']),
    dict(name='db.main-2_x', generate=dict(length=32)),
    dict(name='db', generate={}),
    dict(name='db', kind='hex', value=HEX),
    dict(name='db', kind='hex', generate=dict(length=64, alphabet='0123456789abcdef')),
    dict(name='db', kind='telegram_bot_token', value=BOT_TOKEN),
    dict(name='db', kind='telegram_webhook_secret', value='Wh-9_kL2mQ7rT4xZ8pN3'),
    dict(name='db', kind='telegram_webhook_secret', generate=dict(length=48, alphabet=DEFAULT_ALPHABET + '_-')),
    dict(name='db', kind='generic', value=583920174628395071749203),
])
def test_good_items_pass(item):
    assert check_items([item]) == []


@pytest.mark.parametrize('value', ['', '   ', '\n'])
def test_empty_value_refused(value):
    only(problems_of(dict(name='db', value=value)), 'is empty', 'generate it')


@pytest.mark.parametrize('value', [
    'CHANGEME-now-Qz81', 'Change_Me_2026_Xz', 'change-me-please-9', 'changeit-AAAA-1234', 'your_password_here',
    'Your-Token-Goes-Here', 'REPLACE_WITH_REAL_1', 'placeholder-Lq2w9e', 'example-token-Zx81', 'abxxxx9123456789Q',
    'TODO-fill-in-1234', 'fixme-Qw8e7r6t5y', 'dummy-Zx9c8v7b6n', 'insert_token_8xQ2', '<db password here>',
    '${DB_PASSWORD_VALUE}', '{{ vault_db_password }}',
])
def test_placeholder_words_refused(value):
    message = only(problems_of(dict(name='db', value=value)), 'is a placeholder (it contains', value=value)
    assert "'" in message


@pytest.mark.parametrize('value', ['xxx', 'Password', 'PASSWD', 'admin', 'tbd', '123456', '12345678', 'qwerty',
                                   'letmein', 'null', ' None '])
def test_well_known_values_refused_without_repeating_them(value):
    only(problems_of(dict(name='db', value=value)), 'is a placeholder (a well-known default value)', value=value)
    assert value.strip().lower() not in problems_of(dict(name='db', value=value))[0].lower()


@pytest.mark.parametrize('value', ['changeme', 'ChangeMe', 'todo', 'xxxx', 'fixme'])
def test_placeholder_word_alone_not_repeated(value):
    message = only(problems_of(dict(name='db', value=value)), 'is a placeholder (a well-known placeholder word)')
    assert value not in message


@pytest.mark.parametrize('value', ['aaaaaaaaaaaaaaaaaaaa', '00000000000000000000000000000000', '**'])
def test_one_repeated_character_refused(value):
    only(problems_of(dict(name='db', value=value)), 'one character repeated', value=value)


def test_placeholder_reason_of_real_values_is_none():
    assert placeholder_reason(GOOD) is None
    assert placeholder_reason(BOT_TOKEN) is None
    assert placeholder_reason('a') is None


def test_placeholder_reason_is_case_and_space_insensitive():
    assert placeholder_reason('  Secret ') == 'a placeholder (a well-known default value)'
    assert placeholder_reason('MY_CHANGEME_1') == "a placeholder (it contains 'changeme')"


@pytest.mark.parametrize('item, minimum, length', [
    (dict(name='db', value='Zq8mK2pW'), 16, 8),
    (dict(name='db', kind='password', value='Zq8mK2pWx'), 16, 9),
    (dict(name='db', value=GOOD, min_length=24), 24, 20),
    (dict(name='db', kind='hex', value='9f86d081884c7d65'), 32, 16),
    (dict(name='db', kind='telegram_webhook_secret', value='Wh-9_kL2'), 16, 8),
])
def test_too_short_refused(item, minimum, length):
    message = only(problems_of(item), 'shorter than its minimum of %d characters' % minimum, value=item['value'])
    assert str(length) not in message.replace(str(minimum), '')  # never the value's length


def test_min_length_can_be_lowered():
    assert problems_of(dict(name='db', value='Zq8mK2pWx7Lrb', min_length=12)) == []


@pytest.mark.parametrize('value', [
    '123456789-AAHfT3kq9Zr2Lw8Vb5Nc1Md4Pe7Qf0Rg6Sh',  # no colon
    'AAHfT3kq9Zr2Lw8Vb5Nc1Md4Pe7Qf0Rg6Sh',  # no bot id
    '123456789:AAHfT3kq9Zr2Lw8Vb5Nc1Md4Pe7Qf0Rg6',  # 33 characters
    '123456789:AAHfT3kq9Zr2Lw8Vb5Nc1Md4Pe7Qf0Rg6S!',  # a character Telegram never issues
    'bot123456789:AAHfT3kq9Zr2Lw8Vb5Nc1Md4Pe7Qf0Rg6Sh',  # the URL prefix pasted in
])
def test_bad_telegram_bot_token_refused(value):
    only(problems_of(dict(name='db', kind='telegram_bot_token', value=value)),
         'not valid for kind telegram_bot_token', '@BotFather', value=value)


@pytest.mark.parametrize('value', ['Wh-9 kL2mQ7rT4xZ8pN3', 'Wh-9_kL2mQ7rT4xZ8pN3!', 'Wh.9_kL2mQ7rT4xZ8pN3',
                                   'W' + 'h9_kL2mQ7' * 29])
def test_bad_webhook_secret_refused(value):
    only(problems_of(dict(name='db', kind='telegram_webhook_secret', value=value)),
         'not valid for kind telegram_webhook_secret', '1 to 256 letters, digits, _ or -', value=value)


def test_bad_hex_refused():
    value = HEX[:-2] + 'zz'
    only(problems_of(dict(name='db', kind='hex', value=value)), 'not valid for kind hex', 'hexadecimal',
         value=value)


def test_unknown_kind_refused():
    only(problems_of(dict(name='db', kind='ssh_key', value=GOOD)), "has kind 'ssh_key'", 'telegram_bot_token',
         value=GOOD)


@pytest.mark.parametrize('item', [dict(name='db'), dict(name='db', value=None, generate=None),
                                  dict(name='db', value=GOOD, generate=dict(length=32))])
def test_exactly_one_of_value_or_generate(item):
    only(problems_of(item), 'needs exactly one of value', 'generate', value=GOOD)


def test_bot_token_cannot_be_generated():
    only(problems_of(dict(name='db', kind='telegram_bot_token', generate=dict(length=46))),
         'of kind telegram_bot_token cannot be generated', 'give its value')


@pytest.mark.parametrize('item, minimum', [
    (dict(name='db', generate=dict(length=8)), 16),
    (dict(name='db', kind='password', generate=dict(length=15)), 16),
    (dict(name='db', generate=dict(length=20), min_length=24), 24),
    (dict(name='db', generate=dict(length=0), min_length=0), 1),
])
def test_generate_length_below_minimum_refused(item, minimum):
    only(problems_of(item), 'generate.length is %d, below its minimum of %d' % (item['generate']['length'], minimum))


def test_generate_small_alphabet_refused():
    only(problems_of(dict(name='db', generate=dict(length=64, alphabet='abcdefabcdef'))),
         'generate.alphabet has 6 distinct characters; give at least 16')


@pytest.mark.parametrize('kind, alphabet', [('hex', DEFAULT_ALPHABET), ('hex', '0123456789abcdefg'),
                                            ('telegram_webhook_secret', DEFAULT_ALPHABET + '!'),
                                            ('telegram_webhook_secret', string.ascii_letters + ' ')])
def test_generate_alphabet_not_matching_kind_refused(kind, alphabet):
    only(problems_of(dict(name='db', kind=kind, generate=dict(length=64, alphabet=alphabet))),
         'generate.alphabet has characters that kind %s does not accept' % kind)


def test_generate_bad_shapes_refused():
    only(problems_of(dict(name='db', generate=32)), 'generate must be a mapping')
    only(problems_of(dict(name='db', generate=dict(length='long'))), "generate.length 'long' is not a number")
    only(problems_of(dict(name='db', generate=dict(length=32, charset='abc'))),
         'generate has unknown keys charset', 'length and alphabet')


def test_unknown_keys_refused():
    message = only(problems_of(dict(name='db', value=GOOD, vaule=GOOD, owner='1:1')),
                   'has unknown keys owner, vaule', 'name, value, generate, kind, min_length, owners', value=GOOD)
    assert message


def test_min_length_not_a_number_refused():
    only(problems_of(dict(name='db', value=GOOD, min_length='long')), "min_length 'long'", 'number', value=GOOD)


def test_duplicate_names_refused():
    problems = check_items([dict(name='db', value=GOOD), dict(name='db', generate={})])
    assert problems == ['secret db is declared twice in secrets_items']


@pytest.mark.parametrize('owner', ['10001', 'app:app', '10001:', ':10001', '-1:0', 10001, '1:2:3'])
def test_bad_owners_refused(owner):
    only(problems_of(dict(name='db', value=GOOD, owners=['10001:10001', owner])), 'has owner %r' % (owner,),
         'UID:GID numbers', value=GOOD)


@pytest.mark.parametrize('name', ['', '.hidden', '-x', 'a b', 'a/b', '../etc', 'a' * 64, None, 7])
def test_bad_names_refused(name):
    problems = check_items([dict(name=name, value=GOOD)])
    assert len(problems) == 1 and problems[0].startswith('secrets_items[0]')
    assert 'needs a name of letters, digits, ., - or _' in problems[0] and GOOD not in problems[0]


def test_item_not_a_mapping_refused():
    problems = check_items([dict(name='ok', value=GOOD), 'db'])
    assert problems == ["secrets_items[1] ('db') needs a name of letters, digits, ., - or _ (at most 63)"]


@pytest.mark.parametrize('items', [None, dict(name='db', value=GOOD), 'db'])
def test_items_must_be_a_list(items):
    assert check_items(items) == ['secrets_items must be a list of {name, value or generate, kind, min_length}']


def test_used_but_undeclared_refused():
    problems = check_items([dict(name='db', value=GOOD)],
                           used=dict(db=['api'], redis_password=['worker', 'api'], bot_token=['bot']))
    assert problems == ['secret bot_token is used by bot but not declared in secrets_items',
                        'secret redis_password is used by api, worker but not declared in secrets_items']


def test_declared_but_unused_is_fine():
    assert check_items([dict(name='db', value=GOOD), dict(name='spare', generate={})], used=dict(db=['api'])) == []


def test_every_item_is_checked_and_no_message_holds_a_value():
    values = ['changeme-Qz81xx', 'Zq8mK2pW', '123456789-AAHfT3kq9Zr2Lw8Vb5Nc1Md4Pe7Qf0Rg6Sh', HEX + 'q']
    items = [dict(name='a', value=values[0]), dict(name='b', value=values[1]),
             dict(name='c', kind='telegram_bot_token', value=values[2]), dict(name='d', kind='hex', value=values[3]),
             dict(name='e', value=values[1], generate={})]
    problems = check_items(items, used=dict(f=['api']))
    assert len(problems) == 6
    for name, message in zip('abcdef', problems):
        assert message.startswith('secret %s ' % name), message
        for value in values:
            assert value not in message


def test_demo_secrets_pass_with_a_real_token():
    with open(os.path.join(ROOT, 'inventories', 'dev', 'group_vars', 'all', 'secrets.yml')) as handle:
        items = yaml.safe_load(handle)['secrets_items']
    token = [item for item in items if item['name'] == 'telegram_bot_token'][0]
    assert check_items(items) == ['secret telegram_bot_token is a placeholder (it contains %r); replace it with the '
                                  'real value (a vault-encrypted variable) or generate it' % '{{']
    token['value'] = BOT_TOKEN
    assert check_items(items) == []


# ---------------------------------------------------------------- values and fingerprints

def test_generate_value_with_a_fake_choice():
    seen = []

    def last(alphabet):
        seen.append(alphabet)
        return alphabet[-1]

    assert generate_value(5, 'abc', choice=last) == 'ccccc'
    assert seen == ['abc'] * 5
    assert generate_value('3', 'xyz', choice=last) == 'zzz'
    assert generate_value(0, 'abc', choice=last) == ''


def test_generate_value_draws_from_the_alphabet():
    value = generate_value(200)
    assert len(value) == 200 and set(value) <= set(DEFAULT_ALPHABET)
    assert len(set(value)) > 16
    assert generate_value(64) != generate_value(64)
    assert set(generate_value(100, '0123456789abcdef')) <= set('0123456789abcdef')


def test_fingerprint_stable_and_different():
    key = b'k' * 32
    first = fingerprint(key, 'db', GOOD)
    assert first == fingerprint(key, 'db', GOOD)
    assert len(first) == 16 and set(first) <= set('0123456789abcdef')
    assert fingerprint(key, 'db', GOOD + 'x') != first
    assert fingerprint(key, 'other', GOOD) != first
    assert fingerprint(b'q' * 32, 'db', GOOD) != first
    assert GOOD not in first


# ---------------------------------------------------------------- the store

def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def owner_of(path):
    st = os.lstat(str(path))
    return '%d:%d' % (st.st_uid, st.st_gid)


def read(path):
    with open(str(path)) as handle:
        return handle.read()


def uid_of(owner):
    return owner.split(':')[0]


@pytest.fixture
def store(tmp_path):
    return str(tmp_path / 'secrets')


def sequence(length, alphabet):
    """A deterministic generator: the alphabet repeated, so tests know the value."""
    return (alphabet * (length // len(alphabet) + 1))[:length]


@needs_root
def test_store_created_with_0400_files_key_and_manifest(store):
    items = [dict(name='db_password', value=GOOD, owners=[ME]),
             dict(name='token', generate=dict(length=40), owners=[ME])]
    result = sync_store(store, items)
    assert result['changed'] is True
    assert result['changed_names'] == ['db_password', 'token']
    assert result['generated_names'] == ['token']
    assert result['removed'] == []
    assert mode_of(store) == 0o700 and owner_of(store) == '0:0'
    uid_dir = os.path.join(store, uid_of(ME))
    assert mode_of(uid_dir) == 0o700 and owner_of(uid_dir) == '0:0'
    for name in ('db_password', 'token'):
        path = os.path.join(uid_dir, name)
        assert mode_of(path) == 0o400 and owner_of(path) == ME and os.path.isfile(path)
    assert read(os.path.join(uid_dir, 'db_password')) == GOOD
    token = read(os.path.join(uid_dir, 'token'))
    assert len(token) == 40 and set(token) <= set(DEFAULT_ALPHABET)
    key_path = os.path.join(store, KEY_FILE)
    assert mode_of(key_path) == 0o400 and owner_of(key_path) == '0:0' and os.path.getsize(key_path) == 32
    manifest = os.path.join(store, MANIFEST)
    assert mode_of(manifest) == 0o400 and owner_of(manifest) == '0:0'
    assert json.loads(read(manifest)) == result['fingerprints']
    with open(key_path, 'rb') as handle:
        key = handle.read()
    assert result['fingerprints'] == dict(db_password=fingerprint(key, 'db_password', GOOD),
                                          token=fingerprint(key, 'token', token))
    text = json.dumps(result) + read(manifest)
    assert GOOD not in text and token not in text
    assert sorted(os.listdir(store)) == sorted([KEY_FILE, MANIFEST, uid_of(ME)])


@needs_root
def test_second_run_changes_nothing(store):
    items = [dict(name='db_password', value=GOOD, owners=[ME]), dict(name='token', generate={}, owners=[ME])]
    first = sync_store(store, items)
    token = read(os.path.join(store, uid_of(ME), 'token'))
    second = sync_store(store, items)
    assert second == dict(changed=False, changed_names=[], generated_names=[], removed=[],
                          fingerprints=first['fingerprints'], changes=[])
    assert read(os.path.join(store, uid_of(ME), 'token')) == token


@needs_root
def test_secret_without_owners_belongs_to_root(store):
    result = sync_store(store, [dict(name='db_password', value=GOOD)])
    path = os.path.join(store, '0', 'db_password')
    assert read(path) == GOOD and owner_of(path) == '0:0' and mode_of(path) == 0o400
    assert result['changes'] == ['directory %s: created' % store, 'fingerprint key: created',
                                 'secret db_password for uid 0: created', 'fingerprints.json: created']


@needs_root
def test_one_copy_per_owner(store):
    owners = ['10001:10001', '999:998', ME]
    result = sync_store(store, [dict(name='redis_password', generate=dict(length=24), owners=owners)])
    values = set()
    for owner in owners:
        path = os.path.join(store, uid_of(owner), 'redis_password')
        assert owner_of(path) == owner and mode_of(path) == 0o400
        values.add(read(path))
    assert len(values) == 1 and len(values.pop()) == 24
    assert result['generated_names'] == ['redis_password']
    assert sorted(line for line in result['changes'] if line.startswith('secret ')) == [
        'secret redis_password for uid %s: created' % uid_of(owner) for owner in sorted(owners)]


@needs_root
def test_generated_value_kept_and_copied_to_a_new_owner(store):
    calls = []

    def fake(length, alphabet):
        calls.append((length, alphabet))
        return sequence(length, alphabet)

    first = sync_store(store, [dict(name='token', generate=dict(length=20, alphabet='abcdefghijklmnopq'),
                                    owners=[ME])], generate=fake)
    assert calls == [(20, 'abcdefghijklmnopq')]
    assert read(os.path.join(store, uid_of(ME), 'token')) == 'abcdefghijklmnopqabc'
    second = sync_store(store, [dict(name='token', generate=dict(length=20), owners=[ME, '10001:10001'])],
                        generate=fake)
    assert len(calls) == 1
    assert second['generated_names'] == []
    assert read(os.path.join(store, '10001', 'token')) == 'abcdefghijklmnopqabc'
    assert owner_of(os.path.join(store, '10001', 'token')) == '10001:10001'
    assert second['fingerprints'] == first['fingerprints']
    assert second['changes'] == ['secret token for uid 10001: created']


@needs_root
def test_generated_value_kept_when_its_owner_changes(store):
    sync_store(store, [dict(name='pg', generate={}, owners=['999:999'])])
    value = read(os.path.join(store, '999', 'pg'))
    result = sync_store(store, [dict(name='pg', generate={}, owners=['998:998'])])
    assert result['generated_names'] == []
    assert read(os.path.join(store, '998', 'pg')) == value
    assert result['removed'] == [os.path.join(store, '999', 'pg')]
    assert not os.path.exists(os.path.join(store, '999', 'pg'))


@needs_root
def test_value_change_listed_and_fingerprint_changes(store):
    items = [dict(name='db_password', value=GOOD, owners=[ME]), dict(name='other', value=GOOD[::-1], owners=[ME])]
    first = sync_store(store, items)
    items[0]['value'] = GOOD + 'Z'
    second = sync_store(store, items)
    assert second['changed'] is True and second['changed_names'] == ['db_password']
    assert second['changes'] == ['secret db_password for uid %s: value' % uid_of(ME), 'fingerprints.json: value']
    assert second['fingerprints']['db_password'] != first['fingerprints']['db_password']
    assert second['fingerprints']['other'] == first['fingerprints']['other']
    path = os.path.join(store, uid_of(ME), 'db_password')
    assert read(path) == GOOD + 'Z' and mode_of(path) == 0o400
    assert json.loads(read(os.path.join(store, MANIFEST))) == second['fingerprints']
    assert GOOD not in json.dumps(second)


@needs_root
def test_mode_drift_repaired_but_not_a_changed_name(store):
    items = [dict(name='db_password', value=GOOD, owners=[ME])]
    first = sync_store(store, items)
    path = os.path.join(store, uid_of(ME), 'db_password')
    os.chmod(path, 0o644)
    result = sync_store(store, items)
    assert result['changed'] is True and result['changed_names'] == []
    assert result['changes'] == ['secret db_password for uid %s: mode' % uid_of(ME)]
    assert result['fingerprints'] == first['fingerprints']
    assert mode_of(path) == 0o400 and read(path) == GOOD
    assert sync_store(store, items)['changed'] is False


@needs_root
def test_owner_drift_and_directory_mode_repaired(store):
    items = [dict(name='db_password', value=GOOD, owners=['10001:10001'])]
    sync_store(store, items)
    path = os.path.join(store, '10001', 'db_password')
    os.chown(path, 4242, 4242)
    os.chmod(store, 0o755)
    result = sync_store(store, items)
    assert result['changed_names'] == []
    assert result['changes'] == ['directory %s: mode or owner' % store, 'secret db_password for uid 10001: owner']
    assert owner_of(path) == '10001:10001' and mode_of(store) == 0o700


@needs_root
def test_symlink_replaced_by_a_file(store, tmp_path):
    items = [dict(name='db_password', value=GOOD, owners=[ME])]
    sync_store(store, items)
    path = os.path.join(store, uid_of(ME), 'db_password')
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.write_text(GOOD)
    os.unlink(path)
    os.symlink(str(elsewhere), path)
    result = sync_store(store, items)
    assert result['changes'] == ['secret db_password for uid %s: replaced (was not a regular file)' % uid_of(ME)]
    assert not os.path.islink(path) and mode_of(path) == 0o400
    assert elsewhere.read_text() == GOOD


@needs_root
def test_prune_removes_undeclared_files(store):
    sync_store(store, [dict(name='db_password', value=GOOD, owners=[ME, '10001:10001']),
                       dict(name='old_token', value=GOOD[::-1], owners=[ME])])
    items = [dict(name='db_password', value=GOOD, owners=[ME])]
    kept = sync_store(store, items, prune=False)
    assert kept['removed'] == [] and os.path.exists(os.path.join(store, uid_of(ME), 'old_token'))
    result = sync_store(store, items)
    assert sorted(result['removed']) == sorted([os.path.join(store, '10001', 'db_password'),
                                                os.path.join(store, uid_of(ME), 'old_token')])
    assert not os.path.exists(os.path.join(store, '10001', 'db_password'))
    assert not os.path.exists(os.path.join(store, uid_of(ME), 'old_token'))
    assert os.path.exists(os.path.join(store, uid_of(ME), 'db_password'))
    assert any('removed (no longer declared for uid 10001)' in line for line in result['changes'])
    assert json.loads(read(os.path.join(store, MANIFEST))) == result['fingerprints']
    assert list(result['fingerprints']) == ['db_password']
    assert os.path.exists(os.path.join(store, KEY_FILE))


@needs_root
def test_check_mode_on_a_fresh_host_writes_nothing(store):
    items = [dict(name='db_password', value=GOOD, owners=[ME]), dict(name='token', generate={}, owners=[ME])]
    result = sync_store(store, items, check_mode=True)
    assert not os.path.exists(store)
    assert result['changed'] is True
    assert result['changed_names'] == ['db_password', 'token'] and result['generated_names'] == ['token']
    assert result['fingerprints']['token'] == 'pending'
    assert len(result['fingerprints']['db_password']) == 16
    assert 'directory %s: created' % store in result['changes']
    assert 'secret token for uid %s: generated' % uid_of(ME) in result['changes']
    assert GOOD not in json.dumps(result)


@needs_root
def test_check_mode_on_an_existing_store_writes_nothing(store):
    items = [dict(name='db_password', value=GOOD, owners=[ME]), dict(name='token', generate={}, owners=[ME])]
    first = sync_store(store, items)
    path = os.path.join(store, uid_of(ME), 'db_password')
    os.chmod(path, 0o600)
    before = dict((name, read(os.path.join(store, uid_of(ME), name))) for name in ('db_password', 'token'))
    manifest = read(os.path.join(store, MANIFEST))
    items[0]['value'] = GOOD + 'Z'
    items.append(dict(name='new', generate={}, owners=[ME]))
    result = sync_store(store, items, check_mode=True, prune=True)
    assert result['changed_names'] == ['db_password', 'new'] and result['generated_names'] == ['new']
    assert result['fingerprints']['new'] == 'pending'
    assert result['fingerprints']['token'] == first['fingerprints']['token']
    assert result['fingerprints']['db_password'] != first['fingerprints']['db_password']
    assert before == dict((name, read(os.path.join(store, uid_of(ME), name))) for name in ('db_password', 'token'))
    assert mode_of(path) == 0o600 and read(os.path.join(store, MANIFEST)) == manifest
    assert not os.path.exists(os.path.join(store, uid_of(ME), 'new'))


@needs_root
def test_check_mode_reports_removal_without_removing(store):
    sync_store(store, [dict(name='a', value=GOOD, owners=[ME]), dict(name='b', value=GOOD, owners=[ME])])
    result = sync_store(store, [dict(name='a', value=GOOD, owners=[ME])], check_mode=True)
    assert result['removed'] == [os.path.join(store, uid_of(ME), 'b')]
    assert os.path.exists(os.path.join(store, uid_of(ME), 'b'))


@needs_root
def test_store_path_that_is_a_file_refused(tmp_path):
    path = tmp_path / 'secrets'
    path.write_text('x')
    with pytest.raises(SecretError, match='exists and is not a directory'):
        sync_store(str(path), [dict(name='a', value=GOOD)])


@needs_root
def test_bad_owner_refused_by_the_store(store):
    with pytest.raises(SecretError, match="has owner 'app'; owners are UID:GID"):
        sync_store(store, [dict(name='a', value=GOOD, owners=['app'])])


@needs_root
def test_regenerate_replaces_a_generated_value_in_every_copy(store):
    owners = ['10001:10001', ME]
    items = [dict(name='db_password', value=GOOD, owners=[ME]),
             dict(name='token', generate=dict(length=40), owners=owners)]
    first = sync_store(store, items)
    old = read(os.path.join(store, uid_of(ME), 'token'))
    rotated = sync_store(store, items, regenerate=['token'])
    new = [read(os.path.join(store, uid_of(owner), 'token')) for owner in owners]
    assert new[0] == new[1] and new[0] != old and len(new[0]) == 40
    assert rotated['changed_names'] == ['token'] and rotated['generated_names'] == ['token']
    assert rotated['fingerprints']['token'] != first['fingerprints']['token']
    assert rotated['fingerprints']['db_password'] == first['fingerprints']['db_password']
    assert old not in json.dumps(rotated) and new[0] not in json.dumps(rotated)
    # without regenerate the new value is kept
    assert sync_store(store, items)['changed'] is False


@needs_root
def test_regenerate_in_check_mode_writes_nothing(store):
    items = [dict(name='token', generate=dict(length=40), owners=[ME])]
    sync_store(store, items)
    old = read(os.path.join(store, uid_of(ME), 'token'))
    result = sync_store(store, items, check_mode=True, regenerate=['token'])
    assert result['changed'] is True and result['fingerprints']['token'] == 'pending'
    assert read(os.path.join(store, uid_of(ME), 'token')) == old


def test_regenerate_refuses_secrets_with_a_value_and_unknown_names(store):
    items = [dict(name='db_password', value=GOOD, owners=[ME]), dict(name='token', generate={}, owners=[ME])]
    with pytest.raises(SecretError, match='regenerate names db_password, nope, which are not generated secrets'):
        sync_store(store, items, regenerate=['nope', 'db_password'])
    assert not os.path.exists(store)
