#!/usr/bin/env bash
# Ship a release from CI (or a shell): deploy.yml with the new tags, then verify.yml. The CI
# examples under examples/ci/ call this script, and the Molecule scenario `release` runs it.
#
#   scripts/ci-deploy.sh -i INVENTORY [-t SERVICE=TAG]... [--rollback [RELEASE]] [--no-verify] [-- ANSIBLE ARGS]
#
# The vault password comes from STACKOPS_VAULT_PASSWORD_FILE (a file the CI writes from its
# secret store) and the SSH key from ANSIBLE_PRIVATE_KEY_FILE; STACKOPS_DEPLOYED_BY names who
# ran it in the release record (default: the CI job, or $USER). Exit code: ansible-playbook's.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PLAYBOOKS="${STACKOPS_PLAYBOOKS:-$HERE/../playbooks}"
inventory="" verify=1 rollback="" tags=() extra=()

usage() { sed -n '5,6p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -i) inventory="${2:?}"; shift 2 ;;
    -t) tags+=("${2:?}"); shift 2 ;;
    --rollback) if [ $# -gt 1 ] && [[ "$2" != -* ]]; then rollback="$2"; shift 2; else rollback=previous; shift; fi ;;
    --no-verify) verify=0; shift ;;
    --) shift; extra=("$@"); break ;;
    *) usage ;;
  esac
done
[ -n "$inventory" ] || usage

# SERVICE=TAG pairs as the JSON stack_image_tags mapping; a pair that is not one is refused here.
json="" sep=""
for pair in "${tags[@]+"${tags[@]}"}"; do
  [[ "$pair" =~ ^[a-z0-9][a-z0-9_.-]*=[^[:space:]\"\\]+$ ]] ||
    { echo "ci-deploy: -t $pair is not SERVICE=TAG (such as api=1.4.2)" >&2; exit 2; }
  json+="$sep\"${pair%%=*}\": \"${pair#*=}\""; sep=", "
done
json="{$json}"

args=(-i "$inventory")
[ -z "${STACKOPS_VAULT_PASSWORD_FILE:-}" ] || args+=(--vault-password-file "$STACKOPS_VAULT_PASSWORD_FILE")
export STACKOPS_DEPLOYED_BY="${STACKOPS_DEPLOYED_BY:-${GITHUB_ACTOR:+github:$GITHUB_ACTOR run ${GITHUB_RUN_ID:-}}${GITLAB_USER_LOGIN:+gitlab:$GITLAB_USER_LOGIN job ${CI_JOB_ID:-}}}"
[ -n "$STACKOPS_DEPLOYED_BY" ] || export STACKOPS_DEPLOYED_BY="${USER:-unknown}"

start=$SECONDS
if [ -n "$rollback" ]; then
  ansible-playbook "${args[@]}" "$PLAYBOOKS/rollback.yml" -e "stack_release_target=$rollback" "${extra[@]+"${extra[@]}"}"
else
  ansible-playbook "${args[@]}" "$PLAYBOOKS/deploy.yml" -e "{\"stack_image_tags\": $json}" "${extra[@]+"${extra[@]}"}"
fi
echo "ci-deploy: $( [ -n "$rollback" ] && echo "rollback to $rollback" || echo "deploy $json") done in $((SECONDS - start)) s"
if [ "$verify" = 1 ]; then
  ansible-playbook "${args[@]}" "$PLAYBOOKS/verify.yml" "${extra[@]+"${extra[@]}"}"
fi
