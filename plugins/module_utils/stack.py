# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stack described in compose syntax: the policy gate, the hardened compose project, and drift.

Plain functions over plain data, so unit tests reach every rule without a host:

- ``check_stack`` returns the refusals and the warnings of a stack description, each naming
  the service and the rule;
- ``render_project`` turns the description into the compose project the host runs: hardened
  defaults under every service, segmented networks, loopback-bound ports, secrets as files;
- ``secret_owners`` says which uid:gid must own a copy of each secret;
- ``compare_project`` tells whether the running containers already are the desired project;
- ``render_swarm`` turns the same description into a Swarm stack file (overlay networks,
  versioned Swarm secrets, ``deploy:`` with placement, resources and health-gated updates),
  and ``check_swarm`` refuses what a cluster cannot run safely.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import hashlib
import re


EXTENSION = 'x-stackops'
FRONTEND = 'frontend'
BACKEND = 'backend'
SECRETS_LABEL = 'org.stackops.secrets'

NAME_PATTERN = re.compile(r'^[a-z0-9][a-z0-9_-]{0,62}$')
SERVICE_PATTERN = re.compile(r'^[a-z0-9][a-z0-9_.-]{0,62}$')
SECRET_NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')

# Exceptions a service may claim in x-stackops.allow, and what each one lets through.
ALLOWANCES = {
    'privileged': 'privileged: true',
    'host_network': 'network_mode: host (or pid/ipc/userns: host)',
    'docker_socket': 'a mount of the Docker socket',
    'root_user': 'running as root (user 0 or root)',
    'no_healthcheck': 'a long-running service without a healthcheck',
    'secret_literal': 'a secret-looking literal in environment',
    'extra_capabilities': 'cap_add beyond NET_BIND_SERVICE, CHOWN, SETUID, SETGID, DAC_OVERRIDE, FOWNER',
}
EXTENSION_KEYS = ('allow', 'datastore', 'oneshot', 'singleton')

# Images whose repository name says "data store": no public ports, backend network only.
DATASTORE_NAMES = ('postgres', 'postgresql', 'postgis', 'redis', 'valkey', 'keydb', 'mysql', 'mariadb',
                   'mongo', 'mongodb', 'memcached', 'elasticsearch', 'opensearch', 'rabbitmq', 'clickhouse',
                   'timescaledb', 'influxdb', 'cassandra', 'etcd', 'minio', 'nats')
DATASTORE_PORTS = {5432: 'PostgreSQL', 6379: 'Redis', 3306: 'MySQL', 27017: 'MongoDB', 11211: 'memcached',
                   9200: 'Elasticsearch', 5672: 'RabbitMQ'}

SECRET_KEY = re.compile(r'(PASS(WORD|WD)?|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|DSN|AUTH)',
                        re.IGNORECASE)
URL_WITH_PASSWORD = re.compile(r'[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@', re.IGNORECASE)
BOT_TOKEN = re.compile(r'\b[0-9]{5,12}:[A-Za-z0-9_-]{35}\b')
HARMLESS_VALUES = re.compile(r'^(|true|false|yes|no|on|off|0|1|none|null|/run/secrets/.*)$', re.IGNORECASE)

WEAK_HEALTHCHECKS = (
    (re.compile(r'\bpgrep\b|\bpidof\b'), 'only checks that a process exists'),
    (re.compile(r'\bps\b[^|]*\|\s*grep\b'), 'only checks that a process exists'),
    (re.compile(r'(^|\s)--version\b|(^|\s)-V$'), 'only prints a version'),
    (re.compile(r'^\s*(true|/bin/true|/usr/bin/true|:|exit\s+0|echo\b[^|&;]*)\s*$'), 'always succeeds'),
    (re.compile(r'(\|\||;)\s*(true|/bin/true|exit\s+0|:)\s*$'), 'turns every failure into success'),
)
DEV_SERVERS = (
    (re.compile(r'\b(yarn|pnpm)\s+(run\s+)?dev\b'), 'a development server (yarn/pnpm dev)'),
    (re.compile(r'\bnpm\s+run\s+dev\b'), 'a development server (npm run dev)'),
    (re.compile(r'\buvicorn\b.*--reload\b'), 'a development server (uvicorn --reload)'),
    (re.compile(r'\bflask\b.*\brun\b'), 'a development server (flask run)'),
    (re.compile(r'\bmanage\.py\s+runserver\b'), "Django's development server (manage.py runserver)"),
    (re.compile(r'\bnodemon\b'), 'a development server (nodemon)'),
    (re.compile(r'\b(next|vite|nuxt)\s+dev\b'), 'a development server'),
    (re.compile(r'\bpython3?\s+-m\s+http\.server\b'), "Python's development server (http.server)"),
)
EMBEDDED_BEAT = re.compile(r'\bcelery\b.*\bworker\b.*(\s-B\b|\s--beat\b)')
LOCALHOST_URL = re.compile(r'://(?:[^/@\s]*@)?(localhost|127\.0\.0\.1|\[::1\])(?::(\d+))?', re.IGNORECASE)
LOCALHOST_HOST_KEY = re.compile(r'(_HOST|_HOSTNAME|_ADDR|_ADDRESS|_SERVER)$', re.IGNORECASE)
DOCKER_SOCKETS = ('/var/run/docker.sock', '/run/docker.sock')
HOST_NAMESPACES = ('network_mode', 'pid', 'ipc', 'userns_mode', 'uts')
HARMLESS_CAPS = ('NET_BIND_SERVICE', 'CHOWN', 'SETUID', 'SETGID', 'DAC_OVERRIDE', 'FOWNER')
LOOPBACK_ADDRESSES = ('127.0.0.1', '::1')
PORT_PATTERN = re.compile(r'^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[0-9.]+|[0-9a-fA-F:]+::?[0-9a-fA-F:]*):)??'
                          r'(?:(?P<published>[0-9]+(?:-[0-9]+)?):)?(?P<target>[0-9]+(?:-[0-9]+)?)'
                          r'(?:/(?P<protocol>tcp|udp|sctp))?$')


