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
    grace_until,
    map_tokens,
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
    assert (tree / 'sites' / 'hook.map').read_text() == '"~^%s$" "%s";\n' % (TOKEN, TOKEN)
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


# ---------------------------------------------------------------- the webhook token's grace window

NOW = 1767225600


def hook(tree, grace, **extra):
    entry = dict(path=str(tree / 'sites' / 'hook.map'), secret_from=str(tree / 'secret'), mode='0600', label='api',
                 previous=str(tree / 'sites' / 'hook.previous.map'), grace=grace)
    entry.update(extra.get('override', extra))
    return [entry]


def rotate(tree, token):
    (tree / 'secret').write_text(token + '\n')


def test_a_rotation_keeps_the_old_token_for_the_grace_window_passed_on_as_the_new(tree):
    apply_changes(plan_changes(hook(tree, 600), now=NOW), passing)
    assert not (tree / 'sites' / 'hook.previous.map').exists()  # no rotation yet, no grace file
    rotate(tree, 'New_token_1')
    changes = plan_changes(hook(tree, 600), now=NOW + 5)
    wanted = [('hook.map', 'write'), ('hook.previous.map', 'write')]
    assert [(c['path'].rsplit('/', 1)[1], c['action']) for c in changes] == wanted
    assert changes[1]['until'] == NOW + 605 and changes[1]['grace_of'] == str(tree / 'sites' / 'hook.map')
    assert 'New_token_1' not in repr(changes[1]['diff']) and TOKEN not in repr(changes[1]['diff'])
    apply_changes(changes, passing)
    assert map_tokens((tree / 'sites' / 'hook.map').read_text()) == ('New_token_1', 'New_token_1')
    previous = (tree / 'sites' / 'hook.previous.map').read_text()
    assert previous.startswith('# until %d (2026-01-01T00:10:05Z): the previous webhook token' % (NOW + 605))
    assert previous.endswith('"~^%s$" "New_token_1";\n' % TOKEN)
    assert map_tokens(previous) == (TOKEN, 'New_token_1') and grace_until(previous) == NOW + 605
    assert mode_of(str(tree / 'sites' / 'hook.previous.map')) == 0o600
    # within the window a run changes nothing; at its end the grace file goes
    assert plan_changes(hook(tree, 600), now=NOW + 604) == []
    ended = plan_changes(hook(tree, 600), now=NOW + 605)
    assert [(c['path'].rsplit('/', 1)[1], c['action']) for c in ended] == [('hook.previous.map', 'remove')]


def test_no_grace_window_accepts_only_the_new_token_and_removes_a_grace_file(tree):
    apply_changes(plan_changes(hook(tree, 600), now=NOW), passing)
    rotate(tree, 'New_token_1')
    apply_changes(plan_changes(hook(tree, 600), now=NOW), passing)
    changes = plan_changes(hook(tree, 0), now=NOW + 1)
    assert [(c['path'].rsplit('/', 1)[1], c['action']) for c in changes] == [('hook.previous.map', 'remove')]
    rotate(tree, 'New_token_2')
    apply_changes(plan_changes(hook(tree, 0), now=NOW + 2), passing)
    assert not (tree / 'sites' / 'hook.previous.map').exists()


def test_a_second_rotation_within_the_window_keeps_the_token_it_replaces(tree):
    apply_changes(plan_changes(hook(tree, 600), now=NOW), passing)
    rotate(tree, 'New_token_1')
    apply_changes(plan_changes(hook(tree, 600), now=NOW), passing)
    rotate(tree, 'New_token_2')
    apply_changes(plan_changes(hook(tree, 600), now=NOW + 100), passing)
    previous = (tree / 'sites' / 'hook.previous.map').read_text()
    assert map_tokens(previous) == ('New_token_1', 'New_token_2') and grace_until(previous) == NOW + 700


@pytest.mark.parametrize('content', [
    '"~^Other_token$" "Other_token";\n',  # no end stamp
    '# until %d\n"~^Other_token$" "Not_the_current";\n' % (NOW + 60),  # passes on a token that is not current
    '# until %d\n"~^%s$" "%s";\n' % (NOW + 60, TOKEN, TOKEN),  # the current token itself
    '# until %d\n"~^Other_token$" "%s";\n' % (NOW + 99999, TOKEN),  # ends later than the window allows
])
def test_a_grace_file_that_does_not_fit_the_current_token_is_removed(tree, content):
    apply_changes(plan_changes(hook(tree, 600), now=NOW), passing)
    (tree / 'sites' / 'hook.previous.map').write_text(content)
    changes = plan_changes(hook(tree, 600), now=NOW)
    assert [(c['path'].rsplit('/', 1)[1], c['action']) for c in changes] == [('hook.previous.map', 'remove')]


def test_the_older_map_entries_are_read_and_an_upgrade_is_no_rotation(tree):
    (tree / 'sites' / 'hook.map').write_text('"~^%s$" 1;\n' % TOKEN)
    assert map_tokens((tree / 'sites' / 'hook.map').read_text()) == (TOKEN, TOKEN)
    changes = plan_changes(hook(tree, 600), now=NOW)
    assert [(c['path'].rsplit('/', 1)[1], c['action']) for c in changes] == [('hook.map', 'write')]


def test_a_failing_test_puts_back_the_grace_file_too(tree):
    apply_changes(plan_changes(hook(tree, 600), now=NOW), passing)
    rotate(tree, 'New_token_1')
    with pytest.raises(NginxTestFailed):
        apply_changes(plan_changes(hook(tree, 600), now=NOW), failing)
    assert not (tree / 'sites' / 'hook.previous.map').exists()
    assert map_tokens((tree / 'sites' / 'hook.map').read_text())[0] == TOKEN


def test_check_mode_before_the_secret_exists_judges_no_grace_file(tree):
    os.unlink(str(tree / 'secret'))
    (tree / 'sites' / 'hook.previous.map').write_text('# until %d\n"~^Old$" "New";\n' % (NOW + 60))
    changes = plan_changes(hook(tree, 600), check_mode=True, now=NOW)
    assert [c['path'].rsplit('/', 1)[1] for c in changes] == ['hook.map']


@pytest.mark.parametrize('extra, words', [
    (dict(grace=-1), 'grace must be whole seconds, 0 or more'),
    (dict(grace=True), 'grace must be whole seconds'),
    (dict(grace='10m'), 'grace must be whole seconds'),
    (dict(previous='relative.map'), 'is not an absolute path'),
])
def test_malformed_grace_settings_are_refused(tree, extra, words):
    with pytest.raises(ConfigError, match=words):
        plan_changes(hook(tree, 600, override=extra), now=NOW)


def test_a_grace_file_needs_a_secret_and_its_own_path(tree):
    with pytest.raises(ConfigError, match='previous .a grace file. needs secret_from'):
        plan_changes([dict(path=str(tree / 'nginx.conf'), content='x', previous=str(tree / 'p.map'))])
    with pytest.raises(ConfigError, match='previous must be another file'):
        plan_changes(hook(tree, 600, previous=str(tree / 'sites' / 'hook.map')))
    with pytest.raises(ConfigError, match='both wanted and to be removed'):
        plan_changes(hook(tree, 600), absent=[str(tree / 'sites' / 'hook.previous.map')])
