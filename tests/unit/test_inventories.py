"""Every example inventory loads and renders, and each stands on its own.

For dev, staging, production and cluster: no file of the inventory is a link out of it (a copy of
production must never edit dev); ansible-inventory draws its graph and lists its variables
with the vault decrypted; every playbook passes --syntax-check against it; and a probe
playbook (tests/unit/inventories/probe.yml, run with -c local: nothing connects to a host)
renders the stack, the sites and the secrets and runs the stack role's policy gate on the
environment's stack. What the example values leave to the user (an example SSH key,
documentation addresses, reserved names for ACME, a placeholder bot token) is refused by
the roles on purpose: the test checks those are exactly the refusals inventories/README.md
tells the user to fill in, and that dev has none.
"""
import json
import os
import re
import subprocess

import pytest

from cli_env import BIN, ROOT, ansible_env

PROBE = os.path.join(ROOT, "tests", "unit", "inventories", "probe.yml")
INVENTORIES = ("dev", "staging", "production", "cluster")
PLAYBOOKS = sorted(name for name in os.listdir(os.path.join(ROOT, "playbooks")) if name.endswith(".yml"))
# What the example staging and production inventories hold that the roles refuse on purpose,
# and the variable inventories/README.md names for each.
BY_DESIGN = {
    "ssh_keys": "baseline_ssh_users",
    "ssh_sources": "firewall_ssh_sources",
    "acme_names": "nginx_sites",
    "acme_email": "nginx_acme_email",
    "secrets": "vault_telegram_bot_token",
}
# The cluster's certificates come from a local CA on each edge node: no ACME value to fill in.
LEFT_TO_FILL = {"dev": [], "cluster": sorted(set(BY_DESIGN) - {"acme_names", "acme_email"})}
# Which host takes which part of the product (playbooks/vars/placement.yml), as the example
# inventories say: with compose every host is all of it.
PLACEMENT = {"cluster": {"node-1": {"edge": True, "backs_up": True, "deploys": True, "acme_peers": ["10.10.0.12"]},
                         "node-2": {"edge": True, "backs_up": False, "deploys": False, "acme_peers": ["10.10.0.11"]},
                         "node-3": {"edge": False, "backs_up": False, "deploys": False, "acme_peers": []}}}


def _vault_options(name, tmp_path):
    """--vault-id of the inventory's example password (the dev one comes from ansible.cfg)."""
    if name == "dev":
        return []
    with open(os.path.join(ROOT, "inventories", name, "group_vars", "all", "vault.yml"), encoding="utf-8") as handle:
        match = re.search(r'the password\s+"([^"]+)"', handle.read().replace("\n#", ""))
    assert match, "inventories/%s/group_vars/all/vault.yml does not name its example password" % name
    secret = tmp_path / ("vault-" + name)
    secret.write_text(match.group(1) + "\n")
    return ["--vault-id", "%s@%s" % (name, secret)]


def _run(argv):
    proc = subprocess.run(argv, cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, "%s failed (exit %d):\n%s\n%s" % (
        " ".join(argv), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


@pytest.mark.parametrize("name", INVENTORIES)
def test_inventory_is_self_contained(name):
    top = os.path.realpath(os.path.join(ROOT, "inventories", name))
    for directory, dirs, files in os.walk(os.path.join(ROOT, "inventories", name)):
        for entry in dirs + files:
            path = os.path.join(directory, entry)
            if os.path.islink(path):
                target = os.path.realpath(path)
                assert target.startswith(top + os.sep), (
                    "%s is a link to %s, outside inventories/%s: a copy of the inventory would edit another one"
                    % (os.path.relpath(path, ROOT), os.path.relpath(target, ROOT), name))


@pytest.mark.parametrize("name", INVENTORIES)
def test_inventory_loads_renders_and_passes_the_gate(name, tmp_path):
    inventory = os.path.join("inventories", name)
    vault = _vault_options(name, tmp_path)
    graph = _run([os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--graph"]).stdout
    assert "@stackops:" in graph, graph
    listed = json.loads(_run([os.path.join(BIN, "ansible-inventory"), "-i", inventory] + vault + ["--list"]).stdout)
    # The hosts of group stackops, directly or through its child groups (a cluster's managers, workers).
    hosts, groups = [], ["stackops"]
    while groups:
        group = listed.get(groups.pop(0), {})
        hosts += [host for host in group.get("hosts", []) if host not in hosts]
        groups += group.get("children", [])
    assert hosts, "inventories/%s has no host in group stackops" % name
    for playbook in PLAYBOOKS:
        _run([os.path.join(BIN, "ansible-playbook"), "-i", inventory] + vault
             + ["--syntax-check", os.path.join("playbooks", playbook)])

    out = tmp_path / "probe"
    out.mkdir()
    _run([os.path.join(BIN, "ansible-playbook"), "-i", inventory] + vault
         + ["-c", "local", "-e", json.dumps({"probe_out": str(out)}), PROBE])
    with open(os.path.join(ROOT, "inventories", "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    for host in hosts:
        with open(str(out / (host + ".json")), encoding="utf-8") as handle:
            report = json.load(handle)
        assert report["services"], "%s: the stack rendered no service" % host
        left = sorted(key for key in BY_DESIGN if report[key])
        expected = LEFT_TO_FILL.get(name, sorted(BY_DESIGN))
        assert left == expected, (
            "%s (%s): the example values leave %s to fill in; expected %s" % (host, name, left, expected))
        for key in left:
            assert BY_DESIGN[key] in readme, "inventories/README.md does not say to fill in %s" % BY_DESIGN[key]
        placement = PLACEMENT.get(name, {}).get(host, {"edge": True, "backs_up": True, "deploys": True, "acme_peers": []})
        assert report["placement"] == placement, "%s (%s): placement %s, expected %s" % (
            host, name, report["placement"], placement)
