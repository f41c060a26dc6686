"""`make report`'s reading of the proof tools' output and its rendering (scripts/proof_tools.py,
scripts/figures.py, scripts/report.py), with sample output of the tools and no host."""
import copy
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))

import bench_faults  # noqa: E402  pylint: disable=wrong-import-position
import figures  # noqa: E402  pylint: disable=wrong-import-position
import proof_tools  # noqa: E402  pylint: disable=wrong-import-position
import report  # noqa: E402  pylint: disable=wrong-import-position

# Lines of a Lynis 3.1.4 report file (--report-file) of a hardened Debian 13 host.
LYNIS_REPORT = ("""\
# Lynis Report
report_version_major=1
report_version_minor=0
report_datetime_start=2026-12-04 18:13:10
auditor=[Not Specified]
lynis_version=3.1.4
os=Linux
os_name=Debian
os_fullname=Debian GNU/Linux 13 (trixie)
os_version=13.8
suggestion[]=LYNIS|This release is more than 4 months old. Check the website or GitHub to see if there is an update available.|-|-|
suggestion[]=DEB-0810|Install apt-listbugs to display a list of critical bugs prior to each APT installation.|-|-|
suggestion[]=BOOT-5264|Consider hardening system services|Run '/usr/bin/systemd-analyze security SERVICE' for each service|-|
suggestion[]=FILE-6310|To decrease the impact of a full /var file system, place /var on a separate partition|-|-|
warning[]=PKGS-7392|Found one or more vulnerable packages.|-|-|
suggestion[]=PKGS-7392|Update your system with apt-get update, apt-get upgrade, apt-get dist-upgrade and/or unattended-upgrades|-|-|
suggestion[]=SSH-7408|Consider hardening SSH configuration|AllowTcpForwarding (set YES to NO)|-|
""" "suggestion[]=KRNL-6000|One or more sysctl values differ from the scan profile and could be tweaked||"
                "Change sysctl value or disable test (skip-test=KRNL-6000:<sysctl-key>)|\n" """\
lynis_tests_done=270
hardening_index=89
report_datetime_end=2026-12-04 18:14:41
""")

# ssh-audit 3.9 -j of the dev host (Debian 13, OpenSSH 10.0), shortened.
SSH_AUDIT_GOOD = {
    "banner": {"comments": "Debian-7+deb13u4", "protocol": "2.0", "raw": "SSH-2.0-OpenSSH_10.0p2 Debian-7+deb13u4",
               "software": "OpenSSH_10.0p2"},
    "compression": ["none"],
    "cves": [],
    "enc": [{"algorithm": "chacha20-poly1305@openssh.com", "notes": {"info": ["default cipher since OpenSSH 6.9"]}},
            {"algorithm": "aes256-gcm@openssh.com", "notes": {"info": ["available since OpenSSH 6.2"]}}],
    "kex": [{"algorithm": "mlkem768x25519-sha256", "notes": {"info": ["default key exchange since OpenSSH 10.0"]}},
            {"algorithm": "kex-strict-s-v00@openssh.com", "notes": {}}],
    "key": [{"algorithm": "ssh-ed25519", "notes": {"info": ["available since OpenSSH 6.5"]}},
            {"algorithm": "rsa-sha2-512", "keysize": 4096, "notes": {"info": ["available since OpenSSH 7.2"]}}],
    "mac": [{"algorithm": "hmac-sha2-512-etm@openssh.com", "notes": {"info": ["available since OpenSSH 6.2"]}}],
    "recommendations": {},
    "target": "172.17.0.2:22",
}

# A stock Debian 12 sshd, as ssh-audit 3.9 judges it (exit 3).
SSH_AUDIT_STOCK = {
    "banner": {"raw": "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", "software": "OpenSSH_9.2p1"},
    "cves": [],
    "kex": [{"algorithm": "ecdh-sha2-nistp256", "notes": {
        "fail": ["using elliptic curves that are suspected as being backdoored by the U.S. National Security Agency"],
        "info": ["available since OpenSSH 5.7"]}},
        {"algorithm": "diffie-hellman-group14-sha256", "notes": {
            "warn": ["2048-bit modulus only provides 112-bits of symmetric strength"]}}],
    "key": [{"algorithm": "ecdsa-sha2-nistp256", "notes": {"fail": [
        "using elliptic curves that are suspected as being backdoored by the U.S. National Security Agency"],
        "warn": ["using weak random number generator could reveal the key"]}}],
    "enc": [],
    "mac": [{"algorithm": "umac-64-etm@openssh.com", "notes": {"warn": ["using small 64-bit tag size"]}}],
}

POLICY_PASSED = {"errors": [], "host": "172.17.0.2", "passed": True, "policy": "Hardened Debian 13 (version 1)",
                 "port": 22, "warnings": []}
POLICY_FAILED = {"errors": [{"mismatched_field": "Key exchanges",
                             "expected_required": ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256"],
                             "expected_optional": [""],
                             "actual": ["curve25519-sha256", "ecdh-sha2-nistp256"]}],
                 "host": "172.17.0.9", "passed": False, "policy": "Hardened Debian 12 (version 3)", "port": 22,
                 "warnings": []}

SSLYZE_COMPLIANT = """\
 * TLS Extended Master Secret Extension:
                                          OK - Supported

 SCANS COMPLETED IN 0.452990 S
 -----------------------------

       Wrote JSON output to "/work/main/.cache/report/sslyze-api.demo.test.json".

 COMPLIANCE AGAINST TLS CONFIGURATION
 ------------------------------------

    Checking results against Mozilla's "intermediate" configuration. See https://ssl-config.mozilla.org/ for more details.

    api.demo.test:443: OK - Compliant.

"""

SSLYZE_NOT_COMPLIANT = """\
 COMPLIANCE AGAINST TLS CONFIGURATION
 ------------------------------------

    Checking results against Mozilla's "modern" configuration. See https://ssl-config.mozilla.org/ for more details.

    api.example.test:443: FAILED - Not compliant.
        * tls_versions: TLS versions {'TLSv1.2'} are supported, but should be rejected.
        * ciphers: Cipher suites {'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'} are supported, but should be rejected.

"""


def _suite(name):
    return {"cipher_suite": {"name": name, "is_anonymous": False, "key_size": 256, "openssl_name": name},
            "ephemeral_key": {"type_name": "ECDH", "size": 253, "curve_name": "X25519"}}


def _suites(*names):
    return {"status": "COMPLETED", "error_reason": None, "error_trace": None,
            "result": {"tls_version_used": "TLS_1_2", "is_tls_version_supported": bool(names),
                       "accepted_cipher_suites": [_suite(name) for name in names], "rejected_cipher_suites": []}}


