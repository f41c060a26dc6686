# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""managed_files logic against real files in tmp_path."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import grp
import os
import pwd
import stat
import sys

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.files import (
    CONTENT_NOT_RETURNED,
    FilesError,
    apply,
    diff_for,
    diffs_for,
    inspect,
    manage,
    normalise_entries,
    normalise_entry,
    parse_mode,
    plan,
    redact_params,
    run_subprocess,
    validate_args,
)

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
CHECKER = '%s -c "import sys; sys.exit(0 if open(sys.argv[1]).read().startswith(\'ok\') else 3)" %%s' % sys.executable


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def converge(entry, run_command=None):
    """normalise, inspect, plan, apply: the actions taken."""
    norm = normalise_entry(entry)
    actions = plan(norm, inspect(norm['path']))
    apply(norm, actions, run_command)
    return actions


class Recorder(object):
    """A run_command stub: records argv and the candidate's content, answers rc/out/err."""

    def __init__(self, rc=0, out='', err=''):
        self.rc, self.out, self.err = rc, out, err
        self.calls = []

    def __call__(self, args):
        candidate = args[-1]
        with open(candidate, 'rb') as handle:
            self.calls.append((list(args), handle.read(), stat.S_IMODE(os.stat(candidate).st_mode)))
        return self.rc, self.out, self.err


# --- normalise_entry ---------------------------------------------------------------------------

def test_normalise_defaults_and_resolution(tmp_path):
    entry = normalise_entry(dict(path=str(tmp_path / 'a' / '..' / 'a.conf'), content='x\n', owner=ME,
                                 group=str(os.getgid()), mode='0640'))
    assert entry['path'] == str(tmp_path / 'a.conf')
    assert entry['state'] == 'file'
    assert entry['uid'] == os.getuid()
    assert entry['gid'] == os.getgid()
    assert entry['mode'] == 0o640
    assert entry['validate'] is None


def test_normalise_accepts_module_style_entry_with_nones(tmp_path):
    entry = normalise_entry(dict(path=str(tmp_path / 'x'), state='absent', content=None, owner=None,
                                 group=None, mode=None, validate=None))
    assert entry['state'] == 'absent'
    assert entry['uid'] is None and entry['mode'] is None


@pytest.mark.parametrize('mode', ['644', '0o644', '0648', 'rw-r--r--', 'u=rw', '0', '012345', '', 420, True])
def test_bad_mode_refused(tmp_path, mode):
    path = str(tmp_path / 'a.conf')
    with pytest.raises(ValueError) as exc:
        normalise_entry(dict(path=path, content='x', mode=mode))
    assert path in str(exc.value)
    assert 'mode' in str(exc.value)
    assert '"0644"' in str(exc.value)


def test_unquoted_yaml_mode_is_explained():
    with pytest.raises(ValueError, match='decimal 420'):
        parse_mode(420, '/etc/x')


@pytest.mark.parametrize('mode, bits', [('0644', 0o644), ('0750', 0o750), ('01777', 0o1777), ('04755', 0o4755)])
def test_good_modes(mode, bits):
    assert parse_mode(mode) == bits


@pytest.mark.parametrize('path', ['etc/app.conf', './a.conf', 'a.conf', '~/a.conf'])
def test_relative_path_refused(path):
    with pytest.raises(ValueError, match='relative') as exc:
        normalise_entry(dict(path=path, content='x'))
    assert path in str(exc.value)


@pytest.mark.parametrize('entry', [dict(content='x'), dict(path='', content='x'), dict(path=None, content='x'), 'a.conf'])
def test_missing_path_refused(entry):
    with pytest.raises(ValueError, match='path'):
        normalise_entry(entry)


def test_unknown_owner_refused(tmp_path):
    path = str(tmp_path / 'a.conf')
    with pytest.raises(ValueError) as exc:
        normalise_entry(dict(path=path, content='x', owner='no-such-user-4f2a'))
    assert path in str(exc.value)
    assert "owner 'no-such-user-4f2a' does not exist" in str(exc.value)


def test_unknown_group_refused(tmp_path):
    with pytest.raises(ValueError, match="group 'no-such-group-4f2a' does not exist"):
        normalise_entry(dict(path=str(tmp_path / 'a'), content='x', group='no-such-group-4f2a'))


