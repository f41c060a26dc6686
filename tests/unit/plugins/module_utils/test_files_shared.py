# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one writer, mode parser and owner resolver of files.py, as managed_files, nginx_config and the secret store use them."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils import files, nginx_config
from ansible_collections.stackops.hardened.plugins.module_utils.files import (
    FileSpecError,
    FilesError,
    MAX_ID,
    normalise_entry,
    parse_id,
    parse_mode,
    resolve_id,
    write_atomic,
)
from ansible_collections.stackops.hardened.plugins.module_utils.nginx_config import (
    ConfigError,
    NginxTestFailed,
    apply_changes,
    plan_changes,
)
from ansible_collections.stackops.hardened.plugins.module_utils.secret_store import SecretError, sync_store


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------- the mode parser, everywhere alike

@pytest.mark.parametrize('mode, hint', [
    (420, 'decimal 420'),
    ('420', 'no leading zero'),
    ('644', 'no leading zero'),
    ('0o644', ''),
    ('0648', ''),
    ('٠٦٤٤', ''),
    ([0o644], ''),
    (True, ''),
])
def test_every_writer_refuses_the_same_modes(tmp_path, mode, hint):
    path = str(tmp_path / 'a.conf')
    with pytest.raises(FileSpecError) as managed:
        normalise_entry(dict(path=path, content='x', mode=mode))
    with pytest.raises(ConfigError) as nginx:
        plan_changes([dict(path=path, content='x', mode=mode)])
    for message in (str(managed.value), str(nginx.value)):
        assert path in message and 'mode' in message and '"0644"' in message
        assert hint in message
    assert not os.path.exists(path)


def test_mode_with_trailing_newline_is_not_accepted():
    # '0644\n'.strip() is a mode: white space around it is forgiven, nothing else.
    assert parse_mode(' 0644 ') == 0o644
    with pytest.raises(FileSpecError):
        parse_mode('0644x')


# ---------------------------------------------------------------- the owner resolver

@pytest.mark.parametrize('value', [2 ** 32, 2 ** 32 - 1, 2 ** 40, '4294967296', '99999999999999999999', -1])
def test_ids_out_of_range_refused(value):
    with pytest.raises(FileSpecError, match='out of range|not valid|not a numeric') as exc:
        resolve_id(value, 'owner', '/etc/a.conf')
    assert '/etc/a.conf' in str(exc.value) and 'owner' in str(exc.value)


@pytest.mark.parametrize('value', ['٣', '³', '１２', '1\n2', '12\x00', 'a b', 'x' * 300, '../root', 1.5, [0], None])
def test_unicode_digits_and_odd_names_refused(value):
    with pytest.raises(FileSpecError) as exc:
        resolve_id(value, 'group', '/etc/a.conf')
    assert 'group' in str(exc.value)


def test_ids_in_range_accepted():
    assert parse_id('0') == 0
    assert parse_id(MAX_ID) == MAX_ID
    assert resolve_id(' 10001 ', 'owner', 'x') == 10001
    assert resolve_id('root', 'owner', 'x') == 0


@pytest.mark.parametrize('owner', [2 ** 32, '4294967296', '٣'])
def test_nginx_config_and_store_bound_ids_too(tmp_path, owner):
    with pytest.raises(ConfigError, match='owner'):
        plan_changes([dict(path=str(tmp_path / 'a.conf'), content='x', owner=owner)])
    with pytest.raises(SecretError, match='secret db has owner|out of range'):
        sync_store(str(tmp_path / 'store'), [dict(name='db', value='x', owners=['%s:0' % owner])])
    assert not os.path.exists(str(tmp_path / 'store'))


# ---------------------------------------------------------------- the writer

def test_writer_sets_mode_before_the_rename_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = str(tmp_path / 'a.conf')
    seen = {}
    real_replace = os.replace

    def replace(src, dst):
        seen['mode'] = mode_of(src)
        seen['dir'] = os.path.dirname(src)
        return real_replace(src, dst)

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(files.os, 'replace', replace)
    monkeypatch.setattr(files.os, 'fsync', lambda fd: synced.append(fd) or real_fsync(fd))
    write_atomic(path, b'data', mode=0o600)
    assert seen == dict(mode=0o600, dir=str(tmp_path))
    assert len(synced) == 2  # the file, then its directory
    assert open(path).read() == 'data' and os.listdir(str(tmp_path)) == ['a.conf']


def test_writer_failure_leaves_the_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / 'a.conf'
    path.write_text('old')

    def boom(fd, mode):
        raise OSError(1, 'Operation not permitted')

    monkeypatch.setattr(files.os, 'fchmod', boom)
    with pytest.raises(FilesError, match='a.conf: could not write: Operation not permitted'):
        write_atomic(str(path), 'new', mode=0o644)
    assert path.read_text() == 'old' and os.listdir(str(tmp_path)) == ['a.conf']


def test_writer_replaces_a_symlink_when_told_not_to_follow(tmp_path):
    target = tmp_path / 'elsewhere'
    target.write_text('keep')
    link = tmp_path / 'link'
    os.symlink(str(target), str(link))
    write_atomic(str(link), 'new', mode=0o400, follow_symlinks=False)
    assert target.read_text() == 'keep' and not os.path.islink(str(link)) and link.read_text() == 'new'


