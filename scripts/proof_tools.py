# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the proof tools print, read into figures: a Lynis report file, ssh-audit's JSON, sslyze's verdict and
JSON, and the Docker daemon's settings judged against the CIS Docker Benchmark items the docker role covers.

Plain functions from text or parsed JSON to data, shared by the Molecule scenarios that judge the tools'
output (molecule/baseline/tests/test_baseline.py) and by `make report` (scripts/report.py), and unit-tested
with sample output in tests/unit/test_report.py. Nothing here runs a tool or touches a host.
"""

import json
import re

# ssh-audit's built-in policies for the hardened sshd of each Debian release (ssh-audit -L lists them).
SSH_AUDIT_POLICIES = {
    "12": "Hardened Debian 12 (version 3)",
    "13": "Hardened Debian 13 (version 1)",
}
# ssh-audit's exit codes
SSH_AUDIT_GOOD, SSH_AUDIT_CONNECTION_ERROR, SSH_AUDIT_WARNING, SSH_AUDIT_FAILURE = 0, 1, 2, 3
_SSH_AUDIT_SECTIONS = ("kex", "key", "enc", "mac")

# The numbering of CIS Docker Benchmark v1.6.0, as docker-bench-security implements it.
CIS_DOCKER_BENCHMARK = "CIS Docker Benchmark v1.6.0"
_UNSPECIFIED = ("", "0.0.0.0", "::", "[::]")


# ------------------------------------------------------------------------------------------- Lynis

def lynis_values(report, key):
    """Every value of KEY in a Lynis report file (`key=value` lines, `key[]=value` for lists)."""
    pattern = re.compile(r"^%s(?:\[\])?=(.*)$" % re.escape(key), re.M)
    return [value.strip() for value in pattern.findall(report)]


def lynis_index(report):
    """The hardening index of a Lynis report file as an int, or None when the report has none."""
    match = re.search(r"^hardening_index=(\d+)\s*$", report, re.M)
    return int(match.group(1)) if match else None


def _lynis_items(report, key):
    items = []
    for value in lynis_values(report, key):
        # TEST-ID|text|details|solution|  ("-" where a field is empty)
        parts = [part.strip() for part in value.split("|")]
        parts += [""] * (4 - len(parts))
        items.append(dict(id=parts[0], text=parts[1],
                          details="" if parts[2] in ("-", "") else parts[2],
                          solution="" if parts[3] in ("-", "") else parts[3]))
    return items


def lynis_suggestions(report):
    """Lynis' remaining suggestions: [{id, text, details, solution}] in the report's order."""
    return _lynis_items(report, "suggestion")


def lynis_warnings(report):
    """Lynis' warnings: [{id, text, details, solution}] in the report's order."""
    return _lynis_items(report, "warning")


def lynis_figures(report):
    """The figures of one Lynis report file: index, tests performed, version, suggestions and warnings."""
    version = lynis_values(report, "lynis_version")
    tests = lynis_values(report, "lynis_tests_done") or lynis_values(report, "tests_performed")
    os_name = lynis_values(report, "os_fullname") or lynis_values(report, "os_name")
    return dict(
        hardening_index=lynis_index(report),
        tests_performed=int(tests[0]) if tests and tests[0].isdigit() else None,
        version=version[0] if version else None,
        os=os_name[0] if os_name else None,
        suggestions=lynis_suggestions(report),
        warnings=lynis_warnings(report),
    )


# --------------------------------------------------------------------------------------- ssh-audit

def ssh_audit_notes(report, level):
    """'section algorithm: note' for every note of LEVEL (fail, warn) in ssh-audit's JSON (-j)."""
    found = []
    for section in _SSH_AUDIT_SECTIONS:
        for algorithm in report.get(section, []):
            notes = algorithm.get("notes", {}).get(level)
            if notes:
                text = "; ".join(notes) if isinstance(notes, list) else str(notes)
                found.append("%s %s: %s" % (section, algorithm.get("algorithm"), text))
    return found


def ssh_audit_failures(report):
    """The failures of ssh-audit's plain audit (JSON, -j): one line per algorithm with a 'fail' note."""
    return ssh_audit_notes(report, "fail")


def ssh_audit_figures(report, returncode):
    """Verdict of ssh-audit's plain audit: good (exit 0), warnings (2) or failures (3), with what it found."""
    verdicts = {SSH_AUDIT_GOOD: "good", SSH_AUDIT_WARNING: "warnings", SSH_AUDIT_FAILURE: "failures"}
    banner = report.get("banner") or {}
    return dict(
        verdict=verdicts.get(returncode, "error (exit %s)" % returncode),
        exit_code=returncode,
        software=banner.get("software"),
        banner=banner.get("raw"),
        failures=ssh_audit_failures(report),
        warnings=ssh_audit_notes(report, "warn"),
        cves=[cve.get("name", str(cve)) if isinstance(cve, dict) else str(cve) for cve in report.get("cves", [])],
        algorithms={section: [a.get("algorithm") for a in report.get(section, [])] for section in _SSH_AUDIT_SECTIONS},
    )


