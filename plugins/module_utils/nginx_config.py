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
import os
import re
import stat
import time

from ansible_collections.stackops.hardened.plugins.module_utils import files

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


def secret_map_entry(token, forward=None):
    """An nginx `map` entry for exactly this header value (a regex: plain map keys ignore case).

    Its value is the token passed on to the upstream: the token itself, or during a grace
    window the current token for the previous one (so the bot, which knows only the current
    token, accepts what Telegram still sends with the old one).
    """
    return '"~^%s$" "%s";\n' % (token, forward or token)


_ENTRY = re.compile(r'^"~\^([A-Za-z0-9_-]{1,256})\$" +(?:"([A-Za-z0-9_-]{1,256})"|1);$', re.M)
_UNTIL = re.compile(r'^# until ([0-9]{1,12})\b')


def map_tokens(content):
    """(token matched, token passed on) of a map entry file, or (None, None); also reads the older "1;" entries."""
    if not content:
        return None, None
    match = _ENTRY.search(content.decode('ascii', 'replace') if isinstance(content, bytes) else content)
    if not match:
        return None, None
    return match.group(1), match.group(2) or match.group(1)


def previous_content(old_token, new_token, until):
    """The grace file: when it ends (epoch seconds, first line), and the old token passed on as the new one."""
    stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(until))
    return ('# until %d (%s): the previous webhook token, accepted until then and passed on as the current one\n'
            % (until, stamp)) + secret_map_entry(old_token, new_token)


def grace_until(content):
    """The epoch second a grace file ends, or None when it does not say."""
    match = _UNTIL.match(content.decode('ascii', 'replace') if isinstance(content, bytes) else (content or ''))
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------- planning

def _attributes(entry, path):
    """(uid, gid, mode) of an entry through the collection's one owner resolver and mode parser. ConfigError."""
    try:
        return (files.resolve_owner(entry.get('owner'), path), files.resolve_group(entry.get('group'), path),
                None if entry.get('mode') is None else files.parse_mode(entry.get('mode'), path))
    except files.FileSpecError as exc:
        raise ConfigError(str(exc)) from None


