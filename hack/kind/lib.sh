# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# Shared settings of the kind scripts (sourced, not run): pinned versions and
# where things are kept. The Kubernetes version and the binaries kind's node
# image shares with the local cluster come from hack/localcluster/lib.sh.

KIND_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../localcluster/lib.sh
source "$KIND_SRC/../localcluster/lib.sh"

KIND_VERSION=v0.33.0
# etcd: kubeadm v1.37 runs registry.k8s.io/etcd:3.7.0-0 with flags Debian's 3.4 lacks.
ETCD_VERSION=v3.7.0
CRICTL_VERSION=v1.37.0
LPP_VERSION=v0.0.30 # rancher/local-path-provisioner: kind's default StorageClass

# Beside the local cluster's cache: binaries, the debootstrap'd rootfs, image tars, dockerd's log and pid.
KIND_DIR="${KIND_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zkensemble/kind}"
KIND_BIN="$KIND_DIR/bin"
KIND="$KIND_BIN/kind"
# The node image built here (node-image.sh); KIND_NODE_IMAGE=kindest/node:... uses an official one instead.
LOCAL_NODE_IMAGE="local/kind-node:$K8S_VERSION"

klog() { printf '[kind %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
kdie() { klog "error: $*"; exit 1; }

# input_hash FILE...: a hash of the files' contents, for rebuild stamps.
input_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }
