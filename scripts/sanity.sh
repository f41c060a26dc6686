#!/usr/bin/env bash
# ansible-test sanity on the collection, from a temporary ansible_collections tree.
#   scripts/sanity.sh [extra ansible-test arguments]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.venv/bin"
PY="$BIN/python"

# ansible-test bootstraps pip in its test environments with a script it downloads from a
# host we cannot reach; give it our stand-in at the cache path it looks at first.
pip_version="$("$PY" - <<'PYEOF'
import re, ansible_test, os
path = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
print(re.search(r"pip='([0-9.]+)'", open(path).read()).group(1))
PYEOF
)"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp "$ROOT/scripts/get_pip_standin.py" "$cache/get_pip_${pip_version//./_}.py"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/stackops/hardened"
mkdir -p "$tree"
# What git tracks plus new files not ignored: the same content a clean checkout has, but
# the recipes of container images (tests/images: build scripts and the demo product's own
# code, which run in containers, not under Ansible), which the Galaxy artifact leaves out
# too. A tracked file deleted in the working tree is skipped.
(cd "$ROOT" && { git ls-files -co --exclude-standard -z -- . ':!tests/images' \
  | xargs -0 -I{} cp --parents -P "{}" "$tree/" 2>/dev/null; true; })
# ansible-test only looks at files git knows about when it runs in a git tree; this copy
# is not one, so it sees exactly what was copied.
cd "$tree"
"$BIN/ansible-test" sanity --requirements --python 3.11 --color no "$@"
