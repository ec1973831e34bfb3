#!/usr/bin/env bash
# Builds the server and operator images for linux/amd64 and linux/arm64 as
# OCI image indexes, without Docker and without a registry: Go cross-compiles
# the binaries, busybox-static for each architecture comes from Debian's
# packages (hack/debian-busybox.sh), hack/image-rootfs.sh lays out each
# platform's root file system from hack/images/<image>.contents, and imgindex
# (hack/localcluster/tools, go-containerregistry) packages the platforms as
# one index, written as an OCI layout tarball:
#   OUT_DIR/server-index.tar   SERVER_IMAGE for every platform
#   OUT_DIR/manager-index.tar  MANAGER_IMAGE for every platform
# `ctr images import --all-platforms FILE` or `docker load -i FILE` (with
# the containerd image store) loads one; `crane push` or `skopeo copy
# oci-archive:FILE docker://...` publishes it.
#
# Environment: VERSION (default hack/version.sh) is stamped into the
# binaries; PLATFORMS (default "amd64 arm64"); OUT_DIR (default bin/images).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${VERSION:-$(hack/version.sh)}
SERVER_IMAGE=${SERVER_IMAGE:-docker.io/zkensemble/server:$VERSION}
MANAGER_IMAGE=${MANAGER_IMAGE:-docker.io/zkensemble/manager:$VERSION}
PLATFORMS=${PLATFORMS:-amd64 arm64}
out=${OUT_DIR:-bin/images}
mkdir -p "$out" bin
hack/install-deps.sh busybox-static
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd hack/localcluster/tools && go build -trimpath -o "$tmp/imgindex" ./cmd/imgindex)

declare -A rootfs=([server]="" [manager]="")
for arch in $PLATFORMS; do
  bin="$tmp/bin-$arch"
  for cmd in zkensemble-server zkcli manager; do
    CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/zkensemble/zkensemble/pkg/version.Version=$VERSION" -o "$bin/$cmd" "./cmd/$cmd"
  done
  bb=$(hack/debian-busybox.sh "$arch")
  for image in server manager; do
    BIN_DIR=$bin BUSYBOX=$bb hack/image-rootfs.sh "$image" "$tmp/$image-$arch"
    rootfs[$image]+=" linux/$arch=$tmp/$image-$arch"
  done
done

# package IMAGE REF: every platform's layout of IMAGE as one index.
package() {
  local image=$1 ref=$2 entry user
  entry=$(awk '$1 == "entrypoint" {print $2}' "hack/images/$image.contents")
  user=$(awk '$1 == "user" {print $2}' "hack/images/$image.contents")
  # shellcheck disable=SC2086 # one argument per platform
  "$tmp/imgindex" -o "$out/$image-index.tar" -t "$ref" -entrypoint "$entry" -user "$user" ${rootfs[$image]}
}
package server "$SERVER_IMAGE"
package manager "$MANAGER_IMAGE"