class StackError(ValueError):
    """A stack description that cannot even be read (not a mapping, bad types)."""


# ---------------------------------------------------------------- reading the description

def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _text(value):
    """A command, entrypoint or healthcheck test as one string."""
    if isinstance(value, (list, tuple)):
        parts = [str(part) for part in value]
        if parts and parts[0] in ('CMD', 'CMD-SHELL', 'NONE'):
            parts = parts[1:]
        return ' '.join(parts)
    return '' if value is None else str(value)


def extension(service):
    """The service's x-stackops block, normalised: allow (set), datastore and oneshot (bool or None)."""
    ext = service.get(EXTENSION) or {}
    if not isinstance(ext, dict):
        raise StackError('%s must be a mapping' % EXTENSION)
    return dict(allow=set(_as_list(ext.get('allow'))), datastore=ext.get('datastore'), oneshot=ext.get('oneshot'),
                singleton=bool(ext.get('singleton')), unknown=sorted(set(ext) - set(EXTENSION_KEYS)))


def environment_items(service):
    """The service's environment as (key, value) pairs, from the mapping or the list form."""
    env = service.get('environment')
    if env is None:
        return []
    if isinstance(env, dict):
        return [(str(key), '' if value is None else str(value)) for key, value in env.items()]
    items = []
    for entry in _as_list(env):
        key, sep, value = str(entry).partition('=')
        items.append((key, value if sep else ''))
    return items


def image_repository(image):
    """The last path element of an image reference, without tag or digest: stackops-demo/postgres:17 -> postgres."""
    name = str(image or '').split('@', 1)[0]
    last = name.rsplit('/', 1)[-1]
    return last.split(':', 1)[0].lower()


def image_is_pinned(image):
    """True for a digest, or a tag other than latest."""
    image = str(image or '')
    if '@sha256:' in image:
        return True
    last = image.rsplit('/', 1)[-1]
    if ':' not in last:
        return False
    tag = last.split(':', 1)[1]
    return bool(tag) and tag != 'latest'


def is_datastore(service):
    ext = extension(service)
    if ext['datastore'] is not None:
        return bool(ext['datastore'])
    return image_repository(service.get('image')) in DATASTORE_NAMES


def oneshot_services(services):
    """Services that run once and exit: marked oneshot, or waited for with service_completed_successfully."""
    found = set()
    for name, service in services.items():
        if extension(service)['oneshot']:
            found.add(name)
        depends = service.get('depends_on') or {}
        if isinstance(depends, dict):
            for dep, spec in depends.items():
                if isinstance(spec, dict) and spec.get('condition') == 'service_completed_successfully':
                    found.add(dep)
    return sorted(found)


def parse_port(entry):
    """A ports entry, short or long syntax, as dict(host_ip, published, target, protocol). Raises StackError."""
    if isinstance(entry, dict):
        if 'target' not in entry:
            raise StackError('a ports entry in long syntax needs target')
        return dict(host_ip=entry.get('host_ip'), published=None if entry.get('published') in (None, '')
                    else str(entry.get('published')), target=str(entry['target']),
                    protocol=entry.get('protocol') or 'tcp')
    text = str(entry)
    match = PORT_PATTERN.match(text)
    if not match:
        raise StackError('ports entry %r is not [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]' % (text,))
    host_ip = match.group('ip')
    if host_ip:
        host_ip = host_ip.strip('[]')
    return dict(host_ip=host_ip, published=match.group('published'), target=match.group('target'),
                protocol=match.group('protocol') or 'tcp')


def public_port_set(public_ports):
    """stack_public_ports entries ({service, port}) as a set of (service, 'port')."""
    result = set()
    for entry in public_ports or []:
        if not isinstance(entry, dict) or 'service' not in entry or 'port' not in entry:
            raise StackError('each stack_public_ports entry needs service and port, such as {service: web, port: 8080}')
        result.add((str(entry['service']), str(entry['port'])))
    return result


def service_uid_gid(service):
    """The numeric (uid, gid) a service runs as, or None when user is unset or not numeric."""
    user = service.get('user')
    if user is None:
        return None
    match = re.match(r'^([0-9]+)(?::([0-9]+))?$', str(user))
    if not match:
        return None
    uid = int(match.group(1))
    gid = int(match.group(2)) if match.group(2) is not None else uid
    return uid, gid


