"""make bench-alert: seconds from an injected failure to its Telegram message, per class, with the
monitoring role's shipped intervals, and the resident memory of the monitoring processes.

Uses the Molecule scenario `monitoring`'s host and demo product (created when missing:
molecule create/prepare/converge -s monitoring), then applies the role again with the
shipped intervals of roles/monitoring/defaults/main.yml (collector, scrape, evaluation,
for, group_wait, group_interval) instead of the scenario's short ones. It breaks the five
classes of molecule/monitoring/files/break.sh at once and reads, at the stand-in of the Bot
API on the host's loopback, when each class's message arrived (molecule/monitoring/vars/
classes.yml); then it reads the RSS of prometheus, alertmanager, node exporter and the
blackbox exporter, repairs the classes (repair.sh) and waits for the resolved messages.

Targets: each class within 90 s (the container class includes Docker's own healthcheck
interval and retries before the container is unhealthy), the processes within 200 MB.
Prints a table on stderr and one JSON object on stdout. The host is destroyed at the end
(--keep keeps it). Only traffic to the local Docker engine and the host's loopback.

  .venv/bin/python scripts/bench_alert.py [--keep] [--timeout 240]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import yaml  # in the project's virtualenv

import figures

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
SCENARIO = os.path.join(ROOT, 'molecule', 'monitoring')
HOST = 'stackops-monitoring-trixie'
BIN = os.path.join(ROOT, '.venv', 'bin')
SHIPPED = ['monitoring_collector_interval', 'monitoring_scrape_interval', 'monitoring_evaluation_interval',
           'monitoring_alert_for', 'monitoring_group_wait', 'monitoring_group_interval']
PROCESSES = ['prometheus', 'prometheus-alertmanager', 'prometheus-node-exporter', 'prometheus-blackbox-exporter']
STANDIN_LOG = '/var/log/telegram-standin.jsonl'
TARGET_SECONDS = 90
TARGET_MB = 200


def log(msg):
    sys.stderr.write('bench-alert: %s\n' % msg)
    sys.stderr.flush()


def env():
    environ = dict(os.environ)
    environ.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.cache', 'collections'), ANSIBLE_FORCE_COLOR='false',
                   PATH=BIN + os.pathsep + environ.get('PATH', ''))
    return environ


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, env=env(), cwd=ROOT, **kwargs)


def host_sh(script):
    proc = subprocess.run(['docker', 'exec', '-i', HOST, 'bash', '-euo', 'pipefail', '-c', script], check=True,
                          stdout=subprocess.PIPE, universal_newlines=True)
    return proc.stdout.strip()


def host_script(name):
    """Run one of the scenario's scripts in the host; return the moment (epoch seconds) it printed."""
    with open(os.path.join(SCENARIO, 'files', name)) as script:
        proc = subprocess.run(['docker', 'exec', '-i', HOST, 'bash', '-s'], check=True, stdin=script,
                              stdout=subprocess.PIPE, universal_newlines=True)
    return float(proc.stdout.split()[-1])


