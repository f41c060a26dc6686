#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: health_check
short_description: Wait until containers, swarm services and HTTP(S) endpoints are healthy, or fail naming what is wrong
description:
  - Polls every O(interval) seconds until every container in O(containers) and in O(compose_project) reports the
    Docker health status C(healthy), and every URL in O(urls) answers with its expected status (and body), all in the
    same round; then succeeds. Stops at O(timeout) and fails with one line per problem.
  - Containers are read from the Docker Engine API on its unix socket (C(GET /containers/json), C(GET
    /containers/{id}/json)); no Docker SDK is needed.
  - A running container without a healthcheck is a failure, and so is a container that is not running (exited, dead,
    restarting, paused, created), with its exit code. A container that cannot recover by waiting (no healthcheck; exited
    or dead and not restarted by its restart policy) fails the check at once, without waiting for O(timeout).
  - For O(compose_project), a one-shot container (such as a migration) that exited with code 0 and is not restarted by
    its restart policy counts as done. Containers of C(docker compose run) are ignored.
  - With O(swarm_stack), run on a Docker Swarm manager, every service of that stack (label
    C(com.docker.stack.namespace)) must settle instead, read from C(GET /services?status=true), C(GET /tasks) and
    C(GET /nodes). A replicated service settles when as many tasks as replicas run the service's current spec; a global
    service when one task of the current spec runs on every node swarm wants one on (ready, active, matching the
    placement); a job (C(replicated-job), C(global-job)) when its tasks completed as often as wanted. Swarm reports a
    task whose container has a healthcheck as C(starting) until the check passes, so a running task is a healthy one.
  - For O(swarm_stack), an update in progress (C(updating), C(rollback_started)) is waited for; a paused update or
    rollback, a failed job task and an update swarm rolled back (C(rollback_completed), as after a deploy whose new
    image fails its healthcheck) fail the check at once, naming the service, the update message and the error of the
    newest failed task. A stack without services fails at once too.
  - URLs are fetched with a plain GET, without proxies, and redirects are not followed, so an expected V(301) can be
    checked. The body is read up to 1 MiB.
author:
  - stackops.hardened developers (@stackops)
