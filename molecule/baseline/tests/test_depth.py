"""Effects of the sudo, PAM, session, module, time and AIDE controls of the baseline role."""

import re
import time

import pytest

from test_baseline import release, ssh


@pytest.fixture(autouse=True)
def _not_on_the_strict_host(host):
    """The strict host differs from the other Debian 12 host in sshd and in leaving AIDE out:
    these checks (AIDE scans, lockouts) are proved on the other two and would only double the time."""
    if host.backend.get_hostname().endswith("-strict"):
        pytest.skip("same as stackops-baseline-bookworm outside sshd")


# What the scenario's converge sets (molecule/baseline/converge.yml): a short lockout, so
# the unlock can be waited for, and an AIDE alert command that records what it is given.
FAILLOCK_DENY = 3
FAILLOCK_UNLOCK_SECONDS = 15
AIDE_ALERTS = "/var/lib/stackops-aide/alerts.log"
PROBE_USER = "pwprobe"
STRONG_PASSWORD = "Vq7-tL!m2xR#p9Kw"
UNUSED_MODULES = ["cramfs", "freevxfs", "hfs", "hfsplus", "udf", "dccp", "sctp", "rds", "tipc",
                  "usb-storage", "uas"]


def in_container(host):
    return host.run("systemd-detect-virt --container").rc == 0


# --- sudo --------------------------------------------------------------------------------


def test_sudo_runs_commands_in_a_pty_of_their_own_and_logs_them(host):
    # -tt: the session has a terminal, as an operator's has; use_pty gives the command another
    result = ssh(host, "deploy", "tty; sudo -n tty; sudo -n true", extra=("-tt",))
    assert result.returncode == 0, result.stdout + result.stderr
    ttys = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("/dev/")]
    assert len(ttys) == 2, result.stdout
    assert ttys[0] != ttys[1], f"sudo ran the command on the caller's terminal {ttys[0]}"
    log = host.file("/var/log/sudo.log")
    assert log.mode == 0o640 and log.user == "root"
    assert re.search(r"deploy : .*COMMAND=/usr/bin/tty", log.content_string), log.content_string[-500:]


def test_sudo_resets_the_environment_path_and_umask(host):
    result = ssh(host, "deploy", "FOO=leak sudo -n sh -c 'echo \"$PATH|${FOO:-}|$(umask)\"'")
    assert result.returncode == 0, result.stderr
    path, leaked, umask = result.stdout.strip().split("|")
    assert path == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert leaked == ""
    assert umask == "0027"


def test_sudoers_files_are_roots_and_valid(host):
    directory = host.file("/etc/sudoers.d")
    assert directory.user == "root" and directory.group == "root"
    assert directory.mode & 0o002 == 0 and directory.mode & 0o020 == 0
    defaults = host.file("/etc/sudoers.d/10-stackops-defaults")
    assert defaults.mode == 0o440
    assert "Defaults use_pty" in defaults.content_string
    assert "requiretty" not in re.sub(r"#.*", "", defaults.content_string)
    assert host.run("visudo -c").rc == 0


# --- PAM and passwords ---------------------------------------------------------------------


@pytest.fixture()
def probe_user(host):
    # userdel keeps a user's password history (/etc/security/opasswd): clear it too
    forget = f"faillock --user {PROBE_USER} --reset; sed -i '/^{PROBE_USER}:/d' /etc/security/opasswd"
    host.run(f"userdel -r {PROBE_USER} 2>/dev/null; {forget}")
    host.check_output(f"useradd -m -s /bin/bash {PROBE_USER}")
    yield PROBE_USER
    host.run(f"userdel -r {PROBE_USER}; {forget}")


def passwd(host, user, password, times=3):
    # passwd reads the new password (twice) from standard input when it is not a terminal
    lines = "\\n".join([password] * (2 * times))
    return host.run(f"printf '{lines}\\n' | passwd {user}")