def service_secret_names(service):
    """Names of the secrets a service uses (short or long syntax)."""
    names = []
    for entry in _as_list(service.get('secrets')):
        if isinstance(entry, dict):
            names.append(str(entry.get('source', '')))
        else:
            names.append(str(entry))
    return names


def secret_owners(services):
    """For each secret, the sorted list of 'uid:gid' that must own a copy of its file."""
    owners = {}
    for name in sorted(services):
        service = services[name] or {}
        ids = service_uid_gid(service)
        for secret in service_secret_names(service):
            if ids is None:
                continue
            owners.setdefault(secret, set()).add('%d:%d' % ids)
    return dict((secret, sorted(values)) for secret, values in owners.items())


def secret_consumer_problems(services):
    """Refusals for services that use secrets but cannot own a copy: no numeric user, or root without the
    root_user exception. The secrets role checks these before it writes, the stack role in its policy."""
    problems = []
    for name in sorted(services):
        service = services[name] or {}
        secrets = service_secret_names(service)
        if not secrets:
            continue
        user = service.get('user')
        ids = service_uid_gid(service)
        if ids is None:
            problems.append('service %s uses secrets (%s) but its user is %s; give user: UID:GID (numbers) so that its '
                            'secret files can be owned by that uid with mode 0400'
                            % (name, ', '.join(secrets), 'unset' if user is None else repr(str(user))))
        elif ids[0] == 0 and 'root_user' not in extension(service)['allow']:
            problems.append('service %s runs as root (user: %s); give a numeric non-root user such as 10001:10001, '
                            'or add root_user to %s.allow for this service' % (name, user, EXTENSION))
    return problems


# ---------------------------------------------------------------- the policy gate

def _volume_source(entry):
    if isinstance(entry, dict):
        return str(entry.get('source') or '')
    return str(entry).split(':', 1)[0]


