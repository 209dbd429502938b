#!/bin/sh
# Builds an OCI image layout with a busybox-only root file system, for the
# runtime tests: mkimage.sh DIR [BUSYBOX] [REF] [LAYER2]
#   DIR/oci-layout, DIR/index.json (ref.name REF, default "busybox:test"),
#   DIR/blobs/sha256/<layers, config, manifest>
# The first layer (gzip) holds /bin/busybox (a static binary), a symlink per
# applet, /etc/passwd and the usual empty directories.  LAYER2, a directory,
# becomes a second, uncompressed layer on top (whiteouts included as they
# are: ".wh.<name>" files).  Prints the image id (the config digest).
set -eu
dir=$1
busybox=${2:-/bin/busybox}
ref=${3:-busybox:test}
layer2=${4:-}
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
layers=$(printf '{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}' "$layer" "$lsize")
diffids="\"sha256:$diffid\""
if [ -n "$layer2" ]; then
	tar --numeric-owner --owner=0 --group=0 -C "$layer2" -cf "$work/layer2.tar" .
	l2=$(sha256sum "$work/layer2.tar" | cut -d' ' -f1)
	l2size=$(stat -c %s "$work/layer2.tar")
	mv "$work/layer2.tar" "$dir/blobs/sha256/$l2"
	layers="$layers,$(printf '{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}' "$l2" "$l2size")"
	diffids="$diffids,\"sha256:$l2\""
fi
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
	"$diffids" > "$work/config.json"
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
csize=$(stat -c %s "$work/config.json")
mv "$work/config.json" "$dir/blobs/sha256/$config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
	"$config" "$csize" "$layers" > "$work/manifest.json"
manifest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
msize=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$dir/blobs/sha256/$manifest"
printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
	"$manifest" "$msize" "$ref" > "$dir/index.json"
echo "sha256:$config"
