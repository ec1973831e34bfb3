#!/usr/bin/env bash
# `make kind-e2e`: the end-to-end suite (test/e2e) on a new 3-node kind
# cluster (cluster.yaml), run in the cluster (hack/e2e-in-cluster.sh), with
# the operator installed by the suite from the Helm chart. The cluster is
# deleted afterwards, also on failure or interrupt, and only when this run
# created it (KEEP_CLUSTER=1 keeps it). Everything it needs is installed and
# built first, cached (setup.sh). The images are the Dockerfile's, built by
# `docker build` and loaded with `kind load docker-image`.
#   KIND_CLUSTER   cluster name (default zkensemble-e2e); an existing one is refused
#   KIND_NODE_IMAGE, GO_IMAGE, BASE_IMAGE  official images instead of local ones (setup.sh)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$KIND_SRC/../.."
name=${KIND_CLUSTER:-zkensemble-e2e}
start=$SECONDS

"$KIND_SRC/setup.sh"
node_image=${KIND_NODE_IMAGE:-$LOCAL_NODE_IMAGE}
export PATH="$KIND_BIN:$PATH" # kind, for hack/e2e-in-cluster.sh
"$KIND_SRC/docker-images.sh"
klog "set up in $((SECONDS - start))s"

if kind get clusters 2>/dev/null | grep -qx "$name"; then
  kdie "a kind cluster named $name exists already: delete it (kind delete cluster --name $name) or set KIND_CLUSTER"
fi
tmp="$(mktemp -d)"
created=0 suite=""
finish() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  [ -z "$suite" ] || kill -TERM "$suite" 2>/dev/null
  if [ $created = 1 ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then
    kind delete cluster --name "$name" >/dev/null 2>&1 || klog "could not delete the kind cluster $name"
  elif [ $created = 1 ]; then
    cp "$tmp/kubeconfig" "$KIND_DIR/$name.kubeconfig"
    klog "cluster $name kept; KUBECONFIG=$KIND_DIR/$name.kubeconfig"
  fi
  rm -rf "$tmp"
  klog "finished in $((SECONDS - start))s (exit $rc)"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t=$SECONDS
created=1 # from here on a cluster of this name is this run's: it did not exist
kind create cluster --name "$name" --image "$node_image" --config "$KIND_SRC/cluster.yaml" \
  --kubeconfig "$tmp/kubeconfig" --wait 5m
# The official node image runs kindnetd; ours needs routes between the nodes' pod networks.
[ -n "${KIND_NODE_IMAGE:-}" ] || "$KIND_SRC/routes.sh" "$tmp/kubeconfig"
klog "cluster $name created in $((SECONDS - t))s"
t=$SECONDS
kind load docker-image --name "$name" "$SERVER_IMAGE" "${SERVER_IMAGE%:*}:upgrade" "$MANAGER_IMAGE"
# The backup scenarios' object store: SeaweedFS from its Go module, packaged without Docker.
IMPORT=0 hack/images.sh seaweedfs
kind load image-archive --name "$name" bin/images/seaweedfs.tar
klog "images loaded in $((SECONDS - t))s"
# In the background, so that a signal runs the trap at once rather than after the suite.
KUBECONFIG="$tmp/kubeconfig" KUBECTL="$LC_BIN/kubectl" E2E_IN_CLUSTER=1 E2E_KIND="$name" hack/e2e.sh &
suite=$!
wait "$suite"
