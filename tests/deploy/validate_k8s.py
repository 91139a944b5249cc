#!/usr/bin/env python3
"""Validates every manifest under deploy/k8s/ offline.

- Built-in kinds (StatefulSet, Service, ConfigMap, PodDisruptionBudget,
  Secret): against the Kubernetes JSON schemas that kubernetes-validate
  ships, in strict mode (unknown fields are errors), for every Kubernetes
  version in VERSIONS.
- Custom resources (ServiceMonitor, ScaledObject, TriggerAuthentication):
  against the openAPIV3Schema of their CustomResourceDefinition, vendored
  in tests/deploy/crds/ (tests/deploy/README.md says from which release),
  with unknown fields rejected wherever the schema lists its fields —
  what `kubectl apply --validate=strict` does on a cluster with the CRD.
- The Kustomization: by its own rules below (no schema is published).

A kind with no schema is an error, not a warning.

Runs in the venv of scripts/deploy-tools.sh:
    scripts/deploy-tools.sh python tests/deploy/validate_k8s.py [FILES...]
"""
import copy
import glob
import os
import sys

import jsonschema
import yaml
from kubernetes_validate import utils as kv

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CRD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crds")
# The oldest version the manifests use a field of (preStop `sleep`: 1.30)
# and the newest this kubernetes-validate knows.
VERSIONS = ["1.30", "1.34"]


def load_crds():
    """{(group/version, kind): openAPIV3Schema}."""
    out = {}
    for path in sorted(glob.glob(os.path.join(CRD_DIR, "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                spec = crd["spec"]
                for v in spec["versions"]:
                    if not v.get("served"):
                        continue
                    api = f"{spec['group']}/{v['name']}"
                    out[(api, spec["names"]["kind"])] = \
                        v["schema"]["openAPIV3Schema"]
    return out


def closed(schema):
    """The schema with additionalProperties: false wherever it lists
    properties and neither allows more nor preserves unknown fields:
    structural schemas prune unknown fields silently, a strict apply
    rejects them, and so do we."""
    s = copy.deepcopy(schema)

    def walk(node):
        if not isinstance(node, dict):
            return
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        for key in ("properties", "patternProperties"):
            for child in node.get(key, {}).values():
                walk(child)
        for key in ("items", "additionalProperties", "not"):
            walk(node.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key, []):
                walk(child)

    walk(s)
    # apiVersion, kind and metadata are the API server's; the CRD schema
    # types metadata as a bare object.
    return s


def check_kustomization(path, doc):
    errors = []
    allowed = {"apiVersion", "kind", "resources", "images", "labels",
               "namespace", "namePrefix", "patches", "configMapGenerator",
               "secretGenerator", "commonAnnotations", "components"}
    for k in doc:
        if k not in allowed:
            errors.append(f"unknown or unused field {k!r}")
    here = os.path.dirname(path)
    for r in doc.get("resources", []):
        if not os.path.isfile(os.path.join(here, r)):
            errors.append(f"resource {r} does not exist")
    return errors


def validate_file(path, crds):
    """List of error strings, one per failed object."""
    errors = []
    rel = os.path.relpath(path, REPO)
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    if not docs:
        return [f"{rel}: no object"]
    for doc in docs:
        kind, api = doc.get("kind"), doc.get("apiVersion")
        name = f"{rel}: {kind}/{doc.get('metadata', {}).get('name', '?')}"
        if kind == "Kustomization":
            errors += [f"{name}: {e}" for e in check_kustomization(path, doc)]
            print(f"ok   {name} (kustomization rules)")
            continue
        if (api, kind) in crds:
            schema = closed(crds[(api, kind)])
            v = jsonschema.Draft7Validator(schema)
            errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
            for e in errs:
                where = ".".join(str(p) for p in e.path) or "(top)"
                errors.append(f"{name}: {where}: {e.message}")
            if not errs:
                print(f"ok   {name} (CRD schema)")
            continue
        for version in VERSIONS:
            try:
                got = kv.validate(doc, version, strict=True)
                print(f"ok   {name} (Kubernetes {got}, strict)")
            except kv.ValidationError as e:
                where = ".".join(str(p) for p in e.path) or "(top)"
                errors.append(f"{name}: Kubernetes {e.version}: {where}: "
                              f"{e.message}")
            except kv.SchemaNotFoundError:
                errors.append(f"{name}: no schema for {api} {kind}")
                break
    return errors


def main():
    files = sys.argv[1:] or sorted(
        glob.glob(os.path.join(REPO, "deploy", "k8s", "*.yaml")))
    crds = load_crds()
    if len(crds) < 3:
        print(f"FAIL: expected the vendored CRDs in {CRD_DIR}")
        return 1
    errors = []
    for path in files:
        errors += validate_file(path, crds)
    for e in errors:
        print("FAIL " + e)
    print(f"{len(files)} files, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
