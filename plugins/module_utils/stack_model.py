# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a stack description in compose syntax: plain values out of what a user wrote.

Every reader either returns a plain value or raises StackError with a message that names what
was read and what would be accepted. Numbers are ASCII digits only ('٣' is no 3), names end at
the string's end, host paths are normalised before anyone judges them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
import posixpath
import re

try:
    import ipaddress
except ImportError:  # pragma: no cover - Python 2 without the backport
    ipaddress = None

try:
    STRING_TYPES = (str, unicode)  # noqa: F821 pylint: disable=undefined-variable
except NameError:
    STRING_TYPES = (str,)


EXTENSION = 'x-stackops'
FRONTEND = 'frontend'
BACKEND = 'backend'
SECRETS_LABEL = 'org.stackops.secrets'

NAME_PATTERN = re.compile(r'[a-z0-9][a-z0-9_-]{0,62}')
SERVICE_PATTERN = re.compile(r'[a-z0-9][a-z0-9_.-]{0,62}')
SECRET_NAME_PATTERN = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,62}')
_ASCII_INT = re.compile(r'\+?[0-9]+')
_ASCII_NUMBER = re.compile(r'[0-9]+(?:\.[0-9]*)?|\.[0-9]+')
_POSIX_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?')
MAX_ID = 2 ** 32 - 2  # the largest uid/gid Linux hands out (2^32 - 1 is "no id")

# Exceptions a service may claim in x-stackops.allow, and what each one lets through.
ALLOWANCES = {
    'privileged': 'privileged: true',
    'host_network': 'network_mode: host (or pid, ipc, uts, cgroup, userns_mode: host)',
    'docker_socket': "a mount of the Docker socket or another container runtime's socket",
    'host_path': 'a bind mount of a system directory of the host (/, /etc, /run, /proc, /sys, /dev, /boot)',
    'root_user': 'running as root (user 0 or root)',
    'no_healthcheck': 'a long-running service without a healthcheck',
    'secret_literal': 'a secret-looking literal in environment, command, entrypoint, healthcheck or labels',
    'extra_capabilities': 'cap_add beyond NET_BIND_SERVICE, CHOWN, SETUID, SETGID, DAC_OVERRIDE, FOWNER, '
                          'or a cap_drop without ALL',
    'unconfined': 'security_opt that turns off seccomp, AppArmor, SELinux labels or no-new-privileges',
    'devices': 'devices or device_cgroup_rules (host devices in the container)',
}
EXTENSION_KEYS = ('allow', 'datastore', 'oneshot', 'ready', 'singleton')

# Data stores and brokers, recognised by a word of the image's repository name: the official
# images and their forks and derivatives (redis-stack, pgvector, timescaledb-ha, bitnami/...).
DATASTORE_NAMES = ('postgres', 'postgresql', 'postgis', 'pgvector', 'timescaledb', 'supabase-postgres', 'citus',
                   'redis', 'valkey', 'keydb', 'dragonfly', 'dragonflydb', 'garnet', 'mysql', 'mariadb', 'percona',
                   'mongo', 'mongodb', 'memcached', 'elasticsearch', 'opensearch', 'rabbitmq', 'clickhouse',
                   'influxdb', 'cassandra', 'scylla', 'etcd', 'minio', 'nats', 'kafka', 'redpanda', 'zookeeper',
                   'cockroach', 'cockroachdb', 'couchdb', 'couchbase', 'neo4j', 'arangodb', 'qdrant', 'milvus',
                   'weaviate', 'meilisearch', 'typesense', 'mosquitto', 'emqx', 'activemq', 'pulsar', 'surrealdb',
                   'questdb', 'yugabyte', 'tidb', 'vitess', 'mssql', 'oracle-xe')
