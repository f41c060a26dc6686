# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make report: the figures of this release, from the proof tools run on the dev host of `make demo`.

Needs the dev host (container stackops-dev, scripts/demo.sh) running and converged; otherwise it stops and
says to run `make demo` first. Then, in this order (the firewall lets 10 new SSH connections a minute in):

  verify.yml    ansible-playbook -i inventories/dev playbooks/verify.yml, its JSON (.cache/verify/)
  ssh-audit     from the controller: the hardened policy of the host's Debian release, and the plain audit
  the rest      scripts/report.yml: Lynis on the host, the Docker daemon's settings, the listeners off
                loopback, a bounded port_scan of the host's address from the controller, sslyze per public
                name from the controller, testssl.sh per public name from a Debian 13 client it starts
                (stackops-dev-tlsclient, removed at the end)
  benches       the JSON each bench wrote to .cache/figures/ (scripts/figures.py), or "not run"

and writes docs/figures/<version>.json (every figure), docs/figures/<version>.md (rendered from that JSON)
and docs/figures/README.md (the index of releases). The raw output of the tools stays in .cache/report/.
A tool that did not run is written as such, with the reason. Traffic goes only to the dev host's address
(docker inspect) and to the client container.

  .venv/bin/python scripts/report.py [--output docs/figures]
"""

import argparse
import glob
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time

import yaml

import figures
import proof_tools

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, ".venv", "bin")
HOST = os.environ.get("STACKOPS_DEV_HOST", "stackops-dev")
CLIENT = HOST + "-tlsclient"
CLIENT_IMAGE = "stackops-testhost:trixie"
RAW = os.path.join(ROOT, ".cache", "report")
OUTPUT = os.path.join(ROOT, "docs", "figures")
SSH_AUDIT = os.path.join(BIN, "ssh-audit")


class NotReady(Exception):
    """The dev host of `make demo` is not there, or not converged."""


def log(message):
    sys.stderr.write("report: %s\n" % message)
    sys.stderr.flush()


def environment():
    return figures.ansible_environment(ANSIBLE_FORCE_COLOR="false")


def capture(argv, timeout=120):
    """(exit code, stdout, stderr) of a command; exit code None when it could not run or ran out of time."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT,
                              env=environment())
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, "", str(exc)
    return proc.returncode, proc.stdout, proc.stderr


# ----------------------------------------------------------------------------------- the dev host

def converged_recap(site_log, host=HOST):
    """True when the last PLAY RECAP line of HOST in a site.yml log says failed=0 and unreachable=0."""
    lines = re.findall(r"^%s\s+:\s+(ok=.*)$" % re.escape(host), site_log, re.M)
    if not lines:
        return False
    counts = dict(item.split("=") for item in lines[-1].split())
    return counts.get("failed") == "0" and counts.get("unreachable") == "0"


def dev_host():
    """Name, address, release and image of the running, converged dev host; NotReady otherwise."""
    code, out, dummy = capture(["docker", "inspect", "-f", "{{.State.Running}}|{{.Config.Image}}|"
                                "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", HOST])
    if code != 0 or not out.startswith("true|"):
        raise NotReady("the dev host %s is not running" % HOST)
    dummy, image, addresses = out.strip().split("|", 2)
    if not addresses.split():
        raise NotReady("the dev host %s has no address" % HOST)
    site_log = os.path.join(ROOT, ".cache", "dev", "site.log")
    try:
        with open(site_log, encoding="utf-8") as handle:
            if not converged_recap(handle.read()):
                raise NotReady("the last site.yml run on %s did not end with failed=0 (%s)" % (HOST, site_log))
    except FileNotFoundError:
        raise NotReady("site.yml has not run on %s (no %s)" % (HOST, site_log)) from None
    code, out, dummy = capture(["docker", "exec", HOST, "systemctl", "is-active", "docker", "nginx", "ssh"])
    if code != 0:
        raise NotReady("docker, nginx or ssh is not active on %s: %s" % (HOST, " ".join(out.split())))
    code, release, dummy = capture(["docker", "exec", HOST, "cat", "/etc/debian_version"])
    return dict(name=HOST, address=addresses.split()[0], image=image, debian=release.strip() if code == 0 else None)


