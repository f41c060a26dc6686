# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Releases of a stack on one host: what a deploy changes, how it is gated, what it records.

Plain functions over plain data, so that pytest reaches them without a host:

- ``apply_image_tags`` lays the command line's image overrides (``stack_image_tags``) over the services;
- ``readiness`` and ``gate_timeout`` say what the health gate asks of a service and for how long;
- ``plan_release`` compares the rendered compose project with the live one: which services change, how each is
  replaced (side by side, stop-first, one-shot), which loopback port each HTTP service moves to, and every refusal;
- ``new_record``, ``prune``, ``previous_release`` and ``rollback_target`` keep the recorded history.

Every refusal names the variable or the service and what is accepted.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import hashlib
import json
import re

from ansible_collections.stackops.hardened.plugins.module_utils.stack_model import (
    EXTENSION, StackError, as_list, describe, extension, is_datastore, is_text, oneshot_services, parse_port)

# A tag as the distribution spec allows it; a digest as Docker writes it (sha256 only).
TAG_PATTERN = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z')
DIGEST_PATTERN = re.compile(r'sha256:[0-9a-f]{64}\Z')
_COMPONENT = r'[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
_DOMAIN = r'(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?/)?'
REFERENCE_PATTERN = re.compile(r'(?P<name>%s%s(?:/%s)*)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?'
                               r'(?:@(?P<digest>sha256:[0-9a-f]{64}))?\Z' % (_DOMAIN, _COMPONENT, _COMPONENT))
RELEASE_ID_PATTERN = re.compile(r'[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6,12}\Z')

# How a changed service is replaced.
SIDE_BY_SIDE = 'side_by_side'    # HTTP service with readiness: new containers on the other loopback port, switch
OVERLAP = 'overlap'              # worker without a published port: new beside old, then old removed
STOP_FIRST = 'stop_first'        # singleton, or a published port without readiness: old stopped, then new started
ONESHOT = 'oneshot'              # migration: runs once, before any switch
DATASTORE = 'datastore'          # never replaced unless stack_release_allow_datastore_change

DEFAULT_HEALTHCHECK = dict(interval=30.0, timeout=30.0, retries=3, start_period=0.0)
DURATION_UNITS = {'ns': 1e-9, 'us': 1e-6, 'ms': 1e-3, 's': 1.0, 'm': 60.0, 'h': 3600.0}
_DURATION_PART = re.compile(r'([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)')
SLOTS = ('a', 'b')
MIGRATION_MODES = ('run', 'refuse')
STATUSES = ('active', 'superseded', 'rolled_back', 'failed')


class ReleaseError(StackError):
    """A release input that cannot be accepted; the message names it and what is accepted."""


# ---------------------------------------------------------------- images

def parse_reference(text, what='image'):
    """dict(name, tag, digest) of an image reference, or ReleaseError naming WHAT."""
    if not is_text(text) or not REFERENCE_PATTERN.match(text.strip() if is_text(text) else ''):
        raise ReleaseError('%s %s is not a valid image reference; it accepts NAME[:TAG][@sha256:DIGEST] with a '
                           'lower-case NAME such as registry.example.com:5000/team/app:1.4.2' % (what, _shown(text)))
    match = REFERENCE_PATTERN.match(text.strip())
    return dict(name=match.group('name'), tag=match.group('tag'), digest=match.group('digest'))


def _shown(value):
    if is_text(value):
        return repr(value) if len(value) <= 80 else 'of %d characters' % len(value)
    return '(%s)' % describe(value)


def retag(image, override, what):
    """IMAGE with OVERRIDE laid over it: a tag (1.4.2), a digest (sha256:...), TAG@DIGEST or a whole reference."""
    accepted = ('it accepts a tag of up to 128 characters A-Z a-z 0-9 _ . - (not starting with . or -), a digest '
                'sha256:<64 lower-case hex>, TAG@DIGEST, or a whole reference NAME:TAG / NAME@DIGEST')
    if not is_text(override) or not override.strip():
        raise ReleaseError('%s is %s; %s' % (what, _shown(override), accepted))
    override = override.strip()
    current = parse_reference(image, '%s: the current image' % what)
    if DIGEST_PATTERN.match(override):
        return '%s@%s' % (current['name'], override)
    if TAG_PATTERN.match(override):
        return '%s:%s' % (current['name'], override)
    tag, sep, digest = override.partition('@')
    if sep and TAG_PATTERN.match(tag) and DIGEST_PATTERN.match(digest):
        return '%s:%s@%s' % (current['name'], tag, digest)
    match = REFERENCE_PATTERN.match(override)
    if match and (match.group('tag') or match.group('digest')) and not override.startswith('sha256:'):
        return override
    raise ReleaseError('%s is %s, which is not a valid tag, digest or image reference; %s'
                       % (what, _shown(override), accepted))