def test_passwd_refuses_weak_passwords_and_reuse_and_hashes_with_yescrypt(host, probe_user):
    for weak in ["short1A!", "alllowercaseletters", "Aaaaaaaaaaaaaa1!"]:
        result = passwd(host, probe_user, weak)
        assert result.rc != 0, f"passwd accepted {weak!r}"
        assert "BAD PASSWORD" in result.stdout + result.stderr
    result = passwd(host, probe_user, STRONG_PASSWORD, times=1)
    assert result.rc == 0, result.stdout + result.stderr
    shadow = host.check_output(f"getent shadow {probe_user}")
    assert shadow.split(":")[1].startswith("$y$"), "the password is not hashed with yescrypt"
    result = passwd(host, probe_user, STRONG_PASSWORD, times=1)
    assert result.rc != 0, "passwd accepted the password the user already has"
    assert "already used" in result.stdout + result.stderr


def authenticate(host, user, password):
    return host.run(f"echo '{password}' | pamtester sudo {user} authenticate")


def test_repeated_failures_lock_the_account_until_the_unlock_time(host, probe_user):
    assert passwd(host, probe_user, STRONG_PASSWORD, times=1).rc == 0
    assert authenticate(host, probe_user, STRONG_PASSWORD).rc == 0
    for _attempt in range(FAILLOCK_DENY):
        assert authenticate(host, probe_user, "wrong password").rc != 0
    locked = authenticate(host, probe_user, STRONG_PASSWORD)
    assert locked.rc != 0, "the right password still worked after the failures"
    assert "locked" in locked.stdout + locked.stderr
    assert len(re.findall(r"^\S+ \S+ +SVC", host.check_output(f"faillock --user {probe_user}"), re.M)) == FAILLOCK_DENY
    time.sleep(FAILLOCK_UNLOCK_SECONDS + 2)
    unlocked = authenticate(host, probe_user, STRONG_PASSWORD)
    assert unlocked.rc == 0, unlocked.stdout + unlocked.stderr


def test_pam_stacks_come_from_pam_auth_update(host):
    # the common-* files are still pam-auth-update's: a package upgrade regenerates them
    auth = host.file("/etc/pam.d/common-auth").content_string
    assert "pam_faillock.so preauth" in auth and "pam_faillock.so authfail" in auth
    assert "pam_pwhistory.so" in host.file("/etc/pam.d/common-password").content_string
    assert host.run("pam-auth-update --package").rc == 0
    assert "pam_faillock.so preauth" in host.file("/etc/pam.d/common-auth").content_string


def test_root_password_has_a_maximum_age(host):
    assert host.check_output("getent shadow root").split(":")[4] == "365"


# --- sessions and files --------------------------------------------------------------------


def test_idle_shells_end(host):
    out = host.check_output("su - deploy -c 'echo $TMOUT; readonly -p'")
    assert out.splitlines()[0] == "900"
    assert re.search(r"declare -[a-z]*r[a-z]* TMOUT=", out), "TMOUT is not read-only"


def test_logind_ends_idle_sessions_on_debian_13(host):
    if release(host) != "13":
        pytest.skip("Debian 12: the shell timeout ends idle sessions")
    value = host.check_output(
        "busctl get-property org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager"
        " StopIdleSessionUSec")
    assert value.split() == ["t", "900000000"]


def test_home_directories_and_start_up_files_are_closed(host):
    assert host.file("/home/deploy").mode == 0o750
    for name in (".bashrc", ".profile", ".bash_logout"):
        startup = host.file(f"/home/deploy/{name}")
        if startup.exists:
            assert startup.mode & 0o037 == 0, f"{name} is {oct(startup.mode)}"


# --- kernel modules ------------------------------------------------------------------------


