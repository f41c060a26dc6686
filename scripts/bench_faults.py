"""make bench-faults: site.yml cut at many points, each on its own fresh Debian 13 test host.

A benchmark, not a test. One reference host converges without interruption; then every
tenth task of site.yml (BENCH_FAULTS_EVERY), and the handlers that apply settings, become
a cut point: a fresh host is started and prepared, site.yml is cut there (SIGINT or a
killed connection, alternating), run again to the end, and the fingerprint of its live
state is compared with the reference's. Prints how many converged (target: all of them)
and the time it took. BENCH_FAULTS_JOBS hosts run at once (default 1: the machine is
shared); BENCH_FAULTS_MAX picks that many of the cut points at random (STACKOPS_FAULTS_SEED).
The harness is tests/faults/harness.py, shared with the Molecule scenario `faults`.
"""
import os
import re
import subprocess
import sys

import figures

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# The harness's last line, e.g. "bench-faults: 27 of 28 cut hosts converged to the reference fingerprint
# (28 cuts made, seed 20261204) in 5123 s (target: all of them)".
SUMMARY = re.compile(r"^bench-faults: (?P<converged>\d+) of (?P<hosts>\d+) cut hosts converged .*\((?P<made>\d+) cuts made, "
                     r"seed (?P<seed>\d+)\) in (?P<seconds>\d+) s")


def summary(line):
    """The figures of the harness's summary line, or None for any other line."""
    match = SUMMARY.match(line)
    return dict((key, int(value)) for key, value in match.groupdict().items()) if match else None


def main():
    settings = dict(every=os.environ.get("BENCH_FAULTS_EVERY", "10"), jobs=os.environ.get("BENCH_FAULTS_JOBS", "1"),
                    max_cuts=os.environ.get("BENCH_FAULTS_MAX", "0"))
    args = [sys.executable, os.path.join(ROOT, "tests", "faults", "harness.py"), "bench",
            "--every", settings["every"], "--jobs", settings["jobs"], "--max-cuts", settings["max_cuts"]]
    found = None
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, universal_newlines=True) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            found = summary(line) or found
    if found:
        figures.write_bench("faults", dict(found, exit_code=proc.returncode, every=int(settings["every"]),
                                           jobs=int(settings["jobs"]), max_cuts=int(settings["max_cuts"])))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
