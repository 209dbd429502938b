#!/bin/sh
# kubelite validate and convert, end to end, with exact output.
set -eu
kubelite="$1"; src="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the example manifests are all valid
"$kubelite" validate -f "$src/examples/manifests" >"$tmp/out" 2>"$tmp/err"
[ ! -s "$tmp/out" ] || { echo "unexpected problems:"; cat "$tmp/out"; exit 1; }
grep -qx "kubelite: 11 objects in 8 files, 0 problems" "$tmp/err" || { cat "$tmp/err"; exit 1; }

# every problem of a broken manifest, with its document and line, exit 1
cd "$src/tests/data"
set +e
"$kubelite" validate -f kubelite/bad.yaml -f kubelite/broken.yaml >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "exit $rc, want 1"; exit 1; }
diff -u kubelite/expected.txt "$tmp/out"
grep -qx "kubelite: 2 objects in 2 files, 9 problems" "$tmp/err" || { cat "$tmp/err"; exit 1; }

# convert: YAML -> JSON -> YAML gives back the same YAML
"$kubelite" convert -f "$src/examples/manifests/web-deployment.yaml" -o json >"$tmp/web.json"
"$kubelite" convert -f "$tmp/web.json" -o yaml >"$tmp/web.yaml"
"$kubelite" convert -f "$src/examples/manifests/web-deployment.yaml" -o yaml >"$tmp/web2.yaml"
diff -u "$tmp/web2.yaml" "$tmp/web.yaml"
grep -q '"maxSurge": "25%"' "$tmp/web.json"
# several files convert to one v1 List
"$kubelite" convert -f "$src/examples/manifests" -o json >"$tmp/all.json"
grep -q '"kind": "List"' "$tmp/all.json"
[ "$(grep -c '"apiVersion"' "$tmp/all.json")" -eq 12 ]

# usage errors exit 2
set +e
"$kubelite" validate >/dev/null 2>&1; [ $? -eq 2 ] || exit 1
"$kubelite" convert -f "$src/examples/manifests" -o xml >/dev/null 2>&1; [ $? -eq 2 ] || exit 1
"$kubelite" validate -f /nonexistent >/dev/null 2>&1; [ $? -eq 2 ] || exit 1
"$kubelite" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || exit 1
set -e
echo "kubelite ok"