# sslyze 6.3 --json_out of api.demo.test, shortened.
SSLYZE_JSON = {
    "sslyze_version": "6.3.1",
    "server_scan_results": [{
        "server_location": {"hostname": "api.demo.test", "port": 443, "ip_address": "172.17.0.2"},
        "scan_status": "COMPLETED",
        "connectivity_status": "COMPLETED",
        "scan_result": {
            "ssl_2_0_cipher_suites": _suites(),
            "ssl_3_0_cipher_suites": _suites(),
            "tls_1_0_cipher_suites": _suites(),
            "tls_1_1_cipher_suites": _suites(),
            "tls_1_2_cipher_suites": _suites("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                             "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
            "tls_1_3_cipher_suites": _suites("TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"),
            "elliptic_curves": {"status": "COMPLETED", "result": {
                "supports_ecdh_key_exchange": True,
                "supported_curves": [{"name": "X25519", "openssl_nid": 1034}, {"name": "secp256r1", "openssl_nid": 415}],
                "rejected_curves": [{"name": "X448", "openssl_nid": 1035}]}},
            "certificate_info": {"status": "COMPLETED", "result": {"certificate_deployments": [{"path_validation_results": [
                {"trust_store": {"name": "Mozilla", "version": "2024-09-01"}, "was_validation_successful": False},
                {"trust_store": {"name": "Supplied CA file", "version": "N/A"}, "was_validation_successful": True},
            ]}]}},
        },
    }],
}

# What scripts/report.yml reads from the dev host's Docker 26 (docker info, the default bridge, daemon.json).
DOCKER_INFO = {"ServerVersion": "26.1.5+dfsg1", "LiveRestoreEnabled": True, "LoggingDriver": "local",
               "SecurityOptions": ["name=seccomp,profile=builtin", "name=no-new-privileges"],
               "Swarm": {"LocalNodeState": "inactive", "ControlAvailable": False}}
DOCKER_BRIDGE = {"Name": "bridge", "Options": {
    "com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.enable_icc": "false",
    "com.docker.network.bridge.enable_ip_masquerade": "true", "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
    "com.docker.network.bridge.name": "docker0", "com.docker.network.driver.mtu": "1500"}}
DAEMON_JSON = {"default-address-pools": [{"base": "172.16.0.0/12", "size": 24}], "icc": False, "ip": "127.0.0.1",
               "live-restore": True, "log-driver": "local", "log-opts": {"max-file": "5", "max-size": "10m"},
               "no-new-privileges": True, "userland-proxy": False}
CONTAINERS = [
    {"Name": "/demo-api-1", "NetworkSettings": {"Ports": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8000"}],
                                                          "8080/tcp": None}}},
    {"Name": "/demo-web-1", "NetworkSettings": {"Ports": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8081"}]}}},
    {"Name": "/demo-postgres-1", "NetworkSettings": {"Ports": {}}},
]
ROOT_0644 = {"owner": "root", "group": "root", "mode": "0644"}


def test_lynis_report_gives_index_tests_version_suggestions_and_warnings():
    found = proof_tools.lynis_figures(LYNIS_REPORT)
    assert found["hardening_index"] == 89
    assert found["tests_performed"] == 270
    assert found["version"] == "3.1.4"
    assert found["os"] == "Debian GNU/Linux 13 (trixie)"
    assert [item["id"] for item in found["suggestions"]] == [
        "LYNIS", "DEB-0810", "BOOT-5264", "FILE-6310", "PKGS-7392", "SSH-7408", "KRNL-6000"]
    ssh = found["suggestions"][5]
    assert ssh == dict(id="SSH-7408", text="Consider hardening SSH configuration",
                       details="AllowTcpForwarding (set YES to NO)", solution="")
    assert found["suggestions"][6]["details"] == ""
    assert found["suggestions"][6]["solution"].startswith("Change sysctl value")
    assert found["warnings"] == [dict(id="PKGS-7392", text="Found one or more vulnerable packages.", details="",
                                      solution="")]


def test_lynis_report_without_an_index():
    assert proof_tools.lynis_index("lynis_version=3.0.8\nhardening_index=\n") is None
    assert proof_tools.lynis_figures("")["hardening_index"] is None
    assert proof_tools.lynis_index("hardening_index=57\n") == 57


def test_ssh_audit_of_the_hardened_host_is_good():
    found = proof_tools.ssh_audit_figures(SSH_AUDIT_GOOD, 0)
    assert found["verdict"] == "good"
    assert found["failures"] == [] and found["warnings"] == [] and found["cves"] == []
    assert found["software"] == "OpenSSH_10.0p2"
    assert found["algorithms"]["kex"] == ["mlkem768x25519-sha256", "kex-strict-s-v00@openssh.com"]


def test_ssh_audit_of_a_stock_host_names_each_failure_and_warning():
    found = proof_tools.ssh_audit_figures(SSH_AUDIT_STOCK, proof_tools.SSH_AUDIT_FAILURE)
    assert found["verdict"] == "failures"
    assert proof_tools.ssh_audit_failures(SSH_AUDIT_STOCK) == found["failures"] == [
        "kex ecdh-sha2-nistp256: using elliptic curves that are suspected as being backdoored by the U.S. National "
        "Security Agency",
        "key ecdsa-sha2-nistp256: using elliptic curves that are suspected as being backdoored by the U.S. National "
        "Security Agency"]
    assert found["warnings"] == [
        "kex diffie-hellman-group14-sha256: 2048-bit modulus only provides 112-bits of symmetric strength",
        "key ecdsa-sha2-nistp256: using weak random number generator could reveal the key",
        "mac umac-64-etm@openssh.com: using small 64-bit tag size"]
    assert proof_tools.ssh_audit_figures({}, 1)["verdict"] == "error (exit 1)"


def test_ssh_audit_policy_passed_or_failed_with_each_mismatch():
    assert proof_tools.ssh_audit_policy_figures(POLICY_PASSED, 0) == dict(
        policy="Hardened Debian 13 (version 1)", passed=True, exit_code=0, errors=[], warnings=[])
    failed = proof_tools.ssh_audit_policy_figures(POLICY_FAILED, 3)
    assert failed["passed"] is False
    assert failed["errors"] == ["Key exchanges did not match: expected sntrup761x25519-sha512@openssh.com, "
                                "curve25519-sha256, actual curve25519-sha256, ecdh-sha2-nistp256"]
    # "passed" in the JSON is not enough when ssh-audit's exit code says otherwise
    assert proof_tools.ssh_audit_policy_figures(POLICY_PASSED, 3)["passed"] is False
    assert set(proof_tools.SSH_AUDIT_POLICIES) == {"12", "13"}


def test_sslyze_verdict_compliant():
    assert proof_tools.sslyze_verdict(SSLYZE_COMPLIANT, 0) == dict(
        compliant=True, profile="intermediate", exit_code=0, verdict="OK - Compliant", issues={})


def test_sslyze_verdict_not_compliant_lists_the_issues():
    found = proof_tools.sslyze_verdict(SSLYZE_NOT_COMPLIANT, 1)
    assert found["compliant"] is False
    assert found["profile"] == "modern"
    assert found["verdict"] == "FAILED - Not compliant"
    assert found["issues"] == {
        "tls_versions": "TLS versions {'TLSv1.2'} are supported, but should be rejected.",
        "ciphers": "Cipher suites {'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'} are supported, but should be rejected."}


@pytest.mark.parametrize("stdout,returncode", [
    (SSLYZE_COMPLIANT, 1),  # the exit code disagrees: not compliant
    ("SCANS COMPLETED\n", 0),  # no verdict at all
    ("    api.demo.test:443: ERROR - Scan did not run successfully; review the scan logs above.\n", 1),
])
def test_sslyze_verdict_needs_both_the_line_and_the_exit_code(stdout, returncode):
    assert proof_tools.sslyze_verdict(stdout, returncode)["compliant"] is False


def test_sslyze_json_gives_protocols_suites_curves_and_chain():
    found = proof_tools.sslyze_figures(SSLYZE_JSON)
    assert found["sslyze_version"] == "6.3.1"
    assert found["protocols_accepted"] == ["TLS 1.2", "TLS 1.3"]
    assert found["protocols_refused"] == ["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1"]
    assert found["cipher_suites"]["TLS 1.3"] == ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"]
    assert found["curves"] == ["X25519", "secp256r1"]
    assert found["chain_valid_with"] == ["Supplied CA file"]
    failed = copy.deepcopy(SSLYZE_JSON)
    failed["server_scan_results"][0].update(scan_status="ERROR_NO_CONNECTIVITY", connectivity_error_trace="refused")
    assert "could not scan api.demo.test" in proof_tools.sslyze_figures(failed)["error"]
    assert "error" in proof_tools.sslyze_figures({"server_scan_results": []})


def test_docker_cis_items_pass_on_the_hardened_daemon():
    items = proof_tools.docker_cis_items(DAEMON_JSON, DOCKER_INFO, DOCKER_BRIDGE, ROOT_0644, 0, CONTAINERS)
    assert [item["id"] for item in items] == ["2.2", "2.14", "2.15", "2.16", "3.17", "3.18", "5.14", None]
    assert all(item["ok"] for item in items), [item for item in items if not item["ok"]]
    by_id = dict((item["id"], item) for item in items)
    assert by_id["2.2"]["live"] == "enable_icc false on the default bridge (daemon.json icc: false)"
    assert by_id["5.14"]["live"] == ("2 published ports, each on a specific address (127.0.0.1:8000, 127.0.0.1:8081); "
                                     "a bare -p binds 127.0.0.1")


def test_docker_cis_items_fail_on_a_stock_daemon_and_say_what_is_live():
    info = dict(DOCKER_INFO, LiveRestoreEnabled=False, SecurityOptions=["name=seccomp,profile=builtin"],
                LoggingDriver="json-file")
    bridge = {"Options": {"com.docker.network.bridge.enable_icc": "true"}}
    containers = CONTAINERS + [{"Name": "/redis", "NetworkSettings": {"Ports": {
        "6379/tcp": [{"HostIp": "0.0.0.0", "HostPort": "6379"}, {"HostIp": "::", "HostPort": "6379"}]}}}]
    items = proof_tools.docker_cis_items({}, info, bridge, {"owner": "root", "group": "docker", "mode": "0664"}, 2,
                                         containers)
    assert [item["id"] for item in items if not item["ok"]] == ["2.2", "2.14", "2.15", "2.16", "3.17", "3.18", "5.14",
                                                                None]
    by_id = dict((item["id"], item) for item in items)
    assert by_id["2.16"]["live"] == "daemon.json userland-proxy: unset; 2 docker-proxy processes"
    assert by_id["5.14"]["live"] == "redis 6379/tcp on 0.0.0.0; redis 6379/tcp on ::"
    assert by_id["3.17"]["live"] == "root:docker"


def test_docker_cis_live_restore_passes_in_swarm_mode():
    info = dict(DOCKER_INFO, LiveRestoreEnabled=False, Swarm={"LocalNodeState": "active"})
    items = proof_tools.docker_cis_items(dict(DAEMON_JSON, **{"live-restore": False}), info, DOCKER_BRIDGE, ROOT_0644, 0,
                                         CONTAINERS)
    assert [item for item in items if item["id"] == "2.15"][0]["ok"] is True


@pytest.mark.parametrize("mode,ok", [("0644", True), ("0600", True), ("0400", True), ("0664", False),
                                     ("0755", False), ("4644", False), ("", False)])
def test_docker_cis_daemon_json_mode(mode, ok):
    items = proof_tools.docker_cis_items(DAEMON_JSON, DOCKER_INFO, DOCKER_BRIDGE, dict(ROOT_0644, mode=mode), 0, [])
    assert [item for item in items if item["id"] == "3.18"][0]["ok"] is ok


def test_converged_recap_reads_the_last_recap_of_the_dev_host():
    log = ("PLAY RECAP *****\nstackops-dev               : ok=12  changed=3    unreachable=0    failed=1    skipped=0\n"
           "PLAY RECAP *****\nstackops-dev               : ok=245  changed=42   unreachable=0    failed=0    "
           "skipped=119  rescued=0    ignored=0   \n")
    assert report.converged_recap(log) is True
    assert report.converged_recap(log.rsplit("PLAY RECAP", 1)[0]) is False
    assert report.converged_recap("") is False


def test_bench_figures_are_written_with_the_machine_and_read_back(tmp_path):
    path = figures.write_bench("policy", {"stack_200_services": {"seconds": 0.024}}, directory=str(tmp_path))
    assert os.path.basename(path) == "bench-policy.json"
    benches = figures.read_benches(str(tmp_path))
    assert list(benches) == list(figures.BENCHES)
    assert benches["policy"]["figures"] == {"stack_200_services": {"seconds": 0.024}}
    assert benches["policy"]["command"] == "make bench-policy"
    assert set(benches["policy"]["machine"]) == {"cpu", "cores", "memory_gib", "kernel", "os", "date"}
    assert benches["site"] is None and benches["backup"] is None
    (tmp_path / "bench-scan.json").write_text("{not json")
    assert "unreadable" in figures.read_benches(str(tmp_path))["scan"]["error"]
    with pytest.raises(ValueError, match="unknown bench"):
        figures.write_bench("nope", {}, directory=str(tmp_path))


def test_bench_faults_reads_the_harness_summary():
    line = ("bench-faults: 27 of 28 cut hosts converged to the reference fingerprint (28 cuts made, seed 20261204) "
            "in 5123 s (target: all of them)\n")
    assert bench_faults.summary(line) == dict(converged=27, hosts=28, made=28, seed=20261204, seconds=5123)
    assert bench_faults.summary("[faults 18:02:11] converged 3/28: ...\n") is None


MACHINE = {"cpu": "AMD EPYC", "cores": 2, "memory_gib": 23.5, "kernel": "6.1.0-28-amd64",
           "os": "Debian GNU/Linux 12 (bookworm)", "date": "2026-12-04T18:12:36Z"}


def _page():
    sslyze = dict(proof_tools.sslyze_verdict(SSLYZE_COMPLIANT, 0), **proof_tools.sslyze_figures(SSLYZE_JSON))
    return dict(
        version="0.1.0", generated_by="make report", date=MACHINE["date"], machine=MACHINE, seconds=240.8,
        git={"commit": "d29b8497667a0000000000000000000000000000", "uncommitted_paths": 0},
        dev_host={"name": "stackops-dev", "address": "172.17.0.2", "image": "stackops-testhost:trixie", "debian": "13.8"},
        lynis=proof_tools.lynis_figures(LYNIS_REPORT),
        ssh_audit={"version": "3.9.0", "target": "172.17.0.2:22",
                   "policy": proof_tools.ssh_audit_policy_figures(POLICY_PASSED, 0),
                   "audit": proof_tools.ssh_audit_figures(SSH_AUDIT_GOOD, 0)},
        tls={"profile": "intermediate", "testssl_version": "3.2.1+dfsg-1", "hsts": False, "sites": [
            {"name": "api.demo.test", "sslyze": sslyze,
             "testssl": {"overall_grade": "A", "caps": ["Grade capped to A. HSTS is not offered"], "warnings": [],
                         "hsts": "not offered", "scores": {"final_score": "96"}, "rc": 0}},
            {"name": "app.demo.test", "sslyze": {"error": "sslyze did not run: connection refused"},
             "testssl": {"error": "testssl.sh did not run: no TLS client"}}]},
        docker=dict(benchmark=proof_tools.CIS_DOCKER_BENCHMARK, docker_version="26.1.5+dfsg1", passed=8, total=8,
                    items=proof_tools.docker_cis_items(DAEMON_JSON, DOCKER_INFO, DOCKER_BRIDGE, ROOT_0644, 0, CONTAINERS)),
        exposure={"allowed": ["22", "80", "443"], "offenders": [], "off_loopback": ["22/tcp", "80/tcp", "443/tcp"],
                  "off_loopback_listeners": ["22/tcp on 0.0.0.0 (sshd)"], "loopback": 9},
        scan={"error": "port_scan failed: the scan of 172.17.0.2 reached its time limit"},
        verify={"command": "ansible-playbook -i inventories/dev playbooks/verify.yml", "exit_code": 0, "seconds": 26.9,
                "host": "stackops-dev", "ok": True,
                "checks": [{"check": "health", "ok": True, "detail": "8 containers healthy or completed"},
                           {"check": "scan", "ok": False, "detail": "8000/tcp is reachable from outside"}]},
        benches={"site": None, "scan": None, "backup": None, "deploy": None, "alert": None, "faults": None,
                 "policy": {"bench": "policy", "command": "make bench-policy", "machine": MACHINE,
                            "figures": {"stack_200_services": {"seconds": 0.0242, "refusals": 0},
                                        "slowest": [[0.5, "Task one"], [0.25, "Task two"]]}}},
        collect={"exit_code": 0, "seconds": 169.1},
    )


def test_rendered_page_says_how_it_was_made_and_shows_every_figure():
    text = report.render_markdown(_page())
    assert text.startswith("# Figures of stackops.hardened 0.1.0\n")
    assert "Generated by `make report` from commit `d29b8497667a` on 2026-12-04T18:12:36Z, on AMD EPYC, 2 cores, " \
           "23.5 GiB, kernel 6.1.0-28-amd64 (Debian GNU/Linux 12 (bookworm))." in text
    assert "Reproduce it with `make demo` and then `make report`" in text
    assert "| Lynis hardening index | 89 (270 tests, Lynis 3.1.4, 7 suggestions left) |" in text
    assert "| SSH-7408 | Consider hardening SSH configuration | AllowTcpForwarding (set YES to NO) |" in text
    assert "| ssh-audit policy | Hardened Debian 13 (version 1): passed |" in text
    assert "| sslyze, Mozilla intermediate | api.demo.test compliant; app.demo.test no result (see below) |" in text
    assert "| testssl.sh rating | api.demo.test A; app.demo.test no result (see below) |" in text
    assert "| app.demo.test | no result: sslyze did not run: connection refused |" in text
    assert "`nginx_hsts: false`" in text
    assert "| 2.16 | Userland proxy is disabled | pass | daemon.json userland-proxy: false; 0 docker-proxy processes |" in text
    assert "| Docker daemon, CIS items the docker role covers | 8 of 8 pass (CIS Docker Benchmark v1.6.0) |" in text
    assert "Outside view (port_scan): **No result:** port_scan failed: the scan of 172.17.0.2 reached" in text
    assert "| verify.yml | 1 of 2 checks pass (26.9 s) |" in text
    assert "| scan | FAIL | 8000/tcp is reachable from outside |" in text
    # every bench is named; those without figures say so
    assert text.count("Not run on this machine.") == 6
    assert "### `make bench-policy`" in text and "Ran 2026-12-04T18:12:36Z on AMD EPYC, 2 cores" in text
    assert "| stack_200_services.seconds | 0.0242 |" in text
    assert "| slowest | 0.5 Task one; 0.25 Task two |" in text
    assert "| Benches | 1 of 7 ran on this machine (policy) |" in text


def test_rendered_page_says_plainly_what_did_not_run():
    page = _page()
    page["lynis"] = {"error": "Lynis did not run: apt could not reach the mirror"}
    page["docker"] = {"error": "the Docker daemon could not be read: docker: command not found"}
    page["verify"] = dict(page["verify"], error="no JSON proof from verify.yml")
    page["git"]["uncommitted_paths"] = 3
    text = report.render_markdown(page)
    assert "**No result:** Lynis did not run: apt could not reach the mirror" in text
    assert "| Lynis hardening index | no result (see below) |" in text
    assert "**No result:** the Docker daemon could not be read" in text
    assert "| verify.yml | no result (see below) |" in text
    assert "with 3 uncommitted changed paths" in text


def test_index_lists_releases_newest_first():
    old = dict(_page(), version="0.9.0")
    new = dict(_page(), version="0.10.0")
    text = report.render_index([old, new])
    assert text.index("[0.10.0](0.10.0.md)") < text.index("[0.9.0](0.9.0.md)")
    assert "| [0.10.0](0.10.0.md) | 2026-12-04T18:12:36Z | `d29b8497667a` | 89 | 1 of 2 |" in text
    assert "Generated by `make report`" in text


def test_page_and_index_are_written_from_the_json(tmp_path):
    page = _page()
    path = report.write_page(page, str(tmp_path))
    assert path == str(tmp_path / "0.1.0.md")
    with open(tmp_path / "0.1.0.json", encoding="utf-8") as handle:
        stored = json.load(handle)
    assert report.render_markdown(stored) == (tmp_path / "0.1.0.md").read_text()
    assert "[0.1.0](0.1.0.md)" in (tmp_path / "README.md").read_text()