# A word of the repository name that starts with one of these is a data store too (postgres16,
# mysql-server, mongodb-community-server, redis-stack-server, timescaledb-ha).
DATASTORE_PREFIXES = ('postgres', 'mysql', 'mariadb', 'mongo', 'redis', 'valkey', 'keydb', 'timescale', 'pgvector',
                      'elasticsearch', 'opensearch', 'clickhouse', 'cassandra', 'influxdb', 'rabbitmq', 'memcache',
                      'dragonfly', 'cockroach', 'scylla', 'couchdb', 'etcd', 'nats', 'kafka')
# Well-known container ports of data stores and brokers, and of their management and monitoring.
DATASTORE_PORTS = {5432: 'PostgreSQL', 6379: 'Redis', 6380: 'Redis', 3306: 'MySQL', 33060: 'MySQL X',
                   27017: 'MongoDB', 27018: 'MongoDB', 27019: 'MongoDB', 4222: 'NATS', 6222: 'NATS cluster',
                   8222: 'NATS monitoring', 5672: 'RabbitMQ', 15672: 'RabbitMQ management', 9200: 'Elasticsearch',
                   9300: 'Elasticsearch transport', 11211: 'memcached', 2379: 'etcd', 2380: 'etcd peers',
                   9042: 'Cassandra', 8086: 'InfluxDB', 9092: 'Kafka', 2181: 'ZooKeeper', 26257: 'CockroachDB',
                   5984: 'CouchDB', 7687: 'Neo4j', 6333: 'Qdrant', 19530: 'Milvus', 1883: 'MQTT', 8529: 'ArangoDB',
                   1433: 'SQL Server', 1521: 'Oracle', 8123: 'ClickHouse HTTP', 9000: 'ClickHouse native'}
MONITORING_PORTS = {9090: 'Prometheus', 9093: 'Alertmanager', 9100: 'node-exporter', 5555: 'Flower',
                    8222: 'NATS monitoring', 15672: 'RabbitMQ management', 9187: 'postgres-exporter',
                    9121: 'redis-exporter', 16686: 'Jaeger', 9115: 'blackbox-exporter'}

LOOPBACK_ADDRESSES = ('127.0.0.1', '::1')
PORT_PROTOCOLS = ('tcp', 'udp', 'sctp')
PORT_MODES = ('host', 'ingress')


class StackError(ValueError):
    """A stack description that cannot even be read (not a mapping, bad types, a number that is none)."""


# ---------------------------------------------------------------- plain values

def is_text(value):
    return isinstance(value, STRING_TYPES)


def as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def describe(value):
    """What kind of value a user gave, for a message that must not echo it."""
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, dict):
        return 'a mapping'
    if isinstance(value, (list, tuple)):
        return 'a list'
    if isinstance(value, (int, float)):
        return 'a number'
    if value is None:
        return 'empty'
    return 'a string'


def scalar_text(value, what):
    """A string, number or boolean as text (booleans as true/false); anything else is refused."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if is_text(value):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    raise StackError('%s must be a string (it is %s)' % (what, describe(value)))


def ascii_int(value, what, low=None, high=None, accepted='a whole number'):
    """An int, or a string of ASCII digits (an optional +), within [low, high]. Raises StackError naming WHAT."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif is_text(value):
        text = value.strip()
        if _ASCII_INT.fullmatch(text):
            number = int(text)
    if number is None:
        raise StackError('%s is %s; give %s' % (what, _shown(value), accepted))
    if (low is not None and number < low) or (high is not None and number > high):
        raise StackError('%s is %d; give %s%s' % (what, number, accepted, _bounds(low, high)))
    return number


