# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files a stack description becomes: the hardened compose project and the Swarm stack file.

- ``render_project`` turns the description into the compose project the host runs: hardened defaults under
  every service, segmented networks, loopback-bound ports, secrets as files;
- ``render_swarm`` turns the same description into a Swarm stack file (overlay networks, versioned Swarm
  secrets, ``deploy:`` with placement, resources and health-gated updates);
- ``secret_owners``, ``swarm_secrets`` and ``published_ports`` say what the other roles need of it.

Both renderers raise StackError (never another exception) for a description they cannot read.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import hashlib
import re

from ansible_collections.stackops.hardened.plugins.module_utils.stack_model import (
    BACKEND, EXTENSION, FRONTEND, StackError, as_list, ascii_int, describe, extension, is_datastore, is_text,
    label_items, named_volume, oneshot_services, parse_port, public_port_set, replica_count, scalar_text,
    service_secret_names, service_uid_gid, swarm_options)
from ansible_collections.stackops.hardened.plugins.module_utils.stack_policy import (
    SWARM_DEPLOY_KEYS, shape_problems, size_in_bytes)

SWARM_FILE_VERSION = '3.9'
# docker stack deploy ignores these keys (restart, security_opt) or refuses them (the resource
# keys); the renderer moves each to its Swarm form or drops it with the reason in the docs.
SWARM_MOVED_KEYS = ('depends_on', 'restart', 'container_name', 'security_opt', 'shm_size', 'tmpfs', 'mem_limit',
                    'mem_reservation', 'cpus', 'pids_limit', 'labels')


def readable_services(services, what='stack_services'):
    """SERVICES as {name: definition}, or StackError naming the first thing that cannot be read."""
    if services is None:
        return {}
    if not isinstance(services, dict):
        raise StackError('%s must be a mapping of service names to compose service definitions (it is %s)'
                         % (what, describe(services)))
    for name, spec in services.items():
        if not is_text(name):
            raise StackError('service name %s is %s (a YAML key such as 8080: is read as a number); quote it'
                             % (name, describe(name)))
        if not isinstance(spec, dict):
            raise StackError('service %s must be a mapping (a compose service definition)' % name)
        problems = shape_problems(name, spec)
        if problems:
            raise StackError(problems[0])
        extension(spec)
    return services


def _defaults(defaults):
    if defaults is None:
        return {}
    if not isinstance(defaults, dict):
        raise StackError('stack_service_defaults must be a mapping of compose keys (it is %s)' % describe(defaults))
    return defaults


def _fingerprints(fingerprints):
    if fingerprints is None:
        return {}
    if not isinstance(fingerprints, dict):
        raise StackError('the secret fingerprints must be a mapping of secret names to fingerprints')
    return fingerprints


def _port_value(text):
    return int(text) if text.isdigit() and text.isascii() else text


# ---------------------------------------------------------------- secrets

def secret_source(name, uid):
    """The compose top-level secret holding the copy of NAME owned by UID."""
    return '%s_u%s' % (name, uid)


def secrets_fingerprint(names, fingerprints):
    """One short fingerprint over the fingerprints of the secrets a service uses; changes when any of them does."""
    digest = hashlib.sha256()
    for name in sorted(set(names)):
        digest.update(('%s=%s\n' % (name, (fingerprints or {}).get(name, 'absent'))).encode('utf-8'))
    return digest.hexdigest()[:16]


def secret_owners(services):
    """For each secret, the sorted list of 'uid:gid' that must own a copy of its file."""
    owners = {}
    for name in sorted(services, key=str):
        service = services[name] if isinstance(services[name], dict) else {}
        ids = service_uid_gid(service)
        if ids is None:
            continue
        for secret in service_secret_names(service):
            owners.setdefault(secret, set()).add('%d:%d' % ids)
    return dict((secret, sorted(values)) for secret, values in owners.items())


# ---------------------------------------------------------------- the compose project

def _render_ports(name, service, public):
    rendered = []
    for entry in as_list(service.get('ports')):
        port = parse_port(entry)
        declared_public = (name, port['published'] or port['target']) in public
        host_ip = port['host_ip'] or ('0.0.0.0' if declared_public else '127.0.0.1')
        spec = dict(target=_port_value(port['target']), host_ip=host_ip, protocol=port['protocol'], mode='host')
        if port['published']:
            spec['published'] = port['published']
        rendered.append(spec)
    return rendered


