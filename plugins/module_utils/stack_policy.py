# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The policy gate of a stack description: one small function per rule, run from RULES.

``check_stack`` returns the refusals and the warnings of a description, each naming the service
and the rule; ``check_swarm`` adds what a cluster cannot run safely. Each rule reads the
description through stack_model (which normalises before anything is judged) and yields
(level, message): 'refuse', 'warn', or 'strict' (a warning that stack_strict turns into a refusal).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import posixpath
import re
from collections import namedtuple

from ansible_collections.stackops.hardened.plugins.module_utils.stack_model import (
    ALLOWANCES, BACKEND, DATASTORE_PORTS, EXTENSION, EXTENSION_KEYS, FRONTEND, MONITORING_PORTS, NAME_PATTERN,
    SERVICE_PATTERN, StackError, as_list, ascii_int, ascii_number, describe, environment_items, extension, flag,
    has_interpolation, host_path_verdict, image_is_datastore, image_is_pinned, image_repository, image_text,
    is_datastore, is_loopback, is_text, label_items, oneshot_services, parse_user, ports_of, public_port_set,
    replica_count, secret_name_problem, service_secret_names, service_uid_gid, span_holds, swarm_options,
    unescape_dollars, volume_binds)
from ansible_collections.stackops.hardened.plugins.module_utils.stack_shell import (
    health_verdict, shell_words, simple_commands)

Rule = namedtuple('Rule', 'name reason check')

HARMLESS_CAPS = ('NET_BIND_SERVICE', 'CHOWN', 'SETUID', 'SETGID', 'DAC_OVERRIDE', 'FOWNER')
HOST_NAMESPACES = ('network_mode', 'pid', 'ipc', 'userns_mode', 'uts', 'cgroup')
HARMLESS_VALUES = ('', 'true', 'false', 'yes', 'no', 'on', 'off', '0', '1', 'none', 'null')
STRING_KEYS = ('network_mode', 'pid', 'ipc', 'uts', 'userns_mode', 'cgroup', 'restart', 'container_name', 'hostname',
               'stop_signal', 'working_dir', 'platform', 'pull_policy', 'runtime', 'isolation', 'domainname')
FLAG_KEYS = ('privileged', 'read_only', 'init', 'tty', 'stdin_open', 'oom_kill_disable')
STRING_LIST_KEYS = ('cap_add', 'cap_drop', 'security_opt', 'devices', 'device_cgroup_rules', 'dns', 'dns_search',
                    'tmpfs', 'group_add', 'extra_hosts', 'profiles', 'external_links', 'links')
SIZE_KEYS = ('mem_limit', 'mem_reservation', 'memswap_limit', 'shm_size')
_SIZE = re.compile(r'([0-9]+)\s*([bkmg]?)b?', re.IGNORECASE)
_DURATION = re.compile(r'(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|ms|s|m|h))+|[0-9]+')
UNCONFINED = {'seccomp': ('unconfined',), 'apparmor': ('unconfined',), 'label': ('disable', 'type:spc_t'),
              'systempaths': ('unconfined',), 'no-new-privileges': ('false',)}

URL_SCHEME = re.compile(r'[A-Za-z][A-Za-z0-9+.-]{0,30}\Z')
BOT_TOKEN = re.compile(r'(?<![0-9A-Za-z_-])[0-9]{5,12}:[A-Za-z0-9_-]{35}(?![0-9A-Za-z_-])')
LOCALHOST_URL = re.compile(r'://(?:[^/@\s]{0,256}@)?(localhost|127\.0\.0\.1|\[::1\])(?::([0-9]{1,5}))?',
                           re.IGNORECASE)
LOCALHOST_HOST_KEY = re.compile(r'.*(?:_HOST|_HOSTNAME|_ADDR|_ADDRESS|_SERVER)', re.IGNORECASE | re.S)

SECRET_WORDS = ('PASSWORD', 'PASSWD', 'SECRET', 'SIGNING', 'PASSPHRASE', 'CREDENTIAL', 'PRIVATEKEY', 'APIKEY',
                'ACCESSKEY', 'AUTHTOKEN')
SECRET_LAST_PARTS = ('KEY', 'PWD', 'PASS', 'SALT', 'SK', 'TOKEN', 'AUTH', 'DSN', 'PSK', 'PIN', 'CREDENTIALS')
NOT_SECRET_PARTS = ('PUBLIC', 'PUBLISHABLE', 'PUB')
OPTION_WORDS = ('password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'requirepass', 'masterauth', 'apikey',
                'passphrase', 'credentials', 'credential')
MYSQL_CLIENTS = ('mysql', 'mysqladmin', 'mysqldump', 'mysqlcheck', 'mysqlshow', 'mysqlimport', 'mysqlpump', 'mysqlsh',
                 'mariadb', 'mariadb-admin', 'mariadb-dump', 'mariadb-check', 'mariadb-show', 'mariadb-import')
REDIS_CLIENTS = ('redis-cli', 'keydb-cli', 'valkey-cli', 'dragonfly-cli')
_OPTION_HINTS = ('pass', 'pwd', 'secret', 'token', 'key', 'auth', 'cred', 'user', 'header')
_OPTION_SPLIT = re.compile(r'[-_.]')
SECRET_HEADERS = ('authorization', 'proxy-authorization', 'x-api-key', 'x-auth-token', 'api-key', 'x-access-token',
                  'x-telegram-bot-api-secret-token', 'cookie')


# ---------------------------------------------------------------- what a rule sees

class Service(object):  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """One service under judgement: its name, definition, exceptions and the stack's context."""

    def __init__(self, name, spec, services, ctx):
        self.name = name
        self.spec = spec
        self.services = services
        self.ctx = ctx
        self.where = 'service %s' % name
        try:
            self.ext = extension(spec)
        except StackError:
            self.ext = dict(allow=set(), datastore=None, oneshot=None, singleton=False, unknown=[])
        self.allow = self.ext['allow']
        self.oneshot = name in ctx['oneshots']
        try:
            self.datastore = is_datastore(spec, name, ctx['public'])
        except StackError:
            try:
                self.datastore = image_is_datastore(image_text(spec))
            except StackError:
                self.datastore = False

    def allowed(self, claim):
        return claim in self.allow

    def exception(self, claim):
        return 'add %s to %s.allow for this service' % (claim, EXTENSION)


