"""make bench-backup: time the backup role's backup of a >= 1 GiB database against a plain
`pg_dump | gzip` of the same database in the same run, and the restore time of our backup.

Starts its own Debian 13 test host (stackops-bench-backup), installs Docker (docker role),
starts the demo Postgres image in a compose project "demo" (the backup scenario's stand-in
stack), generates the database, applies the backup role (zstd, age encryption to a key pair
made on this machine), then measures, on the same host and database:

  ours     stackops-backup demo run: pg_dump -Fc -Z zstd:3 | age, pg_restore --list, sha256
  plain    pg_dump (plain SQL) | gzip -6, into a file on the host
  restore  the role's restore check: the dump decrypted into a scratch container of the same
           image, pg_restore --jobs N (N = cores), row counts compared with live

Prints a table on stderr and one JSON object on stdout. The host is removed at the end
(--keep keeps it). Only traffic to the local Docker engine and the host's loopback.

  .venv/bin/python scripts/bench_backup.py [--gib 1.0] [--jobs N] [--keep]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import figures

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
HOST = 'stackops-bench-backup'
BIN = os.path.join(ROOT, '.venv', 'bin')


def log(msg):
    sys.stderr.write('bench-backup: %s\n' % msg)
    sys.stderr.flush()


def run(argv, check=True, **kwargs):
    return subprocess.run(argv, check=check, **kwargs)


def host_sh(script, capture=True):
    """Run a bash script inside the test host; return its stdout."""
    proc = run(['docker', 'exec', '-i', HOST, 'bash', '-euo', 'pipefail', '-c', script],
               stdout=subprocess.PIPE if capture else None, universal_newlines=True)
    return (proc.stdout or '').strip()


def timed_sh(script):
    started = time.monotonic()
    host_sh(script)
    return time.monotonic() - started


PSQL = ('docker exec -i "$(docker ps -q --filter label=com.docker.compose.project=demo '
        '--filter label=com.docker.compose.service=postgres)" sh -c '
        '\'PGPASSWORD="$(cat /run/secrets/postgres_password)" psql -X -q -At -v ON_ERROR_STOP=1 -U demo -d demo\'')


def start_host():
    import yaml  # in the project's virtualenv
    with open(os.path.join(ROOT, 'molecule', '_shared', 'vars', 'testhost.yml')) as handle:
        cfg = yaml.safe_load(handle)['testhost_run']
    run(['docker', 'rm', '--force', '--volumes', HOST], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        check=False)
    argv = ['docker', 'run', '--detach', '--name', HOST, '--hostname', HOST, '--stop-signal', cfg['stop_signal'],
            '--cgroupns', cfg['cgroupns'], '--label', 'stackops.testhost=bench-backup']
    argv += ['--cap-add=' + c for c in cfg['capabilities']]
    argv += ['--security-opt=' + o for o in cfg['security_opts']]
    argv += ['--volume=' + v for v in cfg['volumes']]
    argv += ['--tmpfs=' + t for t in cfg['tmpfs']]
    argv += ['stackops-testhost:trixie', cfg['command']]
    run(argv, stdout=subprocess.DEVNULL)
    for _attempt in range(60):
        state = run(['docker', 'exec', HOST, 'systemctl', 'is-system-running'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    universal_newlines=True, check=False).stdout.strip()
        if state in ('running', 'degraded'):
            return
        time.sleep(2)
    raise SystemExit('the test host did not boot')


PLAYBOOK = """
- name: Docker, the stand-in stack and the backup role
  hosts: all
  gather_facts: false
  vars:
    backup_test_images: "{{ (lookup('ansible.builtin.file', root ~ '/.cache/demo-images.yml') | from_yaml).demo_images }}"
  tasks:
    - name: Install Docker
      ansible.builtin.include_role:
        name: stackops.hardened.docker
      vars:
        docker_install_source: distro
    - name: Load the demo and busybox images
      ansible.builtin.shell:
        cmd: set -o pipefail; {{ root }}/tests/images/demo/load.sh {{ inventory_hostname }} &&
          docker save stackops-busybox:test | docker exec -i {{ inventory_hostname }} docker load
        executable: /bin/bash
      delegate_to: localhost
    - name: Secrets
      ansible.builtin.shell:
        cmd: mkdir -p /opt/demo/secrets/999 && head -c 18 /dev/urandom | base64 > /opt/demo/secrets/999/postgres_password &&
          chown -R 999 /opt/demo/secrets/999 && chmod 0400 /opt/demo/secrets/999/postgres_password
    - name: Compose file
      ansible.builtin.template:
        src: "{{ root }}/molecule/backup/templates/compose.yaml.j2"
        dest: /opt/demo/compose.yaml
        mode: "0644"
    - name: Start the stack
      ansible.builtin.command:
        argv: [docker, compose, --project-directory, /opt/demo, --project-name, demo, up, --detach, --wait]
    - name: The backup role
      ansible.builtin.include_role:
        name: stackops.hardened.backup
