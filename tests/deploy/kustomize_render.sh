#!/usr/bin/env bash
# Renders deploy/k8s with kubectl's built-in kustomize and validates the
# result like the files themselves (validate_k8s.py).
#   kustomize_render.sh KUBECTL DEPLOY_TOOLS_SH
set -euo pipefail
kubectl=$1
tools=$2
here="$(cd "$(dirname "$0")" && pwd)"
out=$(mktemp --suffix=.yaml)
trap 'rm -f "$out"' EXIT
"$kubectl" kustomize "$here/../../deploy/k8s" >"$out"
echo "rendered $(grep -c '^kind:' "$out") objects"
bash "$tools" python "$here/validate_k8s.py" "$out"