# ------------------------------------------------------------------------------------- the tools

def run_verify():
    """verify.yml on the dev inventory: exit code, seconds and its JSON proof."""
    log("verify.yml (playbooks/verify.yml on inventories/dev)")
    proof = os.path.join(ROOT, ".cache", "verify", "%s.json" % HOST)
    # verify.yml leaves an unchanged proof file as it is: remove it, so the one read is this run's
    if os.path.exists(proof):
        os.remove(proof)
    started = time.monotonic()
    code, out, err = capture([os.path.join(BIN, "ansible-playbook"), "-i", "inventories/dev", "playbooks/verify.yml"],
                             timeout=900)
    seconds = round(time.monotonic() - started, 1)
    with open(os.path.join(RAW, "verify.log"), "w", encoding="utf-8") as handle:
        handle.write(out + err)
    result = dict(command="ansible-playbook -i inventories/dev playbooks/verify.yml", exit_code=code, seconds=seconds)
    try:
        with open(proof, encoding="utf-8") as handle:
            result.update(json.load(handle))
    except FileNotFoundError:
        result["error"] = "verify.yml wrote no JSON proof (exit %s); see .cache/report/verify.log" % code
    except (OSError, ValueError) as exc:
        result["error"] = "verify.yml's JSON proof is unreadable: %s" % exc
    return result


def _ssh_audit(address, *args):
    """(exit code, JSON) of one ssh-audit run, tried again after a pause when it could not connect."""
    for attempt in range(3):
        code, out, err = capture([SSH_AUDIT, "--no-colors", "-j", *args, address], timeout=120)
        try:
            return code, json.loads(out)
        except ValueError:
            if attempt == 2:
                return code, dict(error=(out + err).strip()[-500:] or "ssh-audit printed nothing (exit %s)" % code)
            # the firewall's SSH rate limit (new connections a minute per source) refills in seconds
            log("ssh-audit could not connect (%s); again in 30 s" % " ".join((out + err).split())[:120])
            time.sleep(30)
    raise AssertionError("unreachable")


def run_ssh_audit(address, release):
    """ssh-audit's policy result for the host's Debian release, and its plain audit."""
    major = (release or "").split(".")[0]
    result = dict(version=importlib.metadata.version("ssh-audit"), target="%s:22" % address)
    policy = proof_tools.SSH_AUDIT_POLICIES.get(major)
    if policy is None:
        result["policy"] = dict(error="no ssh-audit policy for Debian %r" % release)
    else:
        log("ssh-audit -P %r" % policy)
        code, data = _ssh_audit(address, "-P", policy)
        result["policy"] = dict(data, policy=policy) if "error" in data else proof_tools.ssh_audit_policy_figures(data, code)
    log("ssh-audit (plain audit)")
    code, data = _ssh_audit(address)
    result["audit"] = data if "error" in data else proof_tools.ssh_audit_figures(data, code)
    return result


def start_client():
    """Start the Debian 13 client testssl.sh runs from (the test hosts' create playbook); None or the error."""
    log("starting the TLS client %s (%s)" % (CLIENT, CLIENT_IMAGE))
    platforms = json.dumps(dict(molecule_yml=dict(platforms=[dict(name=CLIENT, image=CLIENT_IMAGE)])))
    env = dict(environment(), MOLECULE_SCENARIO_NAME="report")
    with open(os.path.join(RAW, "client-create.log"), "w", encoding="utf-8") as out:
        proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e", platforms,
                               "-e", "molecule_instance_config=%s" % os.path.join(RAW, "client-instance.yml"),
                               os.path.join(ROOT, "molecule", "_shared", "create.yml")],
                              cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        return "the TLS client %s did not start; see .cache/report/client-create.log" % CLIENT
    return None


