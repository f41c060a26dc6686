#!/usr/bin/env bash
# Client tools the tests use from the controller: an SSH client (login checks) and
# debootstrap (test-host images), plus any command named on the command line whose Debian
# package has the same name (e.g. nmap for make bench-scan). Installed when missing.
set -euo pipefail
missing=()
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
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
