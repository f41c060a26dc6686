# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.backup_retention import (
    parse_run_name,
    run_name,
    select,
)


def test_parse_run_name_reads_utc_stamps_and_rejects_the_rest():
    assert parse_run_name('20261125T031500Z') == datetime.datetime(2026, 11, 25, 3, 15, 0)
    for name in ('20261125T031500', '2026-11-25', '.20261125T031500Z.partial', '20261332T000000Z', 'lost+found', ''):
        assert parse_run_name(name) is None
    assert run_name(datetime.datetime(2026, 1, 2, 3, 4, 5)) == '20260102T030405Z'


def test_newest_of_each_day_is_kept_and_older_runs_of_the_same_day_go():
    names = ['20261125T030000Z', '20261125T150000Z', '20261124T030000Z', '20261123T030000Z']
    result = select(names, keep_daily=2, keep_weekly=0)
    assert result['keep'] == ['20261125T150000Z', '20261124T030000Z']
    assert result['delete'] == ['20261125T030000Z', '20261123T030000Z']
    assert result['reasons']['20261125T150000Z'] == ['daily 2026-11-25']


def test_days_without_backups_do_not_use_up_the_policy():
    # A week of downtime: the 3 most recent days *with* a run are kept, as restic does.
    names = ['20261125T030000Z', '20261115T030000Z', '20261114T030000Z', '20261113T030000Z']
    assert select(names, keep_daily=3, keep_weekly=0)['delete'] == ['20261113T030000Z']


def test_weekly_keeps_the_newest_run_of_each_iso_week_beyond_the_dailies():
    # The layout the Molecule scenario back-dates (weeks 2026-W03, W02, W01, 2025-W52) plus today.
    names = ['20261125T101010Z', '20260114T030000Z', '20260114T010000Z', '20260113T030000Z', '20260112T030000Z',
             '20260107T030000Z', '20260101T030000Z', '20251224T030000Z', '20261125T090000Z']
    result = select(names, keep_daily=3, keep_weekly=3)
    assert result['keep'] == ['20261125T101010Z', '20260114T030000Z', '20260113T030000Z', '20260107T030000Z']
    assert result['delete'] == ['20261125T090000Z', '20260114T010000Z', '20260112T030000Z',
                                '20260101T030000Z', '20251224T030000Z']
    assert result['reasons']['20261125T101010Z'] == ['daily 2026-11-25', 'weekly 2026-W48']
    assert result['reasons']['20260107T030000Z'] == ['weekly 2026-W02']


def test_iso_weeks_across_the_new_year():
    # 2026-01-01 (Thu) is in ISO week 2026-W01, 2025-12-29 (Mon) too; 2025-12-28 (Sun) is 2025-W52.
    names = ['20260101T000000Z', '20251229T000000Z', '20251228T000000Z']
    result = select(names, keep_daily=1, keep_weekly=2)
    assert result['keep'] == ['20260101T000000Z', '20251228T000000Z']
    assert result['delete'] == ['20251229T000000Z']


def test_other_names_are_never_deleted_and_duplicates_count_once():
    names = ['20261125T030000Z', '20261125T030000Z', 'README', '.20261125T040000Z.partial']
    result = select(names, keep_daily=1, keep_weekly=1)
    assert result == dict(keep=['20261125T030000Z'], delete=[],
                          reasons={'20261125T030000Z': ['daily 2026-11-25', 'weekly 2026-W48']})


def test_nothing_to_select_from():
    assert select([], keep_daily=7, keep_weekly=4) == dict(keep=[], delete=[], reasons={})


@pytest.mark.parametrize('daily, weekly, message', [
    (0, 4, 'keep_daily is 0; it must be at least 1'),
    (7, -1, 'keep_weekly is -1; it must be 0 or more'),
    ('7', 4, "keep_daily is '7'; it must be a whole number"),
    (True, 4, 'keep_daily is True; it must be a whole number'),
])
def test_bad_policies_are_refused(daily, weekly, message):
    with pytest.raises(ValueError, match=message):
        select(['20261125T030000Z'], keep_daily=daily, keep_weekly=weekly)
