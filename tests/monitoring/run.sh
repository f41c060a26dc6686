#!/usr/bin/env bash
# promtool test rules for the monitoring role's alerts: renders the rule template with the
# role's defaults and runs tests/monitoring/rules_test.yml against it. promtool comes from
# Debian's prometheus package (installed when missing, as scripts/ensure-host-tools.sh does
# for the other client tools).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || [ ! -r /etc/debian_version ]; then
    echo "rules-test: promtool is missing; install Debian's prometheus package and run again" >&2
    exit 1
  fi
  echo "rules-test: installing promtool (Debian's prometheus package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" "$ROOT/tests/monitoring/render_rules.py" "$WORK/rules.yml"
cp "$ROOT/tests/monitoring/rules_test.yml" "$WORK/"
promtool check rules "$WORK/rules.yml"
# Every shipped alert must have a test.
missing="$(comm -23 <(grep -oP '^\s+- alert: \K\w+' "$WORK/rules.yml" | sort -u) \
                    <(grep -oP '^\s+alertname: \K\w+' "$WORK/rules_test.yml" | sort -u))"
if [ -n "$missing" ]; then
  echo "rules-test: alerts without a test: $missing" >&2
  exit 1
fi
promtool test rules "$WORK/rules_test.yml"
