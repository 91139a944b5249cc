#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, builds the
# daemon and the browser UI, and runs `dashstream demo` -- an embedded Kafka
# broker (librdkafka's mock cluster), a synthetic DashFlow producer with a
# few injected faults over two tenants, and the daemon validating the
# stream. It prints the UI's address with an admin token (open it in a
# browser) and a tenant-0 token. Ctrl-C stops it.
#
#   scripts/demo.sh                     until Ctrl-C
#   scripts/demo.sh --duration 30       extra flags go to `dashstream demo`
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/ui.sh build
cmake --preset dev >/dev/null
cmake --build --preset dev -j "${DS_JOBS:-$(nproc)}" --target dashstream
exec build/dev/app/dashstream demo --set log.format=text "$@"
