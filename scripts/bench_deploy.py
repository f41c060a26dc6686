"""make bench-deploy: the wall time of a one-service image change through playbooks/deploy.yml and
the requests that failed through nginx during it, then the time to the automatic rollback of a
broken image and the requests that failed during that. Targets: under 20 s with 0 failed, the
rollback under 30 s with 0 failed. A benchmark, not a test: it prints, and fails only when a step
cannot run.

Starts its own Debian 13 test host (stackops-bench-deploy) with the run settings of the Molecule
test hosts, and brings it to where the release scenario starts: Docker, the demo images and the
test releases 1.1 (good) and 1.2 (healthy, its /ready answers 503) built on the host
(molecule/release/prepare.yml), the secrets, the first release and nginx in front
(molecule/release/converge.yml, vars/release.yml). Then, with a bounded request loop through
nginx beside each (inside the host, to its loopback, at most 20 requests a second):

  change    scripts/ci-deploy.sh -t api=1.1  (the API side by side, gated, nginx switched)
  rollback  scripts/ci-deploy.sh -t api=1.2  (its gate fails; the run ends once 1.1 serves again)

Prints a table on stderr and one JSON object on stdout. The host is removed at the end (--keep
keeps it). Only traffic to the local Docker engine and the host's loopback.

  .venv/bin/python scripts/bench_deploy.py [--keep]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import figures

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
HOST = 'stackops-bench-deploy'
BIN = os.path.join(ROOT, '.venv', 'bin')
SCENARIO = os.path.join(ROOT, 'molecule', 'release')
TARGETS = dict(change=20.0, rollback=30.0)

LOOP = r'''
rm -f /tmp/bench-loop-stop /tmp/bench-loop.out; end=$((SECONDS + 150)); ok=0; failed=0
while [ ! -e /tmp/bench-loop-stop ] && [ $SECONDS -lt $end ]; do
  code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 5 --resolve api.demo.test:443:127.0.0.1 https://api.demo.test/ready || true)
  if [ "$code" = 200 ]; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
  sleep 0.05
done
echo "$ok $failed" >/tmp/bench-loop.out
'''


def log(msg):
    sys.stderr.write('bench-deploy: %s\n' % msg)
    sys.stderr.flush()


def run(argv, check=True, **kwargs):
    return subprocess.run(argv, check=check, **kwargs)


def environment():
    return figures.ansible_environment(STACKOPS_DEPLOYED_BY='make bench-deploy')


def start_host(env, workdir):
    """The host, started by the Molecule scenarios' own create playbook (the same run settings)."""
    platforms = json.dumps(dict(molecule_yml=dict(platforms=[dict(name=HOST, image='stackops-testhost:trixie')])))
    with open(os.path.join(workdir, 'create.log'), 'w') as out:
        proc = run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', '-e', platforms,
                    '-e', 'molecule_instance_config=%s' % os.path.join(workdir, 'instance.yml'),
                    os.path.join(ROOT, 'molecule', '_shared', 'create.yml')],
                   env=dict(env, MOLECULE_SCENARIO_NAME='bench-deploy'), stdout=out, stderr=subprocess.STDOUT,
                   check=False)
    if proc.returncode != 0:
        raise SystemExit('bench-deploy: the test host did not start; see %s/create.log' % workdir)


