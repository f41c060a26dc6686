# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nginx role's rate-limited locations and the webhook secret's grace window, judged on the controller.

Plain functions over the role's variables: each problem is a sentence that names the site,
the location and what is accepted, so the role refuses before anything changes. The
normalised form is what the site template renders (one limit_req_zone per location, at the
http level, keyed by the client address).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

# 10r/s, 30r/m; a bare number is per second. nginx's own limit is far higher; six digits is plenty.
RATE = re.compile(r'^([1-9][0-9]{0,5})(?:r/([sm]))?\Z')
# The characters the webhook path accepts too: no space, quote, brace or semicolon reaches nginx.conf.
PATH = re.compile(r'^/[A-Za-z0-9._~/-]*\Z')
KEYS = ('path', 'rate', 'burst', 'status')
DEFAULT_STATUS = 429
MAX_BURST = 99999
# 1 MB of shared memory per zone holds about 16 000 client addresses.
ZONE_SIZE = '1m'

DURATION = re.compile(r'^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s?)?\Z')
# Longer than a week, an old secret is not rotated out so much as kept.
MAX_GRACE_SECONDS = 7 * 24 * 3600


def _shown(value):
    return repr(value) if isinstance(value, str) else '%s (%s)' % (value, type(value).__name__)


def _whole(value):
    """An int from an int or a string of digits; None otherwise (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^[0-9]{1,9}\Z', value.strip()):
        return int(value.strip())
    return None


def parse_rate(value):
    """'10r/s', '30r/m' or a whole number (per second) -> nginx's spelling ('10r/s'). ValueError when malformed."""
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    match = RATE.match(text or '')
    if not match:
        raise ValueError('rate %s is not a rate: write requests per second or per minute, such as 10r/s or 30r/m '
                         '(a bare number is per second; 1 to 999999)' % _shown(value))
    return '%sr/%s' % (match.group(1), match.group(2) or 's')


def rate_limit_problems(sites):
    """Sentences naming each malformed rate-limited location of nginx_sites; empty when all are sound."""
    problems = []
    if not isinstance(sites, (list, tuple)):
        return problems  # the role's own check of nginx_sites names that
    for index, site in enumerate(sites):
        if not isinstance(site, dict) or 'rate_limits' not in site:
            continue
        name = site.get('name') or '(item %d)' % index
        where = "nginx_sites item '%s': rate_limits" % name
        items = site.get('rate_limits')
        if items is None:
            continue
        if not isinstance(items, (list, tuple)):
            problems.append('%s must be a list of {path, rate, burst, status}, got %s' % (where, type(items).__name__))
            continue
        webhook = site.get('webhook') if isinstance(site.get('webhook'), dict) else {}
        seen = {}
        for number, item in enumerate(items):
            here = '%s[%d]' % (where, number)
            if not isinstance(item, dict):
                problems.append('%s must be a mapping {path, rate, burst, status}, got %s' % (here, type(item).__name__))
                continue
            unknown = sorted(str(key) for key in item if key not in KEYS)
            if unknown:
                problems.append('%s has unknown key(s) %s; accepted: %s' % (here, ', '.join(unknown), ', '.join(KEYS)))
            path = item.get('path')
            if not isinstance(path, str) or not PATH.match(path):
                problems.append('%s: path %s must be an absolute URL path of letters, digits and . _ ~ / - '
                                '(such as /auth/login)' % (here, _shown(path)))
            else:
                here = "%s (%s)" % (here, path)
                if path in seen:
                    problems.append("%s: the path %s is given twice (items %d and %d); one location per path"
                                    % (where, path, seen[path], number))
                seen.setdefault(path, number)
                if webhook.get('path') == path:
                    problems.append('%s: %s is the webhook path, which has its own rate and burst (webhook.rate, '
                                    'webhook.burst)' % (here, path))
            if 'rate' not in item:
                problems.append('%s needs a rate, such as 10r/s or 30r/m' % here)
            else:
                try:
                    parse_rate(item['rate'])
                except ValueError as exc:
                    problems.append('%s: %s' % (here, exc))
            burst = _whole(item.get('burst', 0))
            if burst is None or not 0 <= burst <= MAX_BURST:
                problems.append('%s: burst %s must be a whole number of requests from 0 to %d'
                                % (here, _shown(item.get('burst')), MAX_BURST))
            status = _whole(item.get('status', DEFAULT_STATUS))
            if status is None or not 400 <= status <= 599:
                problems.append('%s: status %s must be an HTTP status from 400 to 599 (default %d)'
                                % (here, _shown(item.get('status')), DEFAULT_STATUS))
    return problems


def rate_limits(items, site_id):
    """The rate-limited locations of one site as the template renders them (call after rate_limit_problems)."""
    out = []
    for index, item in enumerate(items or []):
        out.append(dict(
            path=item['path'],
            rate=parse_rate(item['rate']),
            burst=_whole(item.get('burst', 0)),
            status=_whole(item.get('status', DEFAULT_STATUS)),
            zone='stackops_%s_limit%d' % (site_id, index),
            zone_size=ZONE_SIZE))
    return out


def parse_duration(value):
    """Seconds of a duration: a whole number of seconds, or 90s, 10m, 2h, 1d, 1h30m. ValueError when malformed."""
    seconds = _whole(value)
    if seconds is None and isinstance(value, str) and value.strip():
        match = DURATION.match(value.strip())
        if match and any(match.groups()):
            days, hours, minutes, secs = (int(part or 0) for part in match.groups())
            seconds = ((days * 24 + hours) * 60 + minutes) * 60 + secs
    if seconds is None:
        raise ValueError('%s is not a duration: write seconds (90), or a number with s, m, h or d (90s, 10m, 2h, '
                         '1h30m, 1d); 0 turns the grace window off' % _shown(value))
    if seconds > MAX_GRACE_SECONDS:
        raise ValueError('%s is longer than 7 days: an old secret accepted that long is not rotated out'
                         % _shown(value))
    return seconds
