# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stack described in compose syntax: the policy gate, the hardened compose project, and drift.

Plain functions over plain data, so unit tests reach every rule without a host. The code lives in
four modules, one idea each; this one keeps their public names in one place for the filters, the
compose_drift module and anyone else:

- stack_model: reading the description (StackError, ports, users, host paths, data stores);
- stack_policy: the gate, one function per rule (``RULES``), ``check_stack`` and ``check_swarm``;
- stack_render: ``render_project`` (compose) and ``render_swarm`` (Swarm), and what other roles need;
- stack_drift: ``compare_project`` and the container documents it reads.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# pylint: disable=unused-import
from ansible_collections.stackops.hardened.plugins.module_utils.stack_model import (  # noqa: F401
    ALLOWANCES, BACKEND, DATASTORE_NAMES, DATASTORE_PORTS, EXTENSION, EXTENSION_KEYS, FRONTEND, LOOPBACK_ADDRESSES,
    MONITORING_PORTS, NAME_PATTERN, SECRET_NAME_PATTERN, SECRETS_LABEL, SERVICE_PATTERN, SWARM_ENDPOINT_MODES,
    SWARM_PUBLISH_MODES, StackError, as_list, environment_items, extension, host_path_verdict, image_is_datastore,
    image_is_pinned, image_repository, is_datastore, normal_host_path, oneshot_services, parse_port, parse_user,
    public_port_set, replica_count, secret_name_problem, service_secret_names, service_uid_gid)
from ansible_collections.stackops.hardened.plugins.module_utils.stack_policy import (  # noqa: F401
    HARMLESS_CAPS, HOST_NAMESPACES, RULES, SWARM_DEPLOY_KEYS, Rule, check_stack, check_swarm, duration,
    rules_table, secret_consumer_problems, secret_key, size_in_bytes, url_with_password)
from ansible_collections.stackops.hardened.plugins.module_utils.stack_render import (  # noqa: F401
    SWARM_FILE_VERSION, SWARM_MOVED_KEYS, merge_deep, published_ports, readable_services, render_project,
    render_swarm, secret_owners, secret_source, secrets_fingerprint, swarm_secret_name, swarm_secrets,
    swarm_update_order)
from ansible_collections.stackops.hardened.plugins.module_utils.stack_drift import (  # noqa: F401
    compare_project, container_summary, parse_config_hashes)

_as_list = as_list