def _list_of_text(value, what):
    items = as_list(value)
    for item in items:
        if not is_text(item):
            raise StackError('%s must be a list of strings (one entry is %s)' % (what, describe(item)))
    return [item.strip() for item in items]


# ---------------------------------------------------------------- the rules

def rule_shape(svc):
    """Every key the gate judges has the type compose expects: a wrong type is refused before it is judged."""
    spec, problems = svc.spec, []
    for key in spec:
        if not is_text(key):
            problems.append('has a key %s that is %s; compose keys are strings' % (key, describe(key)))
    checks = [('image', lambda v: image_text({'image': v}))]
    checks += [(key, lambda v, k=key: _text_value(v, k)) for key in STRING_KEYS]
    checks += [(key, lambda v, k=key: flag(v, k)) for key in FLAG_KEYS]
    checks += [(key, lambda v, k=key: _list_of_text(v, k)) for key in STRING_LIST_KEYS]
    checks += [('user', parse_user), ('environment', lambda v: environment_items(spec)),
               ('labels', lambda v: label_items(spec)), ('ports', lambda v: _is_list(v, 'ports')),
               ('volumes', lambda v: _is_list(v, 'volumes')), ('secrets', lambda v: service_secret_names(spec)),
               ('networks', lambda v: _networks(spec)), ('healthcheck', _healthcheck_shape),
               ('command', lambda v: _command_shape(v, 'command')),
               ('entrypoint', lambda v: _command_shape(v, 'entrypoint')),
               ('depends_on', _depends_shape)]
    for key, check in checks:
        if key in spec and spec[key] is not None:
            try:
                check(spec[key])
            except StackError as exc:
                problems.append(': %s' % exc)
    return [('refuse', '%s%s%s' % (svc.where, '' if problem.startswith(':') else ' ', problem))
            for problem in problems]


class _Shape(object):  # pylint: disable=too-few-public-methods
    def __init__(self, name, spec):
        self.spec = spec
        self.where = 'service %s' % name


def shape_problems(name, spec):
    """The shape refusals of one service definition (what the renderers refuse to read), as messages."""
    shape = _Shape(name, spec)
    return [message for _level, message in rule_shape(shape) or rule_resources(shape)]


def _text_value(value, key):
    if not is_text(value):
        raise StackError('%s must be a string (it is %s)' % (key, describe(value)))
    return value


def _is_list(value, key):
    if not isinstance(value, (list, tuple)):
        raise StackError('%s must be a list (it is %s)' % (key, describe(value)))
    return value


def _networks(spec):
    networks = spec.get('networks')
    names = list(networks) if isinstance(networks, dict) else _is_list(networks, 'networks')
    for net in names:
        if not is_text(net):
            raise StackError('networks must name networks by string (one is %s); the stack has frontend and backend'
                             % describe(net))
    return names


def _healthcheck_shape(value):
    if not isinstance(value, dict):
        raise StackError('healthcheck must be a mapping with test (it is %s)' % describe(value))
    for key in ('interval', 'timeout', 'start_period', 'start_interval'):
        if value.get(key) is not None:
            duration(value[key], 'healthcheck.%s' % key)
    if value.get('retries') is not None:
        ascii_int(value['retries'], 'healthcheck.retries', 0, 1000)
    flag(value.get('disable'), 'healthcheck.disable')


def _command_shape(value, key):
    if is_text(value):
        return value
    for part in _is_list(value, key):
        if isinstance(part, bool) or not (is_text(part) or isinstance(part, (int, float))):
            raise StackError('%s must be a string or a list of strings (one entry is %s)' % (key, describe(part)))
    return value


def _depends_shape(value):
    if isinstance(value, dict):
        for name in value:
            if not is_text(name):
                raise StackError('depends_on must name services by string')
        return value
    return _list_of_text(value, 'depends_on')


def rule_extension(svc):
    """x-stackops holds only keys and exceptions the role knows."""
    try:
        ext = extension(svc.spec)
    except StackError as exc:
        return [('refuse', '%s: %s' % (svc.where, exc))]
    found = [('refuse', '%s: %s has an unknown key %r; it accepts %s'
              % (svc.where, EXTENSION, key, ', '.join(EXTENSION_KEYS))) for key in ext['unknown']]
    for claim in sorted(ext['allow'] - set(ALLOWANCES)):
        found.append(('refuse', '%s: %s.allow has %r, which is not an exception the role knows; it accepts %s'
                      % (svc.where, EXTENSION, claim[:40], ', '.join(sorted(ALLOWANCES)))))
    return found


def rule_interpolation(svc):
    """docker compose expands ${VAR} after the gate judged the text, with values the gate never sees: refused."""
    found, stack = [], [(key, value) for key, value in svc.spec.items() if key != EXTENSION]
    while stack and len(found) < 8:
        path, value = stack.pop()
        path = str(path)
        if isinstance(value, dict):
            for key, item in value.items():
                if is_text(key) and has_interpolation(key) and path not in found:
                    found.append(path)
                stack.append((_path(path, key), item))
        elif isinstance(value, (list, tuple)):
            stack.extend((path, item) for item in value)
        elif is_text(value) and has_interpolation(value) and path not in found:
            found.append(path)
    if not found:
        return []
    return [('refuse', '%s uses $ interpolation in %s; docker compose would expand it after the gate judged the '
                       'text, with values the gate never sees; write the value itself (or $$ for a literal $)'
             % (svc.where, ', '.join(sorted(found))))]


def _path(path, key):
    if str(path) in ('environment', 'labels', 'healthcheck', 'deploy', 'logging', 'build') and is_text(key):
        return '%s.%s' % (path, key)
    return path


