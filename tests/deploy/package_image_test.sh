#!/usr/bin/env bash
# The Debian package and the container image, made from this build and
# checked with the real tools (tests/deploy/README.md):
#   1. the .deb (scripts/image.sh package): its files, conffiles, maintainer
#      scripts and dependencies; lintian reports nothing;
#   2. the image (docker/Dockerfile, `prebuilt` stage, built by buildah on a
#      debootstrap base): its final stage installs the .deb with apt/dpkg
#      into that fresh Debian root, so the package's install (its postinst,
#      its dependencies) runs for real;
#   3. the image's config: non-root user, spool volume, healthcheck on
#      /health, SIGTERM, port, OCI labels;
#   4. inside the image, as its user: `dashstream --version`, then the
#      embedded demo, which consumes records and serves the packaged UI.
# Usage: package_image_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}" BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
export IMAGE="dashstream-test:$$"
image_sh="$src/scripts/image.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
cleanup() {
  buildah rmi -f "$IMAGE" >/dev/null 2>&1 || true
  # The build's intermediate stage (the base plus the package) stays behind
  # untagged; vfs stores each as a full copy.
  buildah rmi --prune >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== the package"
deb=$("$image_sh" package "$build" | tail -n 1)
[[ -f "$deb" ]] || fail "no package: $deb"
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$work/files"
for f in /usr/bin/dashstream /lib/systemd/system/dashstream.service \
  /etc/dashstream/dashstream.toml /etc/dashstream/dashstream.env \
  /usr/share/man/man1/dashstream.1.gz /usr/share/doc/dashstream/copyright \
  /usr/share/doc/dashstream/changelog.Debian.gz \
  /usr/share/lintian/overrides/dashstream; do
  grep -qx "$f" "$work/files" || fail "$f is not in the package"
done
if [[ -f "$src/ui/dist/index.html" ]]; then
  grep -qx /usr/share/dashstream/ui/index.html "$work/files" ||
    fail "ui/dist is built but the package has no UI"
fi
dpkg-deb -e "$deb" "$work/control"
diff <(sort "$work/control/conffiles") \
  <(printf '/etc/dashstream/dashstream.env\n/etc/dashstream/dashstream.toml\n') ||
  fail "the conffiles differ"
for s in postinst prerm postrm; do
  [[ -x "$work/control/$s" ]] || fail "no executable $s"
  sh -n "$work/control/$s" || fail "$s is not valid sh"
done
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst creates no system user"
depends=$(dpkg-deb -f "$deb" Depends)
for d in adduser librdkafka1 libcaf-core0.17; do
  [[ "$depends" == *"$d"* ]] || fail "Depends lacks $d: $depends"
done
echo "lintian:"
lintian_out=$(lintian --fail-on error,warning,info "$deb" 2>&1 | grep -v 'running with root privileges' || true)
[[ -z "$lintian_out" ]] || fail "lintian: $lintian_out"
echo "  clean (remaining tags explained in deploy/debian/lintian-overrides)"

echo "== the image (buildah, prebuilt package)"
"$image_sh" build --prebuilt "$build"
buildah inspect --type image "$IMAGE" >"$work/inspect.json"
python3 - "$work/inspect.json" "$src/CMakeLists.txt" <<'PY'
import json, re, sys
i = json.load(open(sys.argv[1]))
c = i["Docker"]["config"]
h = c.get("Healthcheck") or {}
version = re.search(r"project\(dashstream VERSION ([0-9.]+)", open(sys.argv[2]).read()).group(1)
def check(ok, what):
    if not ok:
        sys.exit(f"FAIL: image config: {what}: {json.dumps(c)} {json.dumps(h)}")
check(c.get("User") == "10001:10001", "runs as uid 10001, not root")
check("/var/lib/dashstream/spool" in (c.get("Volumes") or {}), "the spool is a volume")
check(c.get("StopSignal") == "SIGTERM", "STOPSIGNAL SIGTERM")
check("3002/tcp" in (c.get("ExposedPorts") or {}), "port 3002 exposed")
check(c.get("Entrypoint") == ["dashstream"], "entrypoint dashstream")
env = dict(e.split("=", 1) for e in c.get("Env", []))
check(env.get("DASHSTREAM_DLQ_SPOOL_DIR") == "/var/lib/dashstream/spool", "spool env")
labels = c.get("Labels") or {}
check(labels.get("org.opencontainers.image.version") == version, "version label")
check(re.fullmatch(r"[0-9a-f]{12}", labels.get("org.opencontainers.image.revision", "")), "revision label")
test = " ".join((h or {}).get("Test", []))
check("/health" in test and "3002" in test, "HEALTHCHECK on /health")
print("  user 10001, spool volume, SIGTERM, 3002, labels, healthcheck: ok")
PY

echo "== inside the image"
"$image_sh" exec dpkg-query -W -f '${Package} ${Version} ${Status}\n' dashstream | tee "$work/dpkg"
grep -q "install ok installed" "$work/dpkg" || fail "the package is not installed in the image"
"$image_sh" exec id dashstream | tee "$work/id"
grep -q 'uid=10001(dashstream)' "$work/id" || fail "no dashstream user with uid 10001"
version=$("$image_sh" run --version)
echo "$version"
[[ "$version" == "dashstream $(sed -n 's/^project(dashstream VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt") (commit "* ]] ||
  fail "dashstream --version printed '$version'"
# The demo, as the image's user, with the image's environment (its spool
# volume's directory); it stops by itself.
"$image_sh" run demo --duration 6 --rate 300 --port 0 --set log.level=warn >"$work/demo.log" 2>&1 &
demo=$!
url=
for _ in $(seq 150); do
  url=$(grep -o 'Open the UI: http://[^ ]*' "$work/demo.log" | awk '{print $4}' || true)
  [[ -n "$url" ]] && break
  sleep 0.2
done
[[ -n "$url" ]] || { cat "$work/demo.log" >&2; fail "the demo printed no UI address"; }
base=${url%%/#token=*}
page=$(curl -fsS "$base/")
[[ "$page" == *'<div id="root">'* ]] || fail "/ is not the packaged UI: ${page:0:300}"
wait "$demo" || { cat "$work/demo.log" >&2; fail "the demo exited with $?"; }
processed=$(grep -o 'processed [0-9]*' "$work/demo.log" | tail -n 1 | awk '{print $2}')
[[ -n "$processed" && "$processed" -gt 0 ]] || { cat "$work/demo.log" >&2; fail "the demo processed nothing"; }
echo "ok: package installed in a fresh Debian root, image runs as uid 10001; demo processed $processed records and served the UI at $base/"
