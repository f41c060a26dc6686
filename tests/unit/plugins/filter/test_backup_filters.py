# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.stackops.hardened.plugins.filter.backup import FilterModule

FILTERS = FilterModule().filters()
RECIPIENT = 'age1xvkgv447xh4qcdswph4lf72px49pj4kn6txgtgc6p9g7adc2kprs7ra6ug'


def test_recipient_errors_name_each_bad_recipient():
    errors = FILTERS['backup_recipient_errors']([RECIPIENT, 'age1nope', 'changeme'])
    assert len(errors) == 2
    assert errors[0].startswith("'age1nope': ")
    assert errors[1].startswith('recipient 3: it must be an age public key')  # not a public key: not shown
    assert FILTERS['backup_recipient_errors']([]) == []


def test_stack_databases_and_restic_filters():
    services = {'postgres': {'environment': {'POSTGRES_DB': 'demo'}}}
    assert FILTERS['backup_stack_databases'](services) == ['demo']
    assert FILTERS['backup_restic_repository_error']('/srv/restic') == ''
    assert 's3:https://host/bucket' in FILTERS['backup_restic_repository_error']('s3://bucket')
