#!/bin/sh
# Builds an OCI image layout with a busybox-only root file system, for the
# runtime tests: mkimage.sh DIR [BUSYBOX] [REF]
#   DIR/oci-layout, DIR/index.json (ref.name REF, default "busybox:test"),
#   DIR/blobs/sha256/<layer .tar.gz, config, manifest>
# The layer holds /bin/busybox (a static binary), a symlink per applet and
# the usual empty directories.
set -eu
dir=$1
busybox=${2:-/bin/busybox}
ref=${3:-busybox:test}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/tmp" "$work/root/etc" "$work/root/root" "$dir/blobs/sha256"
chmod 1777 "$work/root/tmp"
cp "$busybox" "$work/root/bin/busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "$work/root/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/root/etc/passwd"
tar --numeric-owner --owner=0 --group=0 -C "$work/root" -cf "$work/layer.tar" .
diffid=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
lsize=$(stat -c %s "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$dir/blobs/sha256/$layer"
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
	"$diffid" > "$work/config.json"
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
csize=$(stat -c %s "$work/config.json")
mv "$work/config.json" "$dir/blobs/sha256/$config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
	"$config" "$csize" "$layer" "$lsize" > "$work/manifest.json"
manifest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
msize=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$dir/blobs/sha256/$manifest"
printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
	"$manifest" "$msize" "$ref" > "$dir/index.json"
echo "sha256:$config"