def test_all_three_use_the_one_writer():
    from ansible_collections.stackops.hardened.plugins.module_utils import secret_store
    for module in (nginx_config, secret_store):
        assert not hasattr(module, 'tempfile'), module.__name__
        assert module.files is files


# ---------------------------------------------------------------- nginx_config: the transaction holds for every error

@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'sites').mkdir()
    (tmp_path / 'main.conf').write_text('old main\n')
    os.chmod(str(tmp_path / 'main.conf'), 0o640)
    (tmp_path / 'sites' / 'a.conf').write_text('old a\n')
    (tmp_path / 'sites' / 'gone.conf').write_text('old gone\n')
    return tmp_path


def snapshot(root):
    state = {}
    for directory, dummy, names in os.walk(str(root)):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, 'rb') as handle:
                state[path] = (handle.read(), mode_of(path))
    return state


def wanted(tree):
    files_ = [dict(path=str(tree / 'main.conf'), content='new main\n', mode='0644'),
              dict(path=str(tree / 'sites' / 'a.conf'), content='new a\n'),
              dict(path=str(tree / 'sites' / 'b.conf'), content='new b\n', mode='0600')]
    return files_, [str(tree / 'sites' / 'gone.conf')]


@pytest.mark.parametrize('step', [0, 1, 2, 3])
@pytest.mark.parametrize('error', [OSError(28, 'No space left on device'), FilesError('disk gone'),
                                   RuntimeError('unexpected'), ValueError('odd')])
def test_a_failure_at_any_step_puts_every_file_back(tree, monkeypatch, step, error):
    before = snapshot(tree)
    changes = plan_changes(*wanted(tree))
    assert len(changes) == 4
    calls = []
    real_apply = nginx_config._apply_one

    def failing_apply(change):
        calls.append(change['path'])
        if len(calls) == step + 1:
            if step == 3:
                real_apply(change)  # the removal happens, then something fails
            raise error
        real_apply(change)

    monkeypatch.setattr(nginx_config, '_apply_one', failing_apply)
    with pytest.raises(ConfigError) as exc:
        apply_changes(changes, lambda: (0, '', ''))
    assert 'put back' in str(exc.value)
    assert snapshot(tree) == before


@pytest.mark.parametrize('test', [
    lambda: (step for step in ()).throw(OSError(2, 'No such file or directory')),
    lambda: (step for step in ()).throw(RuntimeError('killed')),
    lambda: (None, '', ''),
    lambda: (1, '', 'nginx: [emerg] bad'),
])
def test_a_failing_or_broken_test_puts_every_file_back(tree, test):
    before = snapshot(tree)
    with pytest.raises((ConfigError, NginxTestFailed)):
        apply_changes(plan_changes(*wanted(tree)), test)
    assert snapshot(tree) == before


def test_an_interruption_puts_every_file_back_and_is_raised(tree):
    before = snapshot(tree)

    def interrupted():
        raise KeyboardInterrupt()

    with pytest.raises(KeyboardInterrupt):
        apply_changes(plan_changes(*wanted(tree)), interrupted)
    assert snapshot(tree) == before


def test_a_failing_writer_puts_back_what_it_wrote(tree, monkeypatch):
    before = snapshot(tree)
    real = files.write_atomic
    count = []

    def flaky(path, data, **kwargs):
        count.append(path)
        if len(count) == 3:
            raise FilesError('%s: could not write: No space left on device' % path)
        return real(path, data, **kwargs)

    monkeypatch.setattr(files, 'write_atomic', flaky)
    with pytest.raises(ConfigError, match='b.conf'):
        apply_changes(plan_changes(*wanted(tree)), lambda: (0, '', ''))
    assert snapshot(tree) == before


# ---------------------------------------------------------------- nginx_config: malformed entries are named

@pytest.mark.parametrize('entries, absent, message', [
    ('x', [], 'files must be a list'),
    ([['path']], [], r'files\[0\] must be a dict'),
    ([dict(path=7, content='x')], [], r'files\[0\].path must be an absolute path'),
    ([dict(path='/tmp/a\x00b', content='x')], [], 'NUL'),
    ([dict(path='/tmp/a.conf', content=['x'])], [], 'content must be text'),
    ([dict(path='/tmp/a.conf', content='x', secret_from='/tmp/s')], [], 'exactly one of content and secret_from'),
    ([dict(path='/tmp/a.conf')], [], 'exactly one of content and secret_from'),
    ([dict(path='/tmp/a.conf', content='x', colour='red')], [], 'unknown field'),
    ([dict(path='/tmp/a.conf', content='\udc80')], [], 'UTF-8'),
    ([dict(path='/tmp//a.conf', content='x'), dict(path='/tmp/./a.conf', content='y')], [], 'given twice'),
    ([], 'x', 'absent must be a list'),
    ([], [None], r'absent\[0\] must be an absolute path'),
])
def test_malformed_nginx_entries_refused(entries, absent, message):
    with pytest.raises(ConfigError, match=message):
        plan_changes(entries, absent)