def _words(value):
    return ", ".join(str(item) for item in value) if isinstance(value, (list, tuple)) else str(value)


def ssh_audit_policy_figures(result, returncode):
    """Result of ssh-audit -P POLICY -j: passed (exit 0 and "passed": true), the policy, its errors."""
    errors = []
    for error in result.get("errors", []):
        if isinstance(error, dict):
            errors.append("%s did not match: expected %s, actual %s" % (
                error.get("mismatched_field", "?"), _words(error.get("expected_required")), _words(error.get("actual"))))
        else:
            errors.append(str(error))
    return dict(policy=result.get("policy"), passed=bool(result.get("passed")) and returncode == SSH_AUDIT_GOOD,
                exit_code=returncode, errors=errors, warnings=[str(w) for w in result.get("warnings", [])])


# ------------------------------------------------------------------------------------------ sslyze

_SSLYZE_VERDICT = re.compile(r"^\s*(?P<location>\S+:\d+(?:\{[^}]*\})?): (?P<verdict>OK - Compliant|FAILED - Not compliant"
                             r"|ERROR - [^\n]*)", re.M)
_SSLYZE_ISSUE = re.compile(r"^\s+\* (?P<criterion>[^:]+): (?P<issue>.*)$")
_SSLYZE_PROFILE = re.compile(r"Checking results against Mozilla's \"(\w+)\" configuration")


def sslyze_verdict(stdout, returncode):
    """sslyze's Mozilla verdict from its console output: compliant, the profile, the verdict line and the issues.

    sslyze exits non-zero when a server is not compliant; both the exit code and the verdict line must agree.
    """
    match = _SSLYZE_VERDICT.search(stdout)
    profile = _SSLYZE_PROFILE.search(stdout)
    issues = {}
    if match and match.group("verdict").startswith("FAILED"):
        for line in stdout[match.end():].splitlines()[1:]:
            issue = _SSLYZE_ISSUE.match(line)
            if not issue:
                if line.strip():
                    break
                continue
            issues[issue.group("criterion").strip()] = issue.group("issue").strip()
    compliant = bool(match) and match.group("verdict") == "OK - Compliant" and returncode == 0
    return dict(compliant=compliant, profile=profile.group(1) if profile else None, exit_code=returncode,
                verdict=match.group("verdict") if match else "no verdict in sslyze's output", issues=issues)


_TLS_VERSIONS = (("ssl_2_0_cipher_suites", "SSL 2.0"), ("ssl_3_0_cipher_suites", "SSL 3.0"),
                 ("tls_1_0_cipher_suites", "TLS 1.0"), ("tls_1_1_cipher_suites", "TLS 1.1"),
                 ("tls_1_2_cipher_suites", "TLS 1.2"), ("tls_1_3_cipher_suites", "TLS 1.3"))


def _completed(scan, key):
    attempt = scan.get(key) or {}
    return attempt.get("result") if attempt.get("status") == "COMPLETED" else None


def sslyze_figures(data):
    """Figures of sslyze's JSON (--json_out) for its first server: protocols and suites accepted, curves, chain."""
    results = data.get("server_scan_results") or []
    if not results:
        return dict(error="sslyze's JSON holds no server result")
    server = results[0]
    if server.get("scan_status") != "COMPLETED":
        return dict(error="sslyze could not scan %s: %s" % (
            (server.get("server_location") or {}).get("hostname"), server.get("connectivity_error_trace")))
    scan = server.get("scan_result") or {}
    protocols = {}
    for key, label in _TLS_VERSIONS:
        result = _completed(scan, key)
        if result is not None:
            protocols[label] = [suite["cipher_suite"]["name"] for suite in result.get("accepted_cipher_suites", [])]
    curves = _completed(scan, "elliptic_curves") or {}
    certificate = _completed(scan, "certificate_info") or {}
    validations = []
    for deployment in certificate.get("certificate_deployments", [])[:1]:
        validations = [(path["trust_store"]["name"], path["was_validation_successful"])
                       for path in deployment.get("path_validation_results", [])]
    return dict(
        sslyze_version=data.get("sslyze_version"),
        protocols_accepted=[label for label, suites in protocols.items() if suites],
        protocols_refused=[label for label, suites in protocols.items() if not suites],
        cipher_suites=dict((label, suites) for label, suites in protocols.items() if suites),
        curves=[curve["name"] for curve in curves.get("supported_curves") or []],
        chain_valid_with=[store for store, valid in validations if valid],
    )