def rule_image(svc):
    """The role deploys images, pinned in production, and never builds on the server."""
    found = []
    image = image_text(svc.spec)
    if not image:
        found.append(('refuse', '%s has no image; the role deploys images (build them elsewhere and give image: '
                                'NAME:TAG)' % svc.where))
    elif not image_is_pinned(image):
        found.append(('refuse' if svc.ctx['require_pinned'] else 'warn',
                      '%s: image %s is not pinned to a tag or digest; give image: NAME:TAG (not latest) or '
                      'NAME@sha256:DIGEST' % (svc.where, image[:200])))
    if 'build' in svc.spec:
        found.append(('refuse', '%s has build:; the role deploys images and never builds on the server; build and '
                                'push the image, then give image: NAME:TAG' % svc.where))
    if 'extends' in svc.spec:
        found.append(('refuse', '%s has extends:, which merges a definition the gate never saw; write the service '
                                'out in full' % svc.where))
    return found


def _caps(value, what):
    return sorted(set(cap.upper().replace('CAP_', '', 1) if cap.upper().startswith('CAP_') else cap.upper()
                      for cap in _list_of_text(value, what) if cap))


def rule_privileges(svc):
    """No privileges given back: privileged, capabilities, an unconfined security profile, host devices."""
    spec, found = svc.spec, []
    if flag(spec.get('privileged'), 'privileged') and not svc.allowed('privileged'):
        found.append(('refuse', '%s is privileged; remove privileged: true, or %s if nothing less will do'
                      % (svc.where, svc.exception('privileged'))))
    extra = [cap for cap in _caps(spec.get('cap_add'), 'cap_add') if cap not in HARMLESS_CAPS]
    if extra and not svc.allowed('extra_capabilities'):
        found.append(('refuse', '%s adds capabilities %s; remove them from cap_add, or %s'
                      % (svc.where, ', '.join(extra), svc.exception('extra_capabilities'))))
    if 'cap_drop' in spec and 'ALL' not in _caps(spec.get('cap_drop'), 'cap_drop') and \
            not svc.allowed('extra_capabilities'):
        found.append(('refuse', '%s sets cap_drop without ALL, which replaces the default cap_drop: [ALL] and gives '
                                'back the capabilities it does not list; give cap_drop: [ALL] (and cap_add what it '
                                'needs), or %s' % (svc.where, svc.exception('extra_capabilities'))))
    if 'security_opt' in spec and not svc.allowed('unconfined'):
        options = _list_of_text(spec.get('security_opt'), 'security_opt')
        bad = [option for option in options if _unconfined(option)]
        for option in bad:
            found.append(('refuse', '%s has security_opt %s, which turns a protection off; remove it, or %s'
                          % (svc.where, option[:60], svc.exception('unconfined'))))
        if not bad and not any(_option_parts(option) in (('no-new-privileges', 'true'), ('no-new-privileges', ''))
                               for option in options):
            found.append(('refuse', '%s sets security_opt without no-new-privileges:true, which replaces the '
                                    'default and lets processes gain privileges; add "no-new-privileges:true" to '
                                    'it, or %s' % (svc.where, svc.exception('unconfined'))))
    for key in ('devices', 'device_cgroup_rules'):
        if as_list(spec.get(key)) and not svc.allowed('devices'):
            found.append(('refuse', '%s has %s, which hands host devices to the container; remove it, or %s'
                          % (svc.where, key, svc.exception('devices'))))
    return found


def _option_parts(option):
    text = option.strip().lower()
    cut = min([index for index in (text.find('='), text.find(':')) if index >= 0] or [len(text)])
    return text[:cut].strip(), text[cut + 1:].strip()


def _unconfined(option):
    key, value = _option_parts(option)
    return value in UNCONFINED.get(key, ()) or (key == 'label' and value.startswith('disable'))


def rule_namespaces(svc):
    """No host namespace (network, pid, ipc, uts, cgroup, userns), and only the role's own networks."""
    spec, found = svc.spec, []
    for key in HOST_NAMESPACES:
        if key in spec and is_text(spec[key]) and spec[key].strip().lower() == 'host' and \
                not svc.allowed('host_network'):
            found.append(('refuse', "%s has %s: host, which shares the host's namespace; remove it, or %s"
                          % (svc.where, key, svc.exception('host_network'))))
    mode = spec.get('network_mode')
    if mode is not None and (not is_text(mode) or mode.strip().lower() != 'host'):
        found.append(('refuse', '%s sets network_mode: %s; the role attaches services to its frontend and backend '
                                'networks' % (svc.where, str(mode)[:60])))
    return found


def rule_host_paths(svc):
    """Bind sources judged after normalising the path: no runtime socket, no system directory of the host."""
    found = []
    for source, path in volume_binds(svc.spec, svc.ctx['project_dir']):
        shown = source[:120] if source == path else '%s, that is %s' % (source[:120], path)
        for kind, what in host_path_verdict(path):
            if kind == 'socket' and not svc.allowed('docker_socket'):
                found.append(('refuse', '%s mounts %s (%s), which is root on the host; remove the mount, or %s'
                              % (svc.where, what, shown, svc.exception('docker_socket'))))
            elif kind == 'system' and not svc.allowed('host_path'):
                found.append(('refuse', '%s binds %s (%s) into the container; mount only what it needs (a named '
                                        'volume or a directory of its own), or %s'
                              % (svc.where, what, shown, svc.exception('host_path'))))
    return found


def rule_user(svc):
    """A numeric non-root user: root by any spelling is refused, secrets need a uid to own their files."""
    spec, found = svc.spec, []
    user = spec.get('user')
    secrets = service_secret_names(spec)
    parsed = parse_user(user) if user is not None else None
    if parsed and parsed['root'] and not svc.allowed('root_user'):
        found.append(('refuse', '%s runs as root (user: %s); give a numeric non-root user such as 10001:10001, or %s'
                      % (svc.where, str(user).strip()[:40], svc.exception('root_user'))))
    if secrets and (parsed is None or not parsed['numeric']):
        found.append(('refuse', '%s uses secrets (%s) but its user is %s; give user: UID:GID (numbers) so that its '
                                'secret files can be owned by that uid with mode 0400'
                      % (svc.where, ', '.join(secrets), 'unset' if user is None else repr(str(user)[:40]))))
    elif user is None and not secrets:
        found.append(('warn', "%s sets no user, so it runs as its image's user (root unless the image says "
                              "otherwise); give user: UID:GID" % svc.where))
    return found


