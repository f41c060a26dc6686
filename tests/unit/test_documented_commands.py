"""Every command a newcomer copies from README.md and docs/operations.md works as written.

The commands are read from the documents themselves, so a newly documented command is
covered without touching this file: each line of a ```sh block, and each inline code span
that starts with a controller program (ansible-playbook, ansible-galaxy, ansible-vault,
make). Commands meant for the host itself (nginx -t, docker logs …) are prose, not this
test's business.

How each is run, from the checkout root:
- ansible-playbook: exactly as written plus --syntax-check (the inventory, the playbook and
  every role resolve), and with the same inventory and vault options a probe playbook that
  templates every vault_* variable of every host, which is where a missing vault password
  shows ("Attempting to decrypt but no vault secrets found"). Nothing connects to a host.
- ansible-galaxy collection install: the documented artifact, installed into a temporary
  directory (built first with make build's command when it is missing).
- ansible-vault encrypt_string: run, with the prompt answered from the example password.
- make: the target exists (make -n, nothing runs); S=NAME names a Molecule scenario.
Placeholders are filled in: <env> with every inventory, <database> with the dev stack's
database.
"""
import os
import re
import shlex
import subprocess

import pytest
import yaml

from cli_env import BIN, ROOT, ansible_env

DOCUMENTS = ("README.md", os.path.join("docs", "operations.md"))
PROGRAMS = ("ansible-playbook", "ansible-galaxy", "ansible-vault", "make")
PLACEHOLDERS = {
    "<env>": sorted(name for name in os.listdir(os.path.join(ROOT, "inventories"))
                    if os.path.isdir(os.path.join(ROOT, "inventories", name))),
    "<database>": ["demo"],
}


def _example_vault_passwords():
    """Vault id -> password of each example inventory: the dev file, and the example
    password each other inventory's vault.yml names in its comment."""
    passwords = {}
    with open(os.path.join(ROOT, ".config", "dev-vault-password"), encoding="utf-8") as handle:
        passwords["dev"] = handle.read().strip()
    for name in PLACEHOLDERS["<env>"]:
        path = os.path.join(ROOT, "inventories", name, "group_vars", "all", "vault.yml")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as handle:
            match = re.search(r'the password\s+"([^"]+)"', handle.read().replace("\n#", ""))
        if match:
            passwords[name] = match.group(1)
    passwords.setdefault("prod", passwords.get("production"))
    return passwords


# The vault passwords of the example inventories, answering @prompt where a command would ask.
EXAMPLE_VAULT_PASSWORDS = _example_vault_passwords()
_FENCE = re.compile(r"^```(\w*)\s*$")
_SPAN = re.compile(r"`([^`\n]+)`")
_PLACEHOLDER = re.compile(r"<[a-z_]+>")


def _commands_of(path):
    """(line number, command) for each command of one Markdown document."""
    found = []
    fence = None
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    for number, line in enumerate(lines, 1):
        match = _FENCE.match(line.strip())
        if match:
            fence = None if fence is not None else match.group(1)
            continue
        if fence is not None:
            if fence in ("sh", "shell", "bash", "console"):
                command = line.split("  #")[0].split(" # ")[0].strip()
                if command and not command.startswith("#"):
                    found.append((number, command))
            continue
        # an inline span may be split over two lines of prose: join it with the next line
        text = line + (" " + lines[number].strip() if number < len(lines) and line.count("`") % 2 else "")
        for span in _SPAN.findall(text):
            if span.split(" ")[0] in PROGRAMS and " " in span:
                found.append((number, span.strip()))
    return found


def _expand(command):
    """The command with each placeholder replaced by each of its values."""
    match = _PLACEHOLDER.search(command)
    if not match:
        return [command]
    values = PLACEHOLDERS.get(match.group(0))
    assert values, "no value for the placeholder %s in %r: add it to PLACEHOLDERS" % (match.group(0), command)
    return [expanded for value in values for expanded in _expand(command.replace(match.group(0), value))]


def documented_commands():
    cases = []
    seen = set()
    for document in DOCUMENTS:
        for number, command in _commands_of(document):
            for expanded in _expand(command):
                if expanded not in seen:
                    seen.add(expanded)
                    cases.append(pytest.param(expanded, id="%s:%d %s" % (document, number, expanded)))
    return cases


