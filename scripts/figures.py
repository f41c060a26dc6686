# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The figures of the benches as JSON, beside what they print, with the machine they ran on.

Each bench script (scripts/bench*.py) calls write_bench() once with its figures; the file is
.cache/figures/bench-<name>.json, replaced by the bench's next run. `make report` (scripts/report.py)
reads them with read_benches() and says "not run on this machine" for the benches without one.
Both also run Ansible in the environment of ansible_environment().
"""

import datetime
import json
import os
import platform

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIGURES_DIR = os.path.join(ROOT, ".cache", "figures")


def ansible_environment(**extra):
    """A copy of os.environ for running this checkout's Ansible tools: the virtualenv's first on
    PATH, the collection through the tree the Makefile links, the checkout's ansible.cfg; then extra."""
    env = dict(os.environ)
    env["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".cache", "collections"))
    env["ANSIBLE_CONFIG"] = os.path.join(ROOT, "ansible.cfg")
    env.update(extra)
    return env


# name -> (the make target that runs it, what it measures), in the order the report shows them.
BENCHES = {
    "site": ("make bench", "site.yml on a fresh dev host: first converge, idempotent re-run, verify.yml"),
    "scan": ("make bench-scan", "port_scan against nmap on a host that resets and one that drops"),
    "backup": ("make bench-backup", "the backup role on a 1 GiB database against pg_dump | gzip, and its restore"),
    "deploy": ("make bench-deploy", "a one-service image change through deploy.yml, and a broken one rolled back"),
    "alert": ("make bench-alert", "seconds from an injected failure to its Telegram message, and monitoring's RSS"),
    "policy": ("make bench-policy", "the stack policy gate on a 200-service stack and on a 30 KB command"),
    "faults": ("make bench-faults", "site.yml cut at every tenth task, each on a fresh host: how many converge"),
}


def _first(path, key, separator=":"):
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                name, found, value = line.partition(separator)
                if found and name.strip() == key:
                    return value.strip().strip('"')
    except OSError:
        pass
    return None


def machine():
    """The machine this runs on: CPU model, cores, memory, kernel, operating system, and the date (UTC)."""
    memory_kb = _first("/proc/meminfo", "MemTotal")
    memory = round(int(memory_kb.split()[0]) / 1024.0 ** 2, 1) if memory_kb else None
    return dict(
        cpu=_first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        cores=os.cpu_count(),
        memory_gib=memory,
        kernel=platform.release(),
        os=_first("/etc/os-release", "PRETTY_NAME", "="),
        date=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    )


def describe_machine(info):
    """One line: 'Intel(R) Xeon(R) CPU, 2 cores, 23.4 GiB, kernel 6.1.0 (Debian GNU/Linux 12)'."""
    if not info:
        return "machine not recorded"
    return "%s, %s cores, %s GiB, kernel %s%s" % (info.get("cpu"), info.get("cores"), info.get("memory_gib"),
                                                  info.get("kernel"), " (%s)" % info["os"] if info.get("os") else "")


def bench_path(name, directory=FIGURES_DIR):
    return os.path.join(directory, "bench-%s.json" % name)


def write_bench(name, figures, directory=FIGURES_DIR):
    """Write one bench's figures with the machine and the date; returns the path written."""
    if name not in BENCHES:
        raise ValueError("unknown bench %r: one of %s" % (name, ", ".join(BENCHES)))
    os.makedirs(directory, exist_ok=True)
    path = bench_path(name, directory)
    data = dict(bench=name, command=BENCHES[name][0], what=BENCHES[name][1], machine=machine(), figures=figures)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(path + ".tmp", path)
    return path


def read_benches(directory=FIGURES_DIR):
    """{name: the bench's JSON, or None when it has not run on this machine}, in BENCHES order."""
    found = {}
    for name in BENCHES:
        try:
            with open(bench_path(name, directory), encoding="utf-8") as handle:
                found[name] = json.load(handle)
        except FileNotFoundError:
            found[name] = None
        except (OSError, ValueError) as exc:
            found[name] = dict(bench=name, error="unreadable %s: %s" % (bench_path(name, directory), exc))
    return found
