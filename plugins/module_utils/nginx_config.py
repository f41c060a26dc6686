# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change a set of nginx configuration files as one transaction checked by nginx -t.

nginx reads its configuration only when it starts or reloads, and `nginx -t` can only
test the whole tree (an included file alone is not a configuration). So the new files
are put in place together, the whole configuration is tested, and when the test fails
every file is put back as it was, byte for byte, owner and mode included. The running
nginx never sees the candidate; the caller reloads only after a passing test.

Plain functions that take data and a test function, so pytest runs them in a temporary
directory with a fake `nginx -t`.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import errno
import fcntl
import grp
import os
import pwd
import re
import stat
import tempfile

# What Telegram accepts as a webhook secret token: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_TOKEN = re.compile(r'^[A-Za-z0-9_-]{1,256}$')
SECRET_SHOWN = '(secret content from %s: not shown)\n'


class ConfigError(Exception):
    """A file set that cannot be applied; the message names the file and what is wrong."""


class NginxTestFailed(Exception):
    """nginx -t rejected the candidate; the files were put back."""

    def __init__(self, message, output):
        super(NginxTestFailed, self).__init__(message)
        self.output = output


# ---------------------------------------------------------------- secrets

def read_secret_token(path, label=None):
    """The token held in a secret file (surrounding white space removed). Raises ConfigError.

    The message never contains the file's content.
    """
    where = '%s (%s)' % (path, label) if label else path
    try:
        with open(path, 'rb') as handle:
            raw = handle.read(4096)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            raise ConfigError('the secret file %s does not exist; the secrets role writes it' % where)
        raise ConfigError('the secret file %s cannot be read: %s' % (where, exc.strerror))
    try:
        token = raw.decode('ascii').strip()
    except UnicodeDecodeError:
        token = None
    if not token or not SECRET_TOKEN.match(token):
        raise ConfigError(
            'the secret file %s does not hold a Telegram secret token (1-256 characters A-Z, a-z, 0-9, _ and -); '
            'nginx cannot compare the header with it' % where)
    return token


def secret_map_entry(token):
    """An nginx `map` entry that gives 1 for exactly this header value (a regex: plain map keys ignore case)."""
    return '"~^%s$" 1;\n' % token


# ---------------------------------------------------------------- planning

def resolve_owner(owner):
    """A uid from a user name or number; None when not given. Raises ConfigError."""
    if owner is None:
        return None
    if str(owner).isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise ConfigError('user %s does not exist on the host' % owner)


def resolve_group(group):
    """A gid from a group name or number; None when not given. Raises ConfigError."""
    if group is None:
        return None
    if str(group).isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ConfigError('group %s does not exist on the host' % group)


def parse_mode(mode):
    """An octal mode string ('0644') as an int; None when not given. Raises ConfigError."""
    if mode is None:
        return None
    text = str(mode)
    if not re.match(r'^0?[0-7]{3,4}$', text):
        raise ConfigError('mode %r is not an octal mode such as "0644"' % (mode,))
    return int(text, 8)