def host_exists():
    proc = subprocess.run(['docker', 'inspect', '--format', '{{.State.Running}}', HOST], check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    return proc.returncode == 0 and proc.stdout.strip() == 'true'


def messages(since):
    text = host_sh('cat %s 2>/dev/null || true' % STANDIN_LOG)
    return [m for m in (json.loads(line) for line in text.splitlines() if line.strip()) if m['time'] >= since]


def wait_for(patterns, since, timeout):
    """Seconds from `since` to the first message matching each pattern (None: not within timeout)."""
    arrived = {}
    deadline = time.time() + timeout
    while time.time() < deadline and len(arrived) < len(patterns):
        for message in messages(since):
            for key, pattern in patterns.items():
                if key not in arrived and re.search(pattern, message['text']):
                    arrived[key] = round(message['time'] - since, 1)
        time.sleep(1)
    return {key: arrived.get(key) for key in patterns}


def rss_mb():
    out = host_sh('ps -o rss=,comm= -C %s' % ','.join(p[:15] for p in PROCESSES))
    per = {}
    for line in out.splitlines():
        kb, comm = line.split(None, 1)
        per[comm] = per.get(comm, 0) + int(kb) / 1024.0
    return {k: round(v, 1) for k, v in per.items()}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--keep', action='store_true', help='keep the test host')
    parser.add_argument('--timeout', type=int, default=240, help='seconds to wait for each round of messages')
    args = parser.parse_args(argv)
    with open(os.path.join(ROOT, 'roles', 'monitoring', 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(SCENARIO, 'vars', 'classes.yml')) as handle:
        classes = yaml.safe_load(handle)
    shipped = {name: defaults[name] for name in SHIPPED}
    molecule = os.path.join(BIN, 'molecule')
    try:
        if not host_exists():
            log('creating the monitoring scenario host and the demo product (a few minutes)')
            run([molecule, 'converge', '-s', 'monitoring'], stdout=subprocess.DEVNULL)
        log('applying the role with the shipped intervals: %s' % ', '.join('%s=%s' % kv for kv in shipped.items()))
        run([os.path.join(BIN, 'ansible-playbook'), '-i', HOST + ',', '-c', 'community.docker.docker',
             '-e', 'ansible_python_interpreter=/usr/bin/python3', '-e', json.dumps(dict(shipped, monitoring_test_record=False)),
             os.path.join(SCENARIO, 'monitoring.yml')], stdout=subprocess.DEVNULL)
        host_sh('docker rm -f demo-canary-1 >/dev/null 2>&1 || true; '
                'docker run --detach --name demo-canary-1 --label com.docker.compose.project=demo '
                '--label com.docker.compose.service=canary --health-cmd "test -f /tmp/ok" --health-interval 2s '
                '--health-retries 1 --network none stackops-busybox:test sh -c "mkdir -p /tmp; touch /tmp/ok; exec sleep 86400"')
        log('waiting until no alert fires before the failures are injected')
        deadline = time.time() + 180
        while time.time() < deadline:
            firing = json.loads(host_sh('python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('
                                        '\'http://127.0.0.1:9093/api/v2/alerts?active=true\').read().decode())"'))
            if not [a for a in firing if a['labels'].get('alertname') != 'StackopsTestMessage']:
                break
            time.sleep(3)
        time.sleep(20)  # the canary seen healthy by the collector, scraped and evaluated
        broken = host_script('break.sh')
        log('broke the five classes at %d; waiting for their messages' % broken)
        firing = wait_for(classes['monitoring_test_firing'], broken, args.timeout)
        memory = rss_mb()
        repaired = host_script('repair.sh')
        resolved = wait_for(classes['monitoring_test_resolved'], repaired, args.timeout)
        host_sh('docker rm -f demo-canary-1 >/dev/null')
    finally:
        if not args.keep:
            run([molecule, 'destroy', '-s', 'monitoring'], stdout=subprocess.DEVNULL)
    total = round(sum(memory.values()), 1)
    log('%-12s %10s %10s' % ('class', 'alert s', 'resolved s'))
    for key in classes['monitoring_test_firing']:
        log('%-12s %10s %10s' % (key, firing[key], resolved[key]))
    log('RSS MB: %s, total %.1f (target <= %d)' % (memory, total, TARGET_MB))
    ok = all(v is not None and v <= TARGET_SECONDS for v in firing.values()) and total <= TARGET_MB
    log('targets met' if ok else 'a target was missed (alert within %d s, RSS within %d MB)' % (TARGET_SECONDS, TARGET_MB))
    result = {'intervals': shipped, 'alert_seconds': firing, 'resolved_seconds': resolved, 'rss_mb': memory,
              'rss_total_mb': total, 'targets_met': ok}
    print(json.dumps(result))
    figures.write_bench('alert', dict(result, target_seconds=TARGET_SECONDS, target_rss_mb=TARGET_MB))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