def remove_client():
    subprocess.run(["docker", "rm", "--force", "--volumes", CLIENT], capture_output=True, check=False)


def run_collect(host, ca_file, client):
    """scripts/report.yml: exit code and seconds; the figures are in RAW."""
    log("the proof tools on %s (scripts/report.yml: Lynis, Docker, exposure, port_scan, sslyze, testssl.sh)" % HOST)
    extra = dict(report_raw=RAW, report_address=host["address"], report_ca=ca_file, report_tls_client=client or "")
    started = time.monotonic()
    with open(os.path.join(RAW, "report.log"), "w", encoding="utf-8") as out:
        proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "inventories/dev", "-e", json.dumps(extra),
                               os.path.join(ROOT, "scripts", "report.yml")],
                              cwd=ROOT, env=environment(), stdout=out, stderr=subprocess.STDOUT, check=False)
    return dict(exit_code=proc.returncode, seconds=round(time.monotonic() - started, 1), log=".cache/report/report.log")


# ------------------------------------------------------------------------------ raw output to figures

def _load(name):
    path = os.path.join(RAW, name)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle) if name.endswith(".json") else handle.read()
    except FileNotFoundError:
        return None
    except ValueError as exc:
        return dict(error="unreadable %s: %s" % (path, exc))


def _missing(what):
    return dict(error="%s left no output (see .cache/report/report.log)" % what)


def lynis_section():
    error = _load("lynis.error.json")
    if error:
        return error
    report = _load("lynis.dat")
    if report is None:
        return _missing("Lynis")
    found = proof_tools.lynis_figures(report)
    if found["hardening_index"] is None:
        return dict(found, error="the Lynis report has no hardening_index")
    return found


def tls_section(sites, profile, client_error):
    client = _load("testssl-client.json") or {}
    if client_error:
        client = dict(error=client_error)
    rows = []
    for name in sites:
        out = _load("sslyze-%s.out.json" % name)
        if out is None:
            sslyze = _missing("sslyze on %s" % name)
        elif "error" in out:
            sslyze = out
        else:
            sslyze = proof_tools.sslyze_verdict(out["stdout"], out["rc"])
            data = _load("sslyze-%s.json" % name)
            sslyze.update(proof_tools.sslyze_figures(data) if isinstance(data, dict) and "error" not in data
                          else dict(json_error=(data or {}).get("error", "sslyze wrote no JSON")))
        if "error" in client:
            testssl = dict(error=client["error"])
        else:
            testssl = _load("testssl-%s.json" % name) or _missing("testssl.sh on %s" % name)
        rows.append(dict(name=name, sslyze=sslyze, testssl=testssl))
    return dict(profile=profile, testssl_version=client.get("version"), sites=rows)


def docker_section():
    data = _load("docker.json")
    if data is None:
        return _missing("the Docker daemon read")
    if "error" in data:
        return data
    items = proof_tools.docker_cis_items(data["daemon_json"], data["info"], data["bridge"], data["daemon_json_stat"],
                                         int(data["docker_proxies"]), data["containers"])
    return dict(benchmark=proof_tools.CIS_DOCKER_BENCHMARK, docker_version=data["info"].get("ServerVersion"),
                items=items, passed=sum(1 for item in items if item["ok"]), total=len(items))


def exposure_section():
    data = _load("exposure.json")
    if data is None:
        return _missing("port_exposure")
    if "error" in data:
        return data
    off = [listener for listener in data["listeners"] if listener["scope"] != "loopback"]
    return dict(allowed=data["allowed"], offenders=data["messages"],
                off_loopback=sorted(set("%s/%s" % (item["port"], item["proto"]) for item in off),
                                    key=lambda text: (int(text.split("/")[0]), text)),
                off_loopback_listeners=["%s/%s on %s (%s%s)" % (item["port"], item["proto"], item["address"],
                                                                item.get("process") or "?",
                                                                ", " + item["container"] if item.get("container") else "")
                                        for item in off],
                loopback=len(data["listeners"]) - len(off))


