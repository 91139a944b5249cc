#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running
# DashStream needs. Idempotent: packages already present are skipped, and
# apt is not touched at all when nothing is missing.
#
#   scripts/setup.sh           everything (building, tests, benchmarks)
#   scripts/setup.sh --build   only what the release build and its package
#                              need (the image's build stage, docker/)
set -euo pipefail

# What the release build and its Debian package need.
packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # libraries (see cmake/dependencies.cmake)
  libcaf-dev librdkafka-dev libprotobuf-dev protobuf-compiler libzstd-dev
  liburing-dev prometheus-cpp-dev libboost-dev libboost-system-dev
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libspdlog-dev
  libssl-dev libjemalloc-dev rapidjson-dev libisal-dev libcpp-jwt-dev
  libsystemd-dev
  # the package (cmake/packaging.cmake): its man page; CPack's dependency
  # scan (dpkg-shlibdeps) finds the binaries with `file`
  help2man file
)
case "${1:-}" in
  --build) only_build=1 ;;
  "") only_build= ;;
  *) echo "setup.sh: unknown argument '$1' (see the header)" >&2; exit 2 ;;
esac
[[ -n "$only_build" ]] || packages+=(
  # clang: the fuzz preset, formatting and lint
  clang clang-format clang-tidy libclang-rt-14-dev
  # tests and benchmarks
  catch2 libbenchmark-dev kcat python3 gnuplot-nox
  # the real Kafka broker for integration tests (scripts/kafka-broker.sh)
  default-jre-headless maven
  # monitoring tests: promtool, amtool, the alert end-to-end test
  prometheus prometheus-alertmanager python3-yaml
  # deployment tests: `docker-compose config` (no engine needed), and the
  # venv scripts/deploy-tools.sh makes for kubernetes-validate
  docker-compose python3-venv
  # packaging tests (tests/deploy): the .deb's lint, and the image built
  # without a Docker engine from a Debian base made here (scripts/image.sh)
  lintian buildah debootstrap
  # the WebSocket contract test: a client written from the contract alone
  python3-websockets python3-jwt python3-cryptography
  # the browser UI's end-to-end tests drive Debian's Chromium (playwright-core)
  chromium
)
# The browser UI (ui/) builds with Node.js 18 (Debian 12's) or newer. A
# machine that already has node and npm (NodeSource's nodejs bundles npm,
# which Debian's npm package would conflict with) keeps them.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || {
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