def playbook(env, inventory, path, logfile, extra=()):
    with open(logfile, 'w') as out:
        proc = run([os.path.join(BIN, 'ansible-playbook'), '-i', inventory, path] + list(extra), env=env,
                   stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise SystemExit('bench-deploy: %s failed; see %s' % (os.path.relpath(path, ROOT), logfile))


def ship(env, inventory, tag, logfile):
    """(seconds, rc, ok, failed): one ci-deploy.sh run with the request loop beside it."""
    run(['docker', 'exec', '-d', HOST, 'bash', '-c', LOOP])
    time.sleep(2)
    started = time.monotonic()
    with open(logfile, 'w') as out:
        proc = run([os.path.join(ROOT, 'scripts', 'ci-deploy.sh'), '-i', inventory, '--no-verify', '-t', 'api=' + tag,
                    '--', '-e', '@' + os.path.join(SCENARIO, 'vars', 'release.yml'), '-e', 'stackops_hosts=all'],
                   env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    seconds = time.monotonic() - started
    time.sleep(1)
    run(['docker', 'exec', HOST, 'touch', '/tmp/bench-loop-stop'])
    counts = ''
    for _attempt in range(20):
        counts = run(['docker', 'exec', HOST, 'cat', '/tmp/bench-loop.out'], stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, universal_newlines=True, check=False).stdout.split()
        if len(counts) == 2:
            break
        time.sleep(0.5)
    if len(counts) != 2:
        raise SystemExit('bench-deploy: the request loop left no counts')
    return seconds, proc.returncode, int(counts[0]), int(counts[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--keep', action='store_true', help='keep the test host afterwards')
    args = parser.parse_args()
    env = environment()
    workdir = os.path.join(ROOT, '.cache', 'bench-deploy')
    os.makedirs(workdir, exist_ok=True)
    inventory = os.path.join(workdir, 'hosts.yml')
    with open(inventory, 'w') as handle:
        handle.write('all:\n  hosts:\n    %s:\n      ansible_connection: community.docker.docker\n'
                     '      ansible_python_interpreter: /usr/bin/python3\n' % HOST)
    try:
        log('starting %s and bringing it to the first release (Docker, images, secrets, nginx)' % HOST)
        started = time.monotonic()
        run(['docker', 'rm', '--force', '--volumes', HOST], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False)
        start_host(env, workdir)
        playbook(env, inventory, os.path.join(SCENARIO, 'prepare.yml'), os.path.join(workdir, 'prepare.log'))
        playbook(env, inventory, os.path.join(SCENARIO, 'converge.yml'), os.path.join(workdir, 'converge.log'))
        log('set-up took %.0f s (not measured)' % (time.monotonic() - started))
        results = {}
        log('change: api 1.0 -> 1.1')
        results['change'] = ship(env, inventory, '1.1', os.path.join(workdir, 'change.log'))
        log('rollback: api 1.1 -> 1.2 (never ready)')
        results['rollback'] = ship(env, inventory, '1.2', os.path.join(workdir, 'rollback.log'))
    finally:
        if not args.keep:
            run(['docker', 'rm', '--force', '--volumes', HOST], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                check=False)
    change, rollback = results['change'], results['rollback']
    report = dict(
        change=dict(seconds=round(change[0], 1), rc=change[1], requests_ok=change[2], requests_failed=change[3],
                    target_seconds=TARGETS['change'],
                    met=change[1] == 0 and change[0] < TARGETS['change'] and change[3] == 0),
        rollback=dict(seconds=round(rollback[0], 1), rc=rollback[1], requests_ok=rollback[2],
                      requests_failed=rollback[3], target_seconds=TARGETS['rollback'],
                      met=rollback[1] != 0 and rollback[0] < TARGETS['rollback'] and rollback[3] == 0),
        cores=os.cpu_count(), logs=os.path.relpath(workdir, ROOT))
    sys.stderr.write('\n%-10s %9s %8s %8s %8s  %s\n' % ('step', 'seconds', 'target', 'ok', 'failed', 'met'))
    for step in ('change', 'rollback'):
        item = report[step]
        row = (step, item['seconds'], item['target_seconds'], item['requests_ok'], item['requests_failed'],
               'yes' if item['met'] else 'no')
        sys.stderr.write('%-10s %9.1f %8.0f %8d %8d  %s\n' % row)
    if change[1] != 0:
        log('the change failed (rc %d); see %s/change.log' % (change[1], workdir))
    if rollback[1] == 0:
        log('the broken release was not refused (rc 0); see %s/rollback.log' % workdir)
    print(json.dumps(report))
    figures.write_bench('deploy', report)


if __name__ == '__main__':
    main()