def _hardened_service(name, svc, source, defaults, volumes, public=None):
    """One service with the hardened defaults under it (a key the service sets replaces the default), its networks
    (backend only for a data store, frontend and backend otherwise, unless it names its own), and its named volumes
    added to `volumes` under the stack's prefix. The common ground of the compose project and the Swarm stack."""
    rendered = copy.deepcopy(dict(_defaults(defaults)))
    for key, value in source.items():
        if key == EXTENSION:
            continue
        rendered[key] = copy.deepcopy(value)
    if 'networks' not in source and 'network_mode' not in source:
        rendered['networks'] = [BACKEND] if is_datastore(source, svc, public) else [FRONTEND, BACKEND]
    if 'network_mode' in source:
        rendered.pop('networks', None)
    for entry in as_list(source.get('volumes')):
        vol = named_volume(entry)
        if vol:
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
    if not is_text(name):
        raise StackError('stack_name must be a string (it is %s)' % describe(name))
    services = readable_services(services)
    fingerprints = _fingerprints(fingerprints)
    public = public_port_set(public_ports)
    oneshots = set(oneshot_services(services))
    networks = {FRONTEND: dict(name='%s_%s' % (name, FRONTEND)),
                BACKEND: dict(name='%s_%s' % (name, BACKEND), internal=True)}
    project = dict(name=name, services={}, networks=networks)
    volumes, secrets = {}, {}
    for svc in sorted(services):
        source = services[svc]
        rendered = _hardened_service(name, svc, source, defaults, volumes, public)
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
            labels = dict(label_items(rendered))
            labels[SECRETS_LABEL] = secrets_fingerprint(names, fingerprints)
            rendered['labels'] = labels
        project['services'][svc] = rendered
    return _with_top_level(project, volumes, secrets)


SECRETS_LABEL = 'org.stackops.secrets'


def published_ports(services):
    """Every published port of the stack as {service, port, proto}, sorted; ports without a published number are left out
    (Swarm or Docker picks one), a range counts as its first port. Raises StackError for an entry that is not a port."""
    result = []
    for name in sorted(readable_services(services)):
        for entry in as_list(services[name].get('ports')):
            port = parse_port(entry)
            if port['published']:
                first = port['published'].partition('-')[0]
                result.append(dict(service=name, port=int(first), proto=port['protocol']))
    return result


# ---------------------------------------------------------------- the Swarm stack

def _tmpfs_mounts(svc, rendered):
    """tmpfs entries ('/tmp' or '/tmp:size=64m') and shm_size as Swarm tmpfs mounts (stack files ignore both)."""
    mounts = []
    for entry in as_list(rendered.get('tmpfs')):
        path, _sep, options = scalar_text(entry, 'service %s: a tmpfs entry' % svc).partition(':')
        mount = dict(type='tmpfs', target=path)
        size = re.search(r'(?:^|,)size=([^,]+)', options)
        if size:
            mount['tmpfs'] = dict(size=size_in_bytes(size.group(1), 'service %s: tmpfs %s size' % (svc, path)))
        mounts.append(mount)
    if rendered.get('shm_size'):
        mounts.append(dict(type='tmpfs', target='/dev/shm',
                           tmpfs=dict(size=size_in_bytes(rendered['shm_size'], 'service %s: shm_size' % svc))))
    return mounts


def _resources(svc, rendered):
    limits, reservations = {}, {}
    if rendered.get('mem_limit') not in (None, ''):
        limits['memory'] = scalar_text(rendered['mem_limit'], 'service %s: mem_limit' % svc)
    if rendered.get('cpus') not in (None, ''):
        limits['cpus'] = scalar_text(rendered['cpus'], 'service %s: cpus' % svc)
    if rendered.get('pids_limit') not in (None, ''):
        limits['pids'] = ascii_int(rendered['pids_limit'], 'service %s: pids_limit' % svc, 1, 4194304,
                                   'a whole number of processes')
    if rendered.get('mem_reservation') not in (None, ''):
        reservations['memory'] = scalar_text(rendered['mem_reservation'], 'service %s: mem_reservation' % svc)
    resources = {}
    if limits:
        resources['limits'] = limits
    if reservations:
        resources['reservations'] = reservations
    return resources


def merge_deep(base, override):
    """BASE with OVERRIDE laid over it, mappings merged key by key, anything else replaced."""
    if override is not None and not isinstance(override, dict):
        raise StackError('an override must be a mapping (it is %s)' % describe(override))
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
    services = readable_services(services)
    fingerprints = _fingerprints(fingerprints)
    owners = secret_owners(services)
    result = []
    for secret in sorted(set(s for svc in services.values() for s in service_secret_names(svc))):
        uid = owners[secret][0].split(':')[0] if owners.get(secret) else '0'
        result.append(dict(secret=secret, name=swarm_secret_name(name, secret, fingerprints.get(secret)),
                           src='%s/%s/%s' % (secrets_dir, uid, secret)))
    return result