def _service_problems(name, service, services, ctx):
    """(refusals, warnings, strict_findings) of one service."""
    refusals, warnings, strict = [], [], []
    where = 'service %s' % name
    try:
        ext = extension(service)
    except StackError as exc:
        return ['%s: %s' % (where, exc)], [], []
    for key in ext['unknown']:
        refusals.append('%s: %s has an unknown key %r; it accepts %s' % (where, EXTENSION, key, ', '.join(EXTENSION_KEYS)))
    for claim in sorted(ext['allow'] - set(ALLOWANCES)):
        refusals.append('%s: %s.allow has %r, which is not an exception the role knows; it accepts %s'
                        % (where, EXTENSION, claim, ', '.join(sorted(ALLOWANCES))))
    allow = ext['allow']
    oneshot = name in ctx['oneshots']
    datastore = is_datastore(service)

    if not service.get('image'):
        refusals.append('%s has no image; the role deploys images (build them elsewhere and give image: NAME:TAG)'
                        % where)
    elif not image_is_pinned(service['image']):
        finding = ('%s: image %s is not pinned to a tag or digest; give image: NAME:TAG (not latest) or '
                   'NAME@sha256:DIGEST' % (where, service['image']))
        (refusals if ctx['require_pinned'] else warnings).append(finding)
    if 'build' in service:
        refusals.append('%s has build:; the role deploys images and never builds on the server; '
                        'build and push the image, then give image: NAME:TAG' % where)

    # Privileges and host namespaces.
    if service.get('privileged') and 'privileged' not in allow:
        refusals.append('%s is privileged; remove privileged: true, or add privileged to %s.allow for this service '
                        'if nothing less will do' % (where, EXTENSION))
    for key in HOST_NAMESPACES:
        if str(service.get(key, '')) == 'host' and 'host_network' not in allow:
            refusals.append('%s has %s: host, which shares the host\'s namespace; remove it, or add host_network to '
                            '%s.allow for this service' % (where, key, EXTENSION))
    for entry in _as_list(service.get('volumes')):
        if _volume_source(entry) in DOCKER_SOCKETS and 'docker_socket' not in allow:
            refusals.append('%s mounts the Docker socket (%s), which is root on the host; remove the mount, or add '
                            'docker_socket to %s.allow for this service' % (where, _volume_source(entry), EXTENSION))
    extra_caps = sorted(set(str(cap).upper().replace('CAP_', '') for cap in _as_list(service.get('cap_add')))
                        - set(HARMLESS_CAPS))
    if extra_caps and 'extra_capabilities' not in allow:
        refusals.append('%s adds capabilities %s; remove them from cap_add, or add extra_capabilities to %s.allow '
                        'for this service' % (where, ', '.join(extra_caps), EXTENSION))
    user = service.get('user')
    if user is not None and str(user).split(':', 1)[0] in ('0', 'root') and 'root_user' not in allow:
        refusals.append('%s runs as root (user: %s); give a numeric non-root user such as 10001:10001, or add '
                        'root_user to %s.allow for this service' % (where, user, EXTENSION))
    secrets = service_secret_names(service)
    if secrets and service_uid_gid(service) is None:
        refusals.append('%s uses secrets (%s) but its user is %s; give user: UID:GID (numbers) so that its secret '
                        'files can be owned by that uid with mode 0400'
                        % (where, ', '.join(secrets), 'unset' if user is None else repr(str(user))))
    elif user is None and not secrets:
        warnings.append('%s sets no user, so it runs as its image\'s user (root unless the image says otherwise); '
                        'give user: UID:GID' % where)
    for secret in secrets:
        if ctx['secret_names'] is not None and secret not in ctx['secret_names']:
            refusals.append('%s uses secret %s, which is not declared; declare it in secrets_items (or stack_secrets)'
                            % (where, secret))

    # Healthcheck.
    health = service.get('healthcheck')
    if not oneshot:
        if not health or (isinstance(health, dict) and health.get('disable')) or \
                (isinstance(health, dict) and _as_list(health.get('test'))[:1] == ['NONE']):
            if 'no_healthcheck' not in allow:
                refusals.append('%s runs continuously but has no healthcheck; give healthcheck.test a command that '
                                'proves the service answers (an HTTP request, pg_isready, redis-cli ping), or add '
                                'no_healthcheck to %s.allow for this service' % (where, EXTENSION))
        elif isinstance(health, dict):
            test = _text(health.get('test'))
            for pattern, why in WEAK_HEALTHCHECKS:
                if pattern.search(test):
                    refusals.append('%s has a healthcheck that proves nothing (%r %s); make it prove the service '
                                    'answers (an HTTP request, pg_isready, redis-cli ping)' % (where, test, why))
                    break

    # Ports.
    for entry in _as_list(service.get('ports')):
        try:
            port = parse_port(entry)
        except StackError as exc:
            refusals.append('%s: %s' % (where, exc))
            continue
        public = (name, str(port['published'])) in ctx['public'] or \
            (port['host_ip'] not in (None, '') and port['host_ip'] not in LOOPBACK_ADDRESSES)
        if datastore and public:
            refusals.append('%s is a data store and publishes port %s off loopback; data stores are reached over the '
                            'backend network only: remove the port (or bind it to 127.0.0.1)'
                            % (where, port['published'] or port['target']))
        elif port['host_ip'] not in (None, '') and port['host_ip'] not in LOOPBACK_ADDRESSES and \
                (name, str(port['published'])) not in ctx['public']:
            refusals.append('%s binds port %s to %s; bind it to loopback (drop the address) or declare it public in '
                            'stack_public_ports as {service: %s, port: %s}'
                            % (where, port['published'] or port['target'], port['host_ip'], name,
                               port['published'] or port['target']))
    if 'network_mode' in service and str(service['network_mode']) != 'host':
        refusals.append('%s sets network_mode: %s; the role attaches services to its frontend and backend networks'
                        % (where, service['network_mode']))
    for net in _as_list(service.get('networks')) if not isinstance(service.get('networks'), dict) \
            else list(service['networks']):
        if net not in (FRONTEND, BACKEND):
            refusals.append('%s joins network %s; the stack has two: frontend (what nginx fronts, with egress) and '
                            'backend (internal, no egress)' % (where, net))
        elif datastore and net == FRONTEND:
            refusals.append('%s is a data store on the frontend network; data stores belong on backend only, '
                            'where they have no egress' % where)

    # Secrets in the environment.
    for key, value in environment_items(service):
        if key.upper().endswith('_FILE') or HARMLESS_VALUES.match(value.strip()):
            continue
        literal = SECRET_KEY.search(key) or URL_WITH_PASSWORD.search(value) or BOT_TOKEN.search(value)
        if literal and 'secret_literal' not in allow:
            refusals.append('%s has a secret-looking literal in environment %s; put the value in a secret (secrets: '
                            '[NAME]) and give the application %s_FILE=/run/secrets/NAME, or add secret_literal to '
                            '%s.allow for this service if the value is no secret' % (where, key, key, EXTENSION))

    # Operational smells: warnings, refusals when strict.
    command = ' '.join(part for part in (_text(service.get('entrypoint')), _text(service.get('command'))) if part)
    for pattern, what in DEV_SERVERS:
        if pattern.search(command):
            strict.append('%s runs %s (%r); run a production server (gunicorn, uvicorn without --reload, a built '
                          'bundle served statically)' % (where, what, command))
            break
    if EMBEDDED_BEAT.search(command):
        strict.append('%s runs a celery worker with the beat scheduler embedded (-B); run beat as its own service so '
                      'that scaling workers never duplicates scheduled tasks' % where)
    for key, value in environment_items(service):
        match = LOCALHOST_URL.search(value)
        if match or (LOCALHOST_HOST_KEY.search(key) and value.strip().lower() in ('localhost', '127.0.0.1', '::1')):
            port = int(match.group(2)) if match and match.group(2) else None
            strict.append('%s: environment %s points at localhost, which inside a container is the container itself; '
                          'use the service name%s' % (where, key, _suggest_service(port, services)))
    return refusals, warnings, strict


def _suggest_service(port, services):
    candidates = []
    for other, spec in sorted(services.items()):
        spec = spec or {}
        repo = image_repository(spec.get('image'))
        if port in DATASTORE_PORTS and DATASTORE_PORTS[port].lower().startswith(repo[:5]) and repo:
            candidates.append(other)
    if candidates:
        return ' (%s)' % candidates[0]
    return ' of the service it means (%s)' % ', '.join(sorted(services)) if services else ''


