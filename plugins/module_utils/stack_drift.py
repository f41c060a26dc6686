# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift of a compose project: whether the running containers already are the desired project."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


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
