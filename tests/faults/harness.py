"""Cut site.yml short at seeded points and prove the host still converges to the same live state.

Shared by the Molecule scenario `faults` (make test) and `make bench-faults`:

  harness.py test  --inventory INV --reference HOST --cut HOST [--seed N]
      Converges the reference host without interruption while, on the other host, site.yml
      is cut at one seeded point per role (SIGINT to the whole ansible-playbook, or a killed
      connection: the `docker exec` carrying the task is killed), run again until the next
      cut, and so on, then run to the end. The fingerprints of both hosts (fingerprint.py)
      must be equal. Then drift is made behind the collection's back; verify.yml must name
      it, site.yml must repair it (changed) and the run after must change nothing.

  harness.py bench --every 10 [--jobs 1] [--seed N]
      Every tenth task (and the handlers that apply settings) on its own fresh test host:
      cut once, run to the end, fingerprint against a reference host; prints how many
      converged and the time taken.

A cut point is a task or handler title, as ansible-playbook prints it, plus a delay after its
header appears; the seed makes the same cuts again (STACKOPS_FAULTS_SEED).
"""
import argparse
import datetime
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCENARIO = os.path.join(ROOT, 'molecule', 'faults')
SITE = os.path.join(SCENARIO, 'run-site.yml')
VERIFY = os.path.join(SCENARIO, 'run-verify.yml')
FINGERPRINT = os.path.join(ROOT, 'tests', 'faults', 'fingerprint.py')
BIN = os.path.join(ROOT, '.venv', 'bin')
ROLES = ['baseline', 'firewall', 'docker', 'secrets', 'stack', 'nginx', 'backup']
# Handlers and the tasks of included handler files that apply settings on a first converge:
# cut points too (they are not in --list-tasks).
HANDLER_CUTS = {
    'baseline': ['RUNNING HANDLER [stackops.hardened.baseline : Reload sshd]',
                 'RUNNING HANDLER [stackops.hardened.baseline : Apply sysctl settings]',
                 'RUNNING HANDLER [stackops.hardened.baseline : Restart journald]'],
    'firewall': ['TASK [stackops.hardened.firewall : Arm the rollback timer (it fires unless the change is confirmed in time)]',
                 'TASK [stackops.hardened.firewall : Load the new rule set (one nft transaction; other tables stay as they are)]',
                 'TASK [stackops.hardened.firewall : Confirm the new rule set (only reached when Ansible got back in)]'],
    'docker': ['RUNNING HANDLER [stackops.hardened.docker : Restart docker]'],
    'nginx': ['RUNNING HANDLER [stackops.hardened.nginx : Reload nginx]'],
}
KINDS = ('sigint', 'connection')
HEADER = re.compile(r'^(TASK|RUNNING HANDLER) \[(.*)\] \*+\s*$')
RECAP = re.compile(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)')


def log(msg):
    sys.stdout.write('[faults %s] %s\n' % (datetime.datetime.now().strftime('%H:%M:%S'), msg))
    sys.stdout.flush()


def environment(ephemeral):
    env = dict(os.environ)
    env.update(ANSIBLE_FORCE_COLOR='false', PYTHONUNBUFFERED='1', ANSIBLE_NOCOLOR='1',
               ANSIBLE_VAULT_PASSWORD_FILE=os.path.join(ROOT, '.config', 'dev-vault-password'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.cache', 'collections'),
               MOLECULE_EPHEMERAL_DIRECTORY=ephemeral, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    return env


# ------------------------------------------------------------------------------ cut points

def list_tasks(inventory, host, env):
    out = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', inventory, '--limit', host, '--list-tasks', SITE],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env,
                         check=True, cwd=ROOT).stdout
    tasks = []
    for line in out.splitlines():
        name, dummy, tags = line.strip().partition('\tTAGS:')
        match = re.match(r'^stackops\.hardened\.(\w+) : (.*)$', name)
        # The input checks (tagged always) change nothing: cutting there proves nothing.
        if match and match.group(1) in ROLES and 'always' not in tags:
            tasks.append((match.group(1), 'TASK [%s]' % name))
    return tasks


def role_of(header):
    match = re.search(r'\[stackops\.hardened\.(\w+) :', header)
    return match.group(1) if match else None


def choose_cuts(tasks, rng, per_role=1):
    """One cut per role (or more), each at a task or handler of that role, in the order of the run."""
    cuts = []
    kind = rng.choice(KINDS)
    for role in ROLES:
        pool = [header for owner, header in tasks if owner == role]
        handlers = HANDLER_CUTS.get(role, [])
        for dummy in range(per_role):
            if not pool and not handlers:
                continue
            # Half the cuts of a role with handlers fall right as a handler starts: the file it
            # applies is written, and the run dies before the setting is in force.
            if handlers and (not pool or rng.random() < 0.5):
                cut = dict(role=role, at=rng.choice(handlers), delay=round(rng.uniform(0.0, 0.3), 2), kind=kind)
            else:
                cut = dict(role=role, at=rng.choice(pool), delay=round(rng.uniform(0.0, 2.0), 2), kind=kind)
            cuts.append(cut)
            kind = KINDS[1 - KINDS.index(kind)]
    order = dict((header, index) for index, (dummy, header) in enumerate(tasks))
    # Within a role, tasks before handlers of the same role keep the run's order (handlers come last).
    return sorted(cuts, key=lambda cut: (ROLES.index(cut['role']), order.get(cut['at'], len(order))))


def every_nth(tasks, step):
    cuts = []
    for index in range(0, len(tasks), step):
        cuts.append(dict(role=tasks[index][0], at=tasks[index][1], delay=0.5, kind=KINDS[(index // step) % 2]))
    for role in ROLES:
        for header in HANDLER_CUTS.get(role, []):
            cuts.append(dict(role=role, at=header, delay=0.2, kind=KINDS[len(cuts) % 2]))
    return cuts


def arm_decision(cut, header, in_role):
    """Whether the cut falls after HEADER: (arm, in_role, fallback).

    The cut falls at its named point. A run can pass a role without printing that point (a task
    in an include that is skipped, a handler nothing notified on this host): then it falls as the
    run leaves the role, at the first header that is not the role's, so that every role is still
    cut during its part of the run.
    """
    if header == cut['at']:
        return True, True, False
    if role_of(header) == cut['role']:
        return False, True, False
    if in_role:
        return True, False, True
    return False, False, False


def describe(cut):
    kind = 'SIGINT' if cut['kind'] == 'sigint' else 'killed connection'
    return '%s %.2f s after "%s"' % (kind, cut['delay'], cut['at'])


# ------------------------------------------------------------------------------- running

def descendants(pid):
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                ppid = int(handle.read().rsplit(')', 1)[1].split()[1])
        except (IOError, OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for child in children.get(current, []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid) as handle:
            return handle.read().split('\0')
    except (IOError, OSError):
        return []


def kill_connection(proc, host, deadline=20.0):
    """Kill the docker exec that carries a task to HOST (what a dropped SSH connection does)."""
    end = time.time() + deadline
    while time.time() < end and proc.poll() is None:
        for pid in descendants(proc.pid):
            args = cmdline(pid)
            if args and os.path.basename(args[0]) == 'docker' and 'exec' in args and host in args:
                try:
                    os.kill(pid, signal.SIGKILL)
                    return True
                except OSError:
                    pass
        time.sleep(0.02)
    return False


def wait_for_orphans(host, limit=900):
    """A cut leaves the task it interrupted running on the host (sshd, like docker exec, does
    not stop a command without a terminal when the client goes): wait until it has ended, as
    an operator would before running again (apt's lock would refuse the re-run).
    Returns the seconds waited and what was running."""
    t0, seen = time.time(), set()
    while time.time() - t0 < limit:
        out = subprocess.run(['docker', 'exec', host, 'ps', '-eo', 'args='], check=False, stdout=subprocess.PIPE,
                             universal_newlines=True).stdout.splitlines()
        if not any(line.strip() == '/bin/sh -c /usr/bin/python3 && sleep 0' for line in out):
            return time.time() - t0, sorted(seen)
        seen.update(line.split()[0] for line in out if line.startswith(('/usr/bin/apt', '/usr/bin/dpkg', 'apt', 'dpkg')))
        time.sleep(1)
    raise RuntimeError('the task left running by the killed connection on %s did not end in %d s' % (host, limit))


def run_site(inventory, host, env, cut=None, playbook=SITE, logfile=None, extra=None):
    """Run the playbook for HOST; with CUT, interrupt it there. Returns dict(rc, cut, last, recap, output)."""
    args = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, '--limit', host, playbook] + (extra or [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            env=env, cwd=ROOT, start_new_session=True, bufsize=1)
    RUNNING.add(proc)
    state = dict(cut=False, last=None, output=[], timer=None)

    def do_cut():
        if proc.poll() is not None:
            return
        if cut['kind'] == 'sigint':
            try:
                os.killpg(proc.pid, signal.SIGINT)
                state['cut'] = True
            except OSError:
                pass
        else:
            state['cut'] = kill_connection(proc, host)
        state['cut_during'] = state['last']

    for line in proc.stdout:
        state['output'].append(line)
        if logfile:
            logfile.write(line)
            logfile.flush()
        match = HEADER.match(line.rstrip('\n'))
        if match:
            state['last'] = '%s [%s]' % (match.group(1), match.group(2))
            if cut and not state['timer']:
                arm, state['in_role'], fallback = arm_decision(cut, state['last'], state.get('in_role', False))
                if arm:
                    state['fallback'] = fallback
                    state['timer'] = threading.Timer(cut['delay'], do_cut)
                    state['timer'].start()
    try:
        proc.wait(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    RUNNING.discard(proc)
    if state['timer']:
        state['timer'].cancel()
    recap = {}
    for line in state['output']:
        match = RECAP.match(line)
        if match:
            recap = dict(ok=int(match.group(2)), changed=int(match.group(3)), unreachable=int(match.group(4)),
                         failed=int(match.group(5)))
    return dict(rc=proc.returncode, cut=state['cut'], during=state.get('cut_during'), last=state['last'],
                fallback=state.get('fallback', False), recap=recap, output=''.join(state['output']))


def fingerprint(host):
    with open(FINGERPRINT) as handle:
        out = subprocess.run(['docker', 'exec', '-i', host, 'python3', '-'], stdin=handle, stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout
    return json.loads(out)


def flatten(value, prefix=''):
    if isinstance(value, dict):
        items = {}
        for key in sorted(value):
            items.update(flatten(value[key], '%s.%s' % (prefix, key) if prefix else key))
        return items
    if isinstance(value, list) and value and all(isinstance(item, dict) and 'name' in item for item in value):
        return flatten(dict((item['name'], item) for item in value), prefix)
    return {prefix: value}


def compare(reference, other):
    """Each difference: 'key: reference X, here Y' (lists compared line by line)."""
    ref, got = flatten(reference), flatten(other)
    diffs = []
    for key in sorted(set(ref) | set(got)):
        want, have = ref.get(key, '(absent)'), got.get(key, '(absent)')
        if want == have:
            continue
        if isinstance(want, list) and isinstance(have, list):
            missing = [line for line in want if line not in have]
            extra = [line for line in have if line not in want]
            diffs.append('%s: missing %s; extra %s%s' % (key, missing[:5] or '[]', extra[:5] or '[]',
                                                         '' if missing or extra else ' (order differs)'))
        else:
            diffs.append('%s: reference %s, here %s' % (key, json.dumps(want)[:300], json.dumps(have)[:300]))
    return diffs


RUNNING = set()


def fail(msg):
    log('FAIL: ' + msg)
    for proc in list(RUNNING):  # the reference run, when it is still going
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except OSError:
            pass
    sys.exit(1)


def tail(output, lines=30):
    return '\n'.join(output.splitlines()[-lines:])


# ---------------------------------------------------------------------------------- test

DRIFT = [
    # (what is done by hand, the command, what verify.yml must name)
    ('a kernel key set with sysctl -w', ['sysctl', '-q', '-w', 'net.ipv4.conf.all.send_redirects=1'],
     'net.ipv4.conf.all.send_redirects'),
    ('a rule added by hand to our table', ['nft', 'add', 'rule', 'inet', 'stackops', 'input', 'tcp', 'dport', '6390',
                                           'accept'], 'tcp dport 6390 accept'),
    ('fail2ban stopped', ['systemctl', 'stop', 'fail2ban'], 'fail2ban.service active'),
    ("sshd_config's mode changed", ['chmod', '0644', '/etc/ssh/sshd_config'], '/etc/ssh/sshd_config mode'),
]


def test(args):
    env = environment(args.ephemeral)
    seed = args.seed
    rng = random.Random(seed)
    started = time.time()
    logdir = tempfile.mkdtemp(prefix='stackops-faults-')
    log('seed %d (replay: STACKOPS_FAULTS_SEED=%d make molecule S=faults); logs in %s' % (seed, seed, logdir))
    tasks = list_tasks(args.inventory, args.cut, env)
    cuts = choose_cuts(tasks, rng)
    for index, cut in enumerate(cuts, 1):
        log('cut %d/%d (%s role): %s' % (index, len(cuts), cut['role'], describe(cut)))

    reference = {}

    def converge_reference():
        with open(os.path.join(logdir, 'reference.log'), 'w') as handle:
            reference['run'] = run_site(args.inventory, args.reference, env, logfile=handle)

    thread = threading.Thread(target=converge_reference, daemon=True)
    thread.start()

    done = []
    for index, cut in enumerate(cuts, 1):
        with open(os.path.join(logdir, 'cut-%d.log' % index), 'w') as handle:
            result = run_site(args.inventory, args.cut, env, cut=cut, logfile=handle)
        if not result['cut']:
            if result['rc'] != 0:
                fail('the run before cut %d (%s) failed on its own (rc %d):\n%s'
                     % (index, describe(cut), result['rc'], tail(result['output'])))
            log('cut %d/%d not made: the run ended before "%s"' % (index, len(cuts), cut['at']))
            continue
        done.append(cut)
        log('cut %d/%d made (rc %d) during "%s"%s' % (index, len(cuts), result['rc'], result['during'],
                                                      ' (its point was not reached: cut as the run left the role)'
                                                      if result['fallback'] else ''))
        # The task that was cut may still run on the host (neither sshd nor docker exec stop a
        # command without a terminal when the client goes): wait for it, as an operator would.
        waited, what = wait_for_orphans(args.cut)
        if waited >= 1:
            log('waited %.0f s for the task the cut left running on the host (%s)' % (waited, ', '.join(what) or 'a module'))
    missing_roles = [role for role in ROLES if role not in [cut['role'] for cut in done]]
    if len(done) < 5 or missing_roles:
        fail('only %d cuts were made; roles never cut: %s' % (len(done), ', '.join(missing_roles) or 'none'))

    with open(os.path.join(logdir, 'final.log'), 'w') as handle:
        final = run_site(args.inventory, args.cut, env, logfile=handle)
    if final['rc'] != 0:
        fail('site.yml did not run to the end after the cuts (rc %d; cuts: %s):\n%s'
             % (final['rc'], '; '.join(describe(cut) for cut in done), tail(final['output'])))
    log('ran to the end after %d cuts (%d changed)' % (len(done), final['recap'].get('changed', -1)))
    thread.join()
    if reference['run']['rc'] != 0:
        fail('the reference host did not converge (rc %d):\n%s' % (reference['run']['rc'],
                                                                   tail(reference['run']['output'])))
    expected = fingerprint(args.reference)
    got = fingerprint(args.cut)
    # Both fingerprints and their differences stay in the log directory, for a replay.
    for name, value in (('fingerprint-reference.json', expected), ('fingerprint-cut.json', got)):
        with open(os.path.join(logdir, name), 'w') as handle:
            json.dump(value, handle, indent=1, sort_keys=True)
    diffs = compare(expected, got)
    with open(os.path.join(logdir, 'differences.txt'), 'w') as handle:
        handle.write(''.join(line + '\n' for line in diffs))
    if diffs:
        fail('after the cuts (seed %d) the live state differs from the host converged without interruption:\n  %s\n'
             'cuts: %s' % (seed, '\n  '.join(diffs), '\n  '.join(describe(cut) for cut in done)))
    log('live state after %d cuts equals the reference (%.0f s so far)' % (len(done), time.time() - started))

    # --- drift behind the collection's back
    for what, command, dummy in DRIFT:
        subprocess.run(['docker', 'exec', args.cut] + command, check=True)
        log('drift made: %s (%s)' % (what, ' '.join(command)))
    with open(os.path.join(logdir, 'verify-drift.log'), 'w') as handle:
        verify = run_site(args.inventory, args.cut, env, playbook=VERIFY, logfile=handle)
    drift_lines = [line for line in verify['output'].splitlines() if 'drift' in line]
    unnamed = [name for dummy, dummy2, name in DRIFT if name not in verify['output']]
    if verify['rc'] == 0 or 'FAIL drift' not in verify['output'] or unnamed:
        fail('verify.yml did not name the drift (rc %d; not named: %s):\n%s'
             % (verify['rc'], ', '.join(unnamed) or 'none', '\n'.join(drift_lines[-10:]) or tail(verify['output'])))
    log('verify.yml named the drift: %s' % ', '.join(name for dummy, dummy2, name in DRIFT))
    with open(os.path.join(logdir, 'repair.log'), 'w') as handle:
        repair = run_site(args.inventory, args.cut, env, logfile=handle)
    if repair['rc'] != 0 or repair['recap'].get('changed', 0) == 0:
        fail('site.yml did not repair the drift (rc %d, changed %s):\n%s'
             % (repair['rc'], repair['recap'].get('changed'), tail(repair['output'])))
    diffs = compare(expected, fingerprint(args.cut))
    if diffs:
        fail('after the repair the live state still differs:\n  %s' % '\n  '.join(diffs))
    log('site.yml repaired the drift (%d changed); live state equals the reference' % repair['recap']['changed'])
    with open(os.path.join(logdir, 'after-repair.log'), 'w') as handle:
        again = run_site(args.inventory, args.cut, env, logfile=handle)
    changed = [line for line in again['output'].splitlines() if line.startswith('changed:')]
    if again['rc'] != 0 or again['recap'].get('changed') != 0:
        fail('the run after the repair changed %s (rc %d):\n%s'
             % (again['recap'].get('changed'), again['rc'], tail(again['output'], 60)))
    log('the run after the repair changed nothing; %d cuts and the drift repair took %.0f s'
        % (len(done), time.time() - started))
    del changed


# --------------------------------------------------------------------------------- bench

def testhost_args(name, image):
    import yaml  # PyYAML comes with ansible-core in the virtualenv
    with open(os.path.join(ROOT, 'molecule', '_shared', 'vars', 'testhost.yml')) as handle:
        run = yaml.safe_load(handle)['testhost_run']
    return (['docker', 'run', '--detach', '--name', name, '--hostname', name, '--stop-signal', run['stop_signal'],
             '--cgroupns', run['cgroupns'], '--label', 'stackops.testhost=bench-faults']
            + ['--cap-add=' + cap for cap in run['capabilities']]
            + ['--security-opt=' + opt for opt in run['security_opts']]
            + ['--volume=' + volume for volume in run['volumes']]
            + ['--tmpfs=' + path for path in run['tmpfs']] + [image, run['command']])


def make_host(name, workdir, env):
    subprocess.run(['docker', 'rm', '--force', '--volumes', name], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    subprocess.run(testhost_args(name, 'stackops-testhost:trixie'), check=True, stdout=subprocess.DEVNULL)
    for dummy in range(60):
        state = subprocess.run(['docker', 'exec', name, 'systemctl', 'is-system-running'], check=False, stdout=subprocess.PIPE,
                               universal_newlines=True).stdout.strip()
        if state in ('running', 'degraded'):
            break
        time.sleep(2)
    inventory = os.path.join(workdir, name + '.yml')
    with open(inventory, 'w') as handle:
        handle.write('all:\n  children:\n    stackops:\n      hosts:\n        %s:\n'
                     '          ansible_connection: community.docker.docker\n          ansible_user: root\n' % name)
    prepared = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', inventory,
                               os.path.join(SCENARIO, 'prepare.yml')], check=False, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, env=env, cwd=ROOT)
    if prepared.returncode != 0:
        raise RuntimeError('preparing %s failed:\n%s' % (name, tail(prepared.stdout)))
    return inventory


def bench(args):
    workdir = tempfile.mkdtemp(prefix='stackops-bench-faults-')
    env = environment(workdir)
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', os.path.join(workdir, 'operator_ed25519')],
                   check=True)
    started = time.time()
    log('reference host: converging without interruption')
    ref_inventory = make_host('stackops-bench-faults-ref', workdir, env)
    result = run_site(ref_inventory, 'stackops-bench-faults-ref', env)
    if result['rc'] != 0:
        fail('the reference host did not converge:\n' + tail(result['output']))
    expected = fingerprint('stackops-bench-faults-ref')
    tasks = list_tasks(ref_inventory, 'stackops-bench-faults-ref', env)
    cuts = every_nth(tasks, args.every)
    if args.max_cuts:
        cuts = random.Random(args.seed).sample(cuts, min(args.max_cuts, len(cuts)))
    log('%d cut points (every %dth of %d tasks, and %d handlers)' % (len(cuts), args.every, len(tasks),
                                                                     sum(map(len, HANDLER_CUTS.values()))))
    outcomes = []
    lock = threading.Lock()

    def one(index, cut):
        name = 'stackops-bench-faults-%d' % index
        t0 = time.time()
        try:
            inventory = make_host(name, workdir, env)
            first = run_site(inventory, name, env, cut=cut)
            wait_for_orphans(name)
            final = run_site(inventory, name, env)
            diffs = ['site.yml failed after the cut (rc %d): %s' % (final['rc'], tail(final['output'], 5))] \
                if final['rc'] != 0 else compare(expected, fingerprint(name))
            outcome = dict(cut=cut, made=first['cut'], diffs=diffs, seconds=time.time() - t0)
        except (RuntimeError, subprocess.CalledProcessError, ValueError) as exc:
            outcome = dict(cut=cut, made=False, diffs=['harness: %s' % exc], seconds=time.time() - t0)
        finally:
            subprocess.run(['docker', 'rm', '--force', '--volumes', name], check=False, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        with lock:
            outcomes.append(outcome)
            log('%s %d/%d: %s (%.0f s)%s' % ('converged' if not outcome['diffs'] else 'DIFFERS', len(outcomes),
                                             len(cuts), describe(cut), outcome['seconds'],
                                             '' if outcome['made'] else ' [cut not made: the run ended first]'))
            for line in outcome['diffs'][:10]:
                log('    ' + line)

    pending = list(enumerate(cuts))
    workers = []
    for dummy in range(max(1, args.jobs)):
        def worker():
            while True:
                with lock:
                    if not pending:
                        return
                    index, cut = pending.pop(0)
                one(index, cut)
        thread = threading.Thread(target=worker)
        thread.start()
        workers.append(thread)
    for thread in workers:
        thread.join()
    subprocess.run(['docker', 'rm', '--force', '--volumes', 'stackops-bench-faults-ref'], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    converged = sum(1 for outcome in outcomes if not outcome['diffs'])
    made = sum(1 for outcome in outcomes if outcome['made'])
    print('bench-faults: %d of %d cut hosts converged to the reference fingerprint (%d cuts made, seed %d) '
          'in %.0f s (target: all of them)' % (converged, len(outcomes), made, args.seed, time.time() - started))
    return 0 if converged == len(outcomes) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    sub = parser.add_subparsers(dest='mode', required=True)
    default_seed = int(os.environ.get('STACKOPS_FAULTS_SEED') or datetime.date.today().strftime('%Y%m%d'))
    one = sub.add_parser('test')
    one.add_argument('--inventory', required=True)
    one.add_argument('--reference', required=True)
    one.add_argument('--cut', required=True)
    one.add_argument('--ephemeral', default=os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''))
    one.add_argument('--seed', type=int, default=default_seed)
    many = sub.add_parser('bench')
    many.add_argument('--every', type=int, default=10)
    many.add_argument('--jobs', type=int, default=1)
    many.add_argument('--max-cuts', type=int, default=0)
    many.add_argument('--seed', type=int, default=default_seed)
    args = parser.parse_args()
    if args.mode == 'test':
        test(args)
        return 0
    return bench(args)


if __name__ == '__main__':
    sys.exit(main())