def check_stack(name, services, public_ports=None, strict=False, require_pinned=False, secret_names=None):
    """The policy gate. Returns dict(refusals=[...], warnings=[...]); strict turns the operational warnings
    (development servers, embedded beat, localhost URLs) into refusals. secret_names, when given, is the set of
    declared secrets that services may use."""
    refusals, warnings = [], []
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        refusals.append('stack_name is %r; it must be 1-63 lowercase letters, digits, - or _, starting with a letter '
                        'or digit (it names the compose project and /opt/<stack_name>)' % (name,))
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
                            % (service, ', '.join(sorted(services))))
    bad = [svc for svc in services if not SERVICE_PATTERN.match(str(svc))]
    for svc in bad:
        refusals.append('service name %r is not valid: lowercase letters, digits, ., - or _' % (svc,))
    non_mapping = [svc for svc in services if not isinstance(services[svc], dict)]
    for svc in non_mapping:
        refusals.append('service %s must be a mapping (a compose service definition)' % svc)
    valid = dict((svc, spec) for svc, spec in services.items() if isinstance(spec, dict))
    try:
        oneshots = set(oneshot_services(valid))
    except StackError as exc:
        return dict(refusals=refusals + [str(exc)], warnings=warnings)
    ctx = dict(public=public, oneshots=oneshots, require_pinned=require_pinned,
               secret_names=None if secret_names is None else set(secret_names))
    for svc in sorted(valid):
        r, w, s = _service_problems(svc, valid[svc], valid, ctx)
        refusals.extend(r)
        warnings.extend(w)
        (refusals if strict else warnings).extend(s)
    return dict(refusals=refusals, warnings=warnings)


# ---------------------------------------------------------------- the compose project

def secret_source(name, uid):
    """The compose top-level secret holding the copy of NAME owned by UID."""
    return '%s_u%s' % (name, uid)


def secrets_fingerprint(names, fingerprints):
    """One short fingerprint over the fingerprints of the secrets a service uses; changes when any of them does."""
    digest = hashlib.sha256()
    for name in sorted(set(names)):
        digest.update(('%s=%s\n' % (name, (fingerprints or {}).get(name, 'absent'))).encode('utf-8'))
    return digest.hexdigest()[:16]


def _render_ports(name, service, public):
    rendered = []
    for entry in _as_list(service.get('ports')):
        port = parse_port(entry)
        declared_public = (name, str(port['published'])) in public
        host_ip = port['host_ip'] or ('0.0.0.0' if declared_public else '127.0.0.1')
        spec = dict(target=int(port['target']) if port['target'].isdigit() else port['target'],
                    host_ip=host_ip, protocol=port['protocol'], mode='host')
        if port['published']:
            spec['published'] = port['published']
        rendered.append(spec)
    return rendered


def _hardened_service(name, source, defaults, volumes):
    """One service with the hardened defaults under it (a key the service sets replaces the default), its networks
    (backend only for a data store, frontend and backend otherwise, unless it names its own), and its named volumes
    added to `volumes` under the stack's prefix. The common ground of the compose project and the Swarm stack."""
    rendered = copy.deepcopy(dict((k, v) for k, v in (defaults or {}).items()))
    for key, value in source.items():
        if key == EXTENSION:
            continue
        rendered[key] = copy.deepcopy(value)
    if 'networks' not in source and 'network_mode' not in source:
        rendered['networks'] = [BACKEND] if is_datastore(source) else [FRONTEND, BACKEND]
    if 'network_mode' in source:
        rendered.pop('networks', None)
    for entry in _as_list(source.get('volumes')):
        vol = _volume_source(entry)
        if vol and not vol.startswith(('/', '.', '~', '$')):
            volumes[vol] = dict(name='%s_%s' % (name, vol))
    return rendered


def _with_top_level(project, volumes, secrets):
    """The project with its top-level volumes and secrets, when it has any."""
    if volumes:
        project['volumes'] = volumes
    if secrets:
        project['secrets'] = secrets
    return project


def render_project(name, services, defaults, public_ports=None, secrets_dir=None, fingerprints=None):
    """The compose project, as a mapping ready for YAML: hardened defaults under every service (a key the service
    sets replaces the default), networks frontend and backend (internal), ports bound to 127.0.0.1 unless declared
    public, named volumes declared, secrets as per-uid files under secrets_dir, and a label per service that changes
    when one of its secrets does (so compose recreates exactly the services that use a rotated secret)."""
    public = public_port_set(public_ports)
    oneshots = set(oneshot_services(services))
    networks = {FRONTEND: dict(name='%s_%s' % (name, FRONTEND)),
                BACKEND: dict(name='%s_%s' % (name, BACKEND), internal=True)}
    project = dict(name=name, services={}, networks=networks)
    volumes, secrets = {}, {}
    for svc in sorted(services):
        source = services[svc]
        rendered = _hardened_service(name, source, defaults, volumes)
        if svc in oneshots:
            rendered['restart'] = source.get('restart', 'no')
        if source.get('ports'):
            rendered['ports'] = _render_ports(svc, source, public)
        names = service_secret_names(source)
        if names:
            ids = service_uid_gid(source)
            uid = ids[0] if ids else 0
            entries = []
            for secret in names:
                key = secret_source(secret, uid)
                secrets[key] = dict(file='%s/%s/%s' % (secrets_dir, uid, secret))
                entries.append(dict(source=key, target=secret))
            rendered['secrets'] = entries
            labels = rendered.get('labels') or {}
            if isinstance(labels, dict):
                labels = dict(labels)
            else:
                labels = dict((str(label).split('=', 1) + [''])[:2] for label in _as_list(labels))
            labels[SECRETS_LABEL] = secrets_fingerprint(names, fingerprints)
            rendered['labels'] = labels
        project['services'][svc] = rendered
    return _with_top_level(project, volumes, secrets)


