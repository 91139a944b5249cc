#!/usr/bin/env bash
# Builds and tests the browser UI (ui/, docs/ui.md).
#
#   scripts/ui.sh build         npm ci (when needed) + npm run build -> ui/dist
#   scripts/ui.sh test          npm ci (when needed) + npm test (vitest)
#   scripts/ui.sh node18-check  the same build and unit tests under Debian 12's
#                               own Node.js 18, unpacked beside the installed
#                               node into ~/.cache/dashstream/node18
#
# npm's cache lives in ~/.cache/dashstream/npm; installs are offline-first
# from the committed package-lock.json.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ui="$root/ui"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/dashstream"
npm_cache="$cache/npm"

die() {
  echo "ui.sh: $*" >&2
  exit 1
}

need_node() {
  command -v node >/dev/null 2>&1 ||
    die "node not found: install Debian's nodejs and npm (apt-get install nodejs npm, or scripts/setup.sh)"
  command -v npm >/dev/null 2>&1 ||
    die "npm not found: install Debian's npm (apt-get install npm, or scripts/setup.sh)"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  ((major >= 18)) || die "node $(node --version) is too old: the UI needs Node.js >= 18 (Debian 12's nodejs is 18)"
}

lock_hash() {
  sha256sum "$ui/package-lock.json" | cut -d' ' -f1
}

# npm ci only when node_modules is missing or the lockfile changed since.
ensure_deps() {
  need_node
  local stamp="$ui/node_modules/.ds-lock-sha256"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$(lock_hash)" ]]; then
    return
  fi
  echo "ui.sh: npm ci (node $(node --version), npm $(npm --version))"
  mkdir -p "$npm_cache"
  (cd "$ui" && npm ci --cache "$npm_cache" --prefer-offline --no-audit --no-fund)
  lock_hash >"$stamp"
}

cmd_build() {
  ensure_deps
  (cd "$ui" && npm run build)
  echo "ui.sh: built $ui/dist"
}

cmd_test() {
  ensure_deps
  (cd "$ui" && npm test)
}

# Debian 12's nodejs 18 and libnode108, unpacked (not installed) so that the
# machine's own node stays as it is.
node18_dir="$cache/node18"

fetch_node18() {
  local arch multiarch
  arch=$(dpkg --print-architecture)
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
  export NODE18_LIBDIR="$node18_dir/root/usr/lib/$multiarch"
  if [[ -x "$node18_dir/root/usr/bin/node" && -f "$node18_dir/.complete" ]]; then
    return
  fi
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    die "node18-check needs Debian's apt-get and dpkg-deb"
  local ver
  ver=$(apt-cache madison nodejs 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2)} $2 ~ /^18\./ {print $2; exit}')
  if [[ -z "$ver" ]]; then
    die "no nodejs 18.x in apt's lists: run 'apt-get update' (Debian 12 bookworm's nodejs is 18.x)"
  fi
  echo "ui.sh: fetching Debian's nodejs=$ver and libnode108=$ver ($arch)"
  rm -rf "$node18_dir"
  mkdir -p "$node18_dir/debs" "$node18_dir/root"
  (cd "$node18_dir/debs" && apt-get download -q "nodejs=$ver" "libnode108=$ver")
  # libnode108's own dependencies that this machine does not have.
  local deps missing=() p
  deps=$(dpkg-deb -f "$node18_dir"/debs/libnode108_*.deb Depends)
  for p in $(echo "$deps" | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/ //g'); do
    [[ -z "$p" ]] && continue
    if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    echo "ui.sh: also unpacking libnode108's missing dependencies: ${missing[*]}"
    (cd "$node18_dir/debs" && apt-get download -q "${missing[@]}")
  fi
  for deb in "$node18_dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$node18_dir/root"
  done
  local unresolved
  unresolved=$(LD_LIBRARY_PATH="$NODE18_LIBDIR" ldd "$node18_dir/root/usr/bin/node" | grep 'not found' || true)
  [[ -z "$unresolved" ]] || die "Node 18 still misses libraries: $unresolved"
  touch "$node18_dir/.complete"
}

cmd_node18_check() {
  ensure_deps # node_modules are installed by the default npm (npm 11 needs node 20)
  fetch_node18
  local node18="$node18_dir/root/usr/bin/node"
  local libpath="$NODE18_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # Debian's libnode loads some builtins (acorn, cjs-module-lexer, undici)
  # from absolute paths under /usr/share/nodejs. Where this machine lacks
  # them (its node is not Debian's), run node in a private mount namespace
  # that sees the unpacked copies there instead; the machine is unchanged.
  local ext_ok=1 f
  for f in cjs-module-lexer/lexer.js acorn/dist/acorn.js undici/undici-fetch.js; do
    [[ -f "/usr/share/nodejs/$f" ]] || ext_ok=0
  done
  if ((ext_ok)); then
    n18() { LD_LIBRARY_PATH="$libpath" "$node18" "$@"; }
  else
    [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null ||
      die "Debian's node 18 needs /usr/share/nodejs/{acorn,cjs-module-lexer,undici}: run as root (for a private mount namespace) or apt-get install node-acorn node-cjs-module-lexer node-undici"
    [[ -d /usr/share/nodejs ]] || mkdir -p /usr/share/nodejs
    n18() {
      unshare -m --propagation private sh -c 'mount --bind "$1" /usr/share/nodejs && shift && exec "$@"' \
        sh "$node18_dir/root/usr/share/nodejs" env LD_LIBRARY_PATH="$libpath" "$node18" "$@"
    }
  fi
  local v
  v=$(n18 --version)
  [[ "$v" == v18.* ]] || die "expected Node 18, got $v"
  echo "ui.sh: node18-check with $node18 ($v)"
  cd "$ui"
  echo "== tsc --noEmit (node $v)"
  n18 node_modules/typescript/bin/tsc --noEmit -p .
  echo "== vite build (node $v)"
  n18 node_modules/vite/bin/vite.js build
  n18 scripts/gzip-dist.mjs dist
  echo "== vitest run (node $v)"
  n18 node_modules/vitest/vitest.mjs run
  echo "ui.sh: node18-check passed under $v"
}

case "${1:-}" in
  build) cmd_build ;;
  test) cmd_test ;;
  node18-check) cmd_node18_check ;;
  *)
    echo "usage: scripts/ui.sh build|test|node18-check" >&2
    exit 2
    ;;
esac