@pytest.mark.parametrize("module", UNUSED_MODULES)
def test_unused_modules_cannot_be_loaded(host, module):
    # modprobe -n shows what loading would do: run /bin/false instead of inserting the module
    out = host.check_output(f"modprobe -n -v {module}")
    assert "install /bin/false" in out
    if in_container(host) or not host.file(f"/lib/modules/{host.check_output('uname -r')}").exists:
        print(f"{module}: not loaded for real: modules belong to the Docker host's kernel here")
        return
    assert host.run(f"modprobe {module}").rc != 0
    assert module.replace("-", "_") not in host.check_output("cut -d' ' -f1 /proc/modules").split()


# --- time ----------------------------------------------------------------------------------


def test_clock_service_is_enabled_and_synchronised_where_the_host_has_a_clock(host):
    service = host.service("systemd-timesyncd")
    assert service.is_enabled
    if in_container(host):
        pytest.skip("a container's clock is the Docker host's: timesyncd skips itself here (enabled, not running)")
    assert service.is_running
    for _attempt in range(30):
        if host.check_output("timedatectl show -p NTPSynchronized --value") == "yes":
            return
        time.sleep(2)
    pytest.fail("timesyncd runs but the clock is not synchronised after 60 s")


# --- file integrity ------------------------------------------------------------------------


def test_aide_check_reports_a_new_file_to_the_alert_command(host):
    assert host.file("/var/lib/aide/aide.db").exists, "no AIDE database after the first run"
    assert host.service("stackops-aide-check.timer").is_enabled
    assert host.service("stackops-aide-check.timer").is_running
    assert host.run("systemctl is-enabled dailyaidecheck.timer").stdout.strip() == "masked"
    probe = f"/etc/stackops-aide-probe-{int(time.time())}"
    host.check_output(f"rm -f {AIDE_ALERTS}; echo probe > {probe}")
    try:
        # the check exits 1 when it finds a change, so the unit reports a failure
        result = host.run("systemctl start stackops-aide-check.service")
        assert result.rc != 0
        last = host.file("/var/lib/stackops-aide/last-result").content_string
        assert " changes added " in last and probe in last, last
        alerts = host.file(AIDE_ALERTS).content_string
        assert alerts.startswith("changes ") and probe in alerts, alerts
        journal = host.check_output("journalctl -u stackops-aide-check.service -n 20 --no-pager -o cat")
        assert probe in journal
    finally:
        host.run(f"rm -f {probe}; systemctl reset-failed stackops-aide-check.service")


def test_aide_leaves_out_dockers_data(host):
    # aide -p exits 1 for a path no rule selects: read what it says, not its status
    out = host.run("aide --config /etc/aide/aide.conf -p f:/var/lib/docker/volumes/x 2>/dev/null").stdout
    assert "negative rule" in out and "/var/lib/docker" in out, out
    out = host.run("aide --config /etc/aide/aide.conf -p f:/etc/passwd 2>/dev/null").stdout
    assert out.lower().startswith("[x]"), out   # Debian 12's AIDE prints [X], 13's [x]


# --- units ---------------------------------------------------------------------------------


def test_aide_check_unit_is_sandboxed(host):
    out = host.check_output("systemd-analyze security --no-pager stackops-aide-check.service")
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\S+)", out)
    assert match, out
    print(f"\nsystemd-analyze security stackops-aide-check.service: {match.group(1)} {match.group(2)}")
    assert float(match.group(1)) <= 3.0, out


# --- processes and units -------------------------------------------------------------------


def test_other_users_processes_are_hidden(host):
    options = host.check_output("findmnt -n -o OPTIONS /proc")
    assert "hidepid=invisible" in options, options
    assert "hidepid=invisible" in host.file("/etc/fstab").content_string
    # nobody sees its own processes only: no PID 1, no sshd
    seen = host.check_output("setpriv --reuid=nobody --regid=nogroup --clear-groups ls /proc").split()
    assert "1" not in seen, "nobody can see PID 1"
    assert host.run("setpriv --reuid=nobody --regid=nogroup --clear-groups cat /proc/1/cmdline").rc != 0


def test_no_unit_is_left_failed(host):
    failed = host.check_output("systemctl list-units --failed --no-legend --plain")
    assert failed.strip() == "", failed