# ---------------------------------------------------------------- the Swarm stack

SWARM_ENDPOINT_MODES = ('vip', 'dnsrr')
SWARM_PUBLISH_MODES = ('ingress', 'host')
SWARM_FILE_VERSION = '3.9'
# docker stack deploy ignores these keys (restart, security_opt) or refuses them (the resource
# keys); the renderer moves each to its Swarm form or drops it with the reason in the docs.
SWARM_MOVED_KEYS = ('depends_on', 'restart', 'container_name', 'security_opt', 'shm_size', 'tmpfs', 'mem_limit',
                    'mem_reservation', 'cpus', 'pids_limit', 'labels')
SWARM_DEPLOY_KEYS = ('mode', 'replicas', 'endpoint_mode', 'placement', 'resources', 'restart_policy',
                     'update_config', 'rollback_config', 'labels')
_SIZE = re.compile(r'^([0-9]+)\s*([bkmg]?)b?$', re.IGNORECASE)


def size_in_bytes(value, what):
    """'128m', '1g', '65536' or an int as a number of bytes. Raises StackError naming WHAT."""
    match = _SIZE.match(str(value).strip())
    if isinstance(value, bool) or not match:
        raise StackError('%s is %r; give a size such as 64m, 1g or a number of bytes' % (what, value))
    return int(match.group(1)) * {'': 1, 'b': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3}[match.group(2).lower()]


def _tmpfs_mounts(svc, rendered):
    """tmpfs entries ('/tmp' or '/tmp:size=64m') and shm_size as Swarm tmpfs mounts (stack files ignore both)."""
    mounts = []
    for entry in _as_list(rendered.get('tmpfs')):
        path, _sep, options = str(entry).partition(':')
        mount = dict(type='tmpfs', target=path)
        size = re.search(r'(?:^|,)size=([^,]+)', options)
        if size:
            mount['tmpfs'] = dict(size=size_in_bytes(size.group(1), 'service %s: tmpfs %s size' % (svc, path)))
        mounts.append(mount)
    if rendered.get('shm_size'):
        mounts.append(dict(type='tmpfs', target='/dev/shm',
                           tmpfs=dict(size=size_in_bytes(rendered['shm_size'], 'service %s: shm_size' % svc))))
    return mounts


def _resources(rendered):
    limits, reservations = {}, {}
    if rendered.get('mem_limit') not in (None, ''):
        limits['memory'] = str(rendered['mem_limit'])
    if rendered.get('cpus') not in (None, ''):
        limits['cpus'] = str(rendered['cpus'])
    if rendered.get('pids_limit') not in (None, ''):
        limits['pids'] = int(rendered['pids_limit'])
    if rendered.get('mem_reservation') not in (None, ''):
        reservations['memory'] = str(rendered['mem_reservation'])
    resources = {}
    if limits:
        resources['limits'] = limits
    if reservations:
        resources['reservations'] = reservations
    return resources


