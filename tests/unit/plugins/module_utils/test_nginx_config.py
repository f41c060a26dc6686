# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nginx configuration transaction, in a temporary directory with a fake nginx -t."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.nginx_config import (
    ConfigError,
    NginxTestFailed,
    apply_changes,
    locked,
    plan_changes,
    read_secret_token,
    secret_map_entry,
)

TOKEN = 'Abc_123-xyz'


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'sites').mkdir()
    (tmp_path / 'nginx.conf').write_text('old main\n')
    os.chmod(str(tmp_path / 'nginx.conf'), 0o640)
    (tmp_path / 'sites' / 'old.conf').write_text('old site\n')
    (tmp_path / 'secret').write_text(TOKEN + '\n')
    return tmp_path


def passing():
    return 0, '', ''


def failing():
    return 1, '', 'nginx: [emerg] unknown directive "bogus" in /etc/nginx/stackops/sites/new.conf:3\n'


def test_nothing_to_do_when_the_files_are_as_wanted(tree):
    files = [dict(path=str(tree / 'nginx.conf'), content='old main\n', mode='0640')]
    assert plan_changes(files) == []


def test_a_mode_change_alone_is_a_change(tree):
    changes = plan_changes([dict(path=str(tree / 'nginx.conf'), content='old main\n', mode='0644')])
    assert [c['path'] for c in changes] == [str(tree / 'nginx.conf')]


def test_a_passing_test_keeps_every_change(tree):
    files = [dict(path=str(tree / 'nginx.conf'), content='new main\n'),
             dict(path=str(tree / 'sites' / 'new.conf'), content='new site\n', mode='0644')]
    changes = plan_changes(files, absent=[str(tree / 'sites' / 'old.conf')])
    assert [c['action'] for c in changes] == ['write', 'write', 'remove']
    assert apply_changes(changes, passing) == [str(tree / 'nginx.conf'), str(tree / 'sites' / 'new.conf'),
                                               str(tree / 'sites' / 'old.conf')]
    assert (tree / 'nginx.conf').read_text() == 'new main\n'
    assert mode_of(str(tree / 'nginx.conf')) == 0o640  # the existing mode is kept when none is given
    assert (tree / 'sites' / 'new.conf').read_text() == 'new site\n'
    assert not (tree / 'sites' / 'old.conf').exists()


def test_a_failing_test_puts_every_file_back(tree):
    files = [dict(path=str(tree / 'nginx.conf'), content='new main\n', mode='0644'),
             dict(path=str(tree / 'sites' / 'new.conf'), content='new site\n')]
    changes = plan_changes(files, absent=[str(tree / 'sites' / 'old.conf')])
    seen = {}

    def test_sees_the_candidate():
        seen['main'] = (tree / 'nginx.conf').read_text()
        seen['new'] = (tree / 'sites' / 'new.conf').exists()
        seen['old'] = (tree / 'sites' / 'old.conf').exists()
        return failing()

    with pytest.raises(NginxTestFailed) as info:
        apply_changes(changes, test_sees_the_candidate)
    assert seen == dict(main='new main\n', new=True, old=False)
    assert str(info.value).startswith('nginx -t rejected the new configuration, so nothing was reloaded and the '
                                      'previous files are back: nginx: [emerg] unknown directive "bogus"')
    assert (tree / 'nginx.conf').read_text() == 'old main\n'
    assert mode_of(str(tree / 'nginx.conf')) == 0o640
    assert not (tree / 'sites' / 'new.conf').exists()
    assert (tree / 'sites' / 'old.conf').read_text() == 'old site\n'
    assert sorted(os.listdir(str(tree / 'sites'))) == ['old.conf']  # no temporary file left


def test_a_secret_file_becomes_a_case_sensitive_map_entry(tree):
    files = [dict(path=str(tree / 'sites' / 'hook.map'), secret_from=str(tree / 'secret'), mode='0600', label='api')]
    changes = plan_changes(files)
    apply_changes(changes, passing)
    assert (tree / 'sites' / 'hook.map').read_text() == '"~^%s$" 1;\n' % TOKEN
    assert mode_of(str(tree / 'sites' / 'hook.map')) == 0o600
    assert plan_changes(files) == []


