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
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def main():
    args = [sys.executable, os.path.join(ROOT, "tests", "faults", "harness.py"), "bench",
            "--every", os.environ.get("BENCH_FAULTS_EVERY", "10"),
            "--jobs", os.environ.get("BENCH_FAULTS_JOBS", "1"),
            "--max-cuts", os.environ.get("BENCH_FAULTS_MAX", "0")]
    return subprocess.call(args, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