def read_current(path):
    """What is at path now: None when nothing, else dict(content=bytes, mode, uid, gid). Raises ConfigError."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise ConfigError('%s cannot be read: %s' % (path, exc.strerror))
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError('%s is not a regular file; the role manages regular files only' % path)
    try:
        with open(path, 'rb') as handle:
            content = handle.read()
    except OSError as exc:
        raise ConfigError('%s cannot be read: %s' % (path, exc.strerror or exc))
    return dict(content=content, mode=stat.S_IMODE(info.st_mode), uid=info.st_uid, gid=info.st_gid)


def plan_changes(wanted, absent=(), check_mode=False, now=None):
    """Compare the wanted files with the host; return the list of changes to make.

    files: dicts with path, and content (text) or secret_from (a secret file: the content
    is its map entry), optional owner, group, mode, label. absent: paths to remove.
    Each change: dict(path, action ('write' or 'remove'), content (bytes or None), secret,
    uid, gid, mode, current (see read_current), diff). In check mode a missing secret file
    counts as a change instead of an error (the secrets role would write it first).

    A secret entry with `previous` (a path) and `grace` (seconds) keeps a grace file there:
    when the token changes, the token it replaces is written to it, accepted for `grace`
    seconds from now (see previous_content); a grace file that ended, that no longer
    matches the current token, or whose entry has no grace any more is removed.
    """
    now = int(time.time() if now is None else now)
    seen = set()
    changes = []
    if not isinstance(wanted, (list, tuple)):
        raise ConfigError('files must be a list of {path, content or secret_from, owner, group, mode, label}, got %s'
                          % type(wanted).__name__)
    if not isinstance(absent, (list, tuple)):
        raise ConfigError('absent must be a list of absolute paths, got %s' % type(absent).__name__)
    for index, entry in enumerate(wanted):
        entry = _checked_entry(entry, index)
        path = entry['path']
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
            _attributes(entry, path)
            if check_mode:
                changes.append(_change(path, 'write', entry, content, None, None))
                continue
            raise ConfigError('the directory of %s does not exist' % path)
        uid, gid, mode = _attributes(entry, path)
        current = read_current(path)
        grace = None
        if secret and entry.get('previous') is not None:
            if entry['previous'] in seen:
                raise ConfigError('%s is given twice' % entry['previous'])
            seen.add(entry['previous'])
            grace = _previous_change(entry, content, current, now)
        if current is None or content != current['content'] \
                or uid not in (None, current['uid']) or gid not in (None, current['gid']) or mode not in (None, current['mode']):
            changes.append(_change(path, 'write', entry, content, current, (uid, gid, mode)))
        if grace is not None:
            changes.append(grace)
    for index, path in enumerate(absent or ()):
        path = _checked_path(path, 'absent[%d]' % index)
        if path in seen:
            raise ConfigError('%s is both wanted and to be removed' % path)
        current = read_current(path)
        if current is not None:
            changes.append(_change(path, 'remove', {}, None, current, (None, None, None)))
    return changes


FIELDS = ('path', 'content', 'secret_from', 'owner', 'group', 'mode', 'label', 'previous', 'grace')


def _previous_change(entry, content, current, now):
    """The change of an entry's grace file (write, remove) or None; see plan_changes."""
    if content is None:
        return None  # check mode, before the secrets role wrote the secret: nothing to judge yet
    where = entry['previous']
    existing = read_current(where)
    grace = entry.get('grace') or 0
    new_token = map_tokens(content)[0]
    old_token = map_tokens(current['content'])[0] if current is not None else None
    spec = dict(secret_from=entry['secret_from'], owner=entry.get('owner'), group=entry.get('group'),
                mode=entry.get('mode'))
    if grace > 0 and old_token and old_token != new_token:
        change = _change(where, 'write', spec, previous_content(old_token, new_token, now + grace).encode('ascii'),
                         existing, _attributes(spec, where))
        change['until'] = now + grace
    elif existing is None:
        return None
    else:
        until = grace_until(existing['content'])
        matched, passed_on = map_tokens(existing['content'])
        if grace > 0 and until is not None and now < until <= now + grace and passed_on == new_token \
                and matched not in (None, new_token):
            return None  # still in its window
        change = _change(where, 'remove', spec, None, existing, (None, None, None))
        change['until'] = None
    change['grace_of'] = entry['path']
    return change


def _checked_path(path, where):
    if not isinstance(path, str) or not path.strip():
        raise ConfigError('%s must be an absolute path such as /etc/nginx/stackops/sites/api.conf, got %s'
                          % (where, type(path).__name__ if not isinstance(path, str) else 'an empty string'))
    if '\x00' in path:
        raise ConfigError('%s %r holds a NUL character: give an absolute path' % (where, path))
    if not os.path.isabs(path):
        raise ConfigError('%s is not an absolute path' % path)
    path = os.path.normpath(path)
    if path.startswith('//'):
        path = '/' + path.lstrip('/')
    if path == '/':
        raise ConfigError('%s is the root directory: name a file' % where)
    return path


