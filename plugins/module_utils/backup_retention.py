# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which backup runs to keep and which to delete: N daily and M weekly.

Plain functions on names, no host needed. The backup role installs this file on the host
beside its script (one piece of code for the idea), so the script and the unit tests use
the same rules.

A run is a directory named after the UTC time it started, ``YYYYMMDDTHHMMSSZ``. The rules
are restic's ``forget --keep-daily``/``--keep-weekly``: going from the newest run back,
the newest run of each of the N most recent days that have a run is kept, and the newest
run of each of the M most recent ISO weeks that have a run; a run may count for both.
Runs are counted, not calendar days, so a week without backups does not use up the
policy. Names that are not run names are never selected for deletion.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import re

RUN_NAME = re.compile(r'([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z')


def parse_run_name(name):
    """Return the UTC datetime of a run name, or None when the name is not one."""
    match = RUN_NAME.fullmatch(name) if isinstance(name, str) else None
    if not match:
        return None
    try:
        return datetime.datetime(*[int(part) for part in match.groups()])
    except ValueError:
        return None


def run_name(moment):
    """The run name of a datetime (taken as UTC)."""
    return moment.strftime('%Y%m%dT%H%M%SZ')


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError('%s is %r; it must be a whole number' % (name, value))
    return value


def select(names, keep_daily, keep_weekly):
    """Split run names into those to keep and those to delete.

    Returns a dict with ``keep`` and ``delete`` (run names, newest first) and ``reasons``
    (for each kept name, the rules that keep it, such as ``daily 2026-11-25``).
    keep_daily must be at least 1, so the newest run is always kept; keep_weekly may be 0.
    """
    _check_count('keep_daily', keep_daily)
    _check_count('keep_weekly', keep_weekly)
    if keep_daily < 1:
        raise ValueError('keep_daily is %d; it must be at least 1 (the newest backup is always kept)' % keep_daily)
    if keep_weekly < 0:
        raise ValueError('keep_weekly is %d; it must be 0 or more' % keep_weekly)

    runs = sorted(((parse_run_name(name), name) for name in set(names) if parse_run_name(name) is not None),
                  reverse=True)

    reasons = {}
    rules = (
        ('daily', keep_daily, lambda moment: moment.strftime('%Y-%m-%d')),
        ('weekly', keep_weekly, lambda moment: '%04d-W%02d' % moment.isocalendar()[:2]),
    )
    for rule, count, bucket_of in rules:
        seen = []
        for moment, name in runs:
            bucket = bucket_of(moment)
            if bucket in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(bucket)
            reasons.setdefault(name, []).append('%s %s' % (rule, bucket))

    keep = [name for _moment, name in runs if name in reasons]
    delete = [name for _moment, name in runs if name not in reasons]
    return dict(keep=keep, delete=delete, reasons=reasons)
