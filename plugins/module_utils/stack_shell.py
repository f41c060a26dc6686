# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Commands of a stack description read as a POSIX shell reads them, for the policy gate.

``shell_words`` splits text into words and operators with shlex's POSIX quoting rules (single
and double quotes, backslashes, comments, ``$(...)``) in one linear pass, so a 30 KB command is
read in milliseconds. ``parse`` builds lists, and-or chains, pipelines, groups and the compound commands (if, case,
while, until, for) from them;
``health_verdict`` says whether a healthcheck test can fail at all, ``simple_commands`` yields
every command a text runs (through ``sh -c``, ``exec``, ``env``, ``timeout``…), for the rules
that look for development servers and secrets on command lines.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import posixpath
import re

try:
    from functools import lru_cache
except ImportError:  # pragma: no cover - Python 2
    def lru_cache(maxsize=None):  # pylint: disable=unused-argument
        return lambda function: function

from ansible_collections.stackops.hardened.plugins.module_utils.stack_model import StackError, is_text

MAX_DEPTH = 24

_TOKEN = re.compile(r"""
    [ \t\r\f\v]*
    (?:(?P<comment>\#[^\n]*)
     | (?P<nl>\n)
     | (?P<op>\|\||&&|;;|\|&|[|&;()])
     | (?P<redir>[0-9]*(?:&>>|&>|>>|>&|<&|>\||<>|<<-|<<|<|>))
     | (?P<word>(?:[^\s'"\\|&;()<>`$]+
                 |'[^']*'
                 |"(?:[^"\\]|\\.)*"
                 |\\.
                 |`[^`]*`
                 |\$\((?:[^()'"]|'[^']*'|"(?:[^"\\]|\\.)*"|\([^()]*\))*\)
                 |\$)+)
     | (?P<bad>.))
""", re.X | re.S)
_SEGMENT = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|([^'"\\]+)""", re.S)
_DQ_ESCAPE = re.compile(r'\\([$`"\\\n])')

ALWAYS, TRIVIAL, PROBE, FAIL = 0, 1, 2, 3
SUCCEEDS = 'always succeeds'
TURNS = 'turns every failure into success'
PROCESS = 'only checks that a process exists'
VERSION = 'only prints a version'

SHELLS = ('sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox-sh')
ALWAYS_COMMANDS = ('true', ':', 'echo', 'printf', 'sleep', 'yes', 'logger', 'touch')
PROCESS_COMMANDS = ('pgrep', 'pidof', 'ps', 'pstree', 'top', 'htop', 'pgrep.exe')
LOOKUP_COMMANDS = ('which', 'type', 'whereis', 'id', 'whoami', 'hostname', 'uname', 'date', 'env', 'printenv',
                   'pwd', 'uptime', 'nproc', 'arch', 'ldd', 'hash')
FILE_COMMANDS = ('test', '[', '[[', 'ls', 'stat', 'cat', 'readlink', 'realpath', 'file', 'head', 'tail')
# The last command of a pipeline whose status is that of the one before it (they judge its output).
FILTERS = ('grep', 'egrep', 'fgrep', 'rg', 'awk', 'gawk', 'mawk', 'jq', 'yq', 'test', '[')
# Commands that succeed whatever they read: a pipe into them hides the status of what came before.
PASSTHROUGH = ('cat', 'tee', 'head', 'tail', 'cut', 'tr', 'sort', 'uniq', 'wc', 'sed', 'rev', 'nl', 'fold',
               'column', 'base64', 'od', 'xxd', 'tac', 'less', 'more', 'true', ':', 'echo', 'printf', 'logger',
               'xargs', 'dd')
VERSION_FLAGS = ('--version', '-version', '-v', '-V', 'version', '--Version', '-vv')
# Places that exist in every container: a test that looks at them proves nothing.
ALWAYS_THERE = ('/', '/proc', '/sys', '/dev', '/etc', '/bin', '/sbin', '/usr', '/lib', '/lib64', '/tmp', '/var',
                '/run', '/root', '/home', '/opt', '/srv', '/mnt', '/media')


# Reserved words that open a compound command where a command starts.
COMPOUND = ('if', 'while', 'until', 'for', 'case')


class ShellError(StackError):
    """Text that cannot be read as shell words (an unclosed quote, nesting beyond reason)."""


# ---------------------------------------------------------------- words

def _unquote(word):
    out = []
    for match in _SEGMENT.finditer(word):
        single, double, escaped, plain = match.groups()
        if single is not None:
            out.append(single)
        elif double is not None:
            out.append(_DQ_ESCAPE.sub(r'\1', double))
        elif escaped is not None:
            out.append('' if escaped == '\n' else escaped)
        else:
            out.append(plain)
    return ''.join(out)


def shell_tokens(text):
    """TEXT as a list of (kind, value): kind 'word' (quotes removed), 'op' (| || && ; & ( ) ;; |&), 'nl' or 'redir'.
    Raises ShellError for an unclosed quote or a trailing backslash."""
    if not is_text(text):
        raise ShellError('a command must be text (it is %s)' % type(text).__name__)
    return list(_tokens(text))


@lru_cache(maxsize=64)
def _tokens(text):
    tokens = []
    append = tokens.append
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == 'word':
            word = match.group(kind)
            append(('word', _unquote(word) if ("'" in word or '"' in word or '\\' in word) else word))
        elif kind in ('op', 'redir'):
            append((kind, match.group(kind)))
        elif kind == 'nl':
            append(('nl', '\n'))
        elif kind == 'bad':
            raise ShellError('cannot be read as shell words (an unclosed quote or a trailing backslash at '
                             'character %d)' % match.start(kind))
    return tuple(tokens)


def shell_words(text):
    """The words of TEXT (operators left out), as shlex.split would give them."""
    return [value for kind, value in shell_tokens(text) if kind == 'word']


# ---------------------------------------------------------------- the grammar

class _Parser(object):  # pylint: disable=too-few-public-methods
    def __init__(self, tokens, depth):
        self.tokens = tokens
        self.at = 0
        self.depth = depth

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.at += 1
        return token

    def parse_list(self, closing=()):
        """Commands up to one of the words or operators in CLOSING (left unread), or the end."""
        separators = (('op', ';'), ('op', '&')) + ((('op', ';;'),) if ';;' not in closing else ())
        items = []
        while True:
            while self.peek()[0] == 'nl' or self.peek() in separators:
                self.take()
            kind, value = self.peek()
            if kind is None or (kind in ('op', 'word') and value in closing):
                return ('list', items)
            before = self.at
            items.append(self.parse_and_or(closing))
            if self.at == before:  # a stray operator: step over it
                self.take()

    def parse_and_or(self, closing):
        first = self.parse_pipeline(closing)
        rest = []
        while self.peek() in (('op', '&&'), ('op', '||')):
            operator = self.take()[1]
            while self.peek()[0] == 'nl':
                self.take()
            rest.append((operator, self.parse_pipeline(closing)))
        return ('and_or', first, rest)

    def parse_pipeline(self, closing):
        negated = False
        if self.peek() == ('word', '!'):
            self.take()
            negated = True
        stages = [self.parse_command(closing)]
        while self.peek() in (('op', '|'), ('op', '|&')):
            self.take()
            while self.peek()[0] == 'nl':
                self.take()
            stages.append(self.parse_command(closing))
        return ('pipe', negated, stages)

    def nested(self, closing):
        """The list up to CLOSING, one level deeper; the closing word is left unread."""
        if self.depth >= MAX_DEPTH:
            raise ShellError('nests groups deeper than %d levels' % MAX_DEPTH)
        self.depth += 1
        inner = self.parse_list(closing)
        self.depth -= 1
        return inner

    def group(self, closing):
        inner = self.nested((closing,))
        self.take()
        return ('group', inner)

    def expect(self, word):
        """Step over the reserved WORD where it stands (a script that leaves it out is read as if it were there)."""
        if self.peek() == ('word', word):
            self.take()

    def parse_if(self):
        branches, otherwise = [], None
        while True:
            condition = self.nested(('then',))
            self.expect('then')
            body = self.nested(('elif', 'else', 'fi'))
            branches.append((condition, body))
            kind, value = self.take()
            if (kind, value) == ('word', 'elif'):
                continue
            if (kind, value) == ('word', 'else'):
                otherwise = self.nested(('fi',))
                self.expect('fi')
            return ('if', branches, otherwise)

    def parse_loop(self, keyword):
        condition = None
        if keyword == 'for':
            while self.peek()[0] == 'word' and self.peek()[1] != 'do':
                self.take()
            while self.peek()[0] == 'nl' or self.peek() == ('op', ';'):
                self.take()
        else:
            condition = self.nested(('do',))
        self.expect('do')
        body = self.nested(('done',))
        self.expect('done')
        return ('loop', keyword, condition, body)

    def parse_case(self):
        subject = self.take()[1] if self.peek()[0] == 'word' else ''
        self.expect('in')
        bodies, default = [], False
        while True:
            while self.peek()[0] == 'nl' or self.peek() == ('op', ';;'):
                self.take()
            kind, value = self.peek()
            if kind is None or (kind, value) == ('word', 'esac'):
                self.take()
                return ('case', subject, bodies, default)
            if (kind, value) == ('op', '('):
                self.take()
            while self.peek()[0] is not None and self.peek() != ('op', ')'):
                kind, value = self.take()
                default = default or (kind == 'word' and _unquote_pattern(value) == '*')
            self.take()
            bodies.append(self.nested((';;', 'esac')))

    def parse_command(self, closing):
        kind, value = self.peek()
        if (kind, value) in (('op', '('), ('word', '{')) or (kind == 'word' and value in COMPOUND):
            self.take()
            if value in ('(', '{'):
                node = self.group(')' if value == '(' else '}')
            elif value == 'if':
                node = self.parse_if()
            elif value == 'case':
                node = self.parse_case()
            else:
                node = self.parse_loop(value)
            while self.peek()[0] == 'redir':  # `done >/dev/null`: the redirection of the whole command
                self.skip_redirection()
            return node
        words = []
        while True:
            kind, value = self.peek()
            if kind == 'word':
                if value == '}' and '}' in closing:
                    break
                words.append(value)
                self.take()
            elif kind == 'redir':
                self.skip_redirection()
            else:
                break
        return ('cmd', words)

    def skip_redirection(self):
        """Step over a redirection operator and its target word."""
        self.take()
        if self.peek()[0] == 'word':
            self.take()


@lru_cache(maxsize=64)
def parse(text, depth=0):
    """The shell TEXT as a tree: ('list', [and_or...]), ('and_or', pipe, [(op, pipe)...]),
    ('pipe', negated, [command...]), ('group', list), ('cmd', words), or a compound command:
    ('if', [(condition, body)...], else-list or None), ('loop', keyword, condition or None, body) for while,
    until and for, ('case', subject, [body...], has a * pattern)."""
    if depth > MAX_DEPTH:
        raise ShellError('nests sh -c deeper than %d levels' % MAX_DEPTH)
    return _Parser(list(shell_tokens(text)), depth).parse_list()


def _unquote_pattern(word):
    """A case pattern without its quotes ('*' quoted is a literal star, not the default)."""
    return word if word.startswith(("'", '"')) else _unquote(word)


# ---------------------------------------------------------------- simple commands

def _base(word):
    return posixpath.basename(word) if word else word


_ASSIGNMENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*=')


def unwrap(words):
    """(words, assignments): the command a simple command runs once exec, env, timeout, nice, nohup, gosu,
    su-exec, tini, busybox and leading VAR=value assignments are stepped over; python -m X becomes X."""
    words = list(words)
    assignments = []
    for _round in range(12):
        while words and _ASSIGNMENT.match(words[0]):
            assignments.append(words.pop(0))
        if not words:
            break
        prog = _base(words[0])
        rest = words[1:]
        if prog in ('exec', 'nohup', 'chronic', 'time', 'busybox', 'dumb-init', 'catatonit', 'builtin'):
            words = [word for word in rest if not (prog == 'exec' and word in ('-c', '-l'))]
        elif prog == 'command' and rest and rest[0] not in ('-v', '-V'):
            words = rest[1:] if rest[0] == '-p' else rest
        elif prog in ('nice', 'ionice', 'stdbuf', 'taskset', 'chrt'):
            words = _skip_options(rest, takes_value=('-n', '-c', '-p', '--adjustment'))
            if prog in ('taskset', 'chrt') and words:
                words = words[1:]
        elif prog == 'timeout':
            words = _skip_options(rest, takes_value=('-s', '-k', '--signal', '--kill-after'))[1:]
        elif prog == 'env':
            words = _skip_options(rest, takes_value=('-u', '--unset', '-C', '--chdir', '-S'))
            while words and _ASSIGNMENT.match(words[0]):
                assignments.append(words.pop(0))
        elif prog in ('sudo', 'doas'):
            words = _skip_options(rest, takes_value=('-u', '-g', '-C', '-h', '-p', '-U'))
        elif prog in ('gosu', 'su-exec', 'setpriv', 'runuser', 'chroot'):
            words = _skip_options(rest, takes_value=('-u', '--reuid', '--regid'))[1:] if prog != 'setpriv' else \
                _skip_options(rest, takes_value=('--reuid', '--regid', '--groups', '--inh-caps', '--bounding-set'))
        elif prog in ('tini', 'tini-static'):
            words = rest[rest.index('--') + 1:] if '--' in rest else _skip_options(rest, takes_value=('-s', '-p', '-l'))
        elif re.match(r'python[0-9.]*$', prog) and len(rest) >= 2 and rest[0] == '-m':
            words = rest[1:]
        elif prog in ('npx', 'bunx', 'pnpx') and rest:
            words = _skip_options(rest, takes_value=('-p', '--package'))
        else:
            break
    return words, assignments


def _skip_options(words, takes_value=()):
    result = list(words)
    while result and result[0].startswith('-') and result[0] != '-':
        option = result.pop(0)
        if option == '--':
            break
        if option in takes_value and result:
            result.pop(0)
    return result


def _shell_script(words):
    """The script of sh -c SCRIPT (any flags before it: -c, -ec, -lc), or None."""
    if not words or _base(words[0]) not in SHELLS:
        return None
    seen_c = False
    for word in words[1:]:
        if word.startswith('-') and not word.startswith('--') and len(word) > 1:
            seen_c = seen_c or 'c' in word[1:]
            continue
        if word.startswith('--'):
            continue
        return word if seen_c else None
    return None


def simple_commands(text=None, argv=None, depth=0):
    """Every simple command TEXT (shell text) or ARGV (an exec list) runs, as (words, assignments), unwrapped,
    following sh -c into its script."""
    if depth > MAX_DEPTH:
        raise ShellError('nests sh -c deeper than %d levels' % MAX_DEPTH)
    found = []
    if argv is not None:
        _collect_argv(list(argv), found, depth)
        return found
    stack = [parse(text, depth)]
    while stack:
        node = stack.pop()
        tag = node[0]
        if tag == 'list':
            stack.extend(reversed(node[1]))
        elif tag == 'and_or':
            stack.extend(reversed([node[1]] + [pipe for _op, pipe in node[2]]))
        elif tag == 'pipe':
            stack.extend(reversed(node[2]))
        elif tag == 'group':
            stack.append(node[1])
        elif tag in ('if', 'loop', 'case'):
            stack.extend(reversed(_parts(node)))
        elif node[1]:
            _collect_argv(node[1], found, depth)
    return found


def _collect_argv(words, found, depth):
    words, assignments = unwrap(words)
    found.append((words, assignments))
    script = _shell_script(words)
    if script is not None:
        found.extend(simple_commands(script, depth=depth + 1))


# ---------------------------------------------------------------- can a healthcheck fail?

def _paths(args):
    return [arg for arg in args if arg.startswith('/')]


def _always_there(path):
    normal = posixpath.normpath('/' + path.lstrip('/'))
    if normal in ALWAYS_THERE:
        return True
    return normal.startswith(('/proc/', '/sys/', '/dev/', '/bin/', '/sbin/', '/usr/', '/lib/', '/etc/'))


def _file_check(prog, args):
    operands = [arg for arg in args if not arg.startswith('-') and arg not in (']', ']]', '!', '=', '!=', '==')]
    paths = _paths(operands)
    if prog in ('test', '[', '[['):
        if not paths:
            return ALWAYS, 'compares constants, which always gives the same answer'
    elif not paths:
        return (ALWAYS, SUCCEEDS) if prog in ('cat', 'head', 'tail') and not operands else (PROBE, None)
    if all(_always_there(path) for path in paths):
        if any(path == '/proc/1' or path.startswith('/proc/1/') for path in paths):
            return TRIVIAL, PROCESS
        return ALWAYS, 'checks a file that exists in every container'
    return PROBE, None


def _command_kind(words, depth):
    words, _assignments = unwrap(words)
    if not words:
        return ALWAYS, SUCCEEDS
    prog, args = _base(words[0]), words[1:]
    script = _shell_script(words)
    if script is not None:
        return judge_shell(script, depth + 1)
    if prog in SHELLS:
        return PROBE, None
    if prog in ('exit', 'return'):
        if not args or args[0] == '0':
            return ALWAYS, SUCCEEDS
        return (FAIL, None) if re.match(r'[0-9]+\Z', args[0]) else (PROBE, None)
    if prog == 'false':
        return FAIL, None
    if prog in ALWAYS_COMMANDS:
        return ALWAYS, SUCCEEDS
    if prog in PROCESS_COMMANDS:
        return TRIVIAL, PROCESS
    if prog in ('kill', 'pkill', 'killall') and _signal_zero(args):
        return TRIVIAL, PROCESS
    if any(arg in ('--version', '-version') for arg in args) or (args and all(arg in VERSION_FLAGS for arg in args)):
        return TRIVIAL, VERSION
    if prog == 'command' and args[:1] in (['-v'], ['-V']):
        return TRIVIAL, 'only checks that a program is installed'
    if prog in LOOKUP_COMMANDS:
        return TRIVIAL, 'proves nothing about the service (%s)' % prog
    if prog in FILE_COMMANDS:
        return _file_check(prog, args)
    return PROBE, None


def _signal_zero(args):
    for index, arg in enumerate(args):
        if arg in ('-0', '-s0', '--signal=0', '-SIG0', '-n0'):
            return True
        if arg in ('-s', '--signal', '-n') and index + 1 < len(args) and args[index + 1] in ('0', 'SIG0'):
            return True
    return False


def _pipeline(node, depth):
    _tag, negated, stages = node
    kinds = [_node_kind(stage, depth) for stage in stages]
    last = stages[-1]
    last_prog = _base(unwrap(last[1])[0][0]) if last[0] == 'cmd' and unwrap(last[1])[0] else None
    upstream = kinds[:-1]
    if upstream and last_prog in FILTERS:
        level, reason = max(upstream, key=lambda kind: min(kind[0], PROBE))
        result = (level, reason) if level != ALWAYS else (ALWAYS, 'judges output that is always the same')
    elif upstream and (last_prog in PASSTHROUGH or kinds[-1][0] == ALWAYS):
        strongest = max(kind[0] for kind in upstream)
        result = (ALWAYS, TURNS + ' (a pipe into %s, which always succeeds)' % (last_prog or 'a command')) \
            if strongest >= TRIVIAL else (ALWAYS, SUCCEEDS)
    else:
        result = kinds[-1]
    if negated:
        if result[0] == ALWAYS:
            return FAIL, None
        if result[0] == FAIL:
            return ALWAYS, SUCCEEDS
    return result


def _either(first, second):
    if first[0] == FAIL:
        return second
    if second[0] == FAIL:
        return first
    if second[0] == ALWAYS and first[0] > ALWAYS:
        return ALWAYS, TURNS
    return first if first[0] <= second[0] else second


def _both(first, second):
    if FAIL in (first[0], second[0]):
        return FAIL, None
    return first if first[0] >= second[0] else second


def _parts(node):
    """The lists inside a compound command, in the order they run."""
    if node[0] == 'if':
        parts = [part for branch in node[1] for part in branch]
        return parts + ([node[2]] if node[2] is not None else [])
    if node[0] == 'loop':
        return ([node[2]] if node[2] is not None else []) + [node[3]]
    return list(node[2])


def _choice(deciders, bodies):
    """The kind of a command whose status is that of one of BODIES, chosen by DECIDERS (the conditions)."""
    levels = set(kind[0] for kind in bodies)
    if levels == set([FAIL]):
        return FAIL, None
    decider = max([min(kind[0], PROBE) for kind in deciders] + [ALWAYS])
    if levels <= set([ALWAYS]):
        return (ALWAYS, TURNS + ' (every branch ends in success)') if decider >= TRIVIAL else (ALWAYS, SUCCEEDS)
    if PROBE in levels:
        return PROBE, None
    if FAIL in levels and decider == PROBE:  # `if probe; then exit 0; else exit 1; fi`
        return PROBE, None
    weakest = [kind for kind in list(deciders) + list(bodies) if kind[0] == TRIVIAL]
    return weakest[0] if weakest else (ALWAYS, SUCCEEDS)


def _if_kind(node, depth):
    deciders, bodies = [], []
    for condition, body in node[1]:
        kind = _node_kind(condition, depth)
        if kind[0] != FAIL:
            deciders.append(kind)
            bodies.append(_node_kind(body, depth))
        if kind[0] == ALWAYS:  # the branches after it never run
            return _choice(deciders[:-1], bodies)
    bodies.append(_node_kind(node[2], depth) if node[2] is not None else (ALWAYS, SUCCEEDS))
    return _choice(deciders, bodies)


def _case_kind(node, depth):
    subject = node[1]
    decider = judge_shell(subject[2:-1], depth + 1) if subject.startswith('$(') and subject.endswith(')') else \
        ((PROBE, None) if '$(' in subject or '`' in subject else (ALWAYS, SUCCEEDS))
    bodies = [_node_kind(body, depth) for body in node[2]]
    if not node[3]:
        bodies.append((ALWAYS, SUCCEEDS))  # no pattern matched: status 0
    return _choice([decider], bodies)


def _loop_kind(node, depth):
    """A loop's status is its last body's, or 0 when the body never ran; a loop can also run until the
    healthcheck's timeout, so a loop whose condition or body probes is taken as a probe."""
    _tag, keyword, condition, body = node
    kinds = [_node_kind(body, depth)]
    if condition is not None:
        decider = _node_kind(condition, depth)
        if decider[0] == (FAIL if keyword == 'while' else ALWAYS):  # the body never runs
            return ALWAYS, SUCCEEDS
        if decider[0] in (TRIVIAL, PROBE):  # a constant condition decides nothing
            kinds.append(decider)
    level = max(min(kind[0], PROBE) for kind in kinds)
    if level == PROBE:
        return PROBE, None
    return [kind for kind in kinds if kind[0] == level][0]


def _node_kind(node, depth):
    tag = node[0]
    if tag == 'cmd':
        return _command_kind(node[1], depth)
    if tag == 'if':
        return _if_kind(node, depth)
    if tag == 'case':
        return _case_kind(node, depth)
    if tag == 'loop':
        return _loop_kind(node, depth)
    if tag == 'group':
        return _node_kind(node[1], depth)
    if tag == 'pipe':
        return _pipeline(node, depth)
    if tag == 'and_or':
        result = _node_kind(node[1], depth)
        for operator, pipe in node[2]:
            kind = _node_kind(pipe, depth)
            result = _either(result, kind) if operator == '||' else _both(result, kind)
        return result
    items = node[1]
    if not items:
        return ALWAYS, SUCCEEDS
    result = _node_kind(items[0], depth)
    for item in items[1:]:
        kind = _node_kind(item, depth)
        if kind[0] == ALWAYS and result[0] > ALWAYS:
            result = (ALWAYS, TURNS)
        else:
            result = kind
    return result


def judge_shell(text, depth=0):
    """(level, reason) of shell TEXT run as a healthcheck: ALWAYS (cannot fail), TRIVIAL (proves nothing about
    the service), PROBE (can fail), FAIL (cannot succeed)."""
    return _node_kind(parse(text, depth), depth)


def judge_argv(argv, depth=0):
    """(level, reason) of an exec list run as a healthcheck (CMD form: no shell between)."""
    return _command_kind(list(argv), depth)


def health_test(test):
    """(form, body) of a healthcheck test: ('none', why) when it checks nothing at all, ('shell', text) or
    ('exec', argv). Raises StackError for a test that compose would not take."""
    if test is None:
        return 'none', 'its healthcheck has no test (the gate cannot see a HEALTHCHECK of the image)'
    if is_text(test):
        return ('none', 'its healthcheck test is empty') if not test.strip() else ('shell', test)
    if not isinstance(test, (list, tuple)):
        raise StackError('healthcheck.test must be a string or a list such as [CMD, pg_isready] (it is %s)'
                         % type(test).__name__)
    for part in test:
        if not is_text(part):
            raise StackError('healthcheck.test must be a list of strings such as [CMD, pg_isready]')
    if not test:
        return 'none', 'its healthcheck test is empty'
    head, rest = test[0].strip(), list(test[1:])
    if head == 'NONE':
        return 'none', 'its healthcheck test is NONE'
    if head == 'CMD':
        if not rest or not rest[0].strip():
            return 'none', 'its healthcheck test is [CMD] without a command'
        return 'exec', rest
    if head == 'CMD-SHELL':
        text = ' '.join(rest)
        return ('none', 'its healthcheck test is CMD-SHELL without a command') if not text.strip() else ('shell', text)
    raise StackError('healthcheck.test must start with CMD, CMD-SHELL or NONE, or be a string (it starts with %r)'
                     % head[:30])


def health_verdict(test):
    """None when the test can fail (a real probe), else why it proves nothing. StackError for an unreadable test;
    ('none', why) when there is no test at all."""
    form, body = health_test(test)
    if form == 'none':
        return 'none', body
    level, reason = judge_shell(body.replace('$$', '$')) if form == 'shell' else \
        judge_argv([word.replace('$$', '$') for word in body])
    if level in (ALWAYS, TRIVIAL):
        return 'weak', reason
    return None, None
