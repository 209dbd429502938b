#!/bin/sh
# kubelite validate and convert, end to end, with exact output.
set -eu
kubelite="$1"; src="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the example manifests are all valid
"$kubelite" validate -f "$src/examples/manifests" >"$tmp/out" 2>"$tmp/err"
[ ! -s "$tmp/out" ] || { echo "unexpected problems:"; cat "$tmp/out"; exit 1; }
grep -qx "kubelite: 10 objects in 7 files, 0 problems" "$tmp/err" || { cat "$tmp/err"; exit 1; }
echo "kubelite ok"