def scan_section():
    data = _load("scan.json")
    if data is None:
        return _missing("port_scan")
    return data


def page_version():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)["version"])


def git_state():
    code, commit, dummy = capture(["git", "rev-parse", "HEAD"])
    dummy, status, dummy2 = capture(["git", "status", "--porcelain", "--untracked-files=no"])
    changed = [line[3:] for line in status.splitlines() if line.strip()]
    return dict(commit=commit.strip() if code == 0 else None, uncommitted_paths=len(changed))


# --------------------------------------------------------------------------------------- rendering

def _cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for dummy in header) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _did_not_run(section):
    return "**No result:** %s" % section["error"]


def _flatten(value, prefix=""):
    """[(dotted key, value)] of nested dicts; lists of scalars joined, lists of lists one per line."""
    rows = []
    if isinstance(value, dict):
        for key in sorted(value):
            rows.extend(_flatten(value[key], "%s.%s" % (prefix, key) if prefix else str(key)))
    elif isinstance(value, list) and value and all(isinstance(item, (list, tuple)) for item in value):
        rows.append((prefix, "; ".join(" ".join(str(part) for part in item) for item in value)))
    elif isinstance(value, list):
        rows.append((prefix, ", ".join(str(item) for item in value) if value else "none"))
    else:
        rows.append((prefix, value))
    return rows


NO_RESULT = "no result (see below)"


def summary_rows(page):
    """(figure, value) pairs of the summary at the top of a page."""
    rows = []
    lynis = page["lynis"]
    rows.append(("Lynis hardening index", NO_RESULT if "error" in lynis else "%s (%s tests, Lynis %s, %d suggestions left)"
                 % (lynis["hardening_index"], lynis["tests_performed"], lynis["version"], len(lynis["suggestions"]))))
    ssh = page["ssh_audit"]
    policy, audit = ssh["policy"], ssh["audit"]
    rows.append(("ssh-audit policy", NO_RESULT if "error" in policy else "%s: %s" % (
        policy["policy"], "passed" if policy["passed"] else "FAILED (%d mismatches)" % len(policy["errors"]))))
    rows.append(("ssh-audit audit", NO_RESULT if "error" in audit else "%s: %d failures, %d warnings, %d CVEs (%s)" % (
        audit["verdict"], len(audit["failures"]), len(audit["warnings"]), len(audit["cves"]), audit["software"])))
    tls = page["tls"]
    rows.append(("sslyze, Mozilla %s" % tls["profile"], "; ".join(
        "%s %s" % (site["name"], NO_RESULT if "error" in site["sslyze"] else
                   ("compliant" if site["sslyze"]["compliant"] else "NOT compliant")) for site in tls["sites"]) or "no public name"))
    rows.append(("testssl.sh rating", "; ".join(
        "%s %s" % (site["name"], NO_RESULT if "error" in site["testssl"] else site["testssl"].get("overall_grade") or "no grade")
        for site in tls["sites"]) or "no public name"))
    docker = page["docker"]
    rows.append(("Docker daemon, CIS items the docker role covers", NO_RESULT if "error" in docker else
                 "%d of %d pass (%s)" % (docker["passed"], docker["total"], docker["benchmark"])))
    exposure = page["exposure"]
    rows.append(("Off loopback (inside view)", NO_RESULT if "error" in exposure else "%s (allowed: %s)" % (
        ", ".join(exposure["off_loopback"]) or "none", ", ".join(exposure["allowed"]))))
    scan = page["scan"]
    rows.append(("Open from outside (port_scan)", NO_RESULT if "error" in scan else "%s of %s TCP ports in %s s" % (
        ", ".join(str(port) for port in scan["open"]) or "none", scan["scanned"], scan["duration"])))
    verify = page["verify"]
    rows.append(("verify.yml", NO_RESULT if "error" in verify else "%d of %d checks pass (%s s)" % (
        sum(1 for check in verify["checks"] if check["ok"]), len(verify["checks"]), verify["seconds"])))
    ran = [name for name in _bench_order(page["benches"]) if page["benches"][name] and "error" not in page["benches"][name]]
    rows.append(("Benches", "%d of %d ran on this machine (%s)" % (len(ran), len(page["benches"]), ", ".join(ran) or "none")))
    return rows


