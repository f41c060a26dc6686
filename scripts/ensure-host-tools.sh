#!/usr/bin/env bash
# Client tools the tests use from the controller: an SSH client (login checks) and
# debootstrap (test-host images), plus any command named on the command line whose Debian
# package has the same name (e.g. nmap for make bench-scan). Installed when missing.
# sslyze (PyPI) gets a virtualenv of its own, .cache/sslyze-venv: it pins cryptography below
# the version the project's virtualenv needs for community.crypto.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SSLYZE_VERSION=6.3.1
SSLYZE_VENV="$ROOT/.cache/sslyze-venv"
if ! "$SSLYZE_VENV/bin/sslyze" --help >/dev/null 2>&1 ||
   ! "$SSLYZE_VENV/bin/python" -m pip show sslyze 2>/dev/null | grep -qx "Version: $SSLYZE_VERSION"; then
  echo "ensure-host-tools: installing sslyze $SSLYZE_VERSION in $SSLYZE_VENV" >&2
  python3 -m venv "$SSLYZE_VENV"
  "$SSLYZE_VENV/bin/python" -m pip install -q --disable-pip-version-check "sslyze==$SSLYZE_VERSION"
fi
missing=()
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
# TLS clients of the nginx scenarios.
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
for tool in "$@"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || [ ! -r /etc/debian_version ]; then
  echo "ensure-host-tools: missing ${missing[*]}; install them and run again" >&2
  exit 1
fi
echo "ensure-host-tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
