# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The monitoring role's logic: the checks of its inputs, and the metrics its collector writes.

The collector (roles/monitoring/files/stackops-monitoring-collect) runs on the host from a
systemd timer. It imports this file and the collection's other module_utils (health,
exposure, sockets, docker_api, backup), copied to the host by the role, so the stack is
judged by the same code as health_check, port_exposure and the backup role's restore check.
Everything here takes data and returns data; nothing reads the host.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import re

from ansible_collections.stackops.hardened.plugins.module_utils.secret_store import (
    KINDS,
    placeholder_reason,
)

# --- inputs ------------------------------------------------------------------------------------

# Prometheus' duration syntax (model.ParseDuration): units largest first, each at most once.
DURATION = re.compile(r'^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$')
DURATION_SECONDS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)
DURATION_ACCEPTED = 'a Prometheus duration such as 15d, 12h, 90m, 30s or 1h30m (units y w d h m s ms, largest first)'
# --storage.tsdb.retention.size (units.Base2Bytes).
SIZE = re.compile(r'^([0-9]+)(B|KB|MB|GB|TB|PB|EB)$')
SIZE_FACTOR = {'B': 1, 'KB': 1 << 10, 'MB': 1 << 20, 'GB': 1 << 30, 'TB': 1 << 40, 'PB': 1 << 50, 'EB': 1 << 60}
SIZE_ACCEPTED = 'a size such as 512MB, 2GB or 1TB (units B KB MB GB TB PB EB, base 2)'
# A Telegram chat id: a user or group id, or -100... for supergroups and channels.
CHAT_ID = re.compile(r'^-?[1-9][0-9]{4,15}$')
CHAT_ID_ACCEPTED = ('the numeric id of the chat (a user or group id such as 123456789 or -4012345678, '
                    'a supergroup or channel -100...), as @userinfobot or getUpdates shows it')
PLACEHOLDER_CHAT_IDS = ('123456789', '1234567890', '-123456789', '-1001234567890', '-100123456789', '987654321',
                        '11111', '12345', '99999')


def duration_seconds(text):
    """Seconds of a Prometheus duration, or None when it does not parse (or is zero)."""
    text = str(text if text is not None else '').strip()
    match = DURATION.match(text)
    if not text or not match:
        return None
    seconds = sum(int(part) * factor for part, factor in zip(match.groups(), DURATION_SECONDS) if part)
    return seconds or None


def size_bytes(text):
    """Bytes of a retention size, or None when it does not parse (or is zero)."""
    match = SIZE.match(str(text if text is not None else '').strip())
    if not match:
        return None
    value = int(match.group(1)) * SIZE_FACTOR[match.group(2)]
    return value or None


def chat_id_error(value):
    """Why a Telegram chat id is refused, or None."""
    if isinstance(value, bool):
        return 'a boolean, not a chat id'
    text = str(value if value is not None else '').strip()
    if not text:
        return 'empty'
    if text in PLACEHOLDER_CHAT_IDS:
        return 'a placeholder (the example id of the documentation)'
    reason = placeholder_reason(text)
    if reason:
        return reason
    if not CHAT_ID.match(text):
        return 'not a numeric chat id'
    if len(set(text.lstrip('-'))) == 1:
        return 'a placeholder (one digit repeated)'
    return None


def bot_token_error(token):
    """Why a Telegram bot token is refused (never repeating it), or None."""
    if token is not None and not isinstance(token, str):
        return 'a %s, not a bot token (text such as the one BotFather gives)' % type(token).__name__
    text = (token or '').strip()
    if not text:
        return 'empty'
    reason = placeholder_reason(text)
    if reason:
        return reason
    pattern, accepted = KINDS['telegram_bot_token'][:2]
    if not pattern.match(text):
        return 'not a bot token: accepted is %s' % accepted
    return None


