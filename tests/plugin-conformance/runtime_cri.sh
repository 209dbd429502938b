#!/bin/sh
# The conformance kit on runtime-cri, pointed at the containerd that
# tests/cri/run.sh starts (it exports KUBE_CRI_ENDPOINT, and
# KUBE_CRI_PULL_IMAGE: an image its local registry serves):
#   tests/cri/run.sh runtime_cri.sh KIT PLUGIN
kit=$1 plugin=$2
exec "$kit" --stage --config "endpoint=$KUBE_CRI_ENDPOINT" --image "$KUBE_CRI_PULL_IMAGE" \
	--cmd "sleep 1000" "$plugin"