def rule_secrets(svc):
    """Secrets are declared, named like files of the store (no / or ..), mounted under /run/secrets."""
    found = []
    for entry in as_list(svc.spec.get('secrets')):
        source = entry.get('source') if isinstance(entry, dict) else entry
        problem = secret_name_problem(source)
        if problem:
            found.append(('refuse', '%s uses secret %s' % (svc.where, problem)))
            continue
        if isinstance(entry, dict) and entry.get('target') is not None:
            target = entry['target']
            name = target[len('/run/secrets/'):] if is_text(target) and target.startswith('/run/secrets/') else target
            if secret_name_problem(name):
                found.append(('refuse', '%s mounts secret %s at target %s; give a plain name (it lands in '
                                        '/run/secrets/NAME)' % (svc.where, source, str(target)[:60])))
        if svc.ctx['secret_names'] is not None and source not in svc.ctx['secret_names']:
            found.append(('refuse', '%s uses secret %s, which is not declared; declare it in secrets_items (or '
                                    'stack_secrets)' % (svc.where, source)))
    return found


def rule_healthcheck(svc):
    """A long-running service has a healthcheck that can fail: the test is parsed, not matched."""
    if svc.oneshot:
        return []
    health = svc.spec.get('healthcheck')
    why = 'has no healthcheck'
    if health is not None:
        if flag(health.get('disable'), 'healthcheck.disable'):
            why = 'has no healthcheck (disable: true)'
        else:
            verdict, reason = health_verdict(health.get('test'))
            if verdict == 'weak':
                return [('refuse', '%s has a healthcheck that proves nothing (its test %s); make it prove the '
                                   'service answers (an HTTP request, pg_isready, redis-cli ping)'
                         % (svc.where, reason))]
            if verdict is None:
                return []
            why = 'has no healthcheck (%s)' % reason
    if svc.allowed('no_healthcheck'):
        return []
    return [('refuse', '%s runs continuously but %s; give healthcheck.test a command that proves the service '
                       'answers (an HTTP request, pg_isready, redis-cli ping), or %s'
             % (svc.where, why, svc.exception('no_healthcheck')))]


def rule_ports(svc):
    """Ports bind loopback unless declared public; a data store never publishes off loopback."""
    found, public = [], svc.ctx['public']
    for port in ports_of(svc.spec):
        shown = port['published'] or port['target']
        declared = (svc.name, shown) in public
        off_loopback = port['host_ip'] is not None and not is_loopback(port['host_ip'])
        if svc.datastore and (declared or off_loopback):
            found.append(('refuse', '%s is a data store and publishes port %s off loopback; data stores are reached '
                                    'over the backend network only: remove the port (or bind it to 127.0.0.1)'
                          % (svc.where, shown)))
        elif off_loopback and not declared:
            found.append(('refuse', '%s binds port %s to %s; bind it to loopback (drop the address) or declare it '
                                    'public in stack_public_ports as {service: %s, port: %s}'
                          % (svc.where, shown, port['host_ip'], svc.name, shown)))
        elif port['host_ip'] is None and not declared:
            known = span_holds(port['target'], DATASTORE_PORTS) + span_holds(port['target'], MONITORING_PORTS)
            if svc.datastore or known:
                names = sorted(set(DATASTORE_PORTS.get(n) or MONITORING_PORTS.get(n) for n in known))
                found.append(('warn', '%s publishes port %s%s without an address; the role binds it to 127.0.0.1, so '
                                      'it answers on the host itself and not from outside (write 127.0.0.1:%s:%s to '
                                      'say so)' % (svc.where, shown, ' (%s)' % ', '.join(names) if names else '',
                                                   port['published'] or '', port['target'])))
    return found


def rule_networks(svc):
    """Two networks: frontend (with egress) and backend (internal); data stores on backend only."""
    found = []
    networks = svc.spec.get('networks')
    for net in (list(networks) if isinstance(networks, dict) else as_list(networks)):
        if net not in (FRONTEND, BACKEND):
            found.append(('refuse', '%s joins network %s; the stack has two: frontend (what nginx fronts, with '
                                    'egress) and backend (internal, no egress)' % (svc.where, str(net)[:60])))
        elif svc.datastore and net == FRONTEND:
            found.append(('refuse', '%s is a data store on the frontend network; data stores belong on backend '
                                    'only, where they have no egress' % svc.where))
    return found


def rule_secret_literals(svc):
    """No secret as a literal: not in environment, command, entrypoint, healthcheck, labels, nor any URL."""
    if svc.allowed('secret_literal'):
        return []
    places = []
    file_problems = []
    for key, value in environment_items(svc.spec):
        problem = environment_problem(key, value)
        if problem == 'file':
            file_problems.append(key)
        elif problem:
            places.append(problem)
    for where, commands in _command_sets(svc.spec):
        for words, assignments in commands:
            for what in argument_secrets(words, assignments):
                places.append('%s (%s)' % (where, what))
    for key, value in label_items(svc.spec):
        if (secret_key(key) and not harmless(value)) or url_with_password(value) or BOT_TOKEN.search(value):
            places.append('label %s' % key[:80])
    for path, text in _strings(svc.spec, skip=(EXTENSION, 'environment', 'labels')):
        if url_with_password(text):
            places.append('%s (a URL with a password)' % path)
        elif BOT_TOKEN.search(text):
            places.append('%s (a Telegram bot token)' % path)
    seen = set()
    found = [('refuse', '%s has environment %s that holds something other than a path under /run/secrets/; give '
                        '%s=/run/secrets/NAME and put the value in a secret (the role mounts secrets there)'
              % (svc.where, key, key)) for key in file_problems]
    for place in places:
        if place in seen:
            continue
        seen.add(place)
        if place.startswith('environment '):
            key = place.split(' ', 1)[1]
            found.append(('refuse', '%s has a secret-looking literal in environment %s; put the value in a secret '
                                    '(secrets: [NAME]) and give the application %s_FILE=/run/secrets/NAME, or %s if '
                                    'the value is no secret' % (svc.where, key, key, svc.exception('secret_literal'))))
        else:
            found.append(('refuse', '%s has a secret-looking literal in %s; put the value in a secret and read it from '
                                    '/run/secrets/NAME, or %s if the value is no secret'
                          % (svc.where, place, svc.exception('secret_literal'))))
    return found


