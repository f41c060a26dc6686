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
  say "Building the demo product's images (only what changed)"
  tests/images/demo/build.sh
  # The README's command as written: ansible.cfg names the dev vault password file.
  run=("$BIN/ansible-playbook" -i inventories/dev)
  if ! docker exec "$HOST" docker info >/dev/null 2>&1; then
    say "Hardening the host and installing Docker (site.yml up to the docker role)"
    # (the monitoring role's checks read the secret files, which the later run writes)
    "${run[@]}" playbooks/site.yml --tags baseline,firewall,docker --skip-tags monitoring | tee "$DEV/site-base.log"
  fi
  say "Loading the images into the dev host (a real host pulls them from its registry)"
  tests/images/demo/load.sh "$HOST"
  say "Running playbooks/site.yml against the dev inventory"
  "${run[@]}" playbooks/site.yml | tee "$DEV/site.log"
  say "Proving it: playbooks/verify.yml"
  "${run[@]}" playbooks/verify.yml | tee "$DEV/verify.log"
  address="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$HOST")"
  say "Done. What site.yml did:"
  grep -A3 '^PLAY RECAP' "$DEV/site.log" | sed 's/^/  /'
  cat <<SUMMARY

  Dev host:   $HOST at $address (Debian 13, hardened; the demo product behind nginx and the firewall)
  The API:    curl --cacert .cache/dev/$HOST-ca.crt --resolve api.demo.test:443:$address https://api.demo.test/ready
  Mini app:   curl --cacert .cache/dev/$HOST-ca.crt --resolve app.demo.test:443:$address https://app.demo.test/
  Proof:      .cache/verify/$HOST.json (playbooks/verify.yml; run it again at any time)
  Log in:     ssh -i $DEV/operator_ed25519 deploy@$address
  Monitoring: ssh -i $DEV/operator_ed25519 -N -L 9090:127.0.0.1:9090 -L 9093:127.0.0.1:9093 deploy@$address  (then http://127.0.0.1:9090, :9093)
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
