#!/usr/bin/env bash
# Build the test-host images: a minimal Debian (what a fresh VPS has: python3, systemd,
# sshd's absence included) with systemd as PID 1, made locally with debootstrap since no
# image registry is reachable. Each image is tagged with a hash of this recipe and is
# rebuilt only when the recipe changes. Containers are started with --stop-signal SIGRTMIN+3
# (systemd halts cleanly on it), which docker import cannot record in the image.
#
#   tests/images/build.sh [bookworm|trixie ...]      (default: both)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
MIRROR="${STACKOPS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
REPO="stackops-testhost"
INCLUDE="python3,systemd,systemd-sysv,iproute2,ca-certificates,procps,sudo"
RECIPE_HASH="$(cat "$HERE/build.sh" | sha256sum | cut -c1-12)"

log() { printf 'test-images: %s\n' "$*" >&2; }

command -v debootstrap >/dev/null 2>&1 || {
  if [ "$(id -u)" -eq 0 ] && [ -r /etc/debian_version ]; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  else
    log "debootstrap is missing; install it (apt-get install debootstrap) and run again"; exit 1
  fi
}

build_one() {
  local suite="$1" tag="${REPO}:${1}-${RECIPE_HASH}" root
  if docker image inspect "$tag" >/dev/null 2>&1; then
    log "$tag is up to date"
  else
    root="$(mktemp -d "/var/tmp/stackops-${suite}.XXXXXX")"
    log "building $tag (debootstrap $suite)"
    debootstrap --variant=minbase --include="$INCLUDE" "$suite" "$root" "$MIRROR" \
      >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; rm -rf "$root"; return 1; }
    # The sources a fresh cloud image of this release has: main, updates and security.
    cat >"$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR $suite main
deb $MIRROR $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SOURCES
    # Kernel modules cannot be loaded in a container; without the mask the host reports
    # "degraded" forever.
    ln -sf /dev/null "$root/etc/systemd/system/systemd-modules-load.service"
    # A VM gets its machine-id on first boot; so does this image.
    : >"$root/etc/machine-id"
    rm -rf "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -c . | docker import \
      -c 'CMD ["/lib/systemd/systemd"]' \
      -m "stackops test host, Debian $suite, recipe $RECIPE_HASH" - "$tag" >/dev/null
    rm -rf "$root" "$root.log"
  fi
  docker tag "$tag" "${REPO}:${suite}"
}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bookworm trixie)
pids=()
for s in "${suites[@]}"; do build_one "$s" & pids+=($!); done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
