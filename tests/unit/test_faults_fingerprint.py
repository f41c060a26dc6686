"""The fingerprint of tests/faults leaves out what differs between two hosts by nature."""
import importlib.util
import os

from cli_env import ROOT

SPEC = importlib.util.spec_from_file_location("fingerprint", os.path.join(ROOT, "tests", "faults", "fingerprint.py"))
FINGERPRINT = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(FINGERPRINT)


def test_journal_directory_is_named_for_no_machine_and_its_files_are_left_out():
    machine = "/var/log/journal/207b94807acd42f6bb0d22d310e8c59e"
    assert FINGERPRINT.host_neutral_path(machine) == "/var/log/journal/<machine-id>"
    assert FINGERPRINT.host_neutral_path(machine + "/system.journal") is None
    assert FINGERPRINT.host_neutral_path("/var/log/journal") == "/var/log/journal"
    assert FINGERPRINT.host_neutral_path("/var/log/journal/remote") == "/var/log/journal/remote"
    assert FINGERPRINT.host_neutral_path("/etc/docker/daemon.json") == "/etc/docker/daemon.json"


def test_depends_on_label_is_compared_in_a_fixed_order():
    one = FINGERPRINT.label_value("com.docker.compose.depends_on",
                                  "redis:service_healthy:false,migrate:service_completed_successfully:false")
    other = FINGERPRINT.label_value("com.docker.compose.depends_on",
                                    "migrate:service_completed_successfully:false,redis:service_healthy:false")
    assert one == other
    assert FINGERPRINT.label_value("com.docker.compose.service", "b,a") == "b,a"