def _lynis_lines(lynis):
    lines = ["## Lynis", ""]
    if "error" in lynis:
        return lines + [_did_not_run(lynis), ""]
    lines += ["`lynis audit system --quick` on the dev host (molecule/_shared/tasks/lynis.yml), Lynis %s on %s: "
              "hardening index **%s**, %s tests performed." % (lynis["version"], lynis["os"] or "the dev host",
                                                               lynis["hardening_index"], lynis["tests_performed"]),
              "The index moves with the package set and the Lynis version: compare it on the same release and version.",
              ""]
    lines += ["Warnings: %s." % ("none" if not lynis["warnings"] else "%d" % len(lynis["warnings"])), ""]
    if lynis["warnings"]:
        lines += _table(["test", "warning", "details"], [(item["id"], item["text"], item["details"])
                                                         for item in lynis["warnings"]]) + [""]
    lines += ["Remaining suggestions (%d):" % len(lynis["suggestions"]), ""]
    lines += _table(["test", "suggestion", "details"], [(item["id"], item["text"], item["details"])
                                                        for item in lynis["suggestions"]])
    return lines + [""]


def _ssh_lines(ssh):
    lines = ["## ssh-audit", "", "ssh-audit %s from the controller against %s." % (ssh["version"], ssh["target"]), ""]
    policy, audit = ssh["policy"], ssh["audit"]
    if "error" in policy:
        lines += ["Policy: " + _did_not_run(policy), ""]
    else:
        verdict = "passed" if policy["passed"] else "failed"
        lines += ["- Policy `%s`: **%s** (exit %s)" % (policy["policy"], verdict, policy["exit_code"])]
        lines += ["  - %s" % error for error in policy["errors"]]
    if "error" in audit:
        lines += ["- Plain audit: " + _did_not_run(audit)]
    else:
        lines += ["- Plain audit of %s: **%s** (exit %s): %d failures, %d warnings, %d CVEs" % (
            audit["banner"], audit["verdict"], audit["exit_code"], len(audit["failures"]), len(audit["warnings"]),
            len(audit["cves"]))]
        lines += ["  - failure: %s" % item for item in audit["failures"]]
        lines += ["  - warning: %s" % item for item in audit["warnings"]]
        lines += ["  - CVE: %s" % item for item in audit["cves"]]
        for section, title in (("kex", "key exchange"), ("key", "host keys"), ("enc", "ciphers"), ("mac", "MACs")):
            lines += ["- %s offered: %s" % (title, ", ".join("`%s`" % name for name in audit["algorithms"][section]))]
    return lines + [""]


