#!/usr/bin/env bash
# make demo / make demo-clean: a local Debian 13 host container (the dev inventory's
# target), hardened by site.yml. Re-running `up` changes nothing on the host.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.venv/bin"
HOST="${STACKOPS_DEV_HOST:-stackops-dev}"
IMAGE="${STACKOPS_DEV_IMAGE:-stackops-testhost:trixie}"
DEV="$ROOT/.cache/dev"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
cd "$ROOT"

say() { printf '\n== %s\n' "$*"; }

start_host() {
  # The same run settings as the Molecule test hosts (molecule/_shared/create.yml).
  MOLECULE_SCENARIO_NAME=demo "$BIN/ansible-playbook" -i localhost, -c local \
    -e "{\"molecule_yml\": {\"platforms\": [{\"name\": \"$HOST\", \"image\": \"$IMAGE\"}]}}" \
    -e "molecule_instance_config=$DEV/instance.yml" \
    molecule/_shared/create.yml >"$DEV/create.log" 2>&1 ||
    { tail -n 30 "$DEV/create.log"; exit 1; }
}

up() {
  mkdir -p "$DEV"
  if [ ! -f "$DEV/operator_ed25519" ]; then
    say "Making a dev-only SSH key pair for the operator: $DEV/operator_ed25519"
    ssh-keygen -q -t ed25519 -N '' -C "stackops-dev-operator" -f "$DEV/operator_ed25519"
  fi
  if [ "$(docker inspect -f '{{.State.Running}}' "$HOST" 2>/dev/null)" = "true" ]; then
    say "Dev host $HOST is running; reusing it"
  else
    say "Starting the dev host $HOST ($IMAGE, systemd as PID 1)"
    start_host
  fi
  say "Running playbooks/site.yml against the dev inventory"
  "$BIN/ansible-playbook" -i inventories/dev playbooks/site.yml | tee "$DEV/site.log"
  address="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$HOST")"
  say "Done. What site.yml did:"
  grep -A3 '^PLAY RECAP' "$DEV/site.log" | sed 's/^/  /'
  cat <<SUMMARY

  Dev host:   $HOST at $address (Debian 13; baseline hardening and the firewall)
  Log in:     ssh -i $DEV/operator_ed25519 deploy@$address
  Inside:     docker exec -it $HOST bash
  Remove it:  make demo-clean
SUMMARY
}

clean() {
  docker rm --force --volumes "$HOST" >/dev/null 2>&1 && echo "removed $HOST" || echo "no $HOST to remove"
  rm -rf "$DEV"
}

case "${1:-up}" in
  up) up ;;
  clean) clean ;;
  *) echo "usage: $0 up|clean" >&2; exit 2 ;;
esac