def read_current(path):
    """What is at path now: None when nothing, else dict(content=bytes, mode, uid, gid). Raises ConfigError."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise ConfigError('%s cannot be read: %s' % (path, exc.strerror))
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError('%s is not a regular file; the role manages regular files only' % path)
    with open(path, 'rb') as handle:
        content = handle.read()
    return dict(content=content, mode=stat.S_IMODE(info.st_mode), uid=info.st_uid, gid=info.st_gid)


def plan_changes(files, absent=(), check_mode=False):
    """Compare the wanted files with the host; return the list of changes to make.

    files: dicts with path, and content (text) or secret_from (a secret file: the content
    is its map entry), optional owner, group, mode, label. absent: paths to remove.
    Each change: dict(path, action ('write' or 'remove'), content (bytes or None), secret,
    uid, gid, mode, current (see read_current), diff). In check mode a missing secret file
    counts as a change instead of an error (the secrets role would write it first).
    """
    seen = set()
    changes = []
    for entry in files:
        path = entry['path']
        if not os.path.isabs(path):
            raise ConfigError('%s is not an absolute path' % path)
        if path in seen:
            raise ConfigError('%s is given twice' % path)
        seen.add(path)
        secret = entry.get('secret_from') is not None
        if secret:
            try:
                content = secret_map_entry(read_secret_token(entry['secret_from'], entry.get('label'))).encode('ascii')
            except ConfigError:
                if not check_mode or os.path.exists(entry['secret_from']):
                    raise
                content = None
        else:
            content = (entry.get('content') or '').encode('utf-8')
        if not os.path.isdir(os.path.dirname(path)):
            if check_mode:
                changes.append(_change(path, 'write', entry, content, None, None))
                continue
            raise ConfigError('the directory of %s does not exist' % path)
        uid = resolve_owner(entry.get('owner'))
        gid = resolve_group(entry.get('group'))
        mode = parse_mode(entry.get('mode'))
        current = read_current(path)
        if current is not None and content == current['content'] \
                and uid in (None, current['uid']) and gid in (None, current['gid']) and mode in (None, current['mode']):
            continue
        changes.append(_change(path, 'write', entry, content, current, (uid, gid, mode)))
    for path in absent or ():
        if path in seen:
            raise ConfigError('%s is both wanted and to be removed' % path)
        current = read_current(path)
        if current is not None:
            changes.append(_change(path, 'remove', {}, None, current, (None, None, None)))
    return changes


def _change(path, action, entry, content, current, attrs):
    uid, gid, mode = attrs or (None, None, None)
    secret = entry.get('secret_from') is not None
    change = dict(path=path, action=action, content=content, secret=secret, uid=uid, gid=gid, mode=mode,
                  current=current)
    change['diff'] = _diff(change, entry.get('secret_from'))
    return change


def _text(data):
    return data.decode('utf-8', 'replace') if data is not None else ''


def _diff(change, secret_from):
    before = change['current']
    if change['secret']:
        hidden = SECRET_SHOWN % secret_from
        return dict(before_header=change['path'], after_header=change['path'],
                    before=hidden if before is not None else '',
                    after=hidden + ('(changed)\n' if before is not None else ''))
    return dict(before_header=change['path'], after_header=change['path'],
                before=_text(before['content']) if before is not None else '',
                after=_text(change['content']) if change['action'] == 'write' else '')


# ---------------------------------------------------------------- applying

def write_atomically(path, content, uid=None, gid=None, mode=None):
    """Replace path with content through a temporary file in the same directory."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644 if mode is None else mode)
        if uid is not None or gid is not None:
            os.chown(tmp, -1 if uid is None else uid, -1 if gid is None else gid)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _apply_one(change):
    if change['action'] == 'remove':
        os.unlink(change['path'])
        return
    current = change['current'] or {}
    write_atomically(
        change['path'], change['content'],
        uid=change['uid'] if change['uid'] is not None else current.get('uid'),
        gid=change['gid'] if change['gid'] is not None else current.get('gid'),
        mode=change['mode'] if change['mode'] is not None else current.get('mode'))


def _restore(applied):
    """Put back what was there before each applied change, newest first; return the paths that failed."""
    failed = []
    for change in reversed(applied):
        current = change['current']
        try:
            if current is None:
                if os.path.lexists(change['path']):
                    os.unlink(change['path'])
            else:
                write_atomically(change['path'], current['content'], current['uid'], current['gid'], current['mode'])
        except OSError:
            failed.append(change['path'])
    return failed


def apply_changes(changes, run_test):
    """Put every change in place, run the test; when it fails, put every file back and raise NginxTestFailed.

    run_test() returns (rc, stdout, stderr). Raises ConfigError when writing fails (after
    putting back what was written).
    """
    applied = []
    try:
        for change in changes:
            _apply_one(change)
            applied.append(change)
    except OSError as exc:
        failed = _restore(applied)
        raise ConfigError('writing %s failed (%s); the files written before it were put back%s' % (
            getattr(exc, 'filename', None) or '?', exc.strerror or exc,
            '' if not failed else ', except %s' % ', '.join(failed)))
    rc, out, err = run_test()
    if rc != 0:
        failed = _restore(applied)
        output = '\n'.join(part.strip() for part in (err, out) if part and part.strip())
        raise NginxTestFailed(
            'nginx -t rejected the new configuration, so nothing was reloaded and the previous files are back%s: %s'
            % ('' if not failed else ' (except %s)' % ', '.join(failed), output or 'no output, exit code %d' % rc),
            output)
    return [change['path'] for change in changes]


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock on path (created when missing) for the duration of the block."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