def test_numeric_owner_needs_no_passwd_entry(tmp_path):
    entry = normalise_entry(dict(path=str(tmp_path / 'a'), content='x', owner='54321', group='54322'))
    assert (entry['uid'], entry['gid']) == (54321, 54322)


@pytest.mark.parametrize('entry, match', [
    (dict(state='file'), 'state=file needs content'),
    (dict(state='directory', content='x'), "state 'directory' is not valid"),
    (dict(state='absent', content='x'), 'state=absent removes the file; remove content'),
    (dict(state='absent', mode='0644'), 'remove mode'),
    (dict(state='attributes'), 'needs at least one of owner, group, mode'),
    (dict(state='attributes', mode='0644', content='x'), 'remove content'),
    (dict(state='attributes', mode='0644', validate='/bin/true %s'), 'remove validate'),
    (dict(content='x', validate='/bin/true'), 'with %s where the candidate file goes'),
    (dict(content='x', validate='%s --check'), 'must start with a command'),
    (dict(content='x', validate='/bin/check "%s'), 'cannot be split'),
    (dict(content=b'x'), 'content must be text'),
    (dict(content='x', color='red'), 'unknown field'),
])
def test_inconsistent_entries_refused(tmp_path, entry, match):
    path = str(tmp_path / 'a.conf')
    with pytest.raises(ValueError, match=match) as exc:
        normalise_entry(dict(entry, path=path))
    assert path in str(exc.value)


def test_duplicate_paths_refused(tmp_path):
    path = str(tmp_path / 'a.conf')
    with pytest.raises(ValueError, match='listed twice'):
        normalise_entries([dict(path=path, content='x'), dict(path=path + '/../a.conf', content='y')])


# --- inspect / plan / apply --------------------------------------------------------------------

def test_write_new_file(tmp_path):
    path = tmp_path / 'a.conf'
    actions = converge(dict(path=str(path), content='hello\nwörld\n', mode='0640'))
    assert actions == ['write', 'chmod']
    assert path.read_bytes() == u'hello\nwörld\n'.encode('utf-8')
    assert mode_of(path) == 0o640
    assert sorted(os.listdir(str(tmp_path))) == ['a.conf']


def test_new_file_without_mode_follows_umask(tmp_path):
    path = tmp_path / 'a.conf'
    mask = os.umask(0o027)
    try:
        assert converge(dict(path=str(path), content='x')) == ['write']
    finally:
        os.umask(mask)
    assert mode_of(path) == 0o640


def test_unchanged_gives_no_actions(tmp_path):
    entry = dict(path=str(tmp_path / 'a.conf'), content='x\n', owner=ME, group=MY_GROUP, mode='0600')
    converge(entry)
    before = os.stat(entry['path'])
    assert converge(entry) == []
    after = os.stat(entry['path'])
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_content_change_keeps_existing_mode(tmp_path):
    path = tmp_path / 'a.conf'
    path.write_text('old\n')
    os.chmod(str(path), 0o604)
    assert converge(dict(path=str(path), content='new\n')) == ['write']
    assert path.read_text() == 'new\n'
    assert mode_of(path) == 0o604
    assert sorted(os.listdir(str(tmp_path))) == ['a.conf']


def test_mode_change_only(tmp_path):
    path = tmp_path / 'a.conf'
    path.write_text('same\n')
    os.chmod(str(path), 0o644)
    inode = os.stat(str(path)).st_ino
    assert converge(dict(path=str(path), content='same\n', mode='0600')) == ['chmod']
    assert mode_of(path) == 0o600
    assert os.stat(str(path)).st_ino == inode


@pytest.mark.skipif(os.geteuid() != 0, reason='chown to another user needs root')
def test_owner_change_only_as_root(tmp_path):
    path = tmp_path / 'a.conf'
    path.write_text('same\n')
    os.chmod(str(path), 0o4755)
    assert converge(dict(path=str(path), content='same\n', owner='nobody')) == ['chown']
    assert os.stat(str(path)).st_uid == pwd.getpwnam('nobody').pw_uid
    assert mode_of(path) == 0o4755


