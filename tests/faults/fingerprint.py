"""Print, as JSON, a fingerprint of the live hardening state of the host it runs on.

Runs inside a test host (`docker exec -i HOST python3 - < fingerprint.py`), with nothing but
the host's own python3. It reads what is in force, not what the files say:

- the live values of the kernel keys our sysctl.d file sets;
- `sshd -T`, and the algorithms the running sshd offers on the wire (its KEXINIT);
- `nft list table inet stackops` (without counters and the elements of dynamic sets);
- the Docker daemon's effective security settings (docker info, the default bridge);
- `nginx -T` (secret maps masked), and whether the running workers started after those files;
- whether dockerd, journald and fail2ban started after their configuration last changed;
- the enabled and active state of the units we manage;
- owners and modes (never contents) of the files and directories we manage;
- the stack's containers and their configuration (image, compose config hash, hardening).

Host-specific values (generated secrets, certificates, ids, times) are left out, so two hosts
converged from the same inventory have the same fingerprint.
"""
import glob
import json
import os
import re
import socket
import struct
import subprocess
import time

SYSCTL_FILE = '/etc/sysctl.d/90-stackops-hardening.conf'
UNITS = ['ssh.service', 'ssh.socket', 'fail2ban.service', 'systemd-journald.service', 'cron.service',
         'docker.service', 'nginx.service', 'stackops-firewall.service', 'stackops-firewall-rollback.timer',
         'unattended-upgrades.service', 'certbot.timer']
# Files and trees whose owners and modes we manage.
PATHS = ['/etc/ssh/sshd_config', '/etc/issue', '/etc/issue.net', '/etc/login.defs', '/etc/crontab', '/etc/cron.allow',
         '/etc/at.allow', '/etc/cron.d', '/etc/cron.daily', '/etc/cron.hourly', '/etc/cron.weekly', '/etc/cron.monthly',
         SYSCTL_FILE, '/etc/modprobe.d/stackops-blacklist.conf', '/etc/fail2ban/jail.local',
         '/etc/systemd/journald.conf.d', '/etc/systemd/system.conf.d', '/var/log/journal',
         '/etc/security/limits.d/50-stackops-coredump.conf', '/etc/profile.d/stackops-umask.sh',
         '/etc/apt/apt.conf.d/20auto-upgrades', '/etc/apt/apt.conf.d/52stackops-unattended-upgrades',
         '/etc/docker', '/etc/stackops', '/etc/nginx', '/usr/local/sbin', '/opt/demo',
         '/etc/systemd/system/stackops-firewall.service', '/etc/systemd/system/stackops-firewall-rollback.service']
GLOBS = ['/etc/sudoers.d/stackops-*', '/etc/systemd/system/stackops-*', '/etc/cron.d/stackops*']