def _checked_entry(entry, index):
    """A copy of one files entry with its path normalised; ConfigError naming the entry and the field."""
    where = 'files[%d]' % index
    if not isinstance(entry, dict):
        raise ConfigError('%s must be a dict with path and content or secret_from, got %s' % (where, type(entry).__name__))
    unknown = sorted(str(key) for key in entry if key not in FIELDS)
    if unknown:
        raise ConfigError('%s has unknown field(s) %s; accepted: %s' % (where, ', '.join(unknown), ', '.join(FIELDS)))
    entry = dict(entry)
    entry['path'] = _checked_path(entry.get('path'), where + '.path')
    path = entry['path']
    if (entry.get('content') is None) == (entry.get('secret_from') is None):
        raise ConfigError('%s needs exactly one of content and secret_from' % path)
    if entry.get('content') is not None:
        if not isinstance(entry['content'], str):
            raise ConfigError('%s: content must be text (a string), got %s' % (path, type(entry['content']).__name__))
        try:
            entry['content'].encode('utf-8')
        except UnicodeError:
            raise ConfigError('%s: content holds characters UTF-8 cannot encode (lone surrogates)' % path) from None
    if entry.get('secret_from') is not None:
        entry['secret_from'] = _checked_path(entry['secret_from'], '%s: secret_from' % path)
    if entry.get('previous') is not None:
        if entry.get('secret_from') is None:
            raise ConfigError('%s: previous (a grace file) needs secret_from' % path)
        entry['previous'] = _checked_path(entry['previous'], '%s: previous' % path)
        if entry['previous'] == path:
            raise ConfigError('%s: previous must be another file than the entry itself' % path)
    grace = entry.get('grace')
    if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int) or grace < 0):
        raise ConfigError('%s: grace must be whole seconds, 0 or more, got %r' % (path, grace))
    label = entry.get('label')
    if label is not None and not isinstance(label, str):
        raise ConfigError('%s: label must be text, got %s' % (path, type(label).__name__))
    return entry


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

def _apply_one(change):
    if change['action'] == 'remove':
        try:
            os.unlink(change['path'])
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise files.FilesError('%s: could not remove: %s' % (change['path'], exc.strerror or exc)) from exc
        return
    current = change['current'] or {}
    mode = change['mode'] if change['mode'] is not None else current.get('mode')
    files.write_atomic(
        change['path'], change['content'],
        uid=change['uid'] if change['uid'] is not None else current.get('uid'),
        gid=change['gid'] if change['gid'] is not None else current.get('gid'),
        mode=0o644 if mode is None else mode, follow_symlinks=False)


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
                files.write_atomic(change['path'], current['content'], uid=current['uid'], gid=current['gid'],
                                   mode=current['mode'], follow_symlinks=False)
        except (OSError, files.FilesError):
            failed.append(change['path'])
    return failed


def _describe(exc):
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def apply_changes(changes, run_test):
    """Put every change in place, run the test; when it fails, put every file back and raise NginxTestFailed.

    run_test() returns (rc, stdout, stderr). Whatever fails once the first file is written
    (a write, a removal, the test itself, an interruption) puts back every file written
    before it, byte for byte with owner and mode, and raises ConfigError (or re-raises an
    interruption after the files are back).
    """
    applied = []
    step = None
    try:
        for change in changes:
            step = change
            applied.append(change)
            _apply_one(change)
        step = None
        rc, out, err = run_test()
        if not isinstance(rc, int) or isinstance(rc, bool):
            raise ConfigError('the test command returned no exit code')
    except (KeyboardInterrupt, SystemExit):
        _restore(applied)
        raise
    except Exception as exc:  # pylint: disable=broad-except
        failed = _restore(applied)
        if step is not None:
            what = '%s %s failed (%s)' % ('removing' if step['action'] == 'remove' else 'writing', step['path'],
                                          _describe(exc))
        else:
            what = 'running the nginx test failed (%s)' % _describe(exc)
        raise ConfigError('%s; every file changed before it was put back%s' % (
            what, '' if not failed else ', except %s' % ', '.join(failed))) from exc
    if rc != 0:
        failed = _restore(applied)
        output = '\n'.join(part.strip() for part in (err, out) if isinstance(part, str) and part.strip())
        raise NginxTestFailed(
            'nginx -t rejected the new configuration, so nothing was reloaded and the previous files are back%s: %s'
            % ('' if not failed else ' (except %s)' % ', '.join(failed), output or 'no output, exit code %d' % rc),
            output)
    return [change['path'] for change in changes]


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock on path (created when missing) for the duration of the block."""
    directory = os.path.dirname(path)
    try:
        if directory and not os.path.isdir(directory):
            os.makedirs(directory)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except (OSError, ValueError) as exc:
        raise ConfigError('lock_file %s cannot be created: %s' % (path, getattr(exc, 'strerror', None) or exc))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