@pytest.mark.skipif(os.geteuid() != 0, reason='chown to another user needs root')
def test_write_sets_owner_on_candidate_before_replace(tmp_path):
    path = tmp_path / 'a.conf'
    recorder = Recorder()
    nobody = pwd.getpwnam('nobody').pw_uid

    def run(args):
        assert os.stat(args[-1]).st_uid == nobody
        return recorder(args)
    assert converge(dict(path=str(path), content='x', owner='nobody', mode='0600', validate='/bin/check %s'),
                    run) == ['write', 'chown', 'chmod']
    assert os.stat(str(path)).st_uid == nobody
    assert recorder.calls[0][2] == 0o600


def test_absent_removes_and_missing_is_noop(tmp_path):
    path = tmp_path / 'a.conf'
    path.write_text('x')
    assert converge(dict(path=str(path), state='absent')) == ['remove']
    assert not path.exists()
    assert converge(dict(path=str(path), state='absent')) == []


def test_absent_removes_dangling_link_not_directory(tmp_path):
    link = tmp_path / 'link'
    os.symlink(str(tmp_path / 'gone'), str(link))
    assert converge(dict(path=str(link), state='absent')) == ['remove']
    assert not os.path.lexists(str(link))
    with pytest.raises(ValueError, match='is a directory'):
        converge(dict(path=str(tmp_path), state='absent'))
    assert tmp_path.is_dir()


def test_attributes_on_directory(tmp_path):
    directory = tmp_path / 'd'
    directory.mkdir()
    os.chmod(str(directory), 0o755)
    entry = dict(path=str(directory), state='attributes', mode='0750', owner=ME)
    assert converge(entry) == ['chmod']
    assert mode_of(directory) == 0o750
    assert converge(entry) == []


def test_attributes_on_missing_path_fails(tmp_path):
    with pytest.raises(ValueError, match='does not exist: state=attributes'):
        converge(dict(path=str(tmp_path / 'missing'), state='attributes', mode='0600'))
    assert not (tmp_path / 'missing').exists()


def test_file_state_refuses_directory_and_missing_parent(tmp_path):
    (tmp_path / 'd').mkdir()
    with pytest.raises(ValueError, match='is a directory'):
        converge(dict(path=str(tmp_path / 'd'), content='x'))
    with pytest.raises(ValueError, match='parent directory .* does not exist'):
        converge(dict(path=str(tmp_path / 'nope' / 'a.conf'), content='x'))


def test_symlink_is_followed_for_content(tmp_path):
    target = tmp_path / 'real.conf'
    target.write_text('old\n')
    link = tmp_path / 'link.conf'
    os.symlink(str(target), str(link))
    assert converge(dict(path=str(link), content='new\n')) == ['write']
    assert os.path.islink(str(link))
    assert target.read_text() == 'new\n'


def test_inspect_reports_state(tmp_path):
    path = tmp_path / 'a.conf'
    assert inspect(str(path))['exists'] is False
    path.write_bytes(b'\xff\x00')
    os.chmod(str(path), 0o640)
    current = inspect(str(path))
    assert current['exists'] and current['is_file'] and not current['is_dir']
    assert current['content'] == b'\xff\x00'
    assert (current['uid'], current['gid'], current['mode']) == (os.getuid(), os.getgid(), 0o640)
    folder = inspect(str(tmp_path))
    assert folder['is_dir'] and folder['content'] is None


def test_plan_is_pure():
    entry = normalise_entry(dict(path='/nonexistent-dir-4f2a/a.conf', content='x\n', mode='0644'))
    current = dict(exists=True, is_link=False, is_dir=False, is_file=True, content=b'x\n', uid=0, gid=0, mode=0o600)
    assert plan(entry, current) == ['chmod']
    assert plan(entry, dict(current, content=b'y\n', mode=0o644)) == ['write']
    assert plan(entry, dict(current, content=None, mode=0o644)) == ['write']
    missing = dict(exists=False, is_link=False, is_dir=False, is_file=False, content=None, uid=None, gid=None,
                   mode=None, parent_is_dir=True)
    assert plan(entry, missing) == ['write', 'chmod']


# --- validate ----------------------------------------------------------------------------------