"""


def ansible(playbook_text, extra_vars, inventory):
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as handle:
        handle.write(playbook_text)
        path = handle.name
    try:
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.cache', 'collections'),
                   ANSIBLE_FORCE_COLOR='false')
        proc = run([os.path.join(BIN, 'ansible-playbook'), '-i', inventory, path,
                    '--extra-vars', json.dumps(extra_vars)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-6000:])
            raise SystemExit('ansible-playbook failed')
        return proc.stdout
    finally:
        os.unlink(path)


def generate(gib):
    """Fill the demo database until it is at least gib GiB (table, TOAST and indexes)."""
    host_sh(PSQL + " <<'SQL'\n"
            "CREATE TABLE IF NOT EXISTS events (id bigint PRIMARY KEY, user_id int NOT NULL, kind text NOT NULL,\n"
            "  payload text NOT NULL, amount numeric(12,2), created timestamptz NOT NULL, digest bytea NOT NULL);\n"
            "CREATE INDEX IF NOT EXISTS events_user ON events (user_id);\n"
            "CREATE INDEX IF NOT EXISTS events_created ON events (created);\n"
            "SQL")
    target = int(gib * 1024 ** 3)
    batch, start = 1000000, 0
    while True:
        size = int(host_sh(PSQL + " <<<'SELECT pg_database_size(current_database())'"))
        log('database size %.2f GiB' % (size / 1024.0 ** 3))
        if size >= target:
            return size
        host_sh(PSQL + " <<'SQL'\n"
                "INSERT INTO events SELECT g, ((g * 7919) %% 100000)::int, (ARRAY['signup','login','order','refund','ping'])[1 + g %% 5],\n"
                "  'user ' || (g %% 100000) || ' did ' || md5(g::text) || ' from ' || md5((g * 3)::text) || ' '\n"
                "    || repeat(chr((65 + g %% 26)::int), (20 + g %% 40)::int),\n"
                "  (g %% 100000) / 100.0, '2025-01-01'::timestamptz + g * interval '7 seconds', sha256(g::text::bytea)\n"
                "FROM generate_series(%d::bigint, %d::bigint) g;\nSQL" % (start + 1, start + batch))
        start += batch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--gib', type=float, default=1.0, help='database size to generate (GiB, default 1)')
    parser.add_argument('--jobs', type=int, default=os.cpu_count() or 2, help='pg_restore --jobs of the restore')
    parser.add_argument('--keep', action='store_true', help='keep the test host afterwards')
    args = parser.parse_args()

    started = time.monotonic()
    run([os.path.join(ROOT, 'tests', 'images', 'demo', 'build.sh')], stdout=subprocess.DEVNULL)
    run(['ansible-playbook', os.path.join(ROOT, 'molecule', '_shared', 'busybox-image.yml')],
        stdout=subprocess.DEVNULL, env=dict(os.environ, PATH=BIN + ':' + os.environ['PATH']))
    work = tempfile.mkdtemp(prefix='bench-backup.')
    key = os.path.join(work, 'age-identity.txt')
    run(['age-keygen', '-o', key], stderr=subprocess.DEVNULL)
    identity = open(key).read()
    recipient = [line.split(': ')[1] for line in identity.splitlines() if line.startswith('# public key: ')][0]
    inventory = os.path.join(work, 'inventory.yml')
    with open(inventory, 'w') as handle:
        handle.write('all:\n  hosts:\n    %s:\n      ansible_connection: community.docker.docker\n'
                     '      ansible_python_interpreter: /usr/bin/python3\n' % HOST)
    role_vars = dict(root=ROOT, backup_stack_name='demo', backup_databases=['demo'], backup_stack_databases=['demo'],
                     backup_encrypt=True, backup_age_recipients=[recipient], backup_keep_daily=3, backup_keep_weekly=0)
    try:
        log('starting the test host %s' % HOST)
        start_host()
        log('installing Docker, the stand-in stack and the backup role')
        ansible(PLAYBOOK, role_vars, inventory)
        log('generating a database of at least %.1f GiB' % args.gib)
        t0 = time.monotonic()
        db_size = generate(args.gib)
        host_sh(PSQL + " <<<'VACUUM ANALYZE events'")
        generate_seconds = time.monotonic() - t0
        rows = int(host_sh(PSQL + " <<<'SELECT count(*) FROM events'"))

        log('our backup (stackops-backup demo run)')
        ours_seconds = timed_sh('/usr/local/sbin/stackops-backup demo run')
        ours_size = int(host_sh('stat -c %s /var/backups/stackops-demo/"$(/usr/local/sbin/stackops-backup demo list '
                                '| head -n 1)"/db-demo.dump.age'))
        log('plain pg_dump | gzip')
        plain_dump = PSQL.replace('psql -X -q -At -v ON_ERROR_STOP=1', 'pg_dump')
        plain_seconds = timed_sh(plain_dump + ' | gzip -6 > /var/tmp/plain.sql.gz')
        plain_size = int(host_sh('stat -c %s /var/tmp/plain.sql.gz'))

        log('restore of our backup into a scratch container (pg_restore --jobs %d)' % args.jobs)
        ansible("""
