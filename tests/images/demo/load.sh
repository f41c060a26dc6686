#!/usr/bin/env bash
# Load the demo images (the tags in <repo>/.cache/demo-images.yml, written by build.sh)
# into the Docker engine inside a running test host container:
#
#   tests/images/demo/load.sh HOST
#
# An image the inner engine already has under the same tag and id is skipped, so a second
# run loads nothing; a tag that points elsewhere inside (an older build) is replaced.
# Prints one line per image: "loaded TAG" or "present TAG".
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
LIST="${DEMO_IMAGES_FILE:-${REPO_ROOT}/.cache/demo-images.yml}"

log() { printf 'demo-images: %s\n' "$*" >&2; }

[ $# -eq 1 ] || { echo "usage: $0 HOST" >&2; exit 2; }
host="$1"
[ -r "$LIST" ] || { log "$LIST is missing; run tests/images/demo/build.sh first"; exit 1; }
docker exec "$host" docker info >/dev/null 2>&1 ||
  { log "the Docker engine inside $host does not answer"; exit 1; }

mapfile -t tags < <(sed -n 's/^  [a-z0-9_-]*: "\(stackops-demo\/[^"]*\)"$/\1/p' "$LIST")
[ ${#tags[@]} -gt 0 ] || { log "no image tags found in $LIST"; exit 1; }

missing=()
for tag in "${tags[@]}"; do
  want="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null)" ||
    { log "$tag is not on this machine's engine; run build.sh"; exit 1; }
  have="$(docker exec "$host" docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
  if [ "$have" = "$want" ]; then
    echo "present $tag"
  else
    missing+=("$tag")
  fi
done
[ ${#missing[@]} -gt 0 ] || exit 0

# One stream for all missing images: the layers they share (the base) travel once.
t0=$SECONDS
docker save "${missing[@]}" | docker exec -i "$host" docker load >/dev/null
for tag in "${missing[@]}"; do
  docker exec "$host" docker image inspect "$tag" >/dev/null 2>&1 ||
    { log "loading $tag into $host failed"; exit 1; }
  echo "loaded $tag"
done
log "loaded ${#missing[@]} image(s) into $host in $((SECONDS - t0)) s"
