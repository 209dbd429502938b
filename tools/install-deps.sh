#!/usr/bin/env bash
# Installs the Debian packages libkube needs to build and test, only those
# that are missing.  Runs apt-get as root (directly, or through sudo).
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libyaml-dev libjson-c-dev check
  libevent-dev libsqlite3-dev   # the event loop, the store's durable backend
  clang libclang-rt-dev llvm    # libFuzzer and the sanitizer runtimes
  binutils                      # nm, for the exported-symbol test
  libnghttp2-dev                # HTTP/2 under the gRPC client
  libprotobuf-c-dev protobuf-c-compiler   # CRI messages, generated at build time
  libseccomp-dev                # runtime-process's syscall filter
  containerd runc busybox-static docker-registry   # the real CRI peer and its images
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
