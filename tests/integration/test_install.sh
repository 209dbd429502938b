#!/bin/sh
# meson install puts headers, libkube.so, libkube.a and libkube.pc in place,
# and a program builds against them with pkg-config alone, both shared and
# static, and runs.
set -eu
build="$1"; src="$2"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --no-rebuild >/dev/null
prefix=$(meson introspect "$build" --buildoptions | python3 -c \
  'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
instrumented=$(meson introspect "$build" --buildoptions | python3 -c \
  'import json,sys; o={x["name"]: x["value"] for x in json.load(sys.stdin)}; print(o["b_sanitize"] != "none" or o["b_coverage"])')
# a sanitized or coverage build needs its runtime linked into every program
[ "$instrumented" = "False" ] || { echo "skipped: instrumented build"; exit 77; }
root="$dest$prefix"
pc=$(find "$root" -name libkube.pc | head -1)
[ -n "$pc" ] || { echo "libkube.pc not installed"; exit 1; }
for f in include/libkube/kube.h include/libkube/object.h; do
  [ -f "$root/$f" ] || { echo "missing $f"; exit 1; }
done
libdir=$(dirname "$(dirname "$pc")")
ls "$libdir"/libkube.so.0 "$libdir"/libkube.a >/dev/null
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest"
cflags=$(pkg-config --cflags libkube); libs=$(pkg-config --libs libkube)
cc -std=c11 -Wall -Werror $cflags "$src/examples/embed/hello.c" $libs -o "$dest/hello"
out=$(LD_LIBRARY_PATH="$libdir" "$dest/hello" < "$src/examples/manifests/web-service.yaml")
[ "$out" = "Service/web: valid" ] || { echo "unexpected output: $out"; exit 1; }
cc -std=c11 -Wall -Werror $cflags "$src/examples/embed/hello.c" \
   "$libdir/libkube.a" $(pkg-config --libs --static libkube | sed 's/-lkube//') -o "$dest/hello-static"
out=$("$dest/hello-static" < "$src/examples/manifests/web-service.yaml")
[ "$out" = "Service/web: valid" ] || { echo "unexpected static output: $out"; exit 1; }
echo "install ok"
