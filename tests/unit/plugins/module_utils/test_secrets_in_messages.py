# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No message, result or invocation carries a secret: URLs with userinfo, header values, private keys, values."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.backup import (
    recipient_errors,
    restic_repository_error,
)
from ansible_collections.stackops.hardened.plugins.module_utils.health import (
    HealthError,
    evaluate_url,
    normalise_url_spec,
    redact_params,
    url_credentials,
)
from ansible_collections.stackops.hardened.plugins.module_utils.redact import mask_urls, split_userinfo
from ansible_collections.stackops.hardened.plugins.module_utils.secret_store import check_items

AGE_KEY = 'AGE-SECRET-KEY-1GFPYYSJCJSVKW0YQRU9S0V9G2XNAMQQFCVCPQRGSCSHVQZ2GTH4SC5R7JL'


@pytest.mark.parametrize('text, password', [
    ('https://user:hunter2hunter2@host/path', 'hunter2hunter2'),
    ('rest:https://backup:p@ss/w0rd#x@backup.example.net:8000/repo', 'p@ss/w0rd#x'),
    ('see postgres://app:Qz9%40x@db:5432/app and more', 'Qz9%40x'),
    ('redis://:s3cr3tValue@redis:6379/0', 's3cr3tValue'),
    ('https://ghp_0123456789abcdefABCDEF@github.com/org/repo', 'ghp_0123456789abcdefABCDEF'),
])
def test_userinfo_is_masked_whatever_the_password_holds(text, password):
    masked = mask_urls(text)
    assert password not in masked and '***@' in masked


def test_split_userinfo_gives_the_url_without_it():
    assert split_userinfo('http://bob:pw@127.0.0.1:8080/x') == ('http://127.0.0.1:8080/x', 'bob', 'pw')
    assert split_userinfo('http://127.0.0.1/x') == ('http://127.0.0.1/x', None, None)


def test_masking_is_linear():
    import time
    started = time.monotonic()
    mask_urls('a' * 30000 + '://' + '@' * 30000)
    mask_urls('://x' * 10000)
    assert time.monotonic() - started < 0.5


# ---------------------------------------------------------------- health_check

def test_a_url_with_credentials_is_fetched_with_basic_auth_and_shown_masked():
    spec = normalise_url_spec(dict(url='http://bob:Sup3rS3cret@127.0.0.1:8080/ready'))
    assert spec['request_url'] == 'http://127.0.0.1:8080/ready'
    assert spec['url'] == 'http://***@127.0.0.1:8080/ready' and 'Sup3rS3cret' not in spec['label']
    assert spec['headers']['Authorization'].startswith('Basic ')
    verdict = evaluate_url(spec, dict(status=None, error='Sup3rS3cret refused', elapsed=0.1))
    assert 'Sup3rS3cret' not in repr(verdict)


def test_header_values_never_appear_in_problems_or_the_invocation():
    spec = normalise_url_spec(dict(url='http://127.0.0.1/', headers={'X-Api-Key': 'k3yValue123456'}))
    verdict = evaluate_url(spec, dict(status=500, body='echo k3yValue123456', elapsed=0.1))
    assert 'k3yValue123456' not in repr(verdict)
    params = dict(urls=[dict(url='http://bob:Sup3rS3cret@h/', headers={'X-Api-Key': 'k3yValue123456'})])
    shown = repr(redact_params(params))
    assert 'Sup3rS3cret' not in shown and 'k3yValue123456' not in shown
    assert set(url_credentials(params['urls'])) == {'bob', 'Sup3rS3cret', 'k3yValue123456'}


@pytest.mark.parametrize('spec, message', [
    (dict(url='http://bob:Sup3rS3cret@127.0.0.1:99999/'), r'urls\[0\].url .* does not parse'),
    (dict(url='http://bob:Sup3rS3cret@[::1/'), r'urls\[0\].url .* does not parse'),
    (dict(url='ftp://bob:Sup3rS3cret@host/'), r'urls\[0\].url .* is not valid'),
    (dict(url='http://h/', headers={'X-Key': 'Sup3rS3cret\r\nX: y'}), r'urls\[0\].headers.X-Key holds a line break'),
    (dict(url='http://h/', headers={'X-Key': ['Sup3rS3cret']}), r'urls\[0\].headers.X-Key must be text'),
    (dict(url='http://h/', headers={'Bad Name': 'Sup3rS3cret'}), 'not an HTTP token'),
    (dict(url='http://h/', headers='Sup3rS3cret'), r'headers must be a mapping'),
    (dict(url=['http://h/']), r'urls\[0\].url is missing'),
    (dict(url='http://h/', status='200'), r'urls\[0\].status'),
    (dict(url='http://h/', validate_certs='yes'), 'validate_certs must be true or false'),
])
def test_malformed_url_options_are_named_without_the_secret(spec, message):
    with pytest.raises(HealthError, match=message) as exc:
        normalise_url_spec(spec)
    assert 'Sup3rS3cret' not in str(exc.value)


# ---------------------------------------------------------------- backup

@pytest.mark.parametrize('recipients', [[AGE_KEY], ['age1xyz', AGE_KEY.lower()], [' ' + AGE_KEY + '\n'],
                                        ['AGE-PLUGIN-YUBIKEY-1QGZQ3QYQSZ'], AGE_KEY])
def test_a_private_key_as_recipient_is_named_not_shown(recipients):
    errors = recipient_errors(recipients)
    assert errors and 'private key' in ' '.join(errors)
    assert 'GFPYYSJCJSVKW0' not in ' '.join(errors).upper() and 'QGZQ3QYQSZ' not in ' '.join(errors)


@pytest.mark.parametrize('url', ['https://backup:Hx9-p@ss/w0rd@backup.example.net/demo',
                                 's3://AKIA:Hx9-p@ss/w0rd@bucket/demo', 'ftp://u:Hx9-p@ss/w0rd@h/'])
def test_a_restic_repository_with_a_password_is_masked(url):
    message = restic_repository_error(url)
    assert message and 'Hx9-p' not in message and 'w0rd' not in message and '***@' in message


# ---------------------------------------------------------------- secrets

@pytest.mark.parametrize('value', ['strong_random_jwt_secret', 'supersecretpassword123', 'Zq8mK2p'])
def test_a_refused_value_shows_neither_the_value_nor_its_length(value):
    problems = check_items([dict(name='jwt_secret', value=value)])
    assert problems and 'secret jwt_secret' in problems[0]
    text = ' '.join(problems)
    assert value not in text and ' %d ' % len(value) not in text and '(it has' not in text
