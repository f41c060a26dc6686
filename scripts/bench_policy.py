# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make bench-policy: how long the stack role's policy gate takes on a 200-service stack and on a 30 KB command
(targets: under 0.5 s and under 10 ms). A benchmark, not a test: it prints, and fails only when the gate fails."""

import os
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(ROOT, '.cache', 'collections'))

from ansible_collections.stackops.hardened.plugins.module_utils.stack import check_stack  # noqa: E402

import figures  # noqa: E402  pylint: disable=wrong-import-position


def service(index):
    kind = index % 4
    spec = dict(image='registry.example.org/team/app%d:1.%d' % (index, index), user='10001:10001',
                environment=dict(DATABASE_HOST='db', LOG_LEVEL='info', API_TOKEN_FILE='/run/secrets/api_token'),
                secrets=['api_token'], volumes=['data%d:/data' % index, './conf:/etc/app:ro'],
                healthcheck=dict(test=['CMD-SHELL', 'wget -q -O - http://127.0.0.1:8000/health | grep -q ok']),
                command=['gunicorn', '-b', '0.0.0.0:8000', '--workers', '4', 'app:app'])
    if kind == 1:
        spec.update(image='postgres:17.%d' % index, networks=['backend'], command=None,
                    healthcheck=dict(test=['CMD', 'pg_isready', '-U', 'demo']))
    elif kind == 2:
        spec.update(ports=['127.0.0.1:%d:8000' % (10000 + index)], labels={'team': 'core', 'tier': 'web'})
    elif kind == 3:
        spec.update(command='celery -A proj worker -l info --concurrency 4')
    return dict((key, value) for key, value in spec.items() if value is not None)


def timed(function, repeat):
    best = None
    for _round in range(repeat):
        started = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main():
    services = dict(('svc%03d' % index, service(index)) for index in range(200))
    seconds, verdict = timed(lambda: check_stack('bench', services, strict=True, require_pinned=True,
                                                 secret_names=['api_token']), 5)
    print('200-service stack: %.3f s (target < 0.5 s), %d refusals, %d warnings'
          % (seconds, len(verdict['refusals']), len(verdict['warnings'])))
    stack = dict(services=len(services), best_of=5, seconds=round(seconds, 4), target_seconds=0.5,
                 refusals=len(verdict['refusals']), warnings=len(verdict['warnings']))
    words = ['--option-%d=value-%d' % (number, number) for number in range(2000)]
    command = ' '.join(['gunicorn', 'app:app'] + words)
    while len(command) < 30 * 1024:
        command += ' --more x'
    command = command[:30 * 1024]
    one = dict(app=dict(image='registry.example.org/team/app:1.0', user='10001:10001', command=command,
                        healthcheck=dict(test=['CMD-SHELL', 'curl -fsS http://127.0.0.1:8000/health'])))
    seconds, verdict = timed(lambda: check_stack('bench', one, strict=True), 20)
    print('30 KB command (%d bytes, %d words): %.1f ms (target < 10 ms), %d refusals'
          % (len(command), len(command.split()), seconds * 1000, len(verdict['refusals'])))
    figures.write_bench('policy', dict(
        stack_200_services=stack,
        command_30_kb=dict(bytes=len(command), words=len(command.split()), best_of=20, ms=round(seconds * 1000, 2),
                           target_ms=10, refusals=len(verdict['refusals']))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