options:
  containers:
    description:
      - Names or IDs of containers that must be running and healthy.
    type: list
    elements: str
    default: []
  compose_project:
    description:
      - Name of a Docker Compose project. Every container with the label C(com.docker.compose.project) set to this value
        must be running and healthy. A project without containers is a failure.
    type: str
  swarm_stack:
    description:
      - Name of a Docker Swarm stack (the NAME of C(docker stack deploy)). Every service with the label
        C(com.docker.stack.namespace) set to this value must settle (see the description); their state is returned in
        RV(services).
      - Only a swarm manager can list services and tasks; on a worker the module fails and says so. Run it on a manager,
        for example with C(delegate_to) the first host of the managers group.
      - Mutually exclusive with O(containers) and O(compose_project); may be combined with O(urls).
    type: str
  rollbacks_before:
    description:
      - With O(swarm_stack), a time (RFC 3339, such as V(2026-11-25T18:00:00Z), read on the manager) before which a
        completed rollback is history rather than a failure. A deploy taken back to the previous release after a
        rollback changes no service, so Swarm keeps reporting the old rollback; give the time the deploy started.
      - Without it every service whose last update was rolled back fails the check.
    type: str
  urls:
    description:
      - HTTP(S) endpoints that must answer as expected.
    type: list
    elements: dict
    default: []
    suboptions:
      url:
        description:
          - The V(http://) or V(https://) URL to GET.
          - Credentials in it (V(https://user:password@host/)) are sent as a Basic C(Authorization) header and shown
            as C(***) in the result, the invocation and every message.
        type: str
        required: true
      status:
        description:
          - The HTTP status the URL must answer with.
        type: int
        default: 200
      body:
        description:
          - Text the body must contain. The body also matches when this, read as a Python regular expression, is found
            in it (C(re.search)).
        type: str
      ca_path:
        description:
          - PEM file of the CA certificates to verify the server certificate against. Only these CAs are trusted.
          - Without it, the system CAs are used.
        type: path
      validate_certs:
        description:
          - Verify the server certificate and its name. With V(false), any certificate is accepted.
        type: bool
        default: true
      host_header:
        description:
          - Value of the C(Host) header, for a URL that names an address (V(https://127.0.0.1/)) while the server
            picks its site by name.
          - For HTTPS, it is also the name sent in SNI and checked against the certificate.
        type: str
      headers:
        description:
          - More request headers, name to value.
          - The values may carry credentials (C(Authorization), tokens), so they are never shown in the result, the
            invocation or a message.
        type: dict
  timeout:
    description:
      - Seconds to wait in all before failing. V(0) checks once.
    type: int
    default: 120
  interval:
    description:
      - Seconds between two rounds of checks.
    type: float
    default: 2.0
  docker_socket:
    description:
      - Path of the Docker Engine API unix socket. Only read when O(containers), O(compose_project) or O(swarm_stack) is
        given; the module fails when it does not exist or cannot be read.
    type: path
    default: /var/run/docker.sock
extends_documentation_fragment:
  - stackops.hardened.read_only
attributes:
  platform:
    support: full
    platforms: posix
    description: Containers are read from the Docker Engine API on a unix socket; URLs work from any POSIX host.
notes:
  - Reading the Docker socket needs root or membership of the C(docker) group; use C(become=true).
  - At least one of O(containers), O(compose_project), O(swarm_stack) and O(urls) must be given.
seealso:
  - module: stackops.hardened.port_exposure
  - module: stackops.hardened.port_scan
'''

EXAMPLES = r'''
- name: Wait until every service of the stack is healthy and the API answers through Nginx
  stackops.hardened.health_check:
    compose_project: botstack
    urls:
      - url: https://127.0.0.1/ready
        host_header: api.example.test
        ca_path: /etc/stackops/ca/ca.crt
      - url: http://127.0.0.1/
        host_header: api.example.test
        status: 301
    timeout: 180
  become: true

- name: Check two containers and a health endpoint whose body must report ok
  stackops.hardened.health_check:
    containers:
      - botstack-api-1
      - botstack-worker-1
    urls:
      - url: http://127.0.0.1:18000/health
        body: '"status":\s*"ok"'
        headers:
          Accept: application/json
    timeout: 60
    interval: 5
  become: true
  register: health

- name: Wait until every service of the swarm stack demo has settled, on the first manager
  stackops.hardened.health_check:
    swarm_stack: demo
    timeout: 300
  delegate_to: "{{ groups['swarm_managers'] | first }}"
  run_once: true
  become: true
  register: swarm_health

- name: Prove the API replicas run on two different nodes
  ansible.builtin.assert:
    that:
      - (swarm_health.services | selectattr('name', 'equalto', 'demo_api') | first).nodes | length == 2
'''

RETURN = r'''
containers:
  description: The containers checked in the last round, named ones first, then those of O(compose_project) by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
      sample: botstack-api-1
    id:
      description: Short container ID, or null when the container does not exist.
      type: str
      sample: 8dfafdbc3a40
    status:
      description: Docker state (running, exited, restarting, paused, created, dead), or V(missing).
      type: str
      sample: running
    health:
      description: Docker health status (healthy, unhealthy, starting), or null without a healthcheck.
      type: str
      sample: unhealthy
    exit_code:
      description: Exit code of the last run, from Docker's state.
      type: int
      sample: 0
    last_output:
      description: Output of the latest healthcheck, up to 2000 characters, or null.
      type: str
      sample: "curl: (7) Failed to connect to localhost port 8000"
    unhealthy_for:
      description:
        - Seconds since the first failing check of the current failing streak; null unless unhealthy.
        - When the streak is longer than Docker's log of the last five checks, the start is estimated from the
          spacing of the checks. Never less than the time the module watched the container unhealthy.
      type: float
      sample: 60.2
    ok:
      description: Whether the container is running and healthy (or a finished one-shot container of the project).
      type: bool
      sample: false
    problem:
      description: What is wrong, or null.
      type: str
      sample: "container botstack-api-1 unhealthy for 60 s; last check output: curl: (7) Failed to connect"
services:
  description: The services of O(swarm_stack) checked in the last round, by name; empty without O(swarm_stack).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Service name.
      type: str
      sample: demo_api
    mode:
      description: V(replicated), V(global), V(replicated-job) or V(global-job).
      type: str
      sample: replicated
    desired:
      description:
        - Tasks wanted running (replicas; for a global service the nodes swarm wants a task on), or completions wanted
          for a job.
      type: int
      sample: 2
    running:
      description: Tasks running whose desired state is running (for swarm, a task with a healthcheck runs once healthy).
      type: int
      sample: 2
    completed:
      description: Completed tasks of a job (C(ServiceStatus.CompletedTasks)); 0 for a service that is not a job.
      type: int
      sample: 0
    update_state:
      description: C(UpdateStatus.State) of the service (updating, completed, paused, rollback_started,
        rollback_paused, rollback_completed), or null when it was never updated.
      type: str
      sample: null
    nodes:
      description: Host names of the nodes with a running task of the service, sorted.
      type: list
      elements: str
      sample: [stackops-swarm-2, stackops-swarm-3]
    ok:
      description: Whether the service has settled (or the job completed).
      type: bool
      sample: true
    problem:
      description: What is wrong, or null.
      type: str
      sample: "service demo_api (replicated): 1 of 2 running; newest task: starting on stackops-swarm-3"
urls:
  description: The URLs checked in the last round, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The URL.
      type: str
      sample: https://api.example.test/ready
    status:
      description: HTTP status of the answer, or null when there was none.
      type: int
      sample: 502
    elapsed:
      description: Seconds the request took.
      type: float
      sample: 0.012
    error:
      description: Why there was no HTTP answer (connection refused, certificate verify failed, timeout), or null.
      type: str
      sample: "certificate verify failed (self-signed certificate)"
    ok:
      description: Whether the status (and body) were as expected.
      type: bool
      sample: false
    problem:
      description: What is wrong, or null.
      type: str
      sample: https://api.example.test/ready answered 502, expected 200
waited:
  description: Seconds the module waited.
  returned: always
  type: float
  sample: 14.1
messages:
  description: One line per problem of the last round; empty on success.
  returned: always
  type: list
  elements: str
  sample:
    - "container botstack-api-1 unhealthy for 60 s; last check output: curl: (7) Failed to connect"
    - https://api.example.test/ready answered 502, expected 200
    - "service demo_api: the update of demo_api was rolled back (rollback completed); newest failed task: failed on
      stackops-swarm-2: unhealthy container"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.docker_api import DockerAPIError
from ansible_collections.stackops.hardened.plugins.module_utils.health import (
    check_health,
    failure_summary,
    redact_params,
    url_credentials,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            containers=dict(type='list', elements='str', default=[]),
            compose_project=dict(type='str'),
            swarm_stack=dict(type='str'),
            rollbacks_before=dict(type='str'),
            urls=dict(
                type='list',
                elements='dict',
                default=[],
                options=dict(
                    url=dict(type='str', required=True),
                    status=dict(type='int', default=200),
                    body=dict(type='str'),
                    ca_path=dict(type='path'),
                    validate_certs=dict(type='bool', default=True),
                    host_header=dict(type='str'),
                    headers=dict(type='dict', no_log=True),
                ),
            ),
            timeout=dict(type='int', default=120),
            interval=dict(type='float', default=2.0),
            docker_socket=dict(type='path', default='/var/run/docker.sock'),
        ),
        mutually_exclusive=[['swarm_stack', 'containers'], ['swarm_stack', 'compose_project']],
        supports_check_mode=True,
    )
    params = module.params
    module.no_log_values.update(value for value in url_credentials(params['urls']) if len(value) >= 3)
    invocation = dict(module_args=redact_params(params))
    try:
        health = check_health(
            containers=params['containers'],
            compose_project=params['compose_project'],
            swarm_stack=params['swarm_stack'],
            rollbacks_before=params['rollbacks_before'],
            urls=params['urls'],
            timeout=params['timeout'],
            interval=params['interval'],
            docker_socket=params['docker_socket'],
        )
    except ValueError as exc:
        module.fail_json(msg=str(exc), invocation=invocation)
    except DockerAPIError as exc:
        module.fail_json(msg=str(exc), invocation=invocation)

    result = dict(
        changed=False,
        containers=health['containers'],
        services=health['services'],
        urls=health['urls'],
        waited=health['waited'],
        messages=health['messages'],
    )
    if not health['ok']:
        module.fail_json(msg=failure_summary(health, params['timeout']), invocation=invocation, **result)
    module.exit_json(invocation=invocation, **result)


if __name__ == '__main__':
    main()