def test_validate_success_with_stub(tmp_path):
    path = tmp_path / 'sshd.conf'
    recorder = Recorder()
    assert converge(dict(path=str(path), content='Port 22\n', mode='0600',
                         validate='/usr/sbin/sshd -t -f %s'), recorder) == ['write', 'chmod']
    args, seen, seen_mode = recorder.calls[0]
    assert args[:3] == ['/usr/sbin/sshd', '-t', '-f']
    assert os.path.dirname(args[3]) == str(tmp_path)
    assert seen == b'Port 22\n'
    assert seen_mode == 0o600
    assert path.read_text() == 'Port 22\n'
    assert sorted(os.listdir(str(tmp_path))) == ['sshd.conf']


def test_validate_success_with_real_subprocess(tmp_path):
    path = tmp_path / 'a.conf'
    assert converge(dict(path=str(path), content='ok\n', validate=CHECKER)) == ['write']
    assert path.read_text() == 'ok\n'


def test_validate_failure_leaves_old_file_byte_identical(tmp_path):
    path = tmp_path / 'sshd.conf'
    original = b'Port 22\n\xe2\x9c\x93\n'
    path.write_bytes(original)
    os.chmod(str(path), 0o600)
    before = os.stat(str(path))
    recorder = Recorder(rc=255, err='line 1: Bad configuration option: Prot\n')
    with pytest.raises(FilesError) as exc:
        converge(dict(path=str(path), content='Prot 22\n', mode='0644', validate='/usr/sbin/sshd -t -f %s'), recorder)
    message = str(exc.value)
    assert str(path) in message
    assert 'Bad configuration option: Prot' in message
    assert 'rc 255' in message
    assert path.read_bytes() == original
    after = os.stat(str(path))
    assert (after.st_ino, stat.S_IMODE(after.st_mode)) == (before.st_ino, 0o600)
    assert sorted(os.listdir(str(tmp_path))) == ['sshd.conf']


def test_validate_failure_with_real_subprocess(tmp_path):
    path = tmp_path / 'a.conf'
    path.write_text('ok old\n')
    with pytest.raises(FilesError, match='rejected the new content'):
        converge(dict(path=str(path), content='bad\n', validate=CHECKER))
    assert path.read_text() == 'ok old\n'
    assert sorted(os.listdir(str(tmp_path))) == ['a.conf']


def test_validate_command_missing_is_reported_and_cleaned(tmp_path):
    path = tmp_path / 'a.conf'
    with pytest.raises(FilesError, match='could not run'):
        converge(dict(path=str(path), content='x', validate='/nonexistent/checker-4f2a %s'), run_subprocess)
    assert os.listdir(str(tmp_path)) == []


def test_validate_args_substitute_inside_words():
    assert validate_args('/usr/sbin/nginx -t -c "%s" -g "pid /tmp/x.pid;"', '/etc/.a b') == [
        '/usr/sbin/nginx', '-t', '-c', '/etc/.a b', '-g', 'pid /tmp/x.pid;']
    assert validate_args('/usr/bin/check --file=%s', '/t') == ['/usr/bin/check', '--file=/t']


# --- diff and manage ---------------------------------------------------------------------------

def test_diff_content(tmp_path):
    path = tmp_path / 'a.conf'
    path.write_bytes(b'old\n\xff\n')
    entry = normalise_entry(dict(path=str(path), content='new\n'))
    diff = diff_for(entry, inspect(str(path)))
    assert diff == dict(before=u'old\n\ufffd\n', after='new\n', before_header=str(path), after_header=str(path))
    missing = normalise_entry(dict(path=str(tmp_path / 'b.conf'), content='b\n'))
    assert diff_for(missing, inspect(missing['path']))['before'] == ''
    gone = normalise_entry(dict(path=str(path), state='absent'))
    assert diff_for(gone, inspect(str(path)))['after'] == ''


def test_hidden_diff_has_no_content(tmp_path):
    path = tmp_path / 'secret.env'
    path.write_text('PASSWORD=old-s3kr1t\n')
    os.chmod(str(path), 0o644)
    entry = normalise_entry(dict(path=str(path), content='PASSWORD=new-s3kr1t\n', mode='0600'))
    current = inspect(str(path))
    diffs = diffs_for(entry, current, plan(entry, current), hide_content=True)
    assert len(diffs) == 1
    assert 's3kr1t' not in repr(diffs)
    assert diffs[0]['before']['mode'] == '0644' and diffs[0]['after']['mode'] == '0600'
    assert diffs[0]['after']['content'] == 'hidden, changed'