def _tls_lines(tls):
    lines = ["## TLS of each public name", "",
             "sslyze (from the controller, Mozilla `%s`; molecule/_shared/tasks/sslyze.yml) and testssl.sh %s (from a "
             "Debian 13 client container; molecule/_shared/tasks/testssl.yml), both trusting only the dev host's CA."
             % (tls["profile"], tls["testssl_version"] or ""), ""]
    if not tls.get("hsts", True):
        lines += ["The dev inventory turns HSTS off (`nginx_hsts: false`: browsers would remember it for the dev names), "
                  "which caps testssl.sh's grade at A; A+ needs HSTS (the nginx scenario proves A+ with it on).", ""]
    rows = []
    for site in tls["sites"]:
        sslyze, testssl = site["sslyze"], site["testssl"]
        if "error" in sslyze:
            verdict, protocols = "no result: " + sslyze["error"], ""
        else:
            verdict = sslyze["verdict"] + "".join("; %s: %s" % item for item in sorted(sslyze["issues"].items()))
            protocols = ", ".join(sslyze.get("protocols_accepted", [])) or sslyze.get("json_error", "")
        if "error" in testssl:
            grade, caps, hsts, scores = "no result: " + testssl["error"], "", "", ""
        else:
            grade = testssl.get("overall_grade") or "no grade"
            caps = "; ".join(testssl.get("caps", []) + testssl.get("warnings", [])) or "none"
            hsts = testssl.get("hsts", "")
            scores = ", ".join("%s %s" % (key.replace("_score", "").replace("_", " "), value)
                               for key, value in sorted(testssl.get("scores", {}).items()))
        rows.append((site["name"], verdict, protocols, grade, caps, hsts, scores))
    lines += _table(["name", "sslyze verdict", "protocols", "testssl.sh grade", "caps and warnings", "HSTS", "scores"], rows)
    for site in tls["sites"]:
        sslyze = site["sslyze"]
        if "cipher_suites" in sslyze:
            lines += ["", "%s: %s; curves %s; chain valid with: %s." % (
                site["name"], "; ".join("%s %s" % (version, ", ".join(suites))
                                        for version, suites in sslyze["cipher_suites"].items()),
                ", ".join(sslyze["curves"]) or "none", ", ".join(sslyze["chain_valid_with"]) or "no trust store")]
    return lines + [""]


def _docker_lines(docker):
    lines = ["## Docker daemon against the CIS Docker Benchmark", ""]
    if "error" in docker:
        return lines + [_did_not_run(docker), ""]
    lines += ["Docker %s on the dev host, read live (docker info, the default bridge, daemon.json, the running "
              "containers); the items the docker role covers, numbered as in %s: **%d of %d pass**."
              % (docker["docker_version"], docker["benchmark"], docker["passed"], docker["total"]), ""]
    lines += _table(["item", "what", "result", "live", "expected"],
                    [(item["id"] or "-", item["title"], "pass" if item["ok"] else "FAIL", item["live"], item["expected"])
                     for item in docker["items"]])
    return lines + [""]


def _exposure_lines(exposure, scan):
    lines = ["## Exposure and outside scan", ""]
    if "error" in exposure:
        lines += ["Inside view (port_exposure): " + _did_not_run(exposure), ""]
    else:
        lines += ["Inside view (stackops.hardened.port_exposure on the host): off loopback **%s** (allowed: %s); "
                  "%d listeners on loopback; offenders: %s." % (
                      ", ".join(exposure["off_loopback"]) or "none", ", ".join(exposure["allowed"]),
                      exposure["loopback"], "; ".join(exposure["offenders"]) or "none"), ""]
        lines += ["- %s" % item for item in exposure["off_loopback_listeners"]] + [""]
    if "error" in scan:
        lines += ["Outside view (port_scan): " + _did_not_run(scan), ""]
    else:
        lines += ["Outside view (stackops.hardened.port_scan from the controller at %s, at most 120 s): open **%s**; "
                  "%s closed, %s filtered of %s TCP ports, in %s s (concurrency %s, timeout %s s); unexpected open: %s; "
                  "expected but closed: %s." % (
                      scan["target"], ", ".join(str(port) for port in scan["open"]) or "none", scan["closed"],
                      scan["filtered"], scan["scanned"], scan["duration"], scan["concurrency"], scan.get("timeout", "1.2"),
                      ", ".join(str(port) for port in scan["unexpected_open"]) or "none",
                      ", ".join(str(port) for port in scan["expected_closed"]) or "none"), ""]
    return lines