# ---------------------------------------------------------------------------------- Docker, CIS

def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def _json_word(value):
    """A daemon.json value as written there: true, false, "text"; unset when absent."""
    return "unset" if value is None else json.dumps(value)


def _item(number, title, ok, live, expected):
    return dict(id=number, title=title, ok=bool(ok), live=live, expected=expected)


def docker_cis_items(daemon_json, info, bridge, daemon_json_stat, docker_proxies, containers):
    """The CIS Docker Benchmark items the docker role covers, judged on the live daemon.

    daemon_json: /etc/docker/daemon.json (parsed); info: `docker info --format json`; bridge: the default
    bridge's `docker network inspect` entry; daemon_json_stat: {owner, group, mode} of daemon.json;
    docker_proxies: number of docker-proxy processes running; containers: `docker inspect` of the running
    containers. Returns [{id, title, ok, live, expected}]; an id of None marks a setting of the role that is
    not a CIS item.
    """
    options = bridge.get("Options") or {}
    security = info.get("SecurityOptions") or []
    swarm = (info.get("Swarm") or {}).get("LocalNodeState") == "active"
    items = []
    icc = options.get("com.docker.network.bridge.enable_icc", "true")
    items.append(_item("2.2", "Network traffic is restricted between containers on the default bridge",
                       icc == "false", "enable_icc %s on the default bridge (daemon.json icc: %s)"
                       % (icc, _json_word(daemon_json.get("icc"))), "icc: false"))
    nnp = "name=no-new-privileges" in security
    items.append(_item("2.14", "Containers are restricted from acquiring new privileges", nnp,
                       "security options: %s" % ", ".join(security), "name=no-new-privileges in docker info"))
    live_restore = _bool(info.get("LiveRestoreEnabled"))
    items.append(_item("2.15", "Live restore is enabled", live_restore or swarm,
                       "LiveRestoreEnabled %s%s" % (str(live_restore).lower(), ", swarm mode active" if swarm else ""),
                       "live-restore: true (passes in swarm mode, which refuses it)"))
    proxy = daemon_json.get("userland-proxy")
    items.append(_item("2.16", "Userland proxy is disabled", proxy is False and docker_proxies == 0,
                       "daemon.json userland-proxy: %s; %d docker-proxy processes" % (_json_word(proxy), docker_proxies),
                       "userland-proxy: false, no docker-proxy process"))
    owner = "%s:%s" % (daemon_json_stat.get("owner"), daemon_json_stat.get("group"))
    items.append(_item("3.17", "daemon.json ownership is root:root", owner == "root:root", owner, "root:root"))
    mode = str(daemon_json_stat.get("mode", ""))
    mode_ok = bool(re.match(r"^[0-7]{3,4}$", mode)) and (int(mode, 8) & ~0o644 & 0o7777) == 0
    items.append(_item("3.18", "daemon.json permissions are 644 or more restrictive", mode_ok, mode, "0644 or less"))
    published = []
    for container in containers:
        name = container.get("Name", "").lstrip("/")
        for port, bindings in sorted(((container.get("NetworkSettings") or {}).get("Ports") or {}).items()):
            for binding in bindings or []:
                published.append((name, port, binding.get("HostIp", ""), binding.get("HostPort")))
    unbound = ["%s %s on %s" % (name, port, host_ip or "every address") for name, port, host_ip, dummy in published
               if host_ip in _UNSPECIFIED]
    default_ip = options.get("com.docker.network.bridge.host_binding_ipv4") or daemon_json.get("ip")
    items.append(_item("5.14", "Incoming container traffic is bound to a specific host interface",
                       not unbound and default_ip not in (None,) + _UNSPECIFIED,
                       "; ".join(unbound) if unbound else "%d published ports, each on a specific address (%s); "
                       "a bare -p binds %s" % (len(published), ", ".join(sorted(set(
                           "%s:%s" % (host_ip, host_port) for dummy, dummy2, host_ip, host_port in published))) or "none",
                           default_ip), "every published port on a specific address; daemon ip not 0.0.0.0"))
    log_opts = daemon_json.get("log-opts") or {}
    driver = info.get("LoggingDriver")
    items.append(_item(None, "Container logs are rotated (the docker role's own setting, not a CIS item)",
                       driver in ("local", "json-file") and bool(log_opts.get("max-size")) and bool(log_opts.get("max-file")),
                       "log driver %s, max-size %s, max-file %s" % (driver, log_opts.get("max-size"), log_opts.get("max-file")),
                       "local or json-file with max-size and max-file"))
    return items
