#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: backup_restore
short_description: Restore a database dump of the backup role into a scratch container or the live database
description:
  - Finds the newest run (or the run named in O(run)) under O(backup_dir), as the C(stackops-backup) script of the
    C(stackops.hardened.backup) role writes them (C(YYYYMMDDTHHMMSSZ/db-<database>.dump[.age]) with a C(.sha256) beside
    each file), and checks the file against its checksum.
  - The dump is streamed into C(pg_restore) inside a container of the stack's Postgres image; an encrypted dump is
    decrypted on the way with C(age), which reads the private key O(identity) on its standard input. No plaintext copy
    and no key is written to the host. The database password is read inside the container from its secret file.
  - With O(target=scratch) (the restore check), a throw-away container of the same image, shaped like the live one
    (user, read-only root, tmpfs, secret files, C(POSTGRES_*) environment) and without network, gets the dump; the
    per-table row counts are compared with the live database, and the age of the run is reported. The module fails
    when a table is missing or its count differs (beyond O(tolerance_percent)), or when the run is older than
    O(max_age_hours). The container is removed in every case.
  - With O(target=live), the services in O(stop_services) that run are stopped, the dump is restored into the live
    database with C(pg_restore --clean --if-exists --single-transaction) (all or nothing), and the stopped containers
    are started again, also when the restore failed.
author:
  - stackops.hardened developers (@stackops)
options:
  project:
    description: Compose project name of the stack; its containers are found by the compose labels.
    type: str
    required: true
  service:
    description: Compose service running Postgres.
    type: str
    default: postgres
  database:
    description: Database to restore.
    type: str
    required: true
  backup_dir:
    description: Directory of the runs.
    type: path
    required: true
  run:
    description: Name of the run to restore (V(YYYYMMDDTHHMMSSZ)), or V(latest) for the newest.
    type: str
    default: latest
  target:
    description: V(scratch) restores into a throw-away container and compares; V(live) restores into the stack's database.
    type: str
    choices: [scratch, live]
    default: scratch
  identity:
    description:
      - The age private key(s) (C(AGE-SECRET-KEY-1...)); needed when the dump is encrypted. Passed to C(age) on standard
        input only.
    type: str
  user:
    description: Database user; empty for the container's C(POSTGRES_USER) (else C(postgres)).
    type: str
    default: ''
  password_file:
    description: Password file inside the Postgres container.
    type: str
    default: /run/secrets/postgres_password
  image:
    description: Image of the scratch container; empty for the image of the live Postgres container.
    type: str
    default: ''
  jobs:
    description:
      - C(pg_restore --jobs) in the scratch container. V(1) streams the dump straight into C(pg_restore); more copies it
        into the scratch container's C(/tmp) (memory) first, since parallel restore needs a seekable file.
    type: int
    default: 1
  max_age_hours:
    description: With O(target=scratch), fail when the run is older than this many hours; V(0) for no limit.
    type: float
    default: 0
  tolerance_percent:
    description: With O(target=scratch), the difference of a table's row count allowed, in percent of the live count.
    type: float
    default: 0
  stop_services:
    description: With O(target=live), compose services stopped while the database is restored.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description:
      - V(scratch) runs in check mode too (it only starts and removes a throw-away container).
      - V(live) reports the run it would restore and the containers it would stop, and changes nothing.
  diff_mode:
    support: none
    description: A restore has no diff to show; the result lists the tables and their row counts.
  platform:
    support: full
    platforms: posix
    description: Runs on the Docker host, as root, with the docker CLI and C(age).
seealso:
  - module: stackops.hardened.health_check
'''

EXAMPLES = r'''
- name: Restore check of the newest backup (a scratch container, row counts compared with live)
  stackops.hardened.backup_restore:
    project: demo
    database: demo
    backup_dir: /var/backups/stackops-demo
    identity: "{{ backup_age_identity }}"
    max_age_hours: 26
  no_log: false

- name: Restore a named backup into the live database, api and worker stopped meanwhile
  stackops.hardened.backup_restore:
    project: demo
    database: demo
    backup_dir: /var/backups/stackops-demo
    run: 20261125T033000Z
    target: live
    identity: "{{ backup_age_identity }}"
    stop_services: [api, worker]
'''

RETURN = r'''
run:
  description: The run restored.
  returned: when a run was found
  type: str
  sample: 20261125T033000Z
file:
  description: The dump file restored.
  returned: when a run was found
  type: str
  sample: /var/backups/stackops-demo/20261125T033000Z/db-demo.dump.age
encrypted:
  description: Whether the dump is encrypted with age.
  returned: when a run was found
  type: bool
size:
  description: Size of the dump file in bytes.
  returned: when a run was found
  type: int
age_hours:
  description: Hours since the run started (O(target=scratch)).
  returned: when a run was found
  type: float
restore_seconds:
  description: Time pg_restore took.
  returned: after a restore
  type: float
tables:
  description:
    - O(target=scratch) - per table, C(table), C(live) and C(restored) row counts and C(ok).
    - O(target=live) - per table, C(table) and C(rows) after the restore.
  returned: after a restore
  type: list
  elements: dict
problems:
  description: What made the restore check fail (O(target=scratch)); empty when it passed.
  returned: after a restore check
  type: list
  elements: str
stopped:
  description: Containers stopped (and started again) during a live restore.
  returned: O(target=live)
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.hardened.plugins.module_utils.backup_restore import (
    RestoreError,
    restore_check,
    restore_live,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            project=dict(type='str', required=True),
            service=dict(type='str', default='postgres'),
            database=dict(type='str', required=True),
            backup_dir=dict(type='path', required=True),
            run=dict(type='str', default='latest'),
            target=dict(type='str', choices=['scratch', 'live'], default='scratch'),
            identity=dict(type='str', no_log=True),
            user=dict(type='str', default=''),
            password_file=dict(type='str', default='/run/secrets/postgres_password', no_log=False),
            image=dict(type='str', default=''),
            jobs=dict(type='int', default=1),
            max_age_hours=dict(type='float', default=0),
            tolerance_percent=dict(type='float', default=0),
            stop_services=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        if params['target'] == 'live':
            result = restore_live(params, check_mode=module.check_mode)
            result['msg'] = '%s %s of %s into the live database%s' % (
                'would restore' if module.check_mode else 'restored', result['run'], params['database'],
                ' (stopped and started %d containers)' % len(result['stopped']) if result['stopped'] else '')
        else:
            result = restore_check(params)
            if result['problems']:
                module.fail_json(msg='restore check of %s from backup %s failed: %s' % (
                    params['database'], result['run'], '; '.join(result['problems'])), **result)
            result['msg'] = ('backup %s of %s (%.1f h old) restored into a scratch database in %.1f s; %d tables, '
                             'row counts match live' % (result['run'], params['database'], result['age_hours'],
                                                        result['restore_seconds'], len(result['tables'])))
    except RestoreError as exc:
        details = dict((k, v) for k, v in exc.result.items() if k != 'changed')
        stopped = params['target'] == 'live' and not module.check_mode and bool(exc.result.get('stopped'))
        module.fail_json(msg=str(exc), changed=stopped, **details)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
