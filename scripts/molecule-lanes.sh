#!/usr/bin/env bash
# Run Molecule scenarios in JOBS lanes: each lane takes the next scenario as soon as its
# last one ends. Scenarios are listed longest first, so the lanes end close together.
# Each scenario's output goes to .cache/molecule-logs/NAME.log; a failure prints its tail.
#
#   scripts/molecule-lanes.sh JOBS SCENARIO...
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JOBS="${1:?usage: $0 JOBS SCENARIO...}"
shift
LOGS="$ROOT/.cache/molecule-logs"
mkdir -p "$LOGS"
# Only the logs of the scenarios this run takes: another run's stay readable.
for name in "$@"; do rm -f "$LOGS/$name.log" "$LOGS/$name.rc"; done

# Molecule's phase lines ("[name > converge] Executing", or "name ➜ converge: Executing")
# get the seconds since the scenario started, so a slow scenario shows where its time went.
stamp_phases() {
  local begin=$SECONDS line
  while IFS= read -r line; do
    case "$line" in
      *'] Executing'* | *': Executing'*) printf '[+%4d s] %s\n' "$((SECONDS - begin))" "$line" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done
  printf '[+%4d s] scenario ended\n' "$((SECONDS - begin))"
}

run_one() {
  local name="$1" start=$SECONDS rc
  echo "=== molecule scenario $name: started"
  (cd "$ROOT" && "$ROOT/.venv/bin/molecule" test -s "$name") 2>&1 | stamp_phases >"$LOGS/$name.log"
  rc=${PIPESTATUS[0]}
  echo "$rc" >"$LOGS/$name.rc"
  if [ "$rc" -eq 0 ]; then
    echo "=== molecule scenario $name: passed in $((SECONDS - start)) s"
  else
    echo "=== molecule scenario $name: FAILED (exit $rc) after $((SECONDS - start)) s; the end of its log:"
    sed 's/.*│.\[0m//' "$LOGS/$name.log" | tail -n 80
  fi
  return "$rc"
}
export -f run_one stamp_phases
export ROOT LOGS

start=$SECONDS
printf '%s\n' "$@" | xargs -P "$JOBS" -I{} bash -c 'run_one "$@"' _ {}
failed=()
for name in "$@"; do
  [ "$(cat "$LOGS/$name.rc" 2>/dev/null)" = "0" ] || failed+=("$name")
done
echo "=== molecule: $(( $# - ${#failed[@]} )) of $# scenarios passed in $((SECONDS - start)) s (logs: .cache/molecule-logs/)"
[ ${#failed[@]} -eq 0 ] || { echo "=== failed: ${failed[*]}"; exit 1; }
