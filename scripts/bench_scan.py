"""make bench-scan: port_scan against nmap, on two test hosts this script creates.

One host answers closed ports with resets (no firewall); the other silently drops them
(a default-drop input policy inside its own network namespace). Each gets one listening
port. Both are scanned over all 65535 TCP ports by `nmap -sT -p- -T4 -Pn` (once) and by
the port_scan module's engine with the module's defaults (RUNS times in a row, so a port
missed under load shows); the script prints nmap's time, port_scan's fastest, median and
slowest time, the ratio of the median to nmap's, and in how many runs port_scan found the
same open ports as nmap. It fails when any run found other ports. Traffic goes only to the two containers
it started (addresses from docker inspect), and they are removed at the end.
"""
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))

from ansible_collections.stackops.hardened.plugins.module_utils.scan import scan_tcp  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.stackops.hardened.plugins.modules import port_scan  # noqa: E402  pylint: disable=wrong-import-position

import figures  # noqa: E402  pylint: disable=wrong-import-position

IMAGE = "stackops-testhost:trixie"
LISTEN_PORT = 8080
HOSTS = {"resets": "stackops-bench-scan-resets", "drops": "stackops-bench-scan-drops"}
RUNS = int(os.environ.get("STACKOPS_BENCH_SCAN_RUNS", "10"))
TARGETS = {"resets": 1.0, "drops": 0.1}


def sh(*cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs).stdout


def module_default(option):
    """The port_scan module's own default for an option, read from its argument spec."""
    import yaml  # pylint: disable=import-outside-toplevel
    return yaml.safe_load(port_scan.DOCUMENTATION)["options"][option]["default"]


def start(kind, name):
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    sh("docker", "run", "-d", "--name", name, "--cap-add", "NET_ADMIN", IMAGE,
       "python3", "-m", "http.server", str(LISTEN_PORT))
    if kind == "drops":
        pid = sh("docker", "inspect", "-f", "{{.State.Pid}}", name).strip()
        # Rules inside the container's own network namespace only.
        for rule in (["-A", "INPUT", "-p", "tcp", "--dport", str(LISTEN_PORT), "-j", "ACCEPT"],
                     ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
                     ["-P", "INPUT", "DROP"]):
            sh("nsenter", "-t", pid, "-n", "iptables", *rule)
    address = sh("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name).strip()
    for dummy in range(50):
        if subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://{address}:{LISTEN_PORT}/"], check=False).returncode == 0:
            break
        time.sleep(0.2)
    return address


def nmap(address):
    started = time.monotonic()
    out = sh("nmap", "-sT", "-p-", "-T4", "-Pn", "-n", "-oG", "-", address)
    elapsed = time.monotonic() - started
    ports = sorted(int(p) for p in re.findall(r"(\d+)/open/tcp", out))
    return elapsed, ports


def ours(address):
    result = scan_tcp(address, module_default("ports"), timeout=module_default("timeout"),
                      concurrency=module_default("concurrency"), max_duration=module_default("max_duration"))
    return result["duration"], result["open"]


def main():
    if subprocess.run(["which", "nmap"], capture_output=True, check=False).returncode != 0:
        raise SystemExit("nmap is missing: make bench-scan installs it (apt-get install nmap)")
    rows = []
    try:
        for kind, name in HOSTS.items():
            address = start(kind, name)
            nmap_s, nmap_open = nmap(address)
            runs = [ours(address) for dummy in range(RUNS)]
            rows.append((kind, address, nmap_s, nmap_open, runs))
    finally:
        for name in HOSTS.values():
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    print("\nFull TCP scan (1-65535) of a test host: port_scan (module defaults, %d runs in a row) "
          "against nmap -sT -p- -T4 -Pn" % RUNS)
    print(f"{'host':<28}{'nmap':>8}{'fastest':>9}{'median':>8}{'slowest':>9}{'ratio':>7}{'target':>8}"
          "  runs with nmap's open ports")
    failed = False
    found = []
    for kind, address, nmap_s, nmap_open, runs in rows:
        times = [duration for duration, dummy in runs]
        median = statistics.median(times)
        ratio = median / nmap_s
        same = sum(1 for dummy, found in runs if found == nmap_open)
        differing = sorted(set(tuple(found) for dummy, found in runs if found != nmap_open))
        failed |= same != len(runs)
        print(f"{kind + ' (' + address + ')':<28}{nmap_s:7.1f}s{min(times):8.1f}s{median:7.1f}s{max(times):8.1f}s"
              f"{ratio:7.2f}{TARGETS[kind]:8.2f}  {same}/{len(runs)} {nmap_open}"
              + (f"  DIFFERENT: {differing}" if differing else ""))
        found.append(dict(host=kind, nmap_s=round(nmap_s, 1), fastest_s=round(min(times), 1), median_s=round(median, 1),
                          slowest_s=round(max(times), 1), ratio=round(ratio, 2), target_ratio=TARGETS[kind],
                          runs_with_nmaps_open_ports="%d/%d" % (same, len(runs)), nmap_open=nmap_open,
                          differing=[list(ports) for ports in differing]))
    print("targets: ratio <= %.2f on the host that resets, <= %.2f (and at most 8 s) on the host that drops; "
          "nmap's open ports in every run" % (TARGETS["resets"], TARGETS["drops"]))
    figures.write_bench("scan", dict(runs=RUNS, ports="1-65535", nmap="nmap -sT -p- -T4 -Pn",
                                     hosts=dict((row.pop("host"), row) for row in found), all_runs_found_nmaps_ports=not failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