def ascii_number(value, what, accepted='a number such as 0.5 or 2'):
    """An int or float (not a boolean), or a string of ASCII digits with an optional fraction."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isnan(value) or math.isinf(value):
            raise StackError('%s is not a finite number; give %s' % (what, accepted))
        return float(value)
    if is_text(value) and _ASCII_NUMBER.fullmatch(value.strip()):
        return float(value.strip())
    raise StackError('%s is %s; give %s' % (what, _shown(value), accepted))


def _shown(value):
    if is_text(value) and len(value) <= 40 and value.isprintable():
        return repr(value)
    return describe(value)


def _bounds(low, high):
    if low is not None and high is not None:
        return ' from %d to %d' % (low, high)
    if low is not None:
        return ' of at least %d' % low
    return ' of at most %d' % high


def flag(value, what):
    """true/false, yes/no, on/off, 1/0 (compose casts these) as a bool; None is false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if is_text(value) and value.strip().lower() in ('true', 'yes', 'on', '1', 'false', 'no', 'off', '0', ''):
        return value.strip().lower() in ('true', 'yes', 'on', '1')
    raise StackError('%s is %s; give true or false' % (what, _shown(value)))


def unescape_dollars(text):
    """Text as docker compose hands it on: $$ is a literal $."""
    return text.replace('$$', '$')


def has_interpolation(text):
    """Whether docker compose would expand something in TEXT ($VAR, ${VAR}, ${VAR:-x}; $$ is a literal $)."""
    return '$' in text.replace('$$', '')


# ---------------------------------------------------------------- the x-stackops block

def extension(service):
    """The service's x-stackops block, normalised: allow (set of names), datastore and oneshot (bool or None),
    singleton (bool), unknown (keys the role does not know). Raises StackError for a block it cannot read."""
    ext = service.get(EXTENSION) if isinstance(service, dict) else None
    if ext is None:
        ext = {}
    if not isinstance(ext, dict):
        raise StackError('%s must be a mapping with %s (it is %s)'
                         % (EXTENSION, ', '.join(EXTENSION_KEYS), describe(ext)))
    allow = set()
    for claim in as_list(ext.get('allow')):
        if not is_text(claim):
            raise StackError('%s.allow must be a list of exception names such as [privileged] (it holds %s); it '
                             'accepts %s' % (EXTENSION, describe(claim), ', '.join(sorted(ALLOWANCES))))
        allow.add(claim.strip())
    result = dict(allow=allow, unknown=sorted(str(key) for key in ext if key not in EXTENSION_KEYS))
    for key in ('datastore', 'oneshot'):
        result[key] = None if ext.get(key) is None else flag(ext.get(key), '%s.%s' % (EXTENSION, key))
    result['singleton'] = flag(ext.get('singleton'), '%s.singleton' % EXTENSION)
    return result


# ---------------------------------------------------------------- environment, labels, images

def environment_items(service):
    """The service's environment as (key, value) pairs of text, from the mapping or the list form."""
    env = service.get('environment')
    if env is None:
        return []
    if isinstance(env, dict):
        items = []
        for key, value in env.items():
            name = scalar_text(key, 'an environment key')
            items.append((name, scalar_text(value, 'environment %s' % name)))
        return items
    if not isinstance(env, (list, tuple)):
        raise StackError('environment must be a mapping or a list of KEY=VALUE (it is %s)' % describe(env))
    items = []
    for entry in env:
        key, sep, value = scalar_text(entry, 'an environment entry').partition('=')
        items.append((key, value if sep else ''))
    return items


def label_items(service):
    """The service's labels as (key, value) pairs of text."""
    labels = service.get('labels')
    if labels is None:
        return []
    if isinstance(labels, dict):
        return [(scalar_text(key, 'a label key'), scalar_text(value, 'label %s' % key)) for key, value in labels.items()]
    if not isinstance(labels, (list, tuple)):
        raise StackError('labels must be a mapping or a list of KEY=VALUE (it is %s)' % describe(labels))
    items = []
    for entry in labels:
        key, _sep, value = scalar_text(entry, 'a label').partition('=')
        items.append((key, value))
    return items


def image_text(service):
    image = service.get('image')
    if image is None:
        return ''
    if not is_text(image):
        raise StackError('image must be a string such as NAME:TAG (it is %s)' % describe(image))
    return image.strip()