def _verify_lines(verify):
    lines = ["## verify.yml", "",
             "`%s` (exit %s, %s s), its JSON proof:" % (verify["command"], verify["exit_code"], verify["seconds"]), ""]
    if "error" in verify:
        return lines + [_did_not_run(verify), ""]
    lines += _table(["check", "result", "detail"], [(check["check"], "pass" if check["ok"] else "FAIL", check["detail"])
                                                    for check in verify["checks"]])
    return lines + [""]


def _bench_order(benches):
    """The benches' names in the order of figures.BENCHES (a JSON file keeps them sorted), then any others."""
    return [name for name in figures.BENCHES if name in benches] + sorted(set(benches) - set(figures.BENCHES))


def _bench_lines(benches):
    lines = ["## Benches", "", "Each bench writes its figures to .cache/figures/bench-NAME.json with the machine it ran "
             "on (scripts/figures.py); they are run on their own, not by `make report`.", ""]
    for name in _bench_order(benches):
        bench = benches[name]
        command, what = figures.BENCHES.get(name, ("bench " + name, "a bench this version of the report does not know"))
        lines += ["### `%s`" % command, "", what + ".", ""]
        if bench is None:
            lines += ["Not run on this machine.", ""]
            continue
        if "error" in bench:
            lines += [_did_not_run(bench), ""]
            continue
        lines += ["Ran %s on %s." % (bench["machine"].get("date"), figures.describe_machine(bench["machine"])), ""]
        lines += _table(["figure", "value"], _flatten(bench["figures"])) + [""]
    return lines


def render_markdown(page):
    """The Markdown page of one release, from its JSON (the dict write_page stores)."""
    machine = page["machine"]
    host = page["dev_host"]
    git = page["git"]
    lines = [
        "# Figures of stackops.hardened %s" % page["version"], "",
        "<!-- Generated by `make report` (scripts/report.py) from %s.json; do not edit by hand. -->" % page["version"],
        "",
        "Generated by `make report` from commit `%s`%s on %s, on %s." % (
            (git["commit"] or "unknown")[:12],
            " with %d uncommitted changed paths" % git["uncommitted_paths"] if git["uncommitted_paths"] else "",
            page["date"], figures.describe_machine(machine)),
        "Reproduce it with `make demo` and then `make report`; every figure below comes from [%s.json](%s.json), "
        "which holds the tools' own results." % (page["version"], page["version"]), "",
        "The dev host: %s (Debian %s, image `%s`) at %s, as `make demo` leaves it." % (
            host["name"], host["debian"], host["image"], host["address"]), "",
    ]
    lines += _table(["figure", "value"], summary_rows(page)) + [""]
    lines += _lynis_lines(page["lynis"])
    lines += _ssh_lines(page["ssh_audit"])
    lines += _tls_lines(page["tls"])
    lines += _docker_lines(page["docker"])
    lines += _exposure_lines(page["exposure"], page["scan"])
    lines += _verify_lines(page["verify"])
    lines += _bench_lines(page["benches"])
    collect = page.get("collect") or {}
    lines += ["---", "", "scripts/report.yml ran in %s s (exit %s); `make report` took %s s in all." % (
        collect.get("seconds"), collect.get("exit_code"), page.get("seconds")), ""]
    return "\n".join(lines)


