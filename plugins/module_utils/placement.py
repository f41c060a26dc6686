# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which hosts of a cluster take which part of the product, read from the node labels the
inventory gives each host (swarm_node_labels): the edge (nginx, TLS, the webhook gate) and
the data node (the data stores and their backups). Pure functions."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

LABEL_KEY = re.compile(r'^[a-z0-9][a-z0-9._-]*\Z')


class PlacementError(ValueError):
    pass


def _is_text(value):
    return isinstance(value, str)


def labelled_hosts(labels_by_host, label, otherwise=None, what='the label'):
    """The hosts whose labels give ``label`` the value "true", in the order of labels_by_host.

    labels_by_host: a mapping host -> its labels (a mapping; anything else counts as none),
    or a list of (host, labels) pairs. With an empty ``label`` the answer is ``otherwise``
    (a list of hosts). A label that no host carries is refused: PlacementError names it,
    what it is for (``what``) and the labels the hosts do carry.
    """
    pairs = list(labels_by_host.items()) if isinstance(labels_by_host, dict) else list(labels_by_host or [])
    if label in (None, ''):
        return list(otherwise or [])
    if not _is_text(label) or not LABEL_KEY.match(label):
        raise PlacementError('%s is %r; it must be a node label key (lowercase letters, digits, ".", "_" and "-", '
                             'starting with a letter or digit), such as stackops.edge' % (what, label))
    chosen = []
    carried = set()
    for host, labels in pairs:
        labels = labels if isinstance(labels, dict) else {}
        carried.update('%s=%s' % (key, value) for key, value in labels.items())
        if str(labels.get(label, '')).lower() == 'true':
            chosen.append(host)
    if not chosen:
        raise PlacementError(
            '%s is %s, but no host has it: give the hosts meant for it {%s: "true"} in swarm_node_labels '
            '(host_vars); the labels the hosts carry now: %s' % (
                what, label, label, ', '.join(sorted(carried)) or 'none'))
    return chosen