def image_repository(image):
    """The last path element of an image reference, without tag or digest: stackops-demo/postgres:17 -> postgres."""
    name = (image if is_text(image) else '').split('@', 1)[0]
    last = name.rsplit('/', 1)[-1]
    return last.split(':', 1)[0].lower()


def image_is_pinned(image):
    """True for a digest, or a tag other than latest."""
    image = image if is_text(image) else ''
    if '@sha256:' in image:
        return True
    last = image.rsplit('/', 1)[-1]
    if ':' not in last:
        return False
    tag = last.split(':', 1)[1]
    return bool(tag) and tag != 'latest'


def image_is_datastore(image):
    """Whether the image's repository name says data store or broker (a word of it, or a word's start)."""
    words = [word for word in re.split(r'[^a-z0-9]+', image_repository(image)) if word]
    joined = '-'.join(words)
    if joined in DATASTORE_NAMES:
        return True
    for word in words:
        if word in DATASTORE_NAMES or word.startswith(DATASTORE_PREFIXES):
            return True
    return False


# ---------------------------------------------------------------- ports

def _port_number(text, what):
    if not _ASCII_INT.fullmatch(text) or text.startswith('+'):
        raise StackError('%s: %r is not a port number (1-65535)' % (what, text) if len(text) <= 40 else
                         '%s is not a port number (1-65535)' % what)
    number = int(text)
    if not 1 <= number <= 65535:
        raise StackError('%s: port %d is out of range (1-65535)' % (what, number))
    return number


def port_range(text, what):
    """'8000' or '8000-8010' as (first, last), both 1-65535 and in order. Raises StackError."""
    first, sep, last = text.partition('-')
    start = _port_number(first.strip(), what)
    end = _port_number(last.strip(), what) if sep else start
    if end < start:
        raise StackError('%s: range %s is inverted; give FIRST-LAST with FIRST <= LAST' % (what, text))
    return start, end


def _port_text(value, what):
    if isinstance(value, bool) or not (is_text(value) or isinstance(value, int)):
        raise StackError('%s must be a port number or a range such as 8000-8010 (it is %s)' % (what, describe(value)))
    return str(value).strip()


def normal_host_ip(text, what):
    """A host address as ipaddress reads it ('[::]' -> '::'); StackError when it is none."""
    address = text.strip()
    if address.startswith('[') and address.endswith(']'):
        address = address[1:-1]
    if ipaddress is None:
        return address
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        raise StackError('%s: host address %r is not an IPv4 or IPv6 address' % (what, address[:60]))


