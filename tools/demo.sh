#!/usr/bin/env bash
# The main job: install what is missing, build, and run kubelite on the
# example manifests (validate them, then print one as JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
./build/examples/kubelite/kubelite validate -f examples/manifests
./build/examples/kubelite/kubelite convert -f examples/manifests/web-deployment.yaml -o json