def render_index(pages):
    """docs/figures/README.md: one row per release page, newest version first."""
    def key(page):
        return [int(part) if part.isdigit() else part for part in re.split(r"[.-]", page["version"])]
    lines = ["# Figures per release", "",
             "<!-- Generated by `make report` (scripts/report.py); do not edit by hand. -->", "",
             "One page per release, generated by `make report` on the dev host that `make demo` leaves "
             "(see the README). Each page has the JSON it was rendered from beside it.", ""]
    rows = []
    for page in sorted(pages, key=key, reverse=True):
        lynis = page["lynis"]
        verify = page["verify"]
        passed = "no result" if "error" in verify else "%d of %d" % (
            sum(1 for check in verify["checks"] if check["ok"]), len(verify["checks"]))
        rows.append(("[%s](%s.md)" % (page["version"], page["version"]), page["date"], "`%s`" % (page["git"]["commit"] or "")[:12],
                     "no result" if "error" in lynis else lynis["hardening_index"], passed,
                     figures.describe_machine(page["machine"])))
    lines += _table(["release", "date", "commit", "Lynis index", "verify.yml checks passed", "machine"], rows)
    return "\n".join(lines) + "\n"


def write_page(page, output):
    os.makedirs(output, exist_ok=True)
    base = os.path.join(output, page["version"])
    text = json.dumps(page, indent=2, sort_keys=True) + "\n"
    with open(base + ".json", "w", encoding="utf-8") as handle:
        handle.write(text)
    # the page is rendered from the JSON as written, so the two cannot differ
    with open(base + ".md", "w", encoding="utf-8") as handle:
        handle.write(render_markdown(json.loads(text)))
    pages = []
    for path in sorted(glob.glob(os.path.join(output, "*.json"))):
        with open(path, encoding="utf-8") as handle:
            pages.append(json.load(handle))
    with open(os.path.join(output, "README.md"), "w", encoding="utf-8") as handle:
        handle.write(render_index(pages))
    return base + ".md"


def inventory_settings():
    """The dev host's public names and TLS profile, as the dev inventory gives them."""
    code, out, err = capture([os.path.join(BIN, "ansible-inventory"), "-i", "inventories/dev", "--host", HOST])
    if code != 0:
        raise SystemExit("report: ansible-inventory could not read the dev inventory: %s" % err[-500:])
    hostvars = json.loads(out)
    return ([site["name"] for site in hostvars.get("nginx_sites", [])], hostvars.get("nginx_tls_profile", "intermediate"),
            hostvars.get("nginx_hsts", True))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--output", default=OUTPUT, help="where the pages go (default docs/figures)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        host = dev_host()
    except NotReady as exc:
        raise SystemExit("report: %s. Run `make demo` first (it starts and converges the dev host), then `make report`."
                         % exc) from None
    ca_file = os.path.join(ROOT, ".cache", "dev", "%s-ca.crt" % HOST)
    if not os.path.exists(ca_file):
        raise SystemExit("report: the dev host's CA %s is missing. Run `make demo` first." % ca_file)
    if os.path.isdir(RAW):
        shutil.rmtree(RAW)
    os.makedirs(RAW)
    sites, profile, hsts = inventory_settings()
    log("dev host %s at %s (Debian %s); public names: %s" % (host["name"], host["address"], host["debian"],
                                                             ", ".join(sites) or "none"))
    page = dict(version=page_version(), generated_by="make report", git=git_state(), machine=figures.machine(),
                dev_host=host)
    page["date"] = page["machine"]["date"]
    page["verify"] = run_verify()
    page["ssh_audit"] = run_ssh_audit(host["address"], host["debian"])
    client_error = start_client()
    try:
        page["collect"] = run_collect(host, ca_file, None if client_error else CLIENT)
    finally:
        remove_client()
    page["lynis"] = lynis_section()
    page["tls"] = dict(tls_section(sites, profile, client_error), hsts=bool(hsts))
    page["docker"] = docker_section()
    page["exposure"] = exposure_section()
    page["scan"] = scan_section()
    page["benches"] = figures.read_benches()
    page["seconds"] = round(time.monotonic() - started, 1)
    path = write_page(page, args.output)
    print("report: wrote %s (and %s.json, README.md)" % (os.path.relpath(path, ROOT), page["version"]))
    for figure, value in summary_rows(page):
        print("  %-50s %s" % (figure, value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
