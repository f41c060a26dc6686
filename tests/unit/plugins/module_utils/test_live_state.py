"""Live state against what the roles wrote, with text read from a converged Debian 13 host."""
import os

from ansible_collections.stackops.hardened.plugins.module_utils import live_state as ls

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'live_state')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


# ------------------------------------------------------------------ sysctl

def test_sysctl_file_parsed_in_key_order():
    wanted = dict(ls.parse_sysctl(fixture('sysctl.conf')))
    assert wanted['net.ipv4.conf.all.send_redirects'] == '0'
    assert wanted['net.ipv4.ip_forward'] == '1'
    assert '# Managed' not in ''.join(wanted)


def test_sysctl_parses_ignored_errors_and_slashes_and_spaces():
    assert ls.parse_sysctl('-net/ipv4/ip_forward = 1\nnet.ipv4.ip_local_port_range =  1024\t 65000\n; c\n') == [
        ('net.ipv4.ip_forward', '1'), ('net.ipv4.ip_local_port_range', '1024 65000')]


def test_sysctl_names_the_key_the_file_sets_but_the_kernel_does_not_have():
    wanted = ls.parse_sysctl(fixture('sysctl.conf'))
    live = dict(wanted)
    live['net.ipv4.conf.all.send_redirects'] = '1'
    live['kernel.sysrq'] = None  # this kernel (a container) has no such key: skipped, as sysctl -e does
    assert ls.sysctl_drift(wanted, live) == [dict(area='sysctl', key='net.ipv4.conf.all.send_redirects',
                                                  expected='0', live='1')]


def test_sysctl_multi_value_compared_without_whitespace_differences():
    assert ls.sysctl_drift([('net.ipv4.ip_local_port_range', '1024 65000')],
                           {'net.ipv4.ip_local_port_range': '1024\t65000\n'}) == []


# -------------------------------------------------------------------- sshd

def test_sshd_effective_settings_match_the_file():
    assert ls.sshd_drift(ls.parse_sshd_config(fixture('sshd_config.txt')), ls.parse_sshd_t(fixture('sshd_T.txt'))) == []


def test_sshd_config_stops_at_the_drop_ins_and_keeps_the_first_value():
    wanted = ls.parse_sshd_config('PermitRootLogin no\nPermitRootLogin yes\nAllowGroups a b\n'
                                  'Include /etc/ssh/sshd_config.d/*.conf\nX11Forwarding yes\n')
    assert wanted == {'permitrootlogin': ['no'], 'allowgroups': ['a', 'b']}


def test_sshd_drop_in_that_weakens_a_setting_is_named():
    effective = fixture('sshd_T.txt').replace('passwordauthentication no', 'passwordauthentication yes')
    diffs = ls.sshd_drift(ls.parse_sshd_config(fixture('sshd_config.txt')), ls.parse_sshd_t(effective))
    assert diffs == [dict(area='sshd', key='passwordauthentication', expected='no', live='yes')]


def test_sshd_time_units_are_seconds():
    assert ls.parse_sshd_config('LoginGraceTime 1m\n') == {'logingracetime': ['60']}


def test_sshd_reload_drift_until_the_stamp_matches():
    digest = ls.settings_digest(fixture('sshd_T.txt'))
    assert ls.reload_drift('sshd', digest, digest + '\n') == []
    never = ls.reload_drift('sshd', digest, None)
    assert never[0]['key'] == 'loaded settings' and never[0]['live'] == 'never reloaded by the role'
    older = ls.reload_drift('sshd', digest, 'ab' * 32)
    assert 'earlier reload' in older[0]['live']


# ---------------------------------------------------------------- nftables

def test_nft_rendered_and_live_tables_are_equal():
    assert ls.nft_drift('inet stackops', fixture('nft_rendered.txt'), fixture('nft_live.txt')) == []


def test_nft_rule_added_by_hand_is_named_with_its_chain():
    live = fixture('nft_live.txt').replace('\t\tiif "lo" accept\n', '\t\tiif "lo" accept\n\t\ttcp dport 6379 accept\n')
    diffs = ls.nft_drift('inet stackops', fixture('nft_rendered.txt'), live)
    assert diffs == [dict(area='nftables', key='table inet stackops chain input', expected=None,
                          live='tcp dport 6379 accept')]


