# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.stackops.hardened.plugins.module_utils.placement import PlacementError, labelled_hosts
from ansible_collections.stackops.hardened.plugins.filter.placement import swarm_labelled
from ansible.errors import AnsibleFilterError

LABELS = {
    'node-1': {'stackops.data': 'true', 'stackops.edge': 'true'},
    'node-2': {'stackops.edge': 'True'},
    'node-3': {'stackops.edge': 'false'},
    'node-4': None,
}


def test_hosts_carrying_the_label_in_inventory_order():
    assert labelled_hosts(LABELS, 'stackops.edge') == ['node-1', 'node-2']
    assert labelled_hosts(LABELS, 'stackops.data') == ['node-1']


def test_pairs_are_read_like_a_mapping():
    assert labelled_hosts(list(LABELS.items()), 'stackops.edge') == ['node-1', 'node-2']


def test_an_empty_label_gives_the_fallback():
    assert labelled_hosts(LABELS, '', otherwise=['node-1']) == ['node-1']
    assert labelled_hosts(LABELS, None) == []


def test_a_label_no_host_carries_is_refused_naming_it_and_the_labels_there_are():
    with pytest.raises(PlacementError) as err:
        labelled_hosts(LABELS, 'stackops.frontdoor', what='swarm_edge_label')
    message = str(err.value)
    assert message.startswith('swarm_edge_label is stackops.frontdoor, but no host has it')
    assert '{stackops.frontdoor: "true"}' in message
    assert 'stackops.edge=true' in message and 'stackops.edge=false' in message


@pytest.mark.parametrize('label', ['Stackops.Edge', '-edge', 'edge label', 7])
def test_a_malformed_label_is_refused(label):
    with pytest.raises(PlacementError) as err:
        labelled_hosts(LABELS, label, what='swarm_edge_label')
    assert 'must be a node label key' in str(err.value)


def test_the_filter_raises_a_filter_error():
    assert swarm_labelled(LABELS, 'stackops.edge') == ['node-1', 'node-2']
    with pytest.raises(AnsibleFilterError):
        swarm_labelled(LABELS, 'stackops.nowhere')