def listen_error(address, allow_public=False):
    """Why a listen address (HOST:PORT) is refused, or None. Off loopback needs allow_public."""
    text = str(address or '').strip()
    match = re.match(r'^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+|localhost)):([0-9]{1,5})$', text)
    if not match:
        return 'not HOST:PORT (such as 127.0.0.1:9090 or [::1]:9090)'
    port = int(match.group(3))
    if not 1 <= port <= 65535:
        return 'port %d is out of range 1-65535' % port
    host = match.group(1) or match.group(2)
    if host == 'localhost':
        return 'a name, not an address: give 127.0.0.1 (a name may resolve off loopback)'
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return '%s is not an IP address' % host
    if not ip.is_loopback and not allow_public:
        return ('%s is off loopback: every monitoring listener stays on 127.0.0.1 (reach it through an SSH '
                'tunnel); set monitoring_allow_public_listen: true to accept it' % host)
    return None


def range_error(value, low, high):
    """Why a threshold is refused (not a number, or outside [low, high]), or None."""
    if isinstance(value, bool):
        return 'a boolean, not a number'
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 'not a number'
    if not low <= number <= high:  # NaN fails the comparison too
        return 'outside %s-%s' % (_plain(low), _plain(high))
    return None


def _plain(number):
    return ('%d' % number) if float(number).is_integer() else ('%s' % number)


def input_problems(settings):
    """Every refusal of the role's inputs, one message each naming the variable and what is accepted.

    `settings` is a dict: chat_id, bot_token (the text of the token file, or None when it is
    not read), telegram (bool), durations {variable: value}, sizes {variable: value},
    listen {variable: address}, allow_public (bool), thresholds {variable: [value, low, high]},
    rules_problems (messages from elsewhere, passed through).
    """
    problems = []
    if settings.get('telegram', True):
        why = chat_id_error(settings.get('chat_id'))
        if why:
            problems.append('monitoring_telegram_chat_id is refused: %s; accepted: %s' % (why, CHAT_ID_ACCEPTED))
        if settings.get('bot_token') is not None:
            why = bot_token_error(settings.get('bot_token'))
            if why:
                problems.append('the bot token in %s (monitoring_telegram_bot_token_file) is refused: %s'
                                % (settings.get('bot_token_file') or 'the token file', why))
    for name, value in sorted((settings.get('durations') or {}).items()):
        if duration_seconds(value) is None:
            problems.append('%s is refused: %r does not parse; accepted: %s' % (name, value, DURATION_ACCEPTED))
    for name, value in sorted((settings.get('sizes') or {}).items()):
        if size_bytes(value) is None:
            problems.append('%s is refused: %r does not parse; accepted: %s' % (name, value, SIZE_ACCEPTED))
    for name, address in sorted((settings.get('listen') or {}).items()):
        why = listen_error(address, settings.get('allow_public', False))
        if why:
            problems.append('%s is refused: %r: %s' % (name, address, why))
    for name, spec in sorted((settings.get('thresholds') or {}).items()):
        value, low, high = spec
        why = range_error(value, low, high)
        if why:
            problems.append('%s is refused: %r is %s; accepted: a number from %s to %s'
                            % (name, value, why, _plain(low), _plain(high)))
    problems.extend(settings.get('rules_problems') or [])
    return problems


# --- metrics (the textfile collector's output) ---------------------------------------------------

METRIC_HELP = {
    'stackops_collector_success': 'Whether each part of the stackops collector ran (1) or failed (0).',
    'stackops_collector_last_run_timestamp_seconds': 'When the stackops collector last finished.',
    'stackops_container_healthy': 'Whether a container of the stack is running and healthy (1) or not (0).',
    'stackops_container_restarts': 'How many times Docker restarted a container of the stack.',
    'stackops_listener_unexpected': 'A port listening off loopback that the policy does not allow (1 per listener).',
    'stackops_unexpected_listeners': 'How many ports listen off loopback that the policy does not allow.',
    'stackops_backup_newest_age_seconds': 'Age of the newest backup run.',
    'stackops_backup_max_age_seconds': 'The oldest the newest backup run may be.',
    'stackops_backup_runs': 'How many backup runs the backup directory holds.',
    'stackops_restore_check_success': 'Whether the last restore check of a database passed (1) or failed (0).',
    'stackops_restore_check_timestamp_seconds': 'When the last restore check of a database finished.',
    'stackops_firewall_table_present': "Whether the firewall role's nftables table is loaded (1) or not (0).",
    'stackops_reboot_required': 'Whether an upgrade asks for a reboot (/run/reboot-required).',
}
METRIC_TYPE = {'stackops_container_restarts': 'counter'}
_LABEL_NAME = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')
_MESSAGE_LIMIT = 300