def environment_problem(key, value):
    if key.upper().endswith('_FILE'):
        if secret_key(key[:-5]) and value.strip() and not under_run_secrets(value):
            return 'file'
        return None
    if harmless(value):
        return None
    if secret_key(key) or url_with_password(value) or BOT_TOKEN.search(value):
        return 'environment %s' % key
    return None


def harmless(value):
    text = value.strip()
    return text.lower() in HARMLESS_VALUES or under_run_secrets(text)


def under_run_secrets(value):
    text = value.strip()
    if not text.startswith('/run/secrets/'):
        return False
    normal = posixpath.normpath(text)
    return normal.startswith('/run/secrets/') and len(normal) > len('/run/secrets/')


def secret_key(name):
    """Whether a variable, label or option name says it holds a secret (*PASSWORD*, *_KEY, *_PWD, *_SALT, *_SK,
    *SIGNING*, *TOKEN, *_DSN…); a PUBLIC key is none."""
    parts = [part for part in re.split(r'[^A-Z0-9]+', name.upper()) if part]
    if not parts or any(part in NOT_SECRET_PARTS for part in parts):
        return False
    joined = ''.join(parts)
    if any(word in joined for word in SECRET_WORDS):
        return True
    if parts[-1] in SECRET_LAST_PARTS or any(part == 'TOKEN' or part.endswith('TOKEN') for part in parts):
        return True
    return parts[-1].endswith(('KEY', 'PWD')) and len(parts[-1]) > 3 and parts[-1][:-3].endswith(('API', 'ACCESS'))


def url_with_password(text):
    """Whether TEXT holds a URL with a password in its userinfo (scheme://user:password@host), whatever characters
    the password holds. Linear: each URL is looked at up to the next URL or whitespace."""
    if '://' not in text or '@' not in text:
        return False
    for chunk in text.split():
        starts = []
        index = chunk.find('://')
        while index >= 0:
            starts.append(index)
            index = chunk.find('://', index + 3)
        for number, start in enumerate(starts):
            scheme_start = start
            while scheme_start > 0 and (chunk[scheme_start - 1].isalnum() or chunk[scheme_start - 1] in '+.-') and \
                    start - scheme_start < 32:
                scheme_start -= 1
            if not URL_SCHEME.match(chunk[scheme_start:start]):
                continue
            end = starts[number + 1] if number + 1 < len(starts) else len(chunk)
            rest = chunk[start + 3:end]
            at = rest.rfind('@')
            if at <= 0:
                continue
            user, sep, password = rest[:at].partition(':')
            if not sep or not password or '/' in user or password.startswith('$'):
                continue
            head, slash, _tail = password.partition('/')
            if slash and re.match(r'[0-9]{1,5}\Z', head):  # host:port/path@x, no userinfo
                continue
            return True
    return False