def merge_deep(base, override):
    """BASE with OVERRIDE laid over it, mappings merged key by key, anything else replaced."""
    result = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_deep(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def swarm_secret_name(stack, secret, fingerprint):
    """The versioned Swarm secret name: a new value gets a new name, so a rotation updates exactly its users."""
    version = re.sub(r'[^a-z0-9]', '', str(fingerprint or 'absent').lower().rsplit(':', maxsplit=1)[-1])[:12] or 'absent'
    return '%s_%s_%s' % (stack, secret, version)


def swarm_secrets(name, services, fingerprints, secrets_dir):
    """The Swarm secrets a stack needs: [{secret, name, src}], src being a copy the secrets role wrote."""
    owners = secret_owners(services)
    result = []
    for secret in sorted(set(s for svc in services.values() for s in service_secret_names(svc or {}))):
        uid = owners[secret][0].split(':')[0] if owners.get(secret) else '0'
        result.append(dict(secret=secret, name=swarm_secret_name(name, secret, (fingerprints or {}).get(secret)),
                           src='%s/%s/%s' % (secrets_dir, uid, secret)))
    return result


def _swarm_ports(source, publish_mode):
    rendered = []
    for entry in _as_list(source.get('ports')):
        port = parse_port(entry)
        spec = dict(target=int(port['target']) if port['target'].isdigit() else port['target'],
                    protocol=port['protocol'], mode=publish_mode)
        if port['published']:
            spec['published'] = int(port['published']) if port['published'].isdigit() else port['published']
        rendered.append(spec)
    return rendered


def published_ports(services):
    """Every published port of the stack as {service, port, proto}, sorted; ports without a published number are left out
    (Swarm or Docker picks one). Raises StackError for an entry that is not a port."""
    result = []
    for name in sorted(services):
        for entry in _as_list((services[name] or {}).get('ports')):
            port = parse_port(entry)
            if port['published'] and str(port['published']).isdigit():
                result.append(dict(service=name, port=int(port['published']), proto=port['protocol']))
    return result


def swarm_update_order(service, oneshot, publish_mode):
    """start-first where two tasks side by side are harmless; stop-first for data stores (one volume), singletons
    (a second scheduler would run every job twice) and host-mode published ports (both tasks want the port)."""
    ext = extension(service)
    if oneshot or is_datastore(service) or ext['singleton'] or (service.get('ports') and publish_mode == 'host'):
        return 'stop-first'
    return 'start-first'


def _swarm_deploy(svc, source, rendered, oneshot, options):
    deploy = {}
    if oneshot:
        deploy['mode'] = 'replicated-job'
        deploy['restart_policy'] = dict(condition='on-failure', delay='5s', max_attempts=3)
    else:
        order = swarm_update_order(source, oneshot, options['publish_mode'])
        monitor = options['monitor']
        deploy.update(mode='replicated', replicas=1, endpoint_mode=options['endpoint_mode'],
                      restart_policy=dict(condition='any', delay='5s'),
                      update_config=dict(parallelism=1, delay='5s', order=order, failure_action='rollback',
                                         monitor=monitor, max_failure_ratio=0),
                      rollback_config=dict(parallelism=1, delay='0s', order=order, failure_action='pause',
                                           monitor=monitor))
    if is_datastore(source):
        deploy['placement'] = dict(constraints=['node.labels.%s == true' % options['datastore_label']])
    resources = _resources(rendered)
    if resources:
        deploy['resources'] = resources
    if isinstance(source.get('labels'), (dict, list)):
        deploy['labels'] = copy.deepcopy(source['labels'])
    deploy = merge_deep(deploy, (options['deploy'] or {}).get(svc))
    if deploy.get('mode') in ('global', 'global-job'):
        deploy.pop('replicas', None)  # one task per node; Swarm refuses a replica count with it
    return deploy


def _swarm_options(options):
    options = dict(options or {})
    result = dict(endpoint_mode=options.get('endpoint_mode') or 'vip', publish_mode=options.get('publish_mode') or 'ingress',
                  encrypted=bool(options.get('encrypted', True)), datastore_label=options.get('datastore_label') or 'stackops.data',
                  monitor=str(options.get('monitor') or '30s'), deploy=options.get('deploy') or {})
    if result['endpoint_mode'] not in SWARM_ENDPOINT_MODES:
        raise StackError('stack_swarm_endpoint_mode is %r; it accepts %s' % (result['endpoint_mode'], ', '.join(SWARM_ENDPOINT_MODES)))
    if result['publish_mode'] not in SWARM_PUBLISH_MODES:
        raise StackError('stack_swarm_publish_mode is %r; it accepts %s' % (result['publish_mode'], ', '.join(SWARM_PUBLISH_MODES)))
    if not isinstance(result['deploy'], dict):
        raise StackError('stack_swarm_deploy must be a mapping of service names to deploy: settings')
    return result


def render_swarm(name, services, defaults, swarm=None, fingerprints=None):
    """The Swarm stack file of the same description: the same hardened services, on overlay networks (backend
    internal, both encrypted unless swarm.encrypted is false), secrets as versioned external Swarm secrets mounted
    0400 for the service's uid, tmpfs and shm_size as tmpfs mounts, resource keys under deploy.resources, and
    deploy: with replicas, data stores pinned to nodes labelled swarm.datastore_label, health-gated updates that
    roll back by themselves (swarm.deploy overrides any of it per service). One-shots become replicated jobs."""
    options = _swarm_options(swarm)
    oneshots = set(oneshot_services(services))
    driver_opts = dict(encrypted='true') if options['encrypted'] else {}
    networks = {FRONTEND: dict(driver='overlay'), BACKEND: dict(driver='overlay', internal=True)}
    for network in networks.values():
        if driver_opts:
            network['driver_opts'] = dict(driver_opts)
    project = dict(version=SWARM_FILE_VERSION, services={}, networks=networks)
    volumes, secrets = {}, {}
    for svc in sorted(services):
        source = services[svc]
        if 'network_mode' in source:
            raise StackError('service %s sets network_mode, which a Swarm service cannot have' % svc)
        rendered = _hardened_service(name, source, defaults, volumes)
        oneshot = svc in oneshots
        mounts = _tmpfs_mounts(svc, rendered)
        deploy = _swarm_deploy(svc, source, rendered, oneshot, options)
        for key in SWARM_MOVED_KEYS:
            rendered.pop(key, None)
        if mounts:
            rendered['volumes'] = list(rendered.get('volumes') or []) + mounts
        if source.get('ports'):
            rendered['ports'] = _swarm_ports(source, options['publish_mode'])
        names = service_secret_names(source)
        if names:
            ids = service_uid_gid(source) or (0, 0)
            entries = []
            for secret in names:
                secrets[secret] = dict(external=True, name=swarm_secret_name(name, secret, (fingerprints or {}).get(secret)))
                entries.append(dict(source=secret, target=secret, uid=str(ids[0]), gid=str(ids[1]), mode=0o400))
            rendered['secrets'] = entries
        rendered['deploy'] = deploy
        project['services'][svc] = rendered
    return _with_top_level(project, volumes, secrets)


def check_swarm(services, swarm=None):
    """Refusals of a description that a cluster cannot run safely: deploy settings for services that do not exist,
    a data store or a singleton with more than one task, a one-shot that is not a job, unknown modes."""
    try:
        options = _swarm_options(swarm)
    except StackError as exc:
        return [str(exc)]
    refusals = []
    oneshots = set(oneshot_services(services))
    for svc in sorted(options['deploy']):
        if svc not in services:
            refusals.append('stack_swarm_deploy names service %s, which stack_services does not have (it has %s)'
                            % (svc, ', '.join(sorted(services))))
            continue
        override = options['deploy'][svc]
        if not isinstance(override, dict):
            refusals.append('stack_swarm_deploy.%s must be a mapping of deploy: settings' % svc)
            continue
        for key in sorted(set(override) - set(SWARM_DEPLOY_KEYS)):
            refusals.append('stack_swarm_deploy.%s has %r; it accepts %s' % (svc, key, ', '.join(SWARM_DEPLOY_KEYS)))
        mode = override.get('mode')
        replicas = override.get('replicas', 1)
        several = mode in ('global', 'global-job') or (isinstance(replicas, int) and replicas > 1)
        service = services[svc] or {}
        if several and is_datastore(service):
            refusals.append('service %s is a data store: it keeps its data in a volume on one node, so it runs as '
                            'one task pinned to that node; remove replicas/mode from stack_swarm_deploy.%s (scale it '
                            'with its own replication instead)' % (svc, svc))
        elif several and extension(service)['singleton']:
            refusals.append('service %s is a singleton (x-stackops.singleton): a second task would run every '
                            'scheduled job twice; remove replicas/mode from stack_swarm_deploy.%s' % (svc, svc))
        if svc in oneshots and mode not in (None, 'replicated-job'):
            refusals.append('service %s runs once (a one-shot) and deploys as a replicated-job; stack_swarm_deploy.%s '
                            'sets mode %s' % (svc, svc, mode))
        if mode is not None and mode not in ('replicated', 'global', 'replicated-job', 'global-job'):
            refusals.append('stack_swarm_deploy.%s.mode is %r; it accepts replicated, global, replicated-job, '
                            'global-job' % (svc, mode))
    return refusals


# ---------------------------------------------------------------- drift

def compare_project(desired_hashes, containers, oneshots=()):
    """Whether the running project already is the desired one.

    desired_hashes: {service: config hash} from ``docker compose config --hash '*'``.
    containers: dicts with service, config_hash, state (running, exited, ...), exit_code, oneoff.
    Returns dict(in_sync=bool, drift=[reasons], services=[drifted services], oneshots_in_sync=bool).
    """
    drift, drifted = [], set()
    by_service = {}
    for container in containers:
        if container.get('oneoff'):
            continue
        by_service.setdefault(container.get('service'), []).append(container)

    def note(service, reason):
        drift.append('service %s %s' % (service, reason))
        drifted.add(service)

    for service in sorted(desired_hashes):
        found = by_service.get(service, [])
        if not found:
            note(service, 'has no container')
            continue
        for container in found:
            if container.get('config_hash') != desired_hashes[service]:
                note(service, 'runs a container made from another configuration')
            elif service in oneshots:
                if container.get('state') != 'exited' or container.get('exit_code') != 0:
                    note(service, '(one-shot) is %s%s, not exited with code 0'
                         % (container.get('state'), '' if container.get('exit_code') is None
                            else ' with code %s' % container.get('exit_code')))
            elif container.get('state') != 'running':
                note(service, 'is %s, not running' % container.get('state'))
    for service in sorted(set(by_service) - set(desired_hashes)):
        drift.append('service %s runs but is no longer in the project' % service)
    return dict(in_sync=not drift, drift=drift, services=sorted(drifted),
                oneshots_in_sync=not (drifted & set(oneshots)))


def parse_config_hashes(text):
    """Output of ``docker compose config --hash '*'`` ("service hash" per line) as a mapping."""
    hashes = {}
    for line in (text or '').splitlines():
        parts = line.split()
        if len(parts) == 2:
            hashes[parts[0]] = parts[1]
    return hashes


def container_summary(document):
    """The parts of a container inspect document that compare_project reads."""
    labels = (document.get('Config') or {}).get('Labels') or {}
    state = document.get('State') or {}
    return dict(name=str(document.get('Name', '')).lstrip('/'),
                service=labels.get('com.docker.compose.service'),
                config_hash=labels.get('com.docker.compose.config-hash'),
                oneoff=str(labels.get('com.docker.compose.oneoff', 'False')).lower() == 'true',
                state=state.get('Status'),
                exit_code=state.get('ExitCode'))
