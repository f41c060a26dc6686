# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.backup import (
    bech32_decode,
    compare_counts,
    newest_run,
    parse_counts,
    recipient_error,
    restic_repository_error,
    restic_repository_kind,
    run_age_hours,
    stack_databases,
)

# Made with age-keygen (test only; the private key is not used anywhere).
RECIPIENT = 'age1xvkgv447xh4qcdswph4lf72px49pj4kn6txgtgc6p9g7adc2kprs7ra6ug'
SSH_ED25519 = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl '
               'backup@example')


@pytest.mark.parametrize('services, expected', [
    ({'postgres': {'environment': {'POSTGRES_DB': 'demo', 'POSTGRES_USER': 'demo'}}}, ['demo']),
    ({'postgres': {'environment': ['POSTGRES_USER=app', 'POSTGRES_PASSWORD_FILE=/run/secrets/p']}}, ['app']),
    ({'postgres': {'image': 'postgres:17'}}, ['postgres']),
    ({'postgres': {'environment': {'POSTGRES_DB': None, 'POSTGRES_USER': 'u'}}}, ['u']),
    ([{'name': 'postgres', 'environment': {'POSTGRES_DB': 'listed'}}], ['listed']),
    ({'db': {'environment': {'POSTGRES_DB': 'demo'}}}, []),
    ({}, []),
    (None, []),
])
def test_stack_databases(services, expected):
    assert stack_databases(services) == expected


def test_stack_databases_of_another_service_name():
    assert stack_databases({'db': {'environment': {'POSTGRES_DB': 'x'}}}, 'db') == ['x']


def test_recipients_well_formed():
    assert recipient_error(RECIPIENT) == ''
    assert recipient_error(RECIPIENT.upper()) == ''
    assert recipient_error(SSH_ED25519) == ''
    hrp, data = bech32_decode(RECIPIENT)
    assert hrp == 'age' and len(data) == 32


@pytest.mark.parametrize('recipient, fragment', [
    ('', 'it is empty'),
    (RECIPIENT[:-1] + ('q' if RECIPIENT[-1] != 'q' else 'p'), 'checksum'),
    (RECIPIENT[:-2], 'checksum'),
    ('age1' + 'b' * 58, 'bad characters'),
    ('AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ', 'it is a private key'),
    ('age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t', 'plugin recipients'),
    ('ssh-ed25519', 'has no key data'),
    ('ssh-ed25519 not*base64', 'not valid base64'),
    ('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'says ssh-ed25519, not ssh-rsa'),
    ('changeme', 'must be an age public key (age1...) or an SSH public key'),
])
def test_recipients_malformed(recipient, fragment):
    assert fragment in recipient_error(recipient)


@pytest.mark.parametrize('url, kind', [
    ('/srv/restic/demo', 'local path'),
    ('local:/srv/restic', 'local path'),
    ('sftp:backup@offsite.example.net:/srv/restic/demo', 'sftp'),
    ('sftp:offsite:restic', 'sftp'),
    ('sftp://backup@offsite.example.net:2222//srv/restic', 'sftp'),
    ('rest:https://user@restic.example.net:8000/demo/', 'rest'),
    ('s3:https://s3.eu-central-1.amazonaws.com/bucket/demo', 's3'),
    ('s3:s3.amazonaws.com/bucket', 's3'),
    ('s3:http://127.0.0.1:9000/bucket', 's3'),
    ('b2:bucket:demo', 'b2'),
    ('azure:container:/demo', 'azure'),
    ('gs:bucket:/demo', 'gs'),
    ('swift:container:/demo', 'swift'),
    ('rclone:remote:demo', 'rclone'),
])
def test_restic_repositories_accepted(url, kind):
    assert restic_repository_kind(url) == kind
    assert restic_repository_error(url) == ''


@pytest.mark.parametrize('url, fragment', [
    ('s3://bucket/demo', 'restic reads s3://bucket as a local directory'),
    ('https://restic.example.net/demo', 'for a REST server write rest:https://restic.example.net/demo'),
    ('backups/demo', 'give an absolute path'),
    ('ftp:host/path', 'accepted: an absolute local path'),
    ('s3:bucket', 'accepted:'),
    ('sftp:', 'accepted:'),
    ('/srv/with space', 'accepted:'),
    ('', 'accepted:'),
    (None, 'accepted:'),
])
def test_restic_repositories_refused(url, fragment):
    assert restic_repository_kind(url) is None
    assert fragment in restic_repository_error(url)


def test_newest_run_and_a_named_one():
    names = ['20261124T030000Z', '20261125T030000Z', '.20261126T030000Z.partial', 'notes']
    assert newest_run(names) == '20261125T030000Z'
    assert newest_run(names, 'latest') == '20261125T030000Z'
    assert newest_run(names, '20261124T030000Z') == '20261124T030000Z'
    assert newest_run(names, '20261123T030000Z') is None
    assert newest_run(['notes']) is None


def test_run_age_hours():
    now = datetime.datetime(2026, 11, 25, 15, 0, 0)
    assert run_age_hours('20261125T030000Z', now) == 12.0
    with pytest.raises(ValueError, match='is not a backup run name'):
        run_age_hours('latest', now)


def test_parse_counts():
    assert parse_counts('public.items|3\npublic.odd|name|0\n\n') == {'public.items': 3, 'public.odd|name': 0}
    with pytest.raises(ValueError, match='unexpected line'):
        parse_counts('ERROR: no such table')


def test_compare_counts_equal_different_and_missing():
    rows, problems = compare_counts({'public.a': 3, 'public.b': 10, 'public.new': 1},
                                    {'public.a': 3, 'public.b': 9, 'public.gone': 2})
    assert [r['table'] for r in rows] == ['public.a', 'public.b', 'public.gone', 'public.new']
    assert [r['ok'] for r in rows] == [True, False, False, False]
    assert problems == [
        'table public.b has 10 rows live and 9 in the backup (tolerance 0.0%)',
        'table public.gone (2 rows in the backup) is not in the live database',
        'table public.new (1 rows live) is not in the backup',
    ]


def test_compare_counts_within_tolerance():
    rows, problems = compare_counts({'public.events': 1000}, {'public.events': 990}, tolerance_percent=1)
    assert problems == [] and rows[0]['ok']
    _rows, problems = compare_counts({'public.events': 1000}, {'public.events': 989}, tolerance_percent=1)
    assert problems