def apply_image_tags(services, overrides, what='stack_image_tags'):
    """SERVICES with the image overrides laid over them (a new mapping; SERVICES is not changed)."""
    if overrides in (None, '', {}):
        return copy.deepcopy(services)
    if not isinstance(overrides, dict):
        raise ReleaseError('%s must be a mapping of service names to tags, such as {"api": "1.4.2"} (it is %s)'
                           % (what, describe(overrides)))
    unknown = sorted(str(name) for name in overrides if name not in services)
    if unknown:
        raise ReleaseError('%s names %s, which %s not a service of the stack; it accepts %s'
                           % (what, ', '.join(unknown), 'is' if len(unknown) == 1 else 'are',
                              ', '.join(sorted(str(name) for name in services)) or 'no service (the stack is empty)'))
    result = copy.deepcopy(services)
    for name in sorted(overrides):
        spec = result[name]
        if not is_text(spec.get('image')):
            raise ReleaseError('%s.%s: service %s has no image to retag' % (what, name, name))
        spec['image'] = retag(spec['image'], overrides[name], '%s.%s' % (what, name))
    return result


# ---------------------------------------------------------------- the gate

def duration_seconds(value, what):
    """A compose duration (1m30s, 10s, 500ms) or a number of seconds, as seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = value.strip() if is_text(value) else None
    if text and re.match(r'[0-9]+(?:\.[0-9]+)?\Z', text):
        return float(text)
    if text and re.match(r'(?:%s)+\Z' % _DURATION_PART.pattern, text):
        return sum(float(number) * DURATION_UNITS[unit] for number, unit in _DURATION_PART.findall(text))
    raise ReleaseError('%s is %s; it accepts a duration such as 10s, 1m30s or 500ms' % (what, _shown(value)))


def healthcheck_timing(name, service):
    """dict(interval, timeout, retries, start_period) of the service's healthcheck, Docker's defaults filled in."""
    check = service.get('healthcheck') if isinstance(service.get('healthcheck'), dict) else {}
    timing = dict(DEFAULT_HEALTHCHECK)
    for key in ('interval', 'timeout', 'start_period'):
        seconds = duration_seconds(check.get(key), 'service %s: healthcheck.%s' % (name, key))
        if seconds is not None:
            timing[key] = seconds
    retries = check.get('retries')
    if retries is not None:
        if isinstance(retries, bool) or not (isinstance(retries, int) or (is_text(retries) and retries.isdigit())):
            raise ReleaseError('service %s: healthcheck.retries is %s; it accepts a whole number' % (name, _shown(retries)))
        timing['retries'] = int(retries)
    return timing


def gate_timeout(name, service, margin=10):
    """Seconds the gate waits for SERVICE: its start period, then retries checks each up to interval + timeout
    apart, then MARGIN. Docker cannot have called the container healthy or unhealthy before that."""
    timing = healthcheck_timing(name, service)
    total = timing['start_period'] + timing['retries'] * (timing['interval'] + timing['timeout']) + float(margin)
    return int(total + 0.999)


def first_published_port(name, service):
    """The first published TCP port of SERVICE, or None."""
    for entry in as_list(service.get('ports')):
        port = parse_port(entry, 'service %s: ports entry' % name)
        if port['published'] and port['protocol'] == 'tcp' and '-' not in port['published']:
            return int(port['published'])
    return None


def readiness(name, service):
    """dict(path, status, body) of the service's x-stackops.ready, or None. Refused on a service without a port."""
    ext = service.get(EXTENSION) if isinstance(service.get(EXTENSION), dict) else {}
    ready = ext.get('ready')
    if ready is None:
        return None
    what = 'service %s: %s.ready' % (name, EXTENSION)
    if is_text(ready):
        ready = dict(path=ready)
    if not isinstance(ready, dict):
        raise ReleaseError('%s is %s; it accepts a path such as /ready or {path, status, body}' % (what, describe(ready)))
    unknown = sorted(str(key) for key in ready if key not in ('path', 'status', 'body'))
    if unknown:
        raise ReleaseError('%s has %s; it accepts path, status, body' % (what, ', '.join(unknown)))
    path = ready.get('path')
    if not is_text(path) or not re.match(r'/[!-~]*\Z', path):
        raise ReleaseError('%s.path is %s; it accepts an absolute URL path such as /ready' % (what, _shown(path)))
    status = ready.get('status', 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ReleaseError('%s.status is %s; it accepts an HTTP status 100-599' % (what, _shown(status)))
    body = ready.get('body')
    if body is not None and not is_text(body):
        raise ReleaseError('%s.body is %s; it accepts text (or a regular expression)' % (what, describe(body)))
    if first_published_port(name, service) is None:
        raise ReleaseError('%s is set on service %s, which publishes no TCP port; readiness is checked on the '
                           "service's loopback port: add ports (such as \"8000:8000\") or remove ready"
                           % (what, name))
    return dict(path=path, status=status, body=body)


# ---------------------------------------------------------------- the plan

def slot_port(port, slot, offset):
    return port + offset if slot == 'b' else port


def with_slots(services, slots, offset):
    """SERVICES with every published port of a service in slot b moved by OFFSET (a new mapping)."""
    result = copy.deepcopy(services)
    for name, slot in (slots or {}).items():
        if slot != 'b' or name not in result:
            continue
        ports = []
        for entry in as_list(result[name].get('ports')):
            port = parse_port(entry, 'service %s: ports entry' % name)
            if not port['published']:
                ports.append(entry)
                continue
            first, _sep, last = port['published'].partition('-')
            moved = str(int(first) + offset) + ('-%d' % (int(last) + offset) if last else '')
            if int(last or first) + offset > 65535:
                raise ReleaseError('service %s: port %s moved by stack_release_port_offset %d is beyond 65535; choose '
                                   'a smaller offset' % (name, port['published'], offset))
            spec = dict(target=port['target'], published=moved, protocol=port['protocol'])
            if port['host_ip']:
                spec['host_ip'] = port['host_ip']
            ports.append(spec)
        result[name]['ports'] = ports
    return result


def replacement(name, service, oneshots, public=None):
    """How SERVICE is replaced when it changes (one of SIDE_BY_SIDE, OVERLAP, STOP_FIRST, ONESHOT, DATASTORE)."""
    if name in oneshots:
        return ONESHOT
    if is_datastore(service, name, public):
        return DATASTORE
    if extension(service)['singleton']:
        return STOP_FIRST
    if service.get('ports'):
        return SIDE_BY_SIDE if readiness(name, service) is not None else STOP_FIRST
    return OVERLAP


def _image(spec):
    return spec.get('image') if isinstance(spec, dict) else None


def plan_release(services, rendered, live=None, current=None, options=None):
    """What a deploy of SERVICES (the description after overrides) does to the host.

    RENDERED(slots) -> the compose project of the description with those slots (the caller renders);
    LIVE is the compose project on the host now (parsed), CURRENT the current release record (or None).
    OPTIONS: port_offset, allow_datastore_change, migrations (run|refuse), margin, public ({service: name}).
    Returns dict(changed, replace, slots, services, ready, upstreams, migrations, refusals).
    """
    options = options or {}
    offset = int(options.get('port_offset', 10000))
    migrations_mode = options.get('migrations', 'run')
    refusals = []
    if migrations_mode not in MIGRATION_MODES:
        refusals.append('stack_migrations is %s; it accepts run or refuse' % _shown(migrations_mode))
    oneshots = set(oneshot_services(services))
    current_slots = dict((current or {}).get('slots') or {})
    replace, ready = {}, {}
    for name in sorted(services):
        try:
            replace[name] = replacement(name, services[name], oneshots)
            found = readiness(name, services[name])
            if found is not None:
                ready[name] = found
        except StackError as exc:
            refusals.append(str(exc))
    if refusals:
        return dict(changed=[], replace=replace, slots=current_slots, services=services, ready={}, upstreams={},
                    migrations=[], refusals=refusals)
    slots = dict((name, current_slots.get(name, 'a')) for name in sorted(services) if replace[name] == SIDE_BY_SIDE)
    before = rendered(with_slots(services, slots, offset))
    live_services = (live or {}).get('services') or {}
    changed = sorted(name for name in before['services'] if before['services'][name] != live_services.get(name))
    first_release = not live_services
    for name in changed:
        if replace[name] == DATASTORE and live_services.get(name) is not None and \
                _image(before['services'][name]) != _image(live_services[name]) and \
                not options.get('allow_datastore_change'):
            refusals.append('service %s is a data store and this deploy changes its image from %s to %s; a deploy of '
                            'application images never replaces a data store: set stack_release_allow_datastore_change'
                            '=true to do it on purpose' % (name, _image(live_services[name]),
                                                           _image(before['services'][name])))
    migrations = [name for name in changed if replace[name] == ONESHOT]
    if migrations and migrations_mode == 'refuse' and not first_release:
        refusals.append('stack_migrations is refuse and the one-shot %s changes (%s); run the migration on purpose '
                        'with -e stack_migrations=run' % (', '.join(migrations), ', '.join(
                            '%s: %s' % (name, _image(before['services'][name])) for name in migrations)))
    if not first_release:
        for name in changed:
            if replace[name] == SIDE_BY_SIDE and live_services.get(name) is not None:
                slots[name] = 'b' if slots[name] == 'a' else 'a'
    final = with_slots(services, slots, offset)
    upstreams = {}
    for name in slots:
        upstreams[name] = slot_port(first_published_port(name, services[name]), slots[name], offset)
    gate = {}
    for name in changed:
        if replace[name] in (ONESHOT,):
            continue
        entry = dict(timeout=gate_timeout(name, services[name], options.get('margin', 10)), replace=replace[name])
        if name in ready:
            port = upstreams.get(name) or first_published_port(name, services[name])
            entry.update(url='http://127.0.0.1:%d%s' % (port, ready[name]['path']), status=ready[name]['status'])
            if ready[name]['body'] is not None:
                entry['body'] = ready[name]['body']
        public = (options.get('public') or {}).get(name)
        if public and name in ready:
            entry['public'] = dict(host=public, path=ready[name]['path'], status=ready[name]['status'])
        gate[name] = entry
    return dict(changed=changed, replace=replace, slots=slots, services=final, ready=gate, upstreams=upstreams,
                migrations=migrations, refusals=refusals, first=first_release)


# ---------------------------------------------------------------- the records

def canonical_hash(value):
    """sha256 of VALUE as canonical JSON (keys sorted), hex."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(',', ':')).encode('utf-8')).hexdigest()


def release_id(time_text, content_hash):
    """An id such as 20260312T101500Z-3f2a1b: the UTC time (20260312T101500Z) and six hex of the content."""
    stamp = re.sub(r'[^0-9TZ]', '', time_text)[:15] + 'Z'
    return '%s-%s' % (stamp, content_hash[:6])


def new_record(stack, time_text, images, compose_text, who, backup=None, slots=None, seq=1, note=None):
    """A release record: id, seq, time, stack, images {service: {image, digest}}, compose text and its sha256,
    who ran it, the backup taken before it, the loopback slots, status active."""
    compose_sha = hashlib.sha256(compose_text.encode('utf-8')).hexdigest()
    content = canonical_hash(dict(images=images, compose=compose_sha))
    return dict(id=release_id(time_text, content), seq=seq, time=time_text, stack=stack, images=images,
                compose_sha256=compose_sha, compose=compose_text, by=who, backup=list(backup or []),
                slots=dict(slots or {}), status='active', content=content, events=[], note=note)


def ordered(history):
    return sorted(history, key=lambda record: record.get('seq', 0))


def find(history, release):
    for record in history:
        if record.get('id') == release:
            return record
    return None


def previous_release(history, current_id):
    """The release before CURRENT_ID in the order they were deployed, leaving out releases that were rolled back
    or failed: after a rollback, the next one goes further back, never forward to the release that was left."""
    records = ordered(history)
    current = find(records, current_id)
    limit = current['seq'] if current else float('inf')
    candidates = [record for record in records
                  if record.get('seq', 0) < limit and record.get('status') not in ('rolled_back', 'failed')]
    return candidates[-1] if candidates else None


def rollback_target(history, current_id, target=None):
    """The record a rollback goes to: TARGET (an id) or the previous release. ReleaseError when there is none."""
    ids = [record['id'] for record in ordered(history)]
    if target in (None, '', 'previous'):
        found = previous_release(history, current_id)
        if found is None:
            raise ReleaseError('stack_release_target is previous, but no release before %s is recorded (recorded: %s)'
                               % (current_id or 'the current one', ', '.join(ids) or 'none'))
        return found
    if not is_text(target) or not RELEASE_ID_PATTERN.match(target):
        raise ReleaseError('stack_release_target is %s; it accepts previous or a recorded release id such as '
                           '20260312T101500Z-3f2a1b (recorded: %s)' % (_shown(target), ', '.join(ids) or 'none'))
    found = find(history, target)
    if found is None:
        raise ReleaseError('stack_release_target %s is not a recorded release of this stack; recorded: %s'
                           % (target, ', '.join(ids) or 'none'))
    if found.get('status') == 'failed':
        served = [record['id'] for record in ordered(history) if record.get('status') != 'failed']
        raise ReleaseError('stack_release_target %s is a release that failed its gate; it accepts a release that '
                           'served: %s' % (target, ', '.join(served)))
    return found


def prune(history, keep, current_id=None):
    """(kept, removed): the KEEP newest records by seq, and always the current one."""
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ReleaseError('stack_releases_keep is %s; it accepts a whole number of 1 or more' % _shown(keep))
    records = ordered(history)
    kept = records[-keep:]
    current = find(records, current_id)
    if current is not None and current not in kept:
        kept = [current] + kept[1:] if keep > 1 else [current]
    removed = [record for record in records if record not in kept]
    return ordered(kept), removed


def activate(history, record, time_text, rollback=False):
    """HISTORY with RECORD made current: the release it replaces becomes superseded (or rolled_back for a rollback)
    and RECORD active with an event saying when. A new record gets the next seq."""
    records = [dict(item) for item in ordered(history)]
    previous = [item for item in records if item.get('status') == 'active']
    for item in previous:
        if item['id'] != record['id']:
            item['status'] = 'rolled_back' if rollback else 'superseded'
            item.setdefault('events', [])
            item['events'] = list(item['events']) + [dict(time=time_text, event='rolled back' if rollback else
                                                          'superseded', by_release=record['id'])]
    existing = find(records, record['id'])
    if existing is None:
        record = dict(record, seq=(records[-1]['seq'] + 1) if records else 1)
        records.append(record)
        existing = record
    existing['status'] = 'active'
    existing['events'] = list(existing.get('events') or []) + [dict(time=time_text, event='rollback to' if rollback
                                                                    else 'deployed')]
    return ordered(records), existing


def add_failed(history, record, time_text, reason):
    """HISTORY with RECORD added as a release that failed its gate (it never became current)."""
    records = [dict(item) for item in ordered(history)]
    failed = dict(record, seq=(records[-1]['seq'] + 1) if records else 1, status='failed',
                  events=[dict(time=time_text, event='failed', reason=reason)])
    records.append(failed)
    return ordered(records), failed


# ---------------------------------------------------------------- the records on the host

STACK_PATTERN = re.compile(r'[a-z0-9][a-z0-9_-]{0,62}\Z')


def summary(record):
    """A record without its compose text: what a listing shows."""
    return dict((key, value) for key, value in record.items() if key != 'compose')


def load_history(directory):
    """(records, current_id) of the releases kept in DIRECTORY (one JSON file per release, and `current`)."""
    import os
    records = []
    if not os.path.isdir(directory):
        return records, None
    for entry in sorted(os.listdir(directory)):
        if not entry.endswith('.json') or not RELEASE_ID_PATTERN.match(entry[:-5]):
            continue
        with open(os.path.join(directory, entry)) as handle:
            try:
                records.append(json.load(handle))
            except ValueError:
                raise ReleaseError('release record %s is not JSON; move it away or repair it'
                                   % os.path.join(directory, entry))
    current = None
    path = os.path.join(directory, 'current')
    if os.path.exists(path):
        with open(path) as handle:
            current = handle.read().strip() or None
    return ordered(records), current


def _write(path, text):
    import os
    import tempfile
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.release.')
    try:
        with os.fdopen(handle, 'w') as out:
            out.write(text)
        os.chmod(temp, 0o600)
        os.rename(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def save_history(directory, records, current_id, removed=()):
    """Write every record of RECORDS, the current pointer, and remove the records in REMOVED."""
    import os
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    for record in records:
        _write(os.path.join(directory, record['id'] + '.json'), json.dumps(record, sort_keys=True, indent=1) + '\n')
    if current_id:
        _write(os.path.join(directory, 'current'), current_id + '\n')
    for record in removed:
        path = os.path.join(directory, record['id'] + '.json')
        if os.path.exists(path):
            os.unlink(path)


def current_upstreams(services, slots, offset):
    """{service: loopback port} of every side-by-side service in its current slot."""
    oneshots = set(oneshot_services(services))
    result = {}
    for name in sorted(services):
        if replacement(name, services[name], oneshots) == SIDE_BY_SIDE:
            result[name] = slot_port(first_published_port(name, services[name]), (slots or {}).get(name, 'a'), offset)
    return result
