# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hosts of a cluster that carry a node label; the logic is in module_utils/placement.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.hardened.plugins.module_utils.placement import PlacementError, labelled_hosts


def swarm_labelled(labels_by_host, label, otherwise=None, what='the label'):
    """The hosts whose swarm_node_labels give ``label`` the value "true" (``otherwise`` when label is empty)."""
    try:
        return labelled_hosts(labels_by_host, label, otherwise, what)
    except PlacementError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {'swarm_labelled': swarm_labelled}
