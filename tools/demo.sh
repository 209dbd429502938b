#!/usr/bin/env bash
# The main job: install what is missing, build, check the example manifests
# (validate, convert one to JSON), then run them on a 3-node simulated
# cluster for a few seconds and show what it made, as kubectl would.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
kubelite=./build/examples/kubelite/kubelite
$kubelite validate -f examples/manifests
$kubelite convert -f examples/manifests/web-deployment.yaml -o json
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
$kubelite run --data-dir "$data" --nodes 3 -f examples/manifests --ready-delay 500 --duration 5
$kubelite get deployments --data-dir "$data"
$kubelite get replicasets --data-dir "$data"
$kubelite get pods --data-dir "$data" -o wide
$kubelite get statefulsets,daemonsets,jobs,cronjobs -A --data-dir "$data"
$kubelite get services,endpoints,resourcequotas --data-dir "$data"
$kubelite get nodes --data-dir "$data"
