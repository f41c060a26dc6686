# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rate-limited locations and grace windows of the nginx role: what is refused, and how it is normalised."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.hardened.plugins.filter.nginx import (
    FilterModule,
    nginx_duration_problem,
    nginx_duration_seconds,
    nginx_rate_limits,
)
from ansible_collections.stackops.hardened.plugins.module_utils.nginx_limits import (
    MAX_GRACE_SECONDS,
    parse_duration,
    parse_rate,
    rate_limit_problems,
    rate_limits,
)

WEBHOOK = {'path': '/telegram/webhook', 'upstream_port': 8080, 'secret_file': '/opt/demo/secrets/10001/hook'}


def site(*limits, **extra):
    entry = {'name': 'api.example.test', 'upstream_port': 8000, 'rate_limits': list(limits)}
    entry.update(extra)
    return entry


def test_the_filters_are_registered():
    assert sorted(FilterModule().filters()) == ['nginx_duration_problem', 'nginx_duration_seconds',
                                                'nginx_rate_limit_problems', 'nginx_rate_limits']


@pytest.mark.parametrize('value, spelled', [('10r/s', '10r/s'), ('30r/m', '30r/m'), (5, '5r/s'), ('5', '5r/s'),
                                            (' 7r/m ', '7r/m'), ('999999r/s', '999999r/s')])
def test_rates_nginx_accepts(value, spelled):
    assert parse_rate(value) == spelled


@pytest.mark.parametrize('value', ['10/s', '10r/h', '0r/s', '-1r/s', '10 r/s', 'fast', '', '1.5r/s', '1000000r/s',
                                   '10r/s;', True, None, 0, [10]])
def test_malformed_rates_are_refused_by_name(value):
    with pytest.raises(ValueError, match='is not a rate: write requests per second or per minute'):
        parse_rate(value)
    problems = rate_limit_problems([site({'path': '/auth/login', 'rate': value})])
    assert len(problems) == 1
    assert problems[0].startswith("nginx_sites item 'api.example.test': rate_limits[0] (/auth/login): rate ")


def test_a_sound_list_has_no_problem_and_is_normalised():
    limits = [{'path': '/auth/login', 'rate': '5r/m', 'burst': 3}, {'path': '/', 'rate': 50, 'status': 503}]
    assert rate_limit_problems([site(*limits, webhook=WEBHOOK)]) == []
    assert rate_limits(limits, 'api_example_test') == [
        dict(path='/auth/login', rate='5r/m', burst=3, status=429, zone='stackops_api_example_test_limit0',
             zone_size='1m'),
        dict(path='/', rate='50r/s', burst=0, status=503, zone='stackops_api_example_test_limit1', zone_size='1m')]


def test_a_path_given_twice_is_refused():
    problems = rate_limit_problems([site({'path': '/auth/login', 'rate': '5r/m'}, {'path': '/api', 'rate': '9r/s'},
                                         {'path': '/auth/login', 'rate': '1r/s'})])
    assert problems == ["nginx_sites item 'api.example.test': rate_limits: the path /auth/login is given twice "
                        "(items 0 and 2); one location per path"]


def test_the_webhook_path_is_refused():
    problems = rate_limit_problems([site({'path': '/telegram/webhook', 'rate': '5r/s'}, webhook=WEBHOOK)])
    assert len(problems) == 1 and 'is the webhook path, which has its own rate and burst' in problems[0]


@pytest.mark.parametrize('path', ['login', '/a b', '/x;deny all', '/{x}', '/"q"', '', None, 3, '/ü'])
def test_paths_that_could_break_the_configuration_are_refused(path):
    problems = rate_limit_problems([site({'path': path, 'rate': '5r/s'})])
    assert len(problems) == 1 and 'must be an absolute URL path' in problems[0]


@pytest.mark.parametrize('item, words', [
    ({'path': '/x', 'rate': '1r/s', 'burst': -1}, 'burst -1 (int) must be a whole number of requests from 0 to 99999'),
    ({'path': '/x', 'rate': '1r/s', 'burst': 'lots'}, "burst 'lots' must be a whole number"),
    ({'path': '/x', 'rate': '1r/s', 'burst': 100000}, 'from 0 to 99999'),
    ({'path': '/x', 'rate': '1r/s', 'status': 200}, 'status 200 (int) must be an HTTP status from 400 to 599'),
    ({'path': '/x', 'rate': '1r/s', 'status': True}, 'must be an HTTP status from 400 to 599'),
    ({'path': '/x'}, 'rate_limits[0] (/x) needs a rate, such as 10r/s or 30r/m'),
    ({'path': '/x', 'rate': '1r/s', 'zone': 'mine'}, 'has unknown key(s) zone; accepted: path, rate, burst, status'),
])
def test_other_refusals_name_the_item_and_what_is_accepted(item, words):
    problems = rate_limit_problems([site(item)])
    assert len(problems) == 1 and words in problems[0], problems


def test_not_a_list_is_refused():
    assert rate_limit_problems([{'name': 'a.example.test', 'rate_limits': {'path': '/'}}]) == [
        "nginx_sites item 'a.example.test': rate_limits must be a list of {path, rate, burst, status}, got dict"]
    assert rate_limit_problems([{'name': 'a.example.test', 'rate_limits': ['/login']}])[0].endswith('got str')


def test_sites_without_rate_limits_are_not_judged():
    assert rate_limit_problems([{'name': 'a.example.test'}, 'not a site', {'name': 'b', 'rate_limits': None}]) == []
    assert rate_limit_problems('not a list') == []


def test_the_normalising_filter_refuses_what_the_check_refuses():
    with pytest.raises(AnsibleFilterError, match='rate .10/s. is not a rate'):
        nginx_rate_limits([{'path': '/x', 'rate': '10/s'}], 'a_example_test')
    assert nginx_rate_limits([], 'a_example_test') == []


@pytest.mark.parametrize('value, seconds', [(0, 0), ('0', 0), (90, 90), ('90', 90), ('90s', 90), ('10m', 600),
                                            ('2h', 7200), ('1h30m', 5400), ('1d', 86400), ('7d', MAX_GRACE_SECONDS),
                                            (' 15m ', 900), ('1m30s', 90)])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds
    assert nginx_duration_seconds(value) == seconds
    assert nginx_duration_problem(value, 'nginx_webhook_secret_grace') == ''


@pytest.mark.parametrize('value', ['soon', '10 minutes', '5ms', 'm', '', '1.5h', '-5m', '10m1h', True, None, [1],
                                   '8d', 7 * 24 * 3600 + 1])
def test_durations_that_do_not_parse_are_refused_by_name(value):
    with pytest.raises(ValueError):
        parse_duration(value)
    problem = nginx_duration_problem(value, 'nginx_webhook_secret_grace')
    assert problem.startswith('nginx_webhook_secret_grace: ')
    assert 'is not a duration: write seconds (90)' in problem or 'longer than 7 days' in problem
    with pytest.raises(AnsibleFilterError):
        nginx_duration_seconds(value)