def is_loopback(host_ip):
    if host_ip in LOOPBACK_ADDRESSES:
        return True
    if not host_ip or ipaddress is None:
        return False
    try:
        address = ipaddress.ip_address(host_ip)
    except ValueError:
        return False
    mapped = getattr(address, 'ipv4_mapped', None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def parse_port(entry, what='ports entry'):
    """A ports entry, short or long syntax, as dict(host_ip, published, target, protocol, mode), the ports as text
    ('8000' or '8000-8010'), host_ip normalised ('[::]' -> '::'). Raises StackError naming the entry."""
    if isinstance(entry, dict):
        known = ('target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol')
        unknown = sorted(str(key) for key in entry if key not in known)
        if unknown:
            raise StackError('%s in long syntax has %s; it accepts target, published, host_ip, protocol, mode'
                             % (what, ', '.join(unknown)))
        if entry.get('target') in (None, ''):
            raise StackError('a %s in long syntax needs target' % what)
        target = _port_text(entry['target'], '%s target' % what)
        published = entry.get('published')
        published = None if published in (None, '') else _port_text(published, '%s published' % what)
        host_ip = entry.get('host_ip')
        if host_ip not in (None, ''):
            host_ip = normal_host_ip(scalar_text(host_ip, '%s host_ip' % what), what)
        else:
            host_ip = None
        protocol = scalar_text(entry.get('protocol') or 'tcp', '%s protocol' % what).strip().lower()
        mode = scalar_text(entry.get('mode') or 'host', '%s mode' % what).strip().lower()
    elif isinstance(entry, int) and not isinstance(entry, bool):
        target, published, host_ip, protocol, mode = str(entry), None, None, 'tcp', 'host'
    elif is_text(entry):
        text = entry.strip()
        shown = repr(text) if len(text) <= 60 else 'of %d characters' % len(text)
        what = '%s %s' % (what, shown)
        body, sep, protocol = text.rpartition('/')
        if not sep:
            body, protocol = text, 'tcp'
        protocol = protocol.lower()
        host_ip = None
        if body.startswith('['):
            close = body.find(']')
            if close < 0 or body[close + 1:close + 2] != ':':
                raise StackError('%s is not [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]' % what)
            host_ip = normal_host_ip(body[1:close], what)
            parts = [host_ip] + body[close + 2:].split(':')
            if len(parts) == 2:
                parts.insert(1, '')
        else:
            parts = body.split(':')
            if len(parts) > 3:  # an IPv6 address without brackets
                parts = [':'.join(parts[:-2])] + parts[-2:]
        if len(parts) == 3:
            if parts[0] and host_ip is None:
                host_ip = normal_host_ip(parts[0], what)
            published, target = parts[1], parts[2]
        elif len(parts) == 2:
            published, target = parts
        else:
            published, target = None, parts[0]
        published = published.strip() if published and published.strip() else None
        target = target.strip()
        if not target:
            raise StackError('%s is not [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]' % what)
        mode = 'host'
    else:
        raise StackError('a %s must be a string such as "127.0.0.1:8000:8000", a number or a mapping with target '
                         '(it is %s)' % (what, describe(entry)))
    if protocol not in PORT_PROTOCOLS:
        raise StackError('%s: protocol %r is not one of %s' % (what, protocol[:20], ', '.join(PORT_PROTOCOLS)))
    if mode not in PORT_MODES:
        raise StackError('%s: mode %r is not one of %s' % (what, mode[:20], ', '.join(PORT_MODES)))
    target_range = port_range(target, '%s (container port)' % what)
    if published is not None:
        published_range = port_range(published, '%s (host port)' % what)
        if target_range[0] != target_range[1] and \
                published_range[1] - published_range[0] != target_range[1] - target_range[0]:
            raise StackError('%s: the host range %s and the container range %s differ in size' % (what, published,
                                                                                                  target))
    return dict(host_ip=host_ip, published=published, target=target, protocol=protocol, mode=mode)


def port_span(text):
    """The (first, last) numbers of a port or range text that parse_port accepted."""
    first, _sep, last = text.partition('-')
    return int(first), int(last or first)


def span_holds(text, numbers):
    """The well-known NUMBERS inside the port or range TEXT, in order."""
    first, last = port_span(text)
    return [number for number in sorted(numbers) if first <= number <= last]


def public_port_set(public_ports):
    """stack_public_ports entries ({service, port}) as a set of (service, 'port')."""
    result = set()
    if public_ports is None:
        return result
    if not isinstance(public_ports, (list, tuple)):
        raise StackError('stack_public_ports must be a list of {service, port} (it is %s)' % describe(public_ports))
    for entry in public_ports:
        if not isinstance(entry, dict) or 'service' not in entry or 'port' not in entry or \
                not is_text(entry['service']):
            raise StackError('each stack_public_ports entry needs service and port, such as {service: web, port: 8080}')
        port = ascii_int(entry['port'], 'stack_public_ports port of service %s' % entry['service'], 1, 65535,
                         'a port number')
        result.add((entry['service'], str(port)))
    return result


def ports_of(service):
    """The service's ports entries, parsed; StackError for the first it cannot read."""
    ports = service.get('ports')
    if ports is not None and not isinstance(ports, (list, tuple)):
        raise StackError('ports must be a list (it is %s)' % describe(ports))
    return [parse_port(entry) for entry in as_list(ports)]


def exposed_of(service):
    """The container ports of expose: as texts ('6379', '9000-9001')."""
    result = []
    for entry in as_list(service.get('expose')):
        text = _port_text(entry, 'expose entry')
        number, _sep, protocol = text.partition('/')
        port_range(number, 'expose entry %r' % text[:40])
        result.append(number)
    return result


# ---------------------------------------------------------------- data stores and one-shots

def datastore_ports(service, name=None, public=None):
    """The well-known data-store ports the service listens on (container ports of ports: and expose:), leaving
    out the ports declared public."""
    found = []
    try:
        ports = ports_of(service)
        exposed = exposed_of(service)
    except StackError:
        return found
    for port in ports:
        if public and name is not None and (name, port['published'] or port['target']) in public:
            continue
        found.extend(span_holds(port['target'], DATASTORE_PORTS))
    for text in exposed:
        found.extend(span_holds(text, DATASTORE_PORTS))
    return sorted(set(found))


def is_datastore(service, name=None, public=None):
    """A data store: x-stackops.datastore says so, or the image's name says so, or the service listens on a
    well-known data-store or broker port that is not declared public (stack_public_ports)."""
    ext = extension(service)
    if ext['datastore'] is not None:
        return ext['datastore']
    try:
        image = image_text(service)
    except StackError:
        image = ''
    if image_is_datastore(image):
        return True
    return bool(datastore_ports(service, name, public))


def oneshot_services(services):
    """Services that run once and exit: marked oneshot, or waited for with service_completed_successfully."""
    found = set()
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        if extension(service)['oneshot']:
            found.add(name)
        depends = service.get('depends_on') or {}
        if isinstance(depends, dict):
            for dep, spec in depends.items():
                if isinstance(spec, dict) and spec.get('condition') == 'service_completed_successfully':
                    found.add(dep)
    return sorted(found, key=str)


# ---------------------------------------------------------------- users and secrets

def parse_user(user, what='user'):
    """A compose user (NAME, UID, NAME:GROUP, UID:GID, spaces around allowed) as dict(uid, gid, root): uid and gid
    are ints when numeric, None when a name; root says whether it runs as root. Raises StackError."""
    if isinstance(user, bool) or not (is_text(user) or isinstance(user, int)):
        raise StackError('%s must be UID[:GID] or NAME[:GROUP] (it is %s)' % (what, describe(user)))
    text = str(user).strip()
    if not text:
        raise StackError('%s is empty; give UID[:GID] such as 10001:10001' % what)
    parts = [part.strip() for part in text.split(':')]
    if len(parts) > 2 or not all(parts):
        raise StackError('%s is %s; give UID[:GID] such as 10001:10001 or NAME[:GROUP]' % (what, _shown(user)))
    ids = []
    names = []
    for part in parts:
        if _ASCII_INT.fullmatch(part):
            ids.append(ascii_int(part, what, 0, MAX_ID, 'a uid and gid'))
            names.append(None)
        elif _POSIX_NAME.fullmatch(part):
            ids.append(None)
            names.append(part)
        else:
            raise StackError('%s is %s; give UID[:GID] with ASCII digits (such as 10001:10001) or a user name'
                             % (what, _shown(user)))
    uid = ids[0]
    gid = ids[1] if len(ids) > 1 else (uid if names[0] is None else None)
    root = uid == 0 or names[0] == 'root'
    return dict(uid=uid, gid=gid, root=root, numeric=uid is not None and (len(ids) == 1 or ids[1] is not None))


def service_uid_gid(service):
    """The numeric (uid, gid) a service runs as, or None when user is unset or not numeric."""
    user = service.get('user')
    if user is None:
        return None
    try:
        parsed = parse_user(user)
    except StackError:
        return None
    if not parsed['numeric']:
        return None
    return parsed['uid'], parsed['gid']


def service_secret_names(service):
    """Names of the secrets a service uses (short or long syntax). Raises StackError for an entry it cannot read."""
    secrets = service.get('secrets')
    if secrets is not None and not isinstance(secrets, (list, tuple)):
        raise StackError('secrets must be a list of secret names (it is %s)' % describe(secrets))
    names = []
    for entry in as_list(secrets):
        if isinstance(entry, dict):
            source = entry.get('source')
            if not is_text(source):
                raise StackError('a secrets entry in long syntax needs source: NAME (a string)')
            names.append(source)
        elif is_text(entry):
            names.append(entry)
        else:
            raise StackError('secrets entries must be names or {source, target} (one is %s)' % describe(entry))
    return names


def secret_name_problem(name):
    """Why NAME cannot be a secret's name (it names a file under the store), or None."""
    if not is_text(name) or not SECRET_NAME_PATTERN.fullmatch(name) or '..' in name:
        return ('%s is not a secret name: 1-63 letters, digits, ., - or _, starting with a letter or digit, without '
                '/ or ..' % _shown(name))
    return None


# ---------------------------------------------------------------- host paths

RUNTIME_SOCKET_NAMES = ('docker.sock', 'containerd.sock', 'podman.sock', 'crio.sock', 'cri-dockerd.sock',
                        'dockershim.sock', 'buildkitd.sock', 'containerd-shim.sock', 'kubelet.sock')
# Directories that hold a runtime's socket or its state: binding them (or a parent) hands over the runtime.
RUNTIME_PLACES = ('/run/docker.sock', '/run/docker', '/run/containerd', '/run/podman', '/run/crio', '/run/buildkit',
                  '/run/user', '/var/lib/docker', '/var/lib/containerd', '/var/lib/containers', '/run/k3s')
# System directories of the host: the path itself, anything under it and any parent of it is refused.
SYSTEM_PLACES = ('/etc', '/proc', '/sys', '/boot', '/dev', '/run', '/root', '/lib/modules', '/usr', '/bin', '/sbin',
                 '/lib', '/var/lib/kubelet', '/var/log/journal')


def normal_host_path(source, project_dir='/opt/stack', home='/root'):
    """A bind source as the host resolves it: relative paths under the project directory, ~ as root's home,
    '..', '.', '//' resolved, /var/run as /run (a link to it on Debian)."""
    path = source.strip()
    if path == '~' or path.startswith('~/'):
        path = home + path[1:]
    elif path.startswith('~'):
        user, _sep, rest = path[1:].partition('/')
        path = '/home/%s/%s' % (user, rest)
    if not path.startswith('/'):
        path = posixpath.join(project_dir or '/', path)
    path = '/' + path.lstrip('/')  # POSIX keeps a leading //; the kernel does not
    path = posixpath.normpath(path)
    if path.startswith('//'):
        path = '/' + path.lstrip('/')
    for alias, real in (('/var/run', '/run'), ('/var/lock', '/run/lock')):
        if path == alias or path.startswith(alias + '/'):
            path = real + path[len(alias):]
    return path


def _within(inner, outer):
    """Whether INNER is OUTER or lies under it ('/' holds everything)."""
    return outer == '/' or inner == outer or inner.startswith(outer + '/')


def host_path_verdict(path):
    """What a bind of the normalised host PATH hands over, as [(kind, what)]: kind 'socket' (a container runtime's
    socket or state: the docker_socket exception) or 'system' (a system directory: the host_path exception)."""
    base = posixpath.basename(path)
    if base in RUNTIME_SOCKET_NAMES or base.endswith(('docker.sock', 'containerd.sock')):
        return [('socket', 'the Docker socket' if base == 'docker.sock' else 'a container runtime socket')]
    if any(_within(path, place) for place in RUNTIME_PLACES):
        return [('socket', "a container runtime's socket or state")]
    found = []
    holds = [place for place in RUNTIME_PLACES if _within(place, path)]
    if holds:
        found.append(('socket', 'a directory that holds the Docker socket' if holds[0].startswith('/run/docker')
                      else "a directory that holds a container runtime's socket or state (%s)" % holds[0]))
    if any(_within(path, place) or _within(place, path) for place in SYSTEM_PLACES):
        found.append(('system', "the host's root" if path == '/' else 'a system directory of the host'))
    return found


def volume_binds(service, project_dir):
    """(written source, normalised host path) of every bind mount of the service. Raises StackError."""
    volumes = service.get('volumes')
    if volumes is not None and not isinstance(volumes, (list, tuple)):
        raise StackError('volumes must be a list (it is %s)' % describe(volumes))
    binds = []
    for entry in as_list(volumes):
        if isinstance(entry, dict):
            kind = scalar_text(entry.get('type') or 'volume', 'a volumes entry type').strip().lower()
            source = scalar_text(entry.get('source'), 'a volumes entry source').strip()
            if kind == 'bind' and source:
                binds.append((source, normal_host_path(source, project_dir)))
            elif kind not in ('bind', 'volume', 'tmpfs', 'npipe', 'cluster', 'image'):
                raise StackError('a volumes entry has type %r; it accepts bind, volume, tmpfs' % kind[:20])
            continue
        text = scalar_text(entry, 'a volumes entry').strip()
        source = volume_source_text(text)
        if source.startswith(('/', '.', '~')) or '/' in source:
            binds.append((source, normal_host_path(source, project_dir)))
    return binds


def volume_source_text(text):
    """The source of a short-syntax volume (SOURCE:TARGET[:MODE]), '' for an anonymous volume."""
    parts = text.split(':')
    return parts[0] if len(parts) > 1 else ''


def named_volume(entry):
    """The named volume of a volumes entry, or None (binds, tmpfs, anonymous volumes)."""
    if isinstance(entry, dict):
        if (entry.get('type') or 'volume') != 'volume' or not is_text(entry.get('source')):
            return None
        source = entry['source']
    elif is_text(entry):
        source = volume_source_text(entry)
    else:
        return None
    if not source or source.startswith(('/', '.', '~', '$')) or '/' in source:
        return None
    return source


# ---------------------------------------------------------------- Swarm settings

SWARM_ENDPOINT_MODES = ('vip', 'dnsrr')
SWARM_PUBLISH_MODES = ('ingress', 'host')


def swarm_options(options):
    """The Swarm settings (stack_swarm) with their defaults; StackError for a mode the renderer does not know."""
    if options is not None and not isinstance(options, dict):
        raise StackError('stack_swarm must be a mapping of the Swarm settings (it is %s)' % describe(options))
    options = dict(options or {})
    result = dict(endpoint_mode=options.get('endpoint_mode') or 'vip', publish_mode=options.get('publish_mode') or 'ingress',
                  encrypted=flag(options.get('encrypted', True), 'stack_swarm_encrypted'),
                  datastore_label=options.get('datastore_label') or 'stackops.data',
                  monitor=scalar_text(options.get('monitor') or '30s', 'stack_swarm_monitor'),
                  deploy=options.get('deploy') or {})
    for key in ('endpoint_mode', 'publish_mode'):
        allowed = SWARM_ENDPOINT_MODES if key == 'endpoint_mode' else SWARM_PUBLISH_MODES
        if not is_text(result[key]) or result[key] not in allowed:
            raise StackError('stack_swarm_%s is %s; it accepts %s' % (key, _shown(result[key]), ', '.join(allowed)))
    if not is_text(result['datastore_label']):
        raise StackError('stack_swarm_datastore_label must be a string')
    if not isinstance(result['deploy'], dict):
        raise StackError('stack_swarm_deploy must be a mapping of service names to deploy: settings')
    return result


def replica_count(value, what):
    """A replica count: a whole number, 0 or more (not a string, not a float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise StackError('%s is %s; give a whole number such as 2 (not a string or a fraction)'
                         % (what, _shown(value) if is_text(value) else describe(value)))
    if value < 0:
        raise StackError('%s is %d; give 0 or more' % (what, value))
    return value