- name: Restore check
  hosts: all
  gather_facts: false
  tasks:
    - name: Restore check
      ansible.builtin.include_role:
        name: stackops.hardened.backup
        tasks_from: restore_check
    - name: Keep the result
      ansible.builtin.copy:
        content: "{{ backup_check.results[0] | to_json }}"
        dest: /var/tmp/bench-check.json
        mode: "0600"
""", dict(role_vars, backup_age_identity=identity, backup_check_jobs=args.jobs, backup_check_tolerance_percent=0),
            inventory)
        check = json.loads(host_sh('cat /var/tmp/bench-check.json'))
        result = dict(
            database_bytes=db_size, rows=rows, generate_seconds=round(generate_seconds, 1),
            ours=dict(seconds=round(ours_seconds, 1), bytes=ours_size,
                      method='pg_dump -Fc -Z zstd:3 | age, pg_restore --list, sha256'),
            plain=dict(seconds=round(plain_seconds, 1), bytes=plain_size, method='pg_dump | gzip -6'),
            time_ratio=round(ours_seconds / plain_seconds, 2), size_ratio=round(float(ours_size) / plain_size, 3),
            restore=dict(seconds=check['restore_seconds'], jobs=args.jobs, total_seconds=check['total_seconds'],
                         method='age -d | scratch container, pg_restore --jobs %d, row counts compared' % args.jobs),
            total_seconds=round(time.monotonic() - started, 1),
        )
        gib = 1024.0 ** 3
        log('database %.2f GiB, %d rows' % (db_size / gib, rows))
        log('%-8s %8s %12s' % ('', 'seconds', 'MiB'))
        log('%-8s %8.1f %12.1f' % ('ours', ours_seconds, ours_size / 1024.0 ** 2))
        log('%-8s %8.1f %12.1f' % ('plain', plain_seconds, plain_size / 1024.0 ** 2))
        log('ratio ours/plain: time %.2f, size %.3f' % (result['time_ratio'], result['size_ratio']))
        log('restore of ours: %.1f s (pg_restore --jobs %d; %.1f s with the scratch container)'
            % (check['restore_seconds'], args.jobs, check['total_seconds']))
        print(json.dumps(result, indent=2))
        figures.write_bench('backup', result)
    finally:
        if not args.keep:
            run(['docker', 'rm', '--force', '--volumes', HOST], stdout=subprocess.DEVNULL, check=False)
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)


if __name__ == '__main__':
    main()
