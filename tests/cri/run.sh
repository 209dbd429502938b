#!/usr/bin/env bash
# The CRI integration harness: a real containerd, on its own, for one run.
#
#   run.sh PROGRAM [ARGS...]          run PROGRAM (the Check suite) against it
#   run.sh --bench PROGRAM [ARGS...]  the same, for bench_cri
#   run.sh --shell                    start everything and wait (for poking by hand)
#
# Everything lives in one temporary directory: containerd's root, state,
# socket and config, the CRI logs, the registry's storage.  In order:
#   1. an OCI image layout tarball made here from busybox-static (one layer
#      with /bin/busybox and its applet links; two configs, two manifests,
#      an index naming both images, one of them to be removed);
#   2. a docker-registry on 127.0.0.1:<free port> with the same blobs pushed
#      through the registry HTTP API v2 with curl (blob uploads, manifest
#      PUT), for PullImage;
#   3. containerd with the CRI plugin: sandbox_image is the image above
#      (fully qualified: containerd expands short names and would try to
#      pull), restrict_oom_score_adj = true (this machine refuses to lower
#      oom_score_adj; without it runc fails with "can't get final child's PID
#      from pipe"), and a hosts.toml that sends 127.0.0.1:<port> to plain
#      http;
#   4. `ctr images import` into the k8s.io namespace;
#   5. PROGRAM, with the facts it checks in KUBE_CRI_* variables.
# On any exit (trap), every task is killed through ctr, and containerd, its
# shims and the registry are stopped by their own pids; mounts under the
# directory are undone and it is removed.
set -euo pipefail

mode=run
case "${1:-}" in
  --bench) mode=bench; shift ;;
  --shell) mode=shell; shift ;;
