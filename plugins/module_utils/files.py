# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage a list of small files in one pass: content, owner, group and mode, or removal.

normalise_entry() checks one entry and resolves owner/group names; inspect() reads what is
on disk; plan() compares the two and returns the actions (pure); apply() performs them,
writing atomically (temp file in the same directory, fsync, owner/mode, optional validate
command, then os.replace). manage() ties these together for the module: every entry is
checked and planned before anything is touched.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections.abc import Mapping
import grp
import os
import pwd
import re
import shlex
import stat
import subprocess
import tempfile


FIELDS = ('path', 'state', 'content', 'owner', 'group', 'mode', 'validate')
STATES = ('file', 'absent', 'attributes')
ACTIONS = ('write', 'remove', 'chown', 'chmod')
CONTENT_NOT_RETURNED = '(content not returned)'

_MODE = re.compile(r'0[0-7]{3,4}')


class FilesError(Exception):
    """A planned change could not be made. The message names the path; `result` holds what was done."""

    def __init__(self, msg, result=None):
        super(FilesError, self).__init__(msg)
        self.result = result


class FileSpecError(ValueError):
    """An entry, owner, group or mode that is not valid; the message names the path and the field."""


# The largest uid/gid a file can have: ids are 32-bit and (uid_t)-1 means "leave unchanged" to chown.
MAX_ID = 2 ** 32 - 2
_ASCII_DIGITS = re.compile(r'[0-9]+')
_NAME = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]*[$]?')


def parse_id(value, field='owner', path='owner'):
    """A uid/gid from a number (an int or ASCII digits), bounds-checked. FileSpecError naming path and field."""
    if isinstance(value, bool):
        raise FileSpecError('%s: %s %r is not valid: use a name or a numeric id from 0 to %d' % (path, field, value, MAX_ID))
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise FileSpecError('%s: %s %r is not a numeric id: use digits 0-9 only, from 0 to %d'
                            % (path, field, value, MAX_ID))
    if not 0 <= number <= MAX_ID:
        raise FileSpecError('%s: %s %s is out of range: numeric ids go from 0 to %d' % (path, field, number, MAX_ID))
    return number