def test_nft_rule_removed_by_hand_is_named():
    live = fixture('nft_live.txt').replace('\t\ttcp dport @public_tcp accept\n', '')
    diffs = ls.nft_drift('inet stackops', fixture('nft_rendered.txt'), live)
    assert diffs == [dict(area='nftables', key='table inet stackops chain input',
                          expected='tcp dport @public_tcp accept', live=None)]


def test_nft_elements_of_dynamic_sets_are_not_drift():
    live = fixture('nft_live.txt').replace(
        '\t\ttimeout 5m\n\t}\n',
        '\t\ttimeout 5m\n\t\telements = { 192.0.2.7 timeout 5m expires 4m59s,\n\t\t\t     192.0.2.8 }\n\t}\n', 1)
    assert live != fixture('nft_live.txt')
    assert ls.nft_drift('inet stackops', fixture('nft_rendered.txt'), live) == []


def test_nft_missing_table_and_pending_rollback_are_drift():
    diffs = ls.nft_drift('inet stackops', fixture('nft_rendered.txt'), None, rollback_pending=True)
    assert [item['key'] for item in diffs] == ['rollback timer', 'table inet stackops']


# ------------------------------------------------------------- processes

def test_process_start_from_proc_stat():
    # field 22 of the fixture is 208458 ticks after boot
    assert ls.process_start(fixture('proc_stat.txt'), 100, 1000.0) == 1000.0 + 2084.58


def test_process_start_with_spaces_in_the_name():
    text = '42 (a b) c) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0'
    assert ls.process_start(text, 100, 0.0) == 5.0


def test_loaded_drift_names_files_changed_after_the_process_started():
    assert ls.loaded_drift('journald', 100.0, {'/a': 99.0, '/b': 100.01, '/c': None}) == []
    diffs = ls.loaded_drift('journald', 100.0, {'/a': 101.0}, 'systemd-journald')
    assert diffs == [dict(area='journald', key='/a', expected='loaded by the running systemd-journald',
                          live='changed after the systemd-journald started')]
    assert ls.loaded_drift('nginx', None, {'/a': 1.0}, 'nginx workers')[0]['expected'] == 'running'


# ---------------------------------------------------------------- docker

CONFIG = {'log-driver': 'local', 'live-restore': True, 'no-new-privileges': True, 'icc': False, 'ip': '127.0.0.1'}
INFO = {'LoggingDriver': 'local', 'LiveRestoreEnabled': True,
        'SecurityOptions': ['name=seccomp,profile=builtin', 'name=no-new-privileges']}
BRIDGE = {'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1'}


def test_docker_in_force_matches_daemon_json():
    assert ls.docker_drift(CONFIG, INFO, BRIDGE, started=200.0, config_mtime=100.0) == []