esac
if [ "$mode" != shell ] && [ $# -lt 1 ]; then
  echo "usage: $0 [--bench] PROGRAM [ARGS...] | --shell" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: containerd needs root" >&2
  exit 1
fi
for tool in containerd ctr runc containerd-shim-runc-v2 docker-registry curl sha256sum tar; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (tools/install-deps.sh)" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "run.sh: /bin/busybox is missing (busybox-static)" >&2; exit 1; }

dir=$(mktemp -d /tmp/kube-cri.XXXXXX)
sock="$dir/containerd.sock"
containerd_pid=""
registry_pid=""

log() { echo "run.sh: $*" >&2; }

# Processes whose command line names our socket: the shims containerd
# started for us (they re-parent away from containerd, so this is how to
# find their pids).
our_shims() {
  local p
  for p in /proc/[0-9]*; do
    [ -r "$p/cmdline" ] || continue
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "-address $sock "; then
      echo "${p#/proc/}"
    fi
  done
}

stop_pid() {   # pid, seconds to wait after SIGTERM
  local pid=$1 wait=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  # reap it if it is our child
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null; then
    # leftovers of a failed run: kill their tasks so the shims exit by themselves
    local t
    for t in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$sock" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1
    done
    sleep 0.5
    for t in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$sock" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1
    done
  fi
  local pid
  for pid in $(our_shims); do
    stop_pid "$pid" 2
  done
  [ -n "$containerd_pid" ] && stop_pid "$containerd_pid" 10
  [ -n "$registry_pid" ] && stop_pid "$registry_pid" 5
  for pid in $(our_shims); do   # a shim started while containerd stopped
    kill -KILL "$pid" 2>/dev/null
  done
  # mounts left under the directory (rootfs, shm), deepest first
  local m
  for m in $(awk -v d="$dir" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  if [ "$rc" -ne 0 ] && [ -f "$dir/containerd.log" ]; then
    log "containerd's log (last 40 lines):"
    tail -n 40 "$dir/containerd.log" >&2
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local port i
  for ((i = 0; i < 50; i++)); do
    port=$((20000 + RANDOM % 20000))
    # nothing listens there (bash's /dev/tcp connect fails)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# ---- 1. the OCI image layout ----

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac

layout="$dir/layout"
rootfs="$dir/rootfs"
mkdir -p "$layout/blobs/sha256" "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" \
         "$rootfs/sys" "$rootfs/dev"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh cat echo sleep ls true false id env ps hostname wc; do
  ln -s busybox "$rootfs/bin/$applet"
done
echo "root:x:0:0:root:/:/bin/sh" >"$rootfs/etc/passwd"
echo "root:x:0:" >"$rootfs/etc/group"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .

put_blob() {   # file -> prints its digest hex, stores it as a blob
  local hex
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$layout/blobs/sha256/$hex"
  echo "$hex"
}
size_of() { stat -c %s "$1"; }

layer_hex=$(put_blob "$dir/layer.tar")
layer_size=$(size_of "$dir/layer.tar")
printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sleep","2147483647"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"libkube tests/cri/run.sh"}]}' \
  "$arch" "$layer_hex" >"$dir/config.json"
config_hex=$(put_blob "$dir/config.json")
config_size=$(size_of "$dir/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config_hex" "$config_size" "$layer_hex" "$layer_size" >"$dir/manifest.json"
manifest_hex=$(put_blob "$dir/manifest.json")
manifest_size=$(size_of "$dir/manifest.json")
# A second image on the same layer with its own config, so its own id:
# CRI's RemoveImage removes every name of the image id it resolves to.
sed 's/"Cmd":\["\/bin\/sleep","2147483647"\]/"Cmd":["\/bin\/true"]/' "$dir/config.json" >"$dir/config2.json"
config2_hex=$(put_blob "$dir/config2.json")
config2_size=$(size_of "$dir/config2.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config2_hex" "$config2_size" "$layer_hex" "$layer_size" >"$dir/manifest2.json"
manifest2_hex=$(put_blob "$dir/manifest2.json")
manifest2_size=$(size_of "$dir/manifest2.json")

image="docker.io/library/kube-busybox:1.0"
image_extra="docker.io/library/kube-busybox:remove-me"
entry() {   # manifest hex, size, name, tag
  printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}' \
    "$1" "$2" "$arch" "$3" "$4"
}
printf '{"schemaVersion":2,"manifests":[%s,%s]}' \
  "$(entry "$manifest_hex" "$manifest_size" "$image" 1.0)" \
  "$(entry "$manifest2_hex" "$manifest2_size" "$image_extra" remove-me)" \
  >"$layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
tar --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$dir/image.tar" oci-layout index.json blobs

# ---- 2. the registry ----

reg_port=$(free_port)
mkdir -p "$dir/registry"
cat >"$dir/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$reg_port
EOF
docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
registry_pid=$!
for ((i = 0; i < 100; i++)); do
  curl -fsS "http://127.0.0.1:$reg_port/v2/" >/dev/null 2>&1 && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$dir/registry.log" >&2; log "the registry died"; exit 1; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$reg_port/v2/" >/dev/null || { log "the registry did not start"; exit 1; }

repo="kube/busybox"
push_blob() {   # file, hex
  local location
  location=$(curl -fsS -X POST -D - -o /dev/null "http://127.0.0.1:$reg_port/v2/$repo/blobs/uploads/" |
             tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
  [ -n "$location" ] || { log "no upload location"; return 1; }
  case "$location" in
    http*) ;;
    *) location="http://127.0.0.1:$reg_port$location" ;;
  esac
  case "$location" in
    *\?*) location="$location&digest=sha256:$2" ;;
    *) location="$location?digest=sha256:$2" ;;
  esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$location" >/dev/null
}
push_blob "$dir/layer.tar" "$layer_hex"
push_blob "$dir/config.json" "$config_hex"
curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$dir/manifest.json" "http://127.0.0.1:$reg_port/v2/$repo/manifests/pulled" >/dev/null
pull_image="127.0.0.1:$reg_port/$repo:pulled"

# ---- 3. containerd ----

mkdir -p "$dir/root" "$dir/state" "$dir/logs" "$dir/certs.d/127.0.0.1:$reg_port" \
         "$dir/cni/bin" "$dir/cni/net.d"
cat >"$dir/certs.d/127.0.0.1:$reg_port/hosts.toml" <<EOF
server = "http://127.0.0.1:$reg_port"

[host."http://127.0.0.1:$reg_port"]
  capabilities = ["pull", "resolve"]
EOF
cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
oom_score = 0

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$image"
  restrict_oom_score_adj = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$dir/cni/bin"
    conf_dir = "$dir/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$dir/certs.d"
EOF
containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
containerd_pid=$!
for ((i = 0; i < 200; i++)); do
  [ -S "$sock" ] && ctr -a "$sock" version >/dev/null 2>&1 && break
  kill -0 "$containerd_pid" 2>/dev/null || { log "containerd died"; exit 1; }
  sleep 0.1
done
ctr -a "$sock" version >/dev/null || { log "containerd did not start"; exit 1; }

# ---- 4. the images ----

ctr -a "$sock" -n k8s.io images import "$dir/image.tar" >"$dir/import.log" 2>&1 ||
  { cat "$dir/import.log" >&2; log "ctr images import failed"; exit 1; }

export KUBE_CRI_ENDPOINT="unix://$sock"
export KUBE_CRI_IMAGE="$image"
export KUBE_CRI_IMAGE_EXTRA="$image_extra"
export KUBE_CRI_IMAGE_ID="sha256:$config_hex"
export KUBE_CRI_IMAGE_EXTRA_ID="sha256:$config2_hex"
export KUBE_CRI_PULL_IMAGE="$pull_image"
export KUBE_CRI_LOG_DIR="$dir/logs"
export KUBE_CRI_ROOT="$dir/root"

# ---- 5. the program ----

if [ "$mode" = shell ]; then
  log "containerd at $KUBE_CRI_ENDPOINT; image $image; registry image $pull_image"
  log "press ^C to stop"
  while kill -0 "$containerd_pid" 2>/dev/null; do sleep 1; done
  exit 0
fi
"$@"