def test_the_diff_of_a_secret_never_shows_it(tree):
    (tree / 'sites' / 'hook.map').write_text(secret_map_entry('Old_token'))
    changes = plan_changes([dict(path=str(tree / 'sites' / 'hook.map'), secret_from=str(tree / 'secret'))])
    diff = changes[0]['diff']
    assert TOKEN not in repr(diff) and 'Old_token' not in repr(diff)
    assert diff['before'] == '(secret content from %s: not shown)\n' % (tree / 'secret')
    assert diff['after'].endswith('(changed)\n')


def test_the_diff_of_a_plain_file_shows_both_sides(tree):
    changes = plan_changes([dict(path=str(tree / 'nginx.conf'), content='new main\n')])
    assert changes[0]['diff'] == dict(before_header=str(tree / 'nginx.conf'), after_header=str(tree / 'nginx.conf'),
                                      before='old main\n', after='new main\n')


@pytest.mark.parametrize('content, problem', [
    ('', 'does not hold a Telegram secret token'),
    ('two words', 'does not hold a Telegram secret token'),
    ('quote"s', 'does not hold a Telegram secret token'),
    ('x' * 257, 'does not hold a Telegram secret token'),
])
def test_a_secret_that_is_not_a_token_is_refused_without_showing_it(tree, content, problem):
    (tree / 'secret').write_text(content)
    with pytest.raises(ConfigError) as info:
        read_secret_token(str(tree / 'secret'), 'api.example.test webhook')
    assert problem in str(info.value)
    assert '(api.example.test webhook)' in str(info.value)
    if content:
        assert content not in str(info.value)


def test_a_missing_secret_file_is_named(tree):
    with pytest.raises(ConfigError, match='the secret file .*missing .api webhook. does not exist; the secrets role'):
        plan_changes([dict(path=str(tree / 'x.map'), secret_from=str(tree / 'missing'), label='api webhook')])


def test_a_missing_secret_file_is_a_change_in_check_mode(tree):
    changes = plan_changes([dict(path=str(tree / 'x.map'), secret_from=str(tree / 'missing'))], check_mode=True)
    assert [c['path'] for c in changes] == [str(tree / 'x.map')]


def test_a_missing_directory_is_an_error_except_in_check_mode(tree):
    files = [dict(path=str(tree / 'nowhere' / 'a.conf'), content='x')]
    with pytest.raises(ConfigError, match='the directory of .* does not exist'):
        plan_changes(files)
    assert plan_changes(files, check_mode=True)[0]['diff']['after'] == 'x'


@pytest.mark.parametrize('files, absent, message', [
    ([dict(path='relative.conf', content='x')], [], 'is not an absolute path'),
    ([dict(path='/tmp/a.conf', content='x'), dict(path='/tmp/a.conf', content='y')], [], 'is given twice'),
    ([dict(path='/tmp/a.conf', content='x', mode='644x')], [], 'mode .644x. is not valid'),
    ([dict(path='/tmp/a.conf', content='x', owner='no-such-user-here')], [], "owner 'no-such-user-here' does not exist"),
])
def test_bad_entries_are_refused(files, absent, message):
    with pytest.raises(ConfigError, match=message):
        plan_changes(files, absent)


def test_a_directory_in_the_way_is_refused(tree):
    with pytest.raises(ConfigError, match='is not a regular file'):
        plan_changes([dict(path=str(tree / 'sites'), content='x')])


def test_a_file_both_wanted_and_absent_is_refused(tree):
    with pytest.raises(ConfigError, match='both wanted and to be removed'):
        plan_changes([dict(path=str(tree / 'nginx.conf'), content='x')], absent=[str(tree / 'nginx.conf')])


def test_removing_a_missing_file_is_no_change(tree):
    assert plan_changes([], absent=[str(tree / 'sites' / 'gone.conf')]) == []


def test_the_lock_is_taken_and_released(tmp_path):
    path = str(tmp_path / 'lock' / 'nginx.lock')
    with locked(path):
        assert os.path.exists(path)
    with locked(path):
        pass