def _strings(spec, skip=()):
    stack = [(key, value) for key, value in spec.items() if key not in skip]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((_path(path, key), item) for key, item in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((path, item) for item in value)
        elif is_text(value):
            yield str(path), value


def _words(value):
    if is_text(value):
        return shell_words(unescape_dollars(value))
    return [unescape_dollars(str(part)) for part in as_list(value)]


def _command_sets(spec, _cache={}):  # pylint: disable=dangerous-default-value
    """(where, simple commands) of entrypoint + command and of the healthcheck test (the last answer kept)."""
    key = id(spec)
    cached = _cache.get('last')
    if cached and cached[0] == key and cached[1] is spec:
        return cached[2]
    sets = _read_command_sets(spec)
    _cache['last'] = (key, spec, sets)
    return sets


def _read_command_sets(spec):
    sets = []
    entrypoint, command = spec.get('entrypoint'), spec.get('command')
    if entrypoint is not None or command is not None:
        if is_text(command) and entrypoint is None:
            commands = simple_commands(unescape_dollars(command))
        elif is_text(entrypoint) and command is None:
            commands = simple_commands(unescape_dollars(entrypoint))
        else:
            commands = simple_commands(argv=_words(entrypoint) + _words(command))
        sets.append(('command' if entrypoint is None else 'entrypoint/command', commands))
    health = spec.get('healthcheck')
    test = health.get('test') if isinstance(health, dict) else None
    if is_text(test):
        sets.append(('healthcheck.test', simple_commands(unescape_dollars(test))))
    elif isinstance(test, (list, tuple)) and test and is_text(test[0]):
        rest = [unescape_dollars(str(part)) for part in test[1:]]
        if test[0] == 'CMD-SHELL':
            sets.append(('healthcheck.test', simple_commands(' '.join(rest))))
        elif test[0] == 'CMD':
            sets.append(('healthcheck.test', simple_commands(argv=rest)))
    return sets


def _literal(value):
    text = value.strip()
    return bool(text) and not (text.startswith('$') or '$(' in text or '`' in text or under_run_secrets(text)
                               or text == '-')


def argument_secrets(words, assignments=()):
    """What on a command line carries a secret literal: --requirepass X, --password=X, -pX (mysql), -a X
    (redis-cli), -u user:pass (curl), an Authorization header, PGPASSWORD=X."""
    found = []
    prog = posixpath.basename(words[0]) if words else ''
    for assignment in assignments:
        name, _sep, value = assignment.partition('=')
        if secret_key(name) and not harmless(value) and _literal(value):
            found.append('%s=' % name)
    args = words[1:]
    for index, word in enumerate(args):
        following = args[index + 1] if index + 1 < len(args) else ''
        if word.startswith('--') and len(word) > 2:
            name, sep, value = word[2:].partition('=')
            lowered = name.lower()
            if not any(hint in lowered for hint in _OPTION_HINTS):
                continue
            if not sep:
                value = following if not following.startswith('-') else ''
            parts = [part for part in _OPTION_SPLIT.split(lowered) if part]
            if parts and not ({'file', 'path', 'dir', 'env', 'stdin', 'prompt'} & set(parts)) and \
                    (any(part in OPTION_WORDS for part in parts) or name.lower() == 'auth' or
                     (parts[-1] in ('key', 'auth') and len(parts) > 1 and not value.startswith(('/', './')))) and \
                    _literal(value):
                found.append('--%s' % name)
            elif name.lower() in ('user',) and prog in ('curl', 'wget') and _userpass(value):
                found.append('--user USER:PASSWORD')
            elif name.lower() == 'header' and _secret_header(value):
                found.append('an %s header' % value.split(':', 1)[0].strip())
        elif prog in MYSQL_CLIENTS and word.startswith('-p') and len(word) > 2 and not word.startswith('--') and \
                _literal(word[2:]):
            found.append('-pPASSWORD')
        elif prog in REDIS_CLIENTS and word == '-a' and _literal(following):
            found.append('-a PASSWORD')
        elif prog in ('curl',) and word == '-u' and _userpass(following):
            found.append('-u USER:PASSWORD')
        elif prog in ('curl', 'wget', 'http', 'xh') and word == '-H' and _secret_header(following):
            found.append('an %s header' % following.split(':', 1)[0].strip())
        elif prog == 'sshpass' and word == '-p' and _literal(following):
            found.append('-p PASSWORD')
        elif prog in ('env',) and '=' in word:
            name, _sep, value = word.partition('=')
            if secret_key(name) and _literal(value) and not harmless(value):
                found.append('%s=' % name)
    return found


def _userpass(value):
    _user, sep, password = value.partition(':')
    return bool(sep) and _literal(password)


def _secret_header(value):
    name, sep, content = value.partition(':')
    return bool(sep) and name.strip().lower() in SECRET_HEADERS and _literal(content.strip().split(' ')[-1])


def rule_resources(svc):
    """Limits are numbers the engine can take: pids_limit, memory sizes, cpus, stop_grace_period."""
    spec, found = svc.spec, []
    checks = [('pids_limit', lambda v: ascii_int(v, 'pids_limit', 1, 4194304, 'a whole number of processes'))]
    checks += [(key, lambda v, k=key: size_in_bytes(v, k)) for key in SIZE_KEYS]
    checks += [('cpus', _cpus), ('stop_grace_period', lambda v: duration(v, 'stop_grace_period'))]
    for key, check in checks:
        if spec.get(key) is not None:
            try:
                check(spec[key])
            except StackError as exc:
                found.append(('refuse', '%s: %s' % (svc.where, exc)))
    return found


def _cpus(value):
    number = ascii_number(value, 'cpus', 'a number of CPUs such as 0.5 or 2')
    if number <= 0 or number > 1024:
        raise StackError('cpus is %s; give a number of CPUs above 0 such as 0.5 or 2' % value)
    return number


def size_in_bytes(value, what):
    """'128m', '1g', '65536' or an int as a number of bytes. Raises StackError naming WHAT."""
    if isinstance(value, bool) or not (is_text(value) or isinstance(value, int)):
        raise StackError('%s is %s; give a size such as 64m, 1g or a number of bytes' % (what, describe(value)))
    match = _SIZE.fullmatch(str(value).strip())
    if not match:
        raise StackError('%s is %r; give a size such as 64m, 1g or a number of bytes' % (what, str(value)[:40]))
    return int(match.group(1)) * {'': 1, 'b': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3}[match.group(2).lower()]


def duration(value, what):
    """A compose duration ('20s', '1m30s', '500ms') or a number of seconds; StackError naming WHAT."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if not is_text(value) or not _DURATION.fullmatch(value.strip()):
        raise StackError('%s is %s; give a duration such as 20s, 1m30s or 500ms'
                         % (what, repr(value[:40]) if is_text(value) else describe(value)))
    return value


def _dev_server(words):
    """What development server WORDS run, or None."""
    if not words:
        return None
    prog, args = posixpath.basename(words[0]), words[1:]
    operands = [arg for arg in args if not arg.startswith('-')]
    if prog in ('gunicorn', 'uvicorn', 'hypercorn', 'granian', 'daphne') and \
            any(arg.startswith('--reload') for arg in args):
        return 'a development server (%s --reload)' % prog
    if prog in ('flask', 'quart') and 'run' in operands:
        return 'a development server (%s run)' % prog
    if (prog in ('django-admin', 'django-admin.py') or prog.endswith('manage.py') or
            any(arg.endswith('manage.py') for arg in args[:1])) and \
            any(arg in ('runserver', 'runserver_plus') for arg in args):
        return "Django's development server (%s runserver)" % ('django-admin' if prog.startswith('django') else
                                                               'manage.py')
    if prog.startswith('php') and any(arg.startswith('-S') for arg in args):
        return "PHP's development server (php -S)"
    if prog.startswith('php') and operands[:2] == ['artisan', 'serve']:
        return 'a development server (php artisan serve)'
    if prog in ('http.server', 'SimpleHTTPServer'):
        return "Python's development server (http.server)"
    if prog in ('next', 'nuxt', 'nuxi', 'remix', 'astro', 'svelte-kit', 'gatsby') and operands[:1] == ['dev']:
        return 'a development server (%s dev)' % prog
    if prog == 'vite' and (not operands or operands[0] in ('dev', 'serve', 'preview')):
        return 'a development server (vite)'
    if prog in ('nodemon', 'ts-node-dev', 'webpack-dev-server', 'tsx') and (prog != 'tsx' or 'watch' in operands):
        return 'a development server (%s)' % prog
    if prog in ('ng', 'webpack') and operands[:1] == ['serve']:
        return 'a development server (%s serve)' % prog
    if prog == 'react-scripts' and operands[:1] == ['start']:
        return 'a development server (react-scripts start)'
    if prog in ('node', 'bun', 'deno') and any(arg in ('--watch', '--hot') for arg in args):
        return 'a development server (%s --watch)' % prog
    if prog in ('npm', 'yarn', 'pnpm', 'bun'):
        script = operands[1] if operands[:1] == ['run'] and len(operands) > 1 else operands[0] if operands else ''
        if script in ('dev', 'develop', 'serve', 'watch', 'start:dev'):
            return 'a development server (npm run dev)' if prog == 'npm' else \
                'a development server (yarn/pnpm dev)' if prog != 'bun' else 'a development server (bun dev)'
    return None


CELERY_VALUE_FLAGS = set('AbnlcQXIPfsSOKe')


def _embedded_beat(words):
    if not words or posixpath.basename(words[0]) != 'celery' or 'worker' not in words:
        return False
    for word in words[1:]:
        if word == '--beat' or word.startswith('--beat='):
            return word in ('--beat', '--beat=true', '--beat=1', '--beat=yes')
        if word.startswith('-') and not word.startswith('--'):
            for char in word[1:]:
                if char == 'B':
                    return True
                if char in CELERY_VALUE_FLAGS:
                    break
    return False


def rule_dev_servers(svc):
    """Development servers and a worker with its scheduler embedded: warnings, refusals with stack_strict."""
    found = []
    for where, commands in _command_sets(svc.spec):
        if where == 'healthcheck.test':
            continue
        for words, _assignments in commands:
            what = _dev_server(words)
            if what:
                found.append(('strict', '%s runs %s; run a production server (gunicorn, uvicorn without --reload, '
                                        'a built bundle served statically)' % (svc.where, what)))
                break
        for words, _assignments in commands:
            if _embedded_beat(words):
                found.append(('strict', '%s runs a celery worker with the beat scheduler embedded (-B); run beat as '
                                        'its own service so that scaling workers never duplicates scheduled tasks'
                              % svc.where))
                break
    return found[:2]


def rule_localhost(svc):
    """An environment value pointing at localhost reaches the container itself: warnings, refusals when strict."""
    found = []
    for key, value in environment_items(svc.spec):
        match = LOCALHOST_URL.search(value)
        if match or (LOCALHOST_HOST_KEY.fullmatch(key) and value.strip().lower() in ('localhost', '127.0.0.1', '::1')):
            port = int(match.group(2)) if match and match.group(2) else None
            found.append(('strict', '%s: environment %s points at localhost, which inside a container is the '
                                    'container itself; use the service name%s'
                          % (svc.where, key, _suggest_service(port, svc.services))))
    return found


def _suggest_service(port, services):
    candidates = []
    for other, spec in sorted(services.items(), key=lambda item: str(item[0])):
        try:
            repo = image_repository(image_text(spec or {}))
        except StackError:
            continue
        if port in DATASTORE_PORTS and repo and DATASTORE_PORTS[port].lower().startswith(repo[:5]):
            candidates.append(other)
    if candidates:
        return ' (%s)' % candidates[0]
    return ' of the service it means (%s)' % ', '.join(sorted(str(s) for s in services)) if services else ''


RULES = (
    Rule('interpolation', 'compose expands $VAR after the gate judged the text', rule_interpolation),
    Rule('shape', 'a key the gate judges has the type compose expects', rule_shape),
    Rule('extension', 'x-stackops holds only what the role knows', rule_extension),
    Rule('image', 'pinned images, never built on the server, no extends', rule_image),
    Rule('privileges', 'no privileges given back (privileged, capabilities, unconfined, devices)', rule_privileges),
    Rule('namespaces', 'no host namespace, only the role\'s networks', rule_namespaces),
    Rule('host_paths', 'no runtime socket or system directory bound, after normalising the path', rule_host_paths),
    Rule('user', 'a numeric non-root user, root by any spelling refused', rule_user),
    Rule('secrets', 'declared secrets with plain names', rule_secrets),
    Rule('healthcheck', 'a healthcheck that can fail on every long-running service', rule_healthcheck),
    Rule('ports', 'loopback unless declared public, data stores never off loopback', rule_ports),
    Rule('networks', 'frontend and backend only, data stores on backend', rule_networks),
    Rule('secret_literals', 'no secret literal anywhere in the definition', rule_secret_literals),
    Rule('resources', 'limits the engine can take', rule_resources),
    Rule('dev_servers', 'production servers, beat on its own (strict)', rule_dev_servers),
    Rule('localhost', 'no localhost URL between containers (strict)', rule_localhost),
)


def judge_service(svc):
    """(refusals, warnings, strict findings) of one service, each message ending with the rule's name."""
    refusals, warnings, strict = [], [], []
    for rule in RULES:
        try:
            findings = rule.check(svc)
        except StackError as exc:
            findings = [('refuse', '%s: %s' % (svc.where, exc))]
        for level, message in findings:
            message = '%s [rule %s]' % (message, rule.name)
            (refusals if level == 'refuse' else warnings if level == 'warn' else strict).append(message)
        if rule.name == 'shape' and findings:
            break
    return refusals, warnings, strict


# ---------------------------------------------------------------- the stack as a whole

def _service_key_problem(key):
    if not is_text(key):
        return ('service name %s is %s (a YAML key such as 8080: is read as a number); service names are strings of '
                'lowercase letters, digits, ., - or _ - quote it' % (key, describe(key)))
    if not SERVICE_PATTERN.fullmatch(key):
        return 'service name %r is not valid: lowercase letters, digits, ., - or _' % (key[:70],)
    return None


def _safe_oneshots(services):
    try:
        return set(oneshot_services(services))
    except StackError:
        result = set()
        for name, spec in services.items():
            try:
                if extension(spec)['oneshot']:
                    result.add(name)
            except StackError:
                continue
        return result


def check_stack(name, services, public_ports=None, strict=False, require_pinned=False, secret_names=None,
                project_dir=None):
    """The policy gate. Returns dict(refusals=[...], warnings=[...]); strict turns the operational warnings
    (development servers, embedded beat, localhost URLs) into refusals. secret_names, when given, is the set of
    declared secrets that services may use; project_dir (default /opt/<name>) is where relative bind sources
    start."""
    refusals, warnings = [], []
    if not is_text(name) or not NAME_PATTERN.fullmatch(name):
        refusals.append('stack_name is %r; it must be 1-63 lowercase letters, digits, - or _, starting with a letter '
                        'or digit (it names the compose project and /opt/<stack_name>)'
                        % (name if not is_text(name) or len(name) < 80 else name[:80],))
    if not isinstance(services, dict) or not services:
        refusals.append('stack_services must be a mapping of service names to compose service definitions, with at '
                        'least one service')
        return dict(refusals=refusals, warnings=warnings)
    try:
        public = public_port_set(public_ports)
    except StackError as exc:
        return dict(refusals=refusals + [str(exc)], warnings=warnings)
    for service, port in sorted(public):
        if service not in services:
            refusals.append('stack_public_ports names service %s, which stack_services does not have (it has %s)'
                            % (service, ', '.join(sorted(str(s) for s in services))))
    valid = {}
    for key in sorted(services, key=str):
        problem = _service_key_problem(key)
        if problem:
            refusals.append(problem)
        if not isinstance(services[key], dict):
            refusals.append('service %s must be a mapping (a compose service definition)' % key)
        elif is_text(key):
            valid[key] = services[key]
    try:
        names = None if secret_names is None else set(str(secret) for secret in as_list(secret_names))
    except TypeError:
        names = set()
    ctx = dict(public=public, oneshots=_safe_oneshots(valid), require_pinned=bool(require_pinned), secret_names=names,
               project_dir=project_dir if is_text(project_dir) and project_dir.startswith('/') else
               '/opt/%s' % (name if is_text(name) else 'stack'))
    for svc in sorted(valid):
        judged_refusals, judged_warnings, judged_strict = judge_service(Service(svc, valid[svc], valid, ctx))
        refusals.extend(judged_refusals)
        warnings.extend(judged_warnings)
        (refusals if strict else warnings).extend(judged_strict)
    return dict(refusals=refusals, warnings=warnings)


def rules_table():
    """(name, reason) of every rule, in the order they run."""
    return [(rule.name, rule.reason) for rule in RULES]


def secret_consumer_problems(services):
    """Refusals for services that use secrets but cannot own a copy: no numeric user, or root without the
    root_user exception. The secrets role checks these before it writes, the stack role in its policy."""
    problems = []
    for name in sorted(services, key=str):
        service = services[name] if isinstance(services[name], dict) else {}
        try:
            secrets = service_secret_names(service)
        except StackError as exc:
            problems.append('service %s: %s' % (name, exc))
            continue
        if not secrets:
            continue
        user = service.get('user')
        ids = service_uid_gid(service)
        try:
            allow = extension(service)['allow']
        except StackError:
            allow = set()
        if ids is None:
            problems.append('service %s uses secrets (%s) but its user is %s; give user: UID:GID (numbers) so that its '
                            'secret files can be owned by that uid with mode 0400'
                            % (name, ', '.join(secrets), 'unset' if user is None else repr(str(user)[:40])))
        elif ids[0] == 0 and 'root_user' not in allow:
            problems.append('service %s runs as root (user: %s); give a numeric non-root user such as 10001:10001, '
                            'or add root_user to %s.allow for this service' % (name, str(user).strip(), EXTENSION))
    return problems


# ---------------------------------------------------------------- on a Swarm cluster

SWARM_DEPLOY_KEYS = ('mode', 'replicas', 'endpoint_mode', 'placement', 'resources', 'restart_policy',
                     'update_config', 'rollback_config', 'labels')
SWARM_MODES = ('replicated', 'global', 'replicated-job', 'global-job')


def check_swarm(services, swarm=None, public_ports=None):
    """Refusals of a description that a cluster cannot run safely: deploy settings for services that do not exist,
    a data store or a singleton with more than one task, a data store that publishes a port at all (the ingress
    answers on every node), a one-shot that is not a job, unknown modes, replicas that are no whole number."""
    try:
        options = swarm_options(swarm)
        public = public_port_set(public_ports)
    except StackError as exc:
        return [str(exc)]
    if not isinstance(services, dict):
        return ['stack_services must be a mapping of service names to compose service definitions']
    services = dict((key, spec) for key, spec in services.items() if is_text(key) and isinstance(spec, dict))
    refusals = []
    oneshots = _safe_oneshots(services)
    for svc in sorted(services):
        service = services[svc]
        try:
            datastore = is_datastore(service, svc, public)
            ports = ports_of(service)
        except StackError:
            continue
        if datastore and ports:
            refusals.append('service %s is a data store and publishes port %s; on a Swarm cluster a published port '
                            'answers on every node (the stack file has no host address): remove the port '
                            '[rule swarm]' % (svc, ports[0]['published'] or ports[0]['target']))
    for svc in sorted(options['deploy'], key=str):
        if svc not in services:
            refusals.append('stack_swarm_deploy names service %s, which stack_services does not have (it has %s)'
                            % (svc, ', '.join(sorted(services))))
            continue
        override = options['deploy'][svc]
        if not isinstance(override, dict):
            refusals.append('stack_swarm_deploy.%s must be a mapping of deploy: settings' % svc)
            continue
        for key in sorted((str(key) for key in override if key not in SWARM_DEPLOY_KEYS)):
            refusals.append('stack_swarm_deploy.%s has %r; it accepts %s' % (svc, key, ', '.join(SWARM_DEPLOY_KEYS)))
        mode = override.get('mode')
        replicas = 1
        if 'replicas' in override:
            try:
                replicas = replica_count(override['replicas'], 'stack_swarm_deploy.%s.replicas' % svc)
            except StackError as exc:
                refusals.append(str(exc))
        several = mode in ('global', 'global-job') or replicas > 1
        service = services[svc]
        try:
            datastore = is_datastore(service, svc, public)
            singleton = extension(service)['singleton']
        except StackError:
            datastore, singleton = False, False
        if several and datastore:
            refusals.append('service %s is a data store: it keeps its data in a volume on one node, so it runs as '
                            'one task pinned to that node; remove replicas/mode from stack_swarm_deploy.%s (scale it '
                            'with its own replication instead)' % (svc, svc))
        elif several and singleton:
            refusals.append('service %s is a singleton (x-stackops.singleton): a second task would run every '
                            'scheduled job twice; remove replicas/mode from stack_swarm_deploy.%s' % (svc, svc))
        if svc in oneshots and mode not in (None, 'replicated-job'):
            refusals.append('service %s runs once (a one-shot) and deploys as a replicated-job; stack_swarm_deploy.%s '
                            'sets mode %s' % (svc, svc, mode))
        if mode is not None and mode not in SWARM_MODES:
            refusals.append('stack_swarm_deploy.%s.mode is %r; it accepts %s'
                            % (svc, str(mode)[:30], ', '.join(SWARM_MODES)))
    return refusals
