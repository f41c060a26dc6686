#!/usr/bin/env bash
# Build the demo product's container images locally from Debian packages (no registry is
# reachable here, so nothing is pulled):
#
#   stackops-demo/base:<hash>      debootstrap --variant=minbase trixie, via docker import
#   stackops-demo/postgres:<hash>  PostgreSQL 17, uid:gid 999:999
#   stackops-demo/redis:<hash>     redis-server, uid:gid 998:998
#   stackops-demo/app:<hash>       Python api/bot/worker/beat/migrate, uid:gid 10001:10001
#   stackops-demo/web:<hash>       static mini app on busybox httpd, uid:gid 10002:10002
#
# Each build tag is a sha256 (12 chars) over the recipe: this script, the base recipe (base/)
# and the image's own directory. An image whose build tag exists is not rebuilt. Each image
# is also tagged with the demo product's release, stackops-demo/NAME:$DEMO_RELEASE, the name
# the dev inventory deploys (pinned; there is no :latest). The release tags are written to
# <repo>/.cache/demo-images.yml for load.sh.
#
#   tests/images/demo/build.sh            (builds sequentially: the machine has 2 cores)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# The release of the demo product: the tag inventories/dev deploys.
DEMO_RELEASE="1.0"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
OUT="${REPO_ROOT}/.cache/demo-images.yml"
MIRROR="${STACKOPS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="trixie"
IMAGES=(postgres redis app web)

log() { printf 'demo-images: %s\n' "$*" >&2; }

# sha256 over the names and contents of the given recipe paths (relative to HERE), 12 chars.
recipe_hash() {
  (cd "$HERE" && find "$@" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

ensure_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -eq 0 ] && [ -r /etc/debian_version ]; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  else
    log "debootstrap is missing; install it (apt-get install debootstrap) as root and run again"
    exit 1
  fi
}

build_base() {
  local tag="$1" root
  ensure_debootstrap
  root="$(mktemp -d /var/tmp/stackops-demo-base.XXXXXX)"
  log "building $tag (debootstrap --variant=minbase $SUITE)"
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" \
    >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; rm -rf "$root" "$root.log"; return 1; }
  install -m 0644 "$HERE/base/sources.list" "$root/etc/apt/sources.list"
  rm -f "$root/etc/apt/sources.list.d/debian.sources"
  install -m 0644 "$HERE/base/apt.conf" "$root/etc/apt/apt.conf.d/90stackops-demo"
  install -m 0644 "$HERE/base/dpkg-nodoc.cfg" "$root/etc/dpkg/dpkg.cfg.d/90stackops-nodoc"
  install -m 0755 "$HERE/base/policy-rc.d" "$root/usr/sbin/policy-rc.d"
  # Drop what the nodoc rule would have kept out, and every cache.
  find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
    "$root"/var/cache/debconf/*-old "$root"/tmp/*
  : >"$root/etc/machine-id"
  tar -C "$root" --numeric-owner -c . | docker import \
    -c 'ENV LANG=C.UTF-8' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/bash"]' \
    -m "stackops demo base, Debian $SUITE minbase" - "$tag" >/dev/null
  rm -rf "$root" "$root.log"
}

build_image() {
  local name="$1" tag="$2" base="$3"
  log "building $tag"
  local blog; blog="$(mktemp /var/tmp/stackops-demo-build.XXXXXX)"
  # Legacy builder (BuildKit is not used on these engines); never --pull: no registry.
  DOCKER_BUILDKIT=0 docker build --build-arg "BASE=$base" \
    --label "org.stackops.demo.recipe=${tag##*:}" -t "$tag" "$HERE/$name" >"$blog" 2>&1 ||
    { tail -n 40 "$blog" >&2; rm -f "$blog"; log "building $tag failed"; return 1; }
  rm -f "$blog"
}

if ! { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }; then
  log "no Docker engine answers; run scripts/ensure-docker.sh first"; exit 1
fi

start=$SECONDS
base_tag="stackops-demo/base:$(recipe_hash build.sh base)"
if have_image "$base_tag"; then log "$base_tag is up to date"; else build_base "$base_tag"; fi

declare -A tags
for name in "${IMAGES[@]}"; do
  tag="stackops-demo/${name}:$(recipe_hash build.sh base "$name")"
  if have_image "$tag"; then
    log "$tag is up to date"
  else
    build_image "$name" "$tag" "$base_tag"
  fi
  docker tag "$tag" "stackops-demo/${name}:${DEMO_RELEASE}"
  tags[$name]="stackops-demo/${name}:${DEMO_RELEASE}"
done

mkdir -p "$(dirname "$OUT")"
{
  echo "# Written by tests/images/demo/build.sh; do not edit."
  echo "demo_images:"
  for name in "${IMAGES[@]}"; do printf '  %s: "%s"\n' "$name" "${tags[$name]}"; done
} >"$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
log "wrote ${OUT#"$REPO_ROOT"/} ($((SECONDS - start)) s)"