def resolve_id(value, field, path):
    """uid (field 'owner') or gid (field 'group') for a name or a numeric id. FileSpecError naming it when unknown."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FileSpecError('%s: %s %r is not valid: use a name or a numeric id' % (path, field, value))
    if isinstance(value, int):
        return parse_id(value, field, path)
    text = value.strip()
    if not text:
        raise FileSpecError('%s: %s is empty: use a name or a numeric id, or leave it out' % (path, field))
    if _ASCII_DIGITS.fullmatch(text):
        return parse_id(text, field, path)
    if not _NAME.fullmatch(text) or len(text) > 256:
        raise FileSpecError('%s: %s %r is not valid: use a user or group name (letters, digits, _, . or -) or a '
                            'numeric id of ASCII digits from 0 to %d' % (path, field, text, MAX_ID))
    database = 'user' if field == 'owner' else 'group'
    try:
        if field == 'owner':
            return pwd.getpwnam(text).pw_uid
        return grp.getgrnam(text).gr_gid
    except KeyError:
        raise FileSpecError('%s: %s %r does not exist on this host (no such %s); use an existing %s name or a numeric id'
                            % (path, field, text, database, database)) from None


def resolve_owner(value, path='owner'):
    """uid of a user name or numeric id; None when not given."""
    return None if value is None else resolve_id(value, 'owner', path)


def resolve_group(value, path='group'):
    """gid of a group name or numeric id; None when not given."""
    return None if value is None else resolve_id(value, 'group', path)


def parse_mode(value, path='mode'):
    """Permission bits from an octal string with a leading zero, '0644' or '01777'. FileSpecError otherwise.

    A number is refused: an unquoted YAML 0644 arrives as the integer 420 (or, through an
    option of type str, the text "420"), and reading it as octal would apply mode 0644's
    neighbour 0420.
    """
    if isinstance(value, str) and _MODE.fullmatch(value.strip()):
        return int(value.strip(), 8)
    hint = ''
    if isinstance(value, int) and not isinstance(value, bool):
        hint = 'an unquoted YAML number such as 0644 arrives as the decimal %d; ' % value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value.strip()) and not value.strip().startswith('0'):
        hint = ('%s has no leading zero: an unquoted YAML number such as 0644 arrives as the decimal 420; '
                % value.strip())
    shown = value if isinstance(value, (str, int)) else type(value).__name__
    raise FileSpecError('%s: mode %r is not valid: %suse a quoted octal string with a leading zero, e.g. "0644" or '
                        '"0750"' % (path, shown, hint))


def format_mode(mode):
    """'0644' for 0o644, None for None."""
    return None if mode is None else '%04o' % mode


def normalise_entry(entry):
    """Checked copy of one files entry, with uid/gid resolved and mode as an int.

    Returns a dict with path, state, content, owner, group, mode (int), uid, gid, validate.
    Raises ValueError naming the path and the field that is wrong.
    """
    if not isinstance(entry, Mapping):
        raise FileSpecError('files entry %r is not a dict: each entry needs at least path' % (entry,))
    path = entry.get('path')
    if not isinstance(path, str) or not path.strip():
        raise FileSpecError('files entry %r has no path: path is required, an absolute path such as /etc/app/app.conf'
                            % (dict(entry),))
    unknown = sorted(str(key) for key in entry if key not in FIELDS)
    if unknown:
        raise FileSpecError('%s: unknown field(s) %s; accepted: %s' % (path, ', '.join(unknown), ', '.join(FIELDS)))
    if '\x00' in path:
        raise FileSpecError('%r: path holds a NUL character: give an absolute path such as /etc/app/app.conf' % path)
    if not os.path.isabs(path):
        raise FileSpecError('%s: path is relative: use an absolute path such as /etc/app/app.conf' % path)
    path = os.path.normpath(path)
    if path in ('/', '//'):
        raise FileSpecError('%s: path is the root directory: name a file' % path)

    state = entry.get('state')
    if state is None:
        state = 'file'
    if state not in STATES:
        raise FileSpecError('%s: state %r is not valid: use one of %s' % (path, state, ', '.join(STATES)))

    content = entry.get('content')
    if content is not None and not isinstance(content, str):
        raise FileSpecError('%s: content must be text (a string), got %s' % (path, type(content).__name__))
    if content is not None:
        try:
            content.encode('utf-8')
        except UnicodeError:
            raise FileSpecError('%s: content is not valid text (it holds characters UTF-8 cannot encode, such as '
                                'lone surrogates)' % path) from None

    validate = entry.get('validate')
    if validate is not None:
        if isinstance(validate, str) and '\x00' in validate:
            raise FileSpecError('%s: validate holds a NUL character: give a command such as "/usr/sbin/sshd -t -f %%s"'
                                % path)
        if not isinstance(validate, str) or '%s' not in validate:
            raise FileSpecError('%s: validate %r is not valid: give a command with %%s where the candidate file goes, '
                                'e.g. "/usr/sbin/sshd -t -f %%s"' % (path, validate))
        try:
            words = shlex.split(validate)
        except ValueError as exc:
            raise FileSpecError('%s: validate %r cannot be split into words: %s' % (path, validate, exc)) from None
        if not words or '%s' in words[0]:
            raise FileSpecError('%s: validate %r must start with a command, with %%s as one of its arguments'
                                % (path, validate))

    mode = None if entry.get('mode') is None else parse_mode(entry.get('mode'), path)
    uid = None if entry.get('owner') is None else resolve_id(entry.get('owner'), 'owner', path)
    gid = None if entry.get('group') is None else resolve_id(entry.get('group'), 'group', path)

    given = [field for field in ('content', 'owner', 'group', 'mode', 'validate') if entry.get(field) is not None]
    if state == 'file' and content is None:
        raise FileSpecError('%s: state=file needs content; to change only owner, group or mode of an existing file '
                            'use state=attributes' % path)
    if state == 'absent' and given:
        raise FileSpecError('%s: state=absent removes the file; remove %s from this entry'
                            % (path, ', '.join(given)))
    if state == 'attributes':
        extra = [field for field in ('content', 'validate') if field in given]
        if extra:
            raise FileSpecError('%s: state=attributes changes only owner, group and mode; remove %s from this entry '
                                'or use state=file' % (path, ', '.join(extra)))
        if uid is None and gid is None and mode is None:
            raise FileSpecError('%s: state=attributes needs at least one of owner, group, mode' % path)

    return dict(
        path=path,
        state=state,
        content=content,
        owner=None if entry.get('owner') is None else str(entry.get('owner')).strip(),
        group=None if entry.get('group') is None else str(entry.get('group')).strip(),
        mode=mode,
        uid=uid,
        gid=gid,
        validate=validate,
    )


def normalise_entries(entries):
    """normalise_entry() for each entry; ValueError on the first bad one or on a path given twice."""
    if not isinstance(entries, (list, tuple)):
        raise FileSpecError('files must be a list of entries, got %s' % type(entries).__name__)
    result = []
    seen = {}
    for index, raw in enumerate(entries):
        entry = normalise_entry(raw)
        if entry['path'] in seen:
            raise FileSpecError('%s is listed twice (entries %d and %d): give each path once'
                                % (entry['path'], seen[entry['path']] + 1, index + 1))
        seen[entry['path']] = index
        result.append(entry)
    return result


def inspect(path):
    """What is at `path` now, following a symlink.

    Returns a dict: exists, is_link, is_dir, is_file, content (bytes of a readable regular
    file, else None), uid, gid, mode (permission bits), parent_is_dir (of the real target).
    """
    current = dict(exists=False, is_link=os.path.islink(path), is_dir=False, is_file=False, content=None,
                   uid=None, gid=None, mode=None, parent_is_dir=os.path.isdir(os.path.dirname(os.path.realpath(path))))
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return current
    current.update(exists=True, is_dir=stat.S_ISDIR(st.st_mode), is_file=stat.S_ISREG(st.st_mode),
                   uid=st.st_uid, gid=st.st_gid, mode=stat.S_IMODE(st.st_mode))
    if current['is_file']:
        try:
            with open(path, 'rb') as handle:
                current['content'] = handle.read()
        except OSError:
            current['content'] = None
    return current


def _content_bytes(entry):
    return entry['content'].encode('utf-8')


def plan(entry, current, check_mode=False):
    """Actions that bring `current` (from inspect) to `entry` (from normalise_entry): a list, empty when in step.

    Possible actions: 'write' (content), 'remove', 'chown', 'chmod'. Raises ValueError when the
    entry cannot be applied to what is there (a directory for state=file, missing for
    state=attributes, a missing parent directory). In check mode a missing parent directory is
    planned as a write, and the owner and mode of a missing path as chown and chmod: on a
    fresh host the task before (a package, a directory) has only reported that it would
    create it.
    """
    path = entry['path']
    state = entry['state']
    if state == 'absent':
        if current.get('is_dir') and not current.get('is_link'):
            raise FileSpecError('%s is a directory: state=absent removes files and links only' % path)
        return ['remove'] if current.get('exists') or current.get('is_link') else []

    if not current.get('exists'):
        if state == 'attributes' and check_mode:
            # A package the task before would install brings the file; in check mode that task
            # has only reported it would, so the owner and mode are planned, not refused.
            return [action for action, wanted in (('chown', entry['uid'] is not None or entry['gid'] is not None),
                                                  ('chmod', entry['mode'] is not None)) if wanted]
        if state == 'attributes':
            raise FileSpecError('%s does not exist: state=attributes only changes owner, group or mode of an existing '
                                'file or directory (use state=file with content to create it)' % path)
        if not current.get('parent_is_dir', True) and not check_mode:
            raise FileSpecError('%s: parent directory %s does not exist; create it first'
                                % (path, os.path.dirname(path)))
        actions = ['write']
        if entry['uid'] is not None or entry['gid'] is not None:
            actions.append('chown')
        if entry['mode'] is not None:
            actions.append('chmod')
        return actions

    actions = []
    if state == 'file':
        if current.get('is_dir'):
            raise FileSpecError('%s is a directory: state=file manages regular files' % path)
        if not current.get('is_file', True):
            raise FileSpecError('%s is not a regular file (a device, socket or FIFO): refusing to replace it' % path)
        if current.get('content') != _content_bytes(entry):
            actions.append('write')
    if ((entry['uid'] is not None and entry['uid'] != current.get('uid'))
            or (entry['gid'] is not None and entry['gid'] != current.get('gid'))):
        actions.append('chown')
    if entry['mode'] is not None and entry['mode'] != current.get('mode'):
        actions.append('chmod')
    return actions


def validate_args(validate, candidate):
    """argv for a validate command, with %s replaced by the candidate file in each word."""
    return [word.replace('%s', candidate) for word in shlex.split(validate)]


def run_subprocess(args):
    """(rc, stdout, stderr) of `args` run without a shell; the default run_command of apply()."""
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace')


def _current_umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _discard(name):
    try:
        os.unlink(name)
    except OSError:
        pass


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path, data, mode=None, uid=None, gid=None, validate=None, label=None, follow_symlinks=True):
    """Replace `path` (the file a symlink there points to) with `data`, atomically; FilesError naming it on failure.

    The one writer of the collection: a temporary file in the same directory gets the data,
    is flushed and fsynced, gets its owner, group and mode (the given ones, else those of the
    file it replaces, else the umask's default and the writer's own), is checked by
    validate(temporary path) when given (it raises FilesError to refuse), and only then is
    renamed over the file; the directory is fsynced after the rename. On any failure the
    temporary file is removed and the file is as it was. With follow_symlinks=False a symlink at
    `path` is replaced by the file instead of being followed.
    """
    where = label or path
    if isinstance(data, str):
        data = data.encode('utf-8')
    target = os.path.realpath(path) if follow_symlinks and os.path.islink(path) else path
    directory = os.path.dirname(target) or '.'
    try:
        st = os.stat(target) if follow_symlinks or not os.path.islink(target) else None
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise FilesError('%s: could not read its current state: %s' % (where, exc.strerror or exc)) from exc
    uid = uid if uid is not None else (st.st_uid if st else -1)
    gid = gid if gid is not None else (st.st_gid if st else -1)
    if mode is None:
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_current_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(target), suffix='.tmp', dir=directory)
    except OSError as exc:
        raise FilesError('%s: could not create a temporary file in %s: %s'
                         % (where, directory, exc.strerror or exc)) from exc
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            made = os.fstat(handle.fileno())
            if (uid != -1 and uid != made.st_uid) or (gid != -1 and gid != made.st_gid):
                os.fchown(handle.fileno(), uid, gid)
            os.fchmod(handle.fileno(), mode)
        if validate is not None:
            validate(tmp)
        os.replace(tmp, target)
    except FilesError:
        _discard(tmp)
        raise
    except OSError as exc:
        _discard(tmp)
        raise FilesError('%s: could not write: %s' % (where, exc.strerror or exc)) from exc
    except BaseException:
        _discard(tmp)
        raise
    _fsync_dir(directory)


def _write(entry, run_command):
    path = entry['path']

    def validate(tmp):
        args = validate_args(entry['validate'], tmp)
        try:
            rc, out, err = run_command(args)
        except OSError as exc:
            raise FilesError('%s: validate command %r could not run: %s; the file was left unchanged'
                             % (path, entry['validate'], exc)) from exc
        if rc != 0:
            detail = (err or '').strip() or (out or '').strip() or 'no output'
            raise FilesError('%s: validate command %r rejected the new content (rc %d); the file was left '
                             'unchanged: %s' % (path, entry['validate'], rc, detail))

    write_atomic(path, _content_bytes(entry), mode=entry['mode'], uid=entry['uid'], gid=entry['gid'],
                 validate=validate if entry['validate'] else None)


def apply(entry, actions, run_command=None):
    """Perform `actions` (from plan) for `entry`. Raises FilesError naming the path.

    'write' replaces the file atomically, with owner/group/mode (the requested ones, else
    those of the file it replaces) set on the temp file and the validate command run on it
    first; 'remove' unlinks; 'chown'/'chmod' change an existing file or directory.
    run_command(args) -> (rc, stdout, stderr) runs the validate command; default run_subprocess.
    """
    if not actions:
        return
    unknown = [action for action in actions if action not in ACTIONS]
    if unknown:
        raise FileSpecError('%s: unknown action(s) %s' % (entry['path'], ', '.join(unknown)))
    path = entry['path']
    if 'remove' in actions:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise FilesError('%s: could not remove: %s' % (path, exc)) from exc
        return
    if 'write' in actions:
        _write(entry, run_command or run_subprocess)
        return
    try:
        before = os.stat(path)
        if 'chown' in actions:
            os.chown(path, -1 if entry['uid'] is None else entry['uid'], -1 if entry['gid'] is None else entry['gid'])
        if 'chmod' in actions:
            os.chmod(path, entry['mode'])
        elif stat.S_IMODE(os.stat(path).st_mode) != stat.S_IMODE(before.st_mode):
            # chown clears setuid/setgid bits; keep the mode when it was not asked to change
            os.chmod(path, stat.S_IMODE(before.st_mode))
    except OSError as exc:
        raise FilesError('%s: could not change %s: %s' % (path, ' and '.join(actions), exc)) from exc


def _text(data):
    if data is None:
        return ''
    return data.decode('utf-8', 'replace')


def diff_for(entry, current):
    """Content diff for Ansible: before/after text and the path as both headers."""
    before = _text(current.get('content')) if current.get('exists') else ''
    if entry['state'] == 'absent':
        after = ''
    elif entry['state'] == 'file':
        after = entry['content']
    else:
        after = before
    return dict(before=before, after=after, before_header=entry['path'], after_header=entry['path'])


def _id_name(lookup, ident):
    """Name of a uid or gid through pwd.getpwuid or grp.getgrgid (field 0 of both); the number when unknown."""
    if ident is None:
        return None
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def _kind(current):
    if not current.get('exists'):
        return 'absent'
    return 'directory' if current.get('is_dir') else 'file'


def state_diff(entry, current, actions, hide_content=False):
    """Diff of path state, owner, group and mode (and, hidden, whether content changes) as dicts."""
    before = dict(path=entry['path'], state=_kind(current))
    after = dict(path=entry['path'], state='absent' if 'remove' in actions else
                 (_kind(current) if current.get('exists') else 'file'))
    if current.get('exists'):
        before.update(owner=_id_name(pwd.getpwuid, current.get('uid')), group=_id_name(grp.getgrgid, current.get('gid')),
                      mode=format_mode(current.get('mode')))
    if after['state'] != 'absent':
        after.update(
            owner=_id_name(pwd.getpwuid, entry['uid']) if entry['uid'] is not None else before.get('owner'),
            group=_id_name(grp.getgrgid, entry['gid']) if entry['gid'] is not None else before.get('group'),
            mode=format_mode(entry['mode']) if entry['mode'] is not None else before.get('mode'),
        )
        after = dict((key, value) for key, value in after.items() if value is not None)
    if hide_content and 'write' in actions:
        if current.get('exists'):
            before['content'] = 'hidden'
        after['content'] = 'hidden, changed'
    return dict(before=before, after=after, before_header=entry['path'], after_header=entry['path'])


def diffs_for(entry, current, actions, hide_content=False):
    """The diffs shown for one changed entry: content as text unless hidden, attributes as dicts."""
    diffs = []
    content_change = 'write' in actions or 'remove' in actions
    if content_change and not hide_content:
        diffs.append(diff_for(entry, current))
    if 'chown' in actions or 'chmod' in actions or (content_change and hide_content):
        diffs.append(state_diff(entry, current, actions, hide_content=hide_content))
    return diffs


def manage(raw_entries, run_command=None, check_mode=False, want_diff=False, hide_content=False):
    """Check and plan every entry, then (unless check_mode) apply them in order.

    Returns dict(changed, changed_paths, results=[{path, state, actions}], diff=[...]).
    Raises ValueError before anything is touched when an entry is bad or cannot be applied;
    FilesError (with .result: what was done before it) when a change fails.
    """
    entries = normalise_entries(raw_entries)
    planned = []
    for entry in entries:
        current = inspect(entry['path'])
        planned.append((entry, current, plan(entry, current, check_mode=check_mode)))

    result = dict(changed=False, changed_paths=[], results=[], diff=[])
    for entry, current, actions in planned:
        if actions and not check_mode:
            try:
                apply(entry, actions, run_command)
            except FilesError as exc:
                exc.result = result
                raise
        result['results'].append(dict(path=entry['path'], state=entry['state'], actions=list(actions)))
        if actions:
            result['changed'] = True
            result['changed_paths'].append(entry['path'])
            if want_diff:
                result['diff'].extend(diffs_for(entry, current, actions, hide_content=hide_content))
    return result


def redact_params(params):
    """Copy of the module parameters with every content replaced, for the returned invocation."""
    redacted = dict(params)
    files = []
    for entry in params.get('files') or []:
        if isinstance(entry, Mapping):
            entry = dict(entry)
            if entry.get('content') is not None:
                entry['content'] = CONTENT_NOT_RETURNED
        files.append(entry)
    redacted['files'] = files
    return redacted
