"""The environment the unit tests run the Ansible command-line tools in.

The tools of this virtualenv come first on PATH, the collection is found through the
tree the Makefile links, and no ansible.cfg or vault password file of the caller's
shell leaks into a run (each test names the ones it means).
"""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)


def ansible_env():
    """A copy of os.environ fit for running ansible-playbook, ansible-inventory or make."""
    env = dict(os.environ)
    env.pop("ANSIBLE_CONFIG", None)
    env.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, ".cache", "collections")
    env["ANSIBLE_FORCE_COLOR"] = "false"
    env["ANSIBLE_NOCOLOR"] = "true"
    return env