def test_check_mode_plans_without_writing(tmp_path):
    existing = tmp_path / 'a.conf'
    existing.write_text('old\n')
    os.chmod(str(existing), 0o644)
    doomed = tmp_path / 'b.conf'
    doomed.write_text('bye\n')
    files = [dict(path=str(existing), content='new\n', mode='0600'),
             dict(path=str(tmp_path / 'c.conf'), content='c\n', validate='/bin/false %s'),
             dict(path=str(doomed), state='absent')]

    def never(args):
        raise AssertionError('validate must not run in check mode: %r' % (args,))
    result = manage(files, run_command=never, check_mode=True, want_diff=True)
    assert result['changed'] is True
    assert result['changed_paths'] == [str(existing), str(tmp_path / 'c.conf'), str(doomed)]
    assert [item['actions'] for item in result['results']] == [['write', 'chmod'], ['write'], ['remove']]
    assert existing.read_text() == 'old\n' and mode_of(existing) == 0o644
    assert doomed.read_text() == 'bye\n'
    assert sorted(os.listdir(str(tmp_path))) == ['a.conf', 'b.conf']
    assert [d['after'] for d in result['diff'] if isinstance(d['after'], str)] == ['new\n', 'c\n', '']


def test_manage_converges_then_reports_nothing(tmp_path):
    files = [dict(path=str(tmp_path / ('%d.conf' % n)), content='%d\n' % n, mode='0640') for n in range(15)]
    first = manage(files)
    assert first['changed'] and len(first['changed_paths']) == 15
    second = manage(files, want_diff=True)
    assert second == dict(changed=False, changed_paths=[], diff=[],
                          results=[dict(path=f['path'], state='file', actions=[]) for f in files])
    assert 'content' not in repr(first['results'])


def test_manage_refuses_everything_when_one_entry_is_bad(tmp_path):
    good = tmp_path / 'good.conf'
    files = [dict(path=str(good), content='x'), dict(path=str(tmp_path / 'bad.conf'), content='y', mode='644')]
    with pytest.raises(ValueError, match='bad.conf: mode'):
        manage(files)
    assert not good.exists()
    files[1] = dict(path=str(tmp_path / 'missing'), state='attributes', mode='0600')
    with pytest.raises(ValueError, match='missing does not exist'):
        manage(files)
    assert not good.exists()


def test_manage_failure_reports_what_was_done(tmp_path):
    first = tmp_path / 'first.conf'
    files = [dict(path=str(first), content='1\n'),
             dict(path=str(tmp_path / 'second.conf'), content='2\n', validate='/bin/check %s')]
    with pytest.raises(FilesError) as exc:
        manage(files, run_command=Recorder(rc=1, err='nope'))
    assert exc.value.result['changed_paths'] == [str(first)]
    assert first.read_text() == '1\n'
    assert not (tmp_path / 'second.conf').exists()


def test_redact_params_hides_content():
    params = dict(hide_content=False, files=[dict(path='/a', content='secret', mode=None), dict(path='/b', content=None)])
    redacted = redact_params(params)
    assert redacted['files'][0]['content'] == CONTENT_NOT_RETURNED
    assert redacted['files'][1]['content'] is None
    assert params['files'][0]['content'] == 'secret'


def test_check_mode_plans_the_mode_of_a_file_a_package_would_bring(tmp_path):
    wanted = [dict(path=str(tmp_path / 'crontab'), state='attributes', mode='0600')]
    result = manage(wanted, check_mode=True)
    assert result['changed'] and result['results'][0]['actions'] == ['chmod']
    assert not (tmp_path / 'crontab').exists()
    with pytest.raises(ValueError, match='does not exist: state=attributes'):
        manage(wanted)


def test_check_mode_plans_a_write_under_a_directory_an_earlier_task_would_create(tmp_path):
    wanted = [dict(path=str(tmp_path / 'nope' / 'a.conf'), content='x', mode='0644')]
    result = manage(wanted, check_mode=True)
    assert result['changed'] and result['results'][0]['actions'][0] == 'write'
    assert not (tmp_path / 'nope').exists()
    with pytest.raises(ValueError, match='parent directory .* does not exist'):
        manage(wanted)
