# -*- coding: utf-8 -*-
# Copyright (c) 2026 stackops.hardened developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep credentials out of messages and results: URLs with userinfo, header values, secret keys.

Plain functions, linear in the length of their input (no regular expression that can backtrack).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

MASK = '***'
_SCHEME_CHARS = frozenset('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-')
_END = frozenset(' \t\r\n"\'<>`')


def _userinfo_spans(text):
    """(start, end) of each userinfo (what lies between '://' and the '@' before the host) in TEXT.

    The userinfo ends at the last '@' before white space or a quote: a password may hold '/', '@',
    ':' or '#' unencoded, so the span reaches as far as it possibly could.
    """
    spans = []
    position = text.find('://')
    while position >= 0:
        begin = position
        while begin > 0 and text[begin - 1] in _SCHEME_CHARS:
            begin -= 1
        start = position + 3
        end = start
        last_at = -1
        while end < len(text) and text[end] not in _END:
            if text[end] == '@':
                last_at = end
            end += 1
        if begin < position and last_at >= start:
            spans.append((start, last_at))
        position = text.find('://', max(end, position + 3))
    return spans


def has_userinfo(text):
    """True when TEXT holds a URL with userinfo (user, password or token before an '@')."""
    return isinstance(text, str) and bool(_userinfo_spans(text))


def mask_urls(text):
    """TEXT with the userinfo of every URL in it replaced by ***: https://***@host/path."""
    if not isinstance(text, str):
        return text
    spans = _userinfo_spans(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return ''.join(out)


def split_userinfo(url):
    """(url without its userinfo, user or None, password or None) of one URL."""
    spans = _userinfo_spans(url) if isinstance(url, str) else []
    if not spans:
        return url, None, None
    start, end = spans[0]
    info = url[start:end]
    user, sep, password = info.partition(':')
    return url[:start] + url[end + 1:], user, (password if sep else None)


def scrub(text, secrets):
    """TEXT with every secret string in SECRETS (at least 3 characters long) replaced by ***, and URLs masked."""
    if not isinstance(text, str):
        return text
    for secret in sorted((s for s in secrets if isinstance(s, str) and len(s) >= 3), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return mask_urls(text)


def secret_key_kind(text):
    """What kind of private key TEXT is, or None: an age identity, an age plugin identity, an SSH or PEM private key."""
    if not isinstance(text, str):
        return None
    head = text.strip()[:64].upper()
    if head.startswith('AGE-SECRET-KEY-'):
        return 'an age secret key (AGE-SECRET-KEY-...)'
    if head.startswith('AGE-PLUGIN-'):
        return 'an age plugin identity (AGE-PLUGIN-...)'
    if head.startswith('-----BEGIN') and 'PRIVATE KEY' in text[:200].upper():
        return 'a private key (-----BEGIN ... PRIVATE KEY-----)'
    if head.startswith('# CREATED:') and 'AGE-SECRET-KEY-' in text.upper():
        return 'an age identity file (with AGE-SECRET-KEY-...)'
    return None