def _escape(value):
    return str(value).replace('\\', '\\\\').replace('\n', '\\n').replace('"', '\\"')


def _number(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return '%d' % value
    return repr(float(value))


def render_metrics(samples):
    """The Prometheus text exposition of samples [(name, {label: value}, number)], grouped by name."""
    by_name = {}
    for name, labels, value in samples:
        by_name.setdefault(name, []).append((labels or {}, value))
    lines = []
    for name in sorted(by_name):
        lines.append('# HELP %s %s' % (name, METRIC_HELP.get(name, name)))
        lines.append('# TYPE %s %s' % (name, METRIC_TYPE.get(name, 'gauge')))
        for labels, value in sorted(by_name[name], key=lambda item: sorted(item[0].items())):
            for key in labels:
                if not _LABEL_NAME.match(key):
                    raise ValueError('label name %r of %s is not a valid Prometheus label name' % (key, name))
            text = ','.join('%s="%s"' % (key, _escape(labels[key])) for key in sorted(labels))
            lines.append('%s%s %s' % (name, '{%s}' % text if text else '', _number(value)))
    return '\n'.join(lines) + '\n' if lines else ''


def _short(text):
    text = re.sub(r'\s+', ' ', str(text or '')).strip()
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT - 3].rstrip() + '...'


def container_samples(evaluations, service_of=None, messages=None):
    """Samples of health.evaluate_container results: healthy (with the problem line) and restarts."""
    service_of = service_of or {}
    messages = messages or {}
    samples = []
    for item in evaluations:
        labels = {'container': item['name'], 'service': service_of.get(item['name'], '')}
        samples.append(('stackops_container_healthy', dict(labels, problem=_short(messages.get(item['name']) or '')),
                        1 if item.get('ok') else 0))
        samples.append(('stackops_container_restarts', labels, int(item.get('restart_count') or 0)))
    return samples


def exposure_samples(assessment, describe_owner):
    """Samples of an exposure.assess_exposure result: one per offending listener, and their count."""
    samples = []
    for row in assessment.get('offenders') or []:
        samples.append(('stackops_listener_unexpected', {
            'port': str(row['port']), 'proto': row['proto'], 'address': row['address'],
            'owner': describe_owner(row)}, 1))
    samples.append(('stackops_unexpected_listeners', {}, len(assessment.get('offenders') or [])))
    return samples


def backup_samples(stack, names, now, max_age_hours, newest_run, run_age_hours):
    """Samples of the backup directory's run names (backup.newest_run / backup.run_age_hours)."""
    runs = [name for name in names if newest_run([name]) == name]
    labels = {'stack': stack}
    samples = [('stackops_backup_runs', labels, len(runs)),
               ('stackops_backup_max_age_seconds', labels, float(max_age_hours) * 3600.0)]
    newest = newest_run(runs)
    if newest:
        samples.append(('stackops_backup_newest_age_seconds', dict(labels, run=newest),
                        round(run_age_hours(newest, now) * 3600.0, 1)))
    return samples


def restore_samples(stack, database, result, problems, finished):
    """Samples of one restore check (backup_restore.restore_check): success with the first problem, and when."""
    labels = {'stack': stack, 'database': database}
    ok = not problems
    return [('stackops_restore_check_success', dict(labels, problem=_short('; '.join(problems)), run=result.get('run') or ''),
             1 if ok else 0),
            ('stackops_restore_check_timestamp_seconds', labels, float(finished))]


def nft_has_table(listing, family, name):
    """Whether `nft list tables` output names the table (family, name)."""
    for line in (listing or '').splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == 'table' and parts[1] == family and parts[2] == name:
            return True
    return False


# --- probes ----------------------------------------------------------------------------------------


def probe_spec(name, sites=None):
    """What the blackbox probe of a public name asks for: name, path, status, body ('' for any).

    `sites` maps names to {path, status, body}, as verify.yml's stackops_verify_sites; a name
    without an entry is asked for / and must answer 200.
    """
    want = (sites or {}).get(name) or {}
    return {'name': name, 'path': want.get('path') or '/', 'status': int(want.get('status') or 200),
            'body': want.get('body') or ''}