def run(args):
    try:
        proc = subprocess.run(args, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, '', str(exc)
    return proc.returncode, proc.stdout, proc.stderr


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


BOOT = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
TICKS = os.sysconf('SC_CLK_TCK')


def started(pid):
    text = read('/proc/%s/stat' % pid) if pid else None
    if not text:
        return None
    return BOOT + int(text.rsplit(')', 1)[1].split()[19]) / float(TICKS)


def mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def loaded(pid, paths):
    """True when the process started after every one of the files last changed."""
    start = started(pid)
    if start is None:
        return 'not running'
    newer = [path for path in paths if (mtime(path) or 0) > start + 0.05]
    return 'loaded' if not newer else 'started before %s changed' % ', '.join(sorted(newer))


def main_pid(unit):
    rc, out, dummy = run(['systemctl', 'show', '-p', 'MainPID', '--value', unit])
    return out.strip() if rc == 0 and out.strip() not in ('', '0') else None


GLOBAL_SYSCTL_PREFIXES = ('kernel.', 'fs.', 'vm.', 'dev.', 'abi.', 'debug.', 'user.', 'net.core.bpf_')


def sysctl():
    """The namespaced keys: a test host is a container, whose kernel-wide keys belong to the
    machine (and change whenever another test host boots)."""
    values = {}
    for line in (read(SYSCTL_FILE) or '').splitlines():
        line = line.strip()
        if line and not line.startswith(('#', ';')) and '=' in line:
            key = line.split('=', 1)[0].strip().lstrip('-')
            if key.startswith(GLOBAL_SYSCTL_PREFIXES):
                continue
            value = read('/proc/sys/' + key.replace('.', '/'))
            if value is not None:
                values[key] = ' '.join(value.split())
    return values


def _name_lists(payload):
    lists, offset = [], 17
    for dummy in range(10):
        length = struct.unpack('>I', payload[offset:offset + 4])[0]
        lists.append(payload[offset + 4:offset + 4 + length].decode('ascii', 'replace'))
        offset += 4 + length
    return lists


def sshd_offered(port=22):
    """What the running sshd offers: key exchange, host keys, ciphers and MACs from its KEXINIT."""
    names = ['kex', 'hostkey', 'ciphers_c2s', 'ciphers_s2c', 'macs_c2s', 'macs_s2c']
    try:
        conn = socket.create_connection(('127.0.0.1', port), timeout=10)
    except OSError as exc:
        return 'not answering: %s' % exc
    try:
        conn.sendall(b'SSH-2.0-stackops-fingerprint\r\n')
        data = b''
        while b'\n' not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return 'closed before its banner'
            data += chunk
        data = data.split(b'\n', 1)[1]
        while len(data) < 5 or len(data) < 4 + struct.unpack('>I', data[:4])[0]:
            chunk = conn.recv(65536)
            if not chunk:
                return 'closed before its KEXINIT'
            data += chunk
        length, padding = struct.unpack('>IB', data[:5])
        payload = data[5:4 + length - padding]
        if payload[:1] != b'\x14':
            return 'no KEXINIT'
        lists = _name_lists(payload)
        offered = dict(zip(names, lists[:6]))
        # OpenSSH adds marker names (ext-info, strict kex) to the key exchange list; they are not settings.
        offered['kex'] = ','.join(name for name in offered['kex'].split(',') if '@openssh.com' not in name
                                  or name.startswith(('sntrup', 'mlkem', 'curve25519')))
        return offered
    finally:
        conn.close()


def nft():
    rc, out, err = run(['nft', '--stateless', 'list', 'table', 'inet', 'stackops'])
    if rc != 0:
        return 'not loaded: %s' % err.strip()
    lines, dynamic, in_set, skipping = [], False, False, False
    for raw in out.splitlines():
        line = raw.strip()
        if not line:
            continue
        if skipping:
            skipping = '}' not in line
            continue
        if line.startswith('set '):
            in_set, dynamic = True, False
        elif in_set and line.startswith('flags ') and 'dynamic' in line:
            dynamic = True
        elif in_set and line == '}':
            in_set = False
        if in_set and dynamic and line.startswith('elements = '):
            skipping = not line.endswith('}')
            continue
        lines.append(line)
    return lines


def docker():
    rc, out, err = run(['docker', 'info', '--format', '{{json .}}'])
    if rc != 0:
        return 'not running: %s' % err.strip()
    info = json.loads(out)
    rc, out, dummy = run(['docker', 'network', 'inspect', 'bridge', '--format', '{{json .Options}}'])
    bridge = json.loads(out) if rc == 0 else {}
    return dict(logging_driver=info.get('LoggingDriver'), live_restore=info.get('LiveRestoreEnabled'),
                security_options=sorted(info.get('SecurityOptions') or []),
                default_runtime=info.get('DefaultRuntime'),
                icc=bridge.get('com.docker.network.bridge.enable_icc'),
                host_binding_ipv4=bridge.get('com.docker.network.bridge.host_binding_ipv4'),
                daemon_json=json.loads(read('/etc/docker/daemon.json') or 'null'),
                dockerd=loaded(main_pid('docker.service'), ['/etc/docker/daemon.json']))


def nginx():
    rc, out, err = run(['nginx', '-T'])
    if rc != 0:
        return 'nginx -T fails: %s' % err.strip()[-200:]
    lines, secret, files = [], False, []
    for line in out.splitlines():
        match = re.match(r'^# configuration file (\S+):$', line)
        if match:
            files.append(match.group(1))
            secret = '/secrets/' in match.group(1)
        elif secret and line.strip():
            line = re.sub(r'"[^"]*"', '"(secret)"', re.sub(r'^(\s*)\S+', r'\1(secret)', line))
        lines.append(line)
    for line in out.splitlines():
        match = re.match(r'^\s*ssl_(?:certificate|certificate_key|trusted_certificate)\s+([^;$\s]+)\s*;', line)
        if match:
            files.append(match.group(1))
    master = (read('/run/nginx.pid') or '').strip()
    workers = []
    for entry in os.listdir('/proc'):
        stat_text = read('/proc/%s/stat' % entry) if entry.isdigit() else None
        cmdline = read('/proc/%s/cmdline' % entry) if stat_text else None
        if cmdline and stat_text.rsplit(')', 1)[1].split()[1] == master \
                and cmdline.startswith('nginx: worker process') and 'shutting down' not in cmdline:
            workers.append(entry)
    oldest = min(workers, key=lambda pid: started(pid) or 0) if workers else None
    return dict(dump=lines, workers=loaded(oldest, sorted(set(files))))


def units():
    rc, out, dummy = run(['systemctl', 'show', '-p', 'Id', '-p', 'ActiveState', '-p', 'UnitFileState',
                          '-p', 'LoadState', '--'] + UNITS)
    blocks, current = {}, {}
    for line in out.splitlines() + ['']:
        if not line.strip():
            if current:
                blocks[current.get('Id')] = '%s %s %s' % (current.get('LoadState'), current.get('ActiveState'),
                                                          current.get('UnitFileState'))
            current = {}
        elif '=' in line:
            key, value = line.split('=', 1)
            current[key] = value
    return blocks


def files():
    found = {}
    paths = list(PATHS)
    for pattern in GLOBS:
        paths.extend(glob.glob(pattern))
    for top in paths:
        if os.path.isdir(top) and not os.path.islink(top):
            walk = [top]
            for root, dirs, names in os.walk(top):
                dirs.sort()
                walk.extend(os.path.join(root, name) for name in dirs + sorted(names))
        else:
            walk = [top]
        for path in walk:
            key = host_neutral_path(path)
            if key is None:
                continue
            try:
                st = os.lstat(path)
            except OSError:
                found[key] = 'absent'
                continue
            found[key] = '%d:%d %04o' % (st.st_uid, st.st_gid, st.st_mode & 0o7777)
    return found


JOURNAL = '/var/log/journal/'


def host_neutral_path(path):
    """The path as two hosts converged alike both have it, or None for what differs by nature:
    journald's directory is named after the machine id, and the files in it after the boot and
    the rotations so far. The directory is kept (its owner and mode are set), the files not."""
    if not path.startswith(JOURNAL):
        return path
    parts = path[len(JOURNAL):].split('/')
    if len(parts) == 1 and re.match(r'^[0-9a-f]{32}$', parts[0]):
        return JOURNAL + '<machine-id>'
    if len(parts) > 1 and re.match(r'^[0-9a-f]{32}$', parts[0]):
        return None
    return path


# Labels whose value is a list that compose writes in no fixed order (from a map).
UNORDERED_LABELS = ('com.docker.compose.depends_on',)


def label_value(key, value):
    if key in UNORDERED_LABELS and isinstance(value, str):
        return ','.join(sorted(value.split(',')))
    return value


def containers():
    rc, out, dummy = run(['docker', 'ps', '--all', '--quiet', '--filter', 'label=com.docker.compose.project'])
    ids = out.split()
    if rc != 0 or not ids:
        return []
    rc, out, dummy = run(['docker', 'inspect'] + ids)
    result = []
    hashes = {}
    for item in json.loads(out) if rc == 0 else []:
        host = item.get('HostConfig') or {}
        config = item.get('Config') or {}
        labels = config.get('Labels') or {}
        state = item.get('State') or {}
        project = (labels.get('com.docker.compose.project'), labels.get('com.docker.compose.project.config_files'))
        if project not in hashes:
            # What the compose file asks for now, per service (the hash holds host-specific
            # secret fingerprints, so the hash itself is not compared between hosts).
            code, text, dummy = run(['docker', 'compose', '-p', project[0], '-f', project[1], 'config', '--hash', '*'])
            hashes[project] = dict(line.split(None, 1) for line in text.splitlines() if ' ' in line) if code == 0 else {}
        wanted = hashes[project].get(labels.get('com.docker.compose.service'), '').strip()
        result.append(dict(
            name=item.get('Name'), image=config.get('Image'), user=config.get('User'),
            config_current=wanted == labels.get('com.docker.compose.config-hash'),
            labels=dict((key, label_value(key, value)) for key, value in labels.items()
                        if key not in ('com.docker.compose.config-hash', 'org.stackops.secrets')),
            status=state.get('Status'), exit_code=state.get('ExitCode'),
            health=(state.get('Health') or {}).get('Status'),
            env_names=sorted(entry.split('=', 1)[0] for entry in config.get('Env') or []),
            read_only=host.get('ReadonlyRootfs'), privileged=host.get('Privileged'),
            cap_drop=sorted(host.get('CapDrop') or []), cap_add=sorted(host.get('CapAdd') or []),
            security_opt=sorted(host.get('SecurityOpt') or []), network_mode=host.get('NetworkMode'),
            ports=host.get('PortBindings'), restart=(host.get('RestartPolicy') or {}).get('Name'),
            memory=host.get('Memory'), pids_limit=host.get('PidsLimit'), init=host.get('Init'),
            networks=sorted((item.get('NetworkSettings') or {}).get('Networks') or {})))
    return sorted(result, key=lambda entry: entry['name'])


def main():
    print(json.dumps(dict(
        sysctl=sysctl(),
        sshd_T=sorted(run(['/usr/sbin/sshd', '-T'])[1].splitlines()),
        sshd_offered=sshd_offered(),
        nftables=nft(),
        docker=docker(),
        nginx=nginx(),
        daemons=dict(journald=loaded(main_pid('systemd-journald.service'),
                                     glob.glob('/etc/systemd/journald.conf.d/*.conf')),
                     fail2ban=loaded(main_pid('fail2ban.service'), ['/etc/fail2ban/jail.local'])),
        units=units(),
        files=files(),
        containers=containers(),
    ), indent=1, sort_keys=True))


if __name__ == '__main__':
    main()