def _swarm_ports(source, publish_mode):
    rendered = []
    for entry in as_list(source.get('ports')):
        port = parse_port(entry)
        spec = dict(target=_port_value(port['target']), protocol=port['protocol'], mode=publish_mode)
        if port['published']:
            spec['published'] = _port_value(port['published'])
        rendered.append(spec)
    return rendered


def swarm_update_order(service, oneshot, publish_mode, name=None, public=None):
    """start-first where two tasks side by side are harmless; stop-first for data stores (one volume), singletons
    (a second scheduler would run every job twice) and host-mode published ports (both tasks want the port)."""
    ext = extension(service)
    if oneshot or is_datastore(service, name, public) or ext['singleton'] or \
            (service.get('ports') and publish_mode == 'host'):
        return 'stop-first'
    return 'start-first'


def _swarm_deploy(svc, source, rendered, oneshot, options, public):
    deploy = {}
    if oneshot:
        deploy['mode'] = 'replicated-job'
        deploy['restart_policy'] = dict(condition='on-failure', delay='5s', max_attempts=3)
    else:
        order = swarm_update_order(source, oneshot, options['publish_mode'], svc, public)
        monitor = options['monitor']
        deploy.update(mode='replicated', replicas=1, endpoint_mode=options['endpoint_mode'],
                      restart_policy=dict(condition='any', delay='5s'),
                      update_config=dict(parallelism=1, delay='5s', order=order, failure_action='rollback',
                                         monitor=monitor, max_failure_ratio=0),
                      rollback_config=dict(parallelism=1, delay='0s', order=order, failure_action='pause',
                                           monitor=monitor))
    if is_datastore(source, svc, public):
        deploy['placement'] = dict(constraints=['node.labels.%s == true' % options['datastore_label']])
    resources = _resources(svc, rendered)
    if resources:
        deploy['resources'] = resources
    if isinstance(source.get('labels'), (dict, list)):
        deploy['labels'] = copy.deepcopy(source['labels'])
    override = options['deploy'].get(svc)
    if override is not None and not isinstance(override, dict):
        raise StackError('stack_swarm_deploy.%s must be a mapping of deploy: settings' % svc)
    unknown = sorted(str(key) for key in (override or {}) if key not in SWARM_DEPLOY_KEYS)
    if unknown:
        raise StackError('stack_swarm_deploy.%s has %s; it accepts %s'
                         % (svc, ', '.join(unknown), ', '.join(SWARM_DEPLOY_KEYS)))
    deploy = merge_deep(deploy, override)
    if 'replicas' in deploy:
        deploy['replicas'] = replica_count(deploy['replicas'], 'stack_swarm_deploy.%s.replicas' % svc)
    if deploy.get('mode') in ('global', 'global-job'):
        deploy.pop('replicas', None)  # one task per node; Swarm refuses a replica count with it
    return deploy


def render_swarm(name, services, defaults, swarm=None, fingerprints=None, public_ports=None):
    """The Swarm stack file of the same description: the same hardened services, on overlay networks (backend
    internal, both encrypted unless swarm.encrypted is false), secrets as versioned external Swarm secrets mounted
    0400 for the service's uid, tmpfs and shm_size as tmpfs mounts, resource keys under deploy.resources, and
    deploy: with replicas, data stores pinned to nodes labelled swarm.datastore_label, health-gated updates that
    roll back by themselves (swarm.deploy overrides any of it per service). One-shots become replicated jobs."""
    if not is_text(name):
        raise StackError('stack_name must be a string (it is %s)' % describe(name))
    services = readable_services(services)
    fingerprints = _fingerprints(fingerprints)
    options = swarm_options(swarm)
    public = public_port_set(public_ports)
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
        rendered = _hardened_service(name, svc, source, defaults, volumes, public)
        oneshot = svc in oneshots
        mounts = _tmpfs_mounts(svc, rendered)
        deploy = _swarm_deploy(svc, source, rendered, oneshot, options, public)
        for key in SWARM_MOVED_KEYS:
            rendered.pop(key, None)
        if mounts:
            rendered['volumes'] = list(as_list(rendered.get('volumes'))) + mounts
        if source.get('ports'):
            rendered['ports'] = _swarm_ports(source, options['publish_mode'])
        names = service_secret_names(source)
        if names:
            ids = service_uid_gid(source) or (0, 0)
            entries = []
            for secret in names:
                secrets[secret] = dict(external=True, name=swarm_secret_name(name, secret, fingerprints.get(secret)))
                entries.append(dict(source=secret, target=secret, uid=str(ids[0]), gid=str(ids[1]), mode=0o400))
            rendered['secrets'] = entries
        rendered['deploy'] = deploy
        project['services'][svc] = rendered
    return _with_top_level(project, volumes, secrets)