def _run(argv, **kwargs):
    proc = subprocess.run(argv, cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False,
                          **kwargs)
    assert proc.returncode == 0, "%s failed (exit %d):\n%s\n%s" % (
        " ".join(shlex.quote(a) for a in argv), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def _answer_prompts(argv, tmp_path):
    """argv with each --vault-id LABEL@prompt answered from the example password file."""
    out = []
    for arg in argv:
        match = re.match(r"^([\w-]+)@prompt$", arg)
        if match and out and out[-1] == "--vault-id":
            label = match.group(1)
            assert EXAMPLE_VAULT_PASSWORDS.get(label), "no example vault password for the vault id %r" % label
            secret = tmp_path / ("vault-" + label)
            secret.write_text(EXAMPLE_VAULT_PASSWORDS[label] + "\n")
            arg = "%s@%s" % (label, secret)
        out.append(arg)
    return out


def _check_playbook(argv, tmp_path):
    argv = _answer_prompts(argv, tmp_path)
    _run(argv + ["--syntax-check"])
    probe = tmp_path / "probe.yml"
    probe.write_text(
        "- hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Decrypt every vault variable of the host\n"
        "      ansible.builtin.assert:\n"
        "        that: \"q('ansible.builtin.varnames', '^vault_') | map('extract', hostvars[inventory_hostname])"
        " | map('string') | map('length') | min | default(1) > 0\"\n"
        "        quiet: true\n")
    options = []
    index = 1
    while index < len(argv):
        if argv[index] in ("-i", "--inventory", "--vault-id", "--vault-password-file", "-e", "--extra-vars"):
            options += argv[index:index + 2]
            index += 2
            continue
        index += 1
    _run([argv[0]] + options + ["-c", "local", str(probe)])


def _check_galaxy_install(argv, tmp_path):
    assert argv[1:3] == ["collection", "install"], "only 'ansible-galaxy collection install' is known here: %r" % argv
    artifact = argv[3]
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    expected = "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])
    assert os.path.basename(artifact) == expected, "the documented artifact %s is not what make build makes (%s)" % (
        artifact, expected)
    if not os.path.exists(os.path.join(ROOT, artifact)):
        _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path",
              os.path.join(ROOT, os.path.dirname(artifact) or ".")])
    _run(argv + ["-p", str(tmp_path / "collections"), "--no-deps", "--force"])
    assert (tmp_path / "collections" / "ansible_collections" / galaxy["namespace"] / galaxy["name"] / "galaxy.yml"
            ).exists() or (tmp_path / "collections" / "ansible_collections" / galaxy["namespace"] / galaxy["name"]
                           / "MANIFEST.json").exists()


def _check_vault(argv, tmp_path):
    if len(argv) == 2:  # the name of a subcommand in prose ("ansible-vault edit")
        _run(argv + ["--help"])
        return
    argv = _answer_prompts(argv, tmp_path)
    proc = _run(argv, input="example-value")
    assert "$ANSIBLE_VAULT" in proc.stdout


def _check_make(argv):
    targets = [arg for arg in argv[1:] if "=" not in arg and not arg.startswith("-")]
    for assignment in (arg for arg in argv[1:] if arg.startswith("S=")):
        scenario = assignment.split("=", 1)[1]
        assert os.path.isfile(os.path.join(ROOT, "molecule", scenario, "molecule.yml")), (
            "make %s: no Molecule scenario %r" % (" ".join(argv[1:]), scenario))
    for target in targets:
        proc = subprocess.run(["make", "-n", target], cwd=ROOT, env=ansible_env(), capture_output=True, text=True,
                              timeout=60, check=False)
        assert "No rule to make target" not in proc.stderr, "make %s: the Makefile has no such target" % target


def test_the_documents_have_commands():
    assert len(documented_commands()) >= 5


@pytest.mark.parametrize("command", documented_commands())
def test_documented_command_works(command, tmp_path):
    argv = shlex.split(command)
    program = argv[0]
    if program == "ansible-playbook":
        _check_playbook([os.path.join(BIN, program)] + argv[1:], tmp_path)
    elif program == "ansible-galaxy":
        _check_galaxy_install([os.path.join(BIN, program)] + argv[1:], tmp_path)
    elif program == "ansible-vault":
        _check_vault([os.path.join(BIN, program)] + argv[1:], tmp_path)
    elif program == "make":
        _check_make(argv)
    else:
        pytest.fail("no way to check %r: add one to this test" % command)
