#!/usr/bin/env bash
# The test suite: install what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build ${MESON_ARGS:-} >/dev/null
ninja -C build
meson test -C build --print-errorlogs
