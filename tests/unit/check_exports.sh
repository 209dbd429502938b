#!/bin/sh
# Fails if libkube.so exports any dynamic symbol that is not part of the
# public kube_* API (internal helpers are kube__*), or exports nothing.
set -eu
lib="$1"
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//')
[ -n "$syms" ] || { echo "no exported symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -v '^LIBKUBE_' | grep -Ev '^kube_[a-z0-9]' || true)
if [ -n "$bad" ]; then
  echo "symbols outside the kube_* API exported from $lib:"; printf '%s\n' "$bad"; exit 1
fi
for must in kube_error_last kube_strerror kube_set_allocator kube_free \
            kube_validate_qualified_name kube_validate_label_value \
            kube_validate_dns1123_label kube_validate_dns1123_subdomain; do
  printf '%s\n' "$syms" | grep -qx "$must" || { echo "missing export: $must"; exit 1; }
done
echo "exports ok: $(printf '%s\n' "$syms" | grep -c '^kube_') kube_* symbols"
