"""make bench-scan: port_scan against nmap, on two test hosts this script creates.

One host answers closed ports with resets (no firewall); the other silently drops them
(a default-drop input policy inside its own network namespace). Each gets one listening
port. Both are scanned over all 65535 TCP ports by `nmap -sT -p- -T4 -Pn` and by the
port_scan module's engine with the module's defaults; the script prints both times, their
ratio and whether both found the same open ports. Traffic goes only to the two containers
it started (addresses from docker inspect), and they are removed at the end.
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))

from ansible_collections.stackops.hardened.plugins.module_utils.scan import scan_tcp  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.stackops.hardened.plugins.modules import port_scan  # noqa: E402  pylint: disable=wrong-import-position

IMAGE = "stackops-testhost:trixie"
LISTEN_PORT = 8080
HOSTS = {"resets": "stackops-bench-scan-resets", "drops": "stackops-bench-scan-drops"}


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
                      concurrency=module_default("concurrency"))
    return result["duration"], result["open"]


def main():
    if subprocess.run(["which", "nmap"], capture_output=True, check=False).returncode != 0:
        raise SystemExit("nmap is missing: make bench-scan installs it (apt-get install nmap)")
    rows = []
    try:
        for kind, name in HOSTS.items():
            address = start(kind, name)
            nmap_s, nmap_open = nmap(address)
            ours_s, ours_open = ours(address)
            rows.append((kind, address, nmap_s, nmap_open, ours_s, ours_open))
    finally:
        for name in HOSTS.values():
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    print("\nFull TCP scan (1-65535) of a test host: port_scan (module defaults) against nmap -sT -p- -T4 -Pn")
    print(f"{'host':<28}{'nmap':>9}{'port_scan':>11}{'ratio':>8}  open ports (nmap / port_scan)")
    failed = False
    for kind, address, nmap_s, nmap_open, ours_s, ours_open in rows:
        ratio = ours_s / nmap_s
        same = "same" if nmap_open == ours_open else "DIFFERENT"
        failed |= nmap_open != ours_open
        print(f"{kind + ' (' + address + ')':<28}{nmap_s:8.1f}s{ours_s:10.1f}s{ratio:8.2f}  {nmap_open} / {ours_open} {same}")
    print("targets: ratio <= 1.00 on the host that resets, <= 0.25 on the host that drops")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