def test_docker_daemon_running_with_defaults_is_named_key_by_key():
    info = {'LoggingDriver': 'json-file', 'LiveRestoreEnabled': False, 'SecurityOptions': ['name=seccomp,profile=builtin']}
    bridge = {'com.docker.network.bridge.enable_icc': 'true', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0'}
    diffs = ls.docker_drift(CONFIG, info, bridge, started=50.0, config_mtime=100.0)
    assert [(item['key'], item['expected'], item['live']) for item in diffs] == [
        ('log-driver', 'local', 'json-file'), ('live-restore', 'true', 'false'),
        ('no-new-privileges', 'true', 'false'), ('icc', 'false', 'true'), ('ip', '127.0.0.1', '0.0.0.0'),
        ('daemon.json', 'loaded by the running dockerd', 'changed after the dockerd started')]


def test_docker_not_running():
    assert ls.docker_drift(CONFIG, None, {}) == [dict(area='docker', key='dockerd', expected='running', live=None)]


# ----------------------------------------------------------------- nginx

NGINX_T = """nginx: the configuration file /etc/nginx/nginx.conf syntax is ok
# configuration file /etc/nginx/nginx.conf:
user www-data;
include /etc/nginx/stackops/sites/*.conf;

# configuration file /etc/nginx/stackops/sites/api.conf:
server {
    ssl_certificate /etc/ssl/stackops/api.crt;
    ssl_certificate_key /etc/ssl/stackops/api.key;
    ssl_certificate $cert;
}
"""


def test_nginx_files_include_certificates_but_not_variables():
    assert ls.nginx_files(NGINX_T) == ['/etc/nginx/nginx.conf', '/etc/nginx/stackops/sites/api.conf',
                                       '/etc/ssl/stackops/api.crt', '/etc/ssl/stackops/api.key']


def test_nginx_workers_of_the_current_generation():
    rows = ls.parse_ps('10 1 nginx: master process /usr/sbin/nginx\n11 10 nginx: worker process\n'
                       '12 10 nginx: worker process is shutting down\n13 1 nginx: worker process\n')
    assert ls.nginx_workers(rows, 10) == [11]


# -------------------------------------------------------------- fail2ban

def test_fail2ban_jail_matches():
    jails = ls.parse_jails(fixture('jail.local'))
    assert jails['sshd']['enabled'] == 'true'
    limits = {'sshd': {'maxretry': jails['sshd']['maxretry'], 'findtime': ls._f2b_seconds(jails['sshd']['findtime']),
                       'bantime': ls._f2b_seconds(jails['sshd']['bantime'])}}
    assert ls.fail2ban_drift(jails, ls.parse_jail_list('Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n'),
                             limits) == []


def test_fail2ban_jail_not_running_and_limit_differs():
    jails = {'sshd': {'enabled': 'true', 'maxretry': '3', 'bantime': '1h'}}
    assert ls.fail2ban_drift(jails, [], {}) == [dict(area='fail2ban', key='jail sshd', expected='running',
                                                     live='not running')]
    assert ls.fail2ban_drift(jails, ['sshd'], {'sshd': {'maxretry': '5', 'bantime': '3600'}}) == [
        dict(area='fail2ban', key='jail sshd maxretry', expected='3', live='5')]


# ----------------------------------------------------------------- units

def test_units_enabled_and_active():
    blocks = ls.parse_systemctl_show(fixture('systemctl_show.txt'))
    shown = dict(zip(['ssh', 'fail2ban', 'stackops-firewall', 'nosuch'], blocks))
    assert shown['fail2ban']['MainPID'] == '10608'
    wanted = [{'name': 'ssh', 'enabled': True, 'active': True}, {'name': 'stackops-firewall', 'enabled': True,
                                                                 'active': True},
              {'name': 'nosuch', 'enabled': False, 'active': False}]
    assert ls.unit_drift(wanted, shown) == []
    shown['fail2ban'] = dict(shown['fail2ban'], ActiveState='inactive', UnitFileState='disabled')
    diffs = ls.unit_drift([{'name': 'fail2ban', 'enabled': True, 'active': True}], shown)
    assert diffs == [dict(area='units', key='fail2ban active', expected='active', live='inactive'),
                     dict(area='units', key='fail2ban enabled', expected='enabled', live='disabled')]


def test_files_owner_group_mode():
    wanted = [{'path': '/etc/ssh/sshd_config', 'owner': 'root', 'group': 'root', 'mode': '0600'},
              {'path': '/gone', 'mode': '0644'}]
    live = {'/etc/ssh/sshd_config': {'owner': 'root', 'group': 'root', 'mode': '0644'}, '/gone': None}
    assert ls.file_drift(wanted, live) == [
        dict(area='files', key='/etc/ssh/sshd_config mode', expected='0600', live='0644'),
        dict(area='files', key='/gone', expected='present', live=None)]


def test_describe():
    assert ls.describe(dict(area='sysctl', key='k', expected='0', live=None)) == 'sysctl k: expected 0, live (nothing)'


def test_sysctl_kernel_wide_keys_are_not_a_containers_own():
    wanted = ls.parse_sysctl(fixture('sysctl.conf'))
    own = dict(ls.own_sysctl_keys(wanted, True))
    assert 'fs.protected_fifos' not in own and 'kernel.kptr_restrict' not in own
    assert own['net.ipv4.conf.all.send_redirects'] == '0'
    assert ls.own_sysctl_keys(wanted, False) == wanted


def test_in_container():
    assert ls.in_container(lambda path: path == '/.dockerenv', '')
    assert ls.in_container(lambda path: False, 'PATH=/bin\ncontainer=podman\n')
    assert not ls.in_container(lambda path: False, 'PATH=/bin\n')
