#!/usr/bin/env bash
# Builds the server and operator images without Docker (go-containerregistry,
# hack/localcluster/load-image.sh) from the binaries in bin/, writes their
# tarballs to bin/images/ (for `kind load image-archive`), and imports them
# into the local cluster when it runs (IMPORT=0 skips that). Arguments name
# the images to build (server, manager, seaweedfs); none: all of them.
# Each image's contents are hack/images/<image>.contents, laid out by
# hack/image-rootfs.sh: the Dockerfile packages the same layout.
# The server is also tagged :upgrade, the e2e suite's rolling-upgrade target;
# seaweedfs is the e2e suite's S3-compatible store (hack/weed.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER_IMAGE=${SERVER_IMAGE:-docker.io/zkensemble/server:dev}
MANAGER_IMAGE=${MANAGER_IMAGE:-docker.io/zkensemble/manager:dev}
mkdir -p bin/images
import=()
[ "${IMPORT:-1}" = 1 ] || import=(--no-import)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# build IMAGE REF TARBALL: lay out IMAGE's contents and package them.
build() {
  local image=$1 ref=$2 tarball=$3 entry user
  rm -rf "${tmp:?}/$image"
  hack/image-rootfs.sh "$image" "$tmp/$image"
  entry=$(awk '$1 == "entrypoint" {print $2}' "hack/images/$image.contents")
  user=$(awk '$1 == "user" {print $2}' "hack/images/$image.contents")
  hack/localcluster/load-image.sh "${import[@]}" -o "$tarball" --user "$user" --rootfs "$tmp/$image" "$ref" "$entry"
}

wanted=" $* "
wants() { [ "$wanted" = "  " ] || [[ $wanted == *" $1 "* ]]; }
if wants server; then
  build server "$SERVER_IMAGE" bin/images/server.tar
  build server "${SERVER_IMAGE%:*}:upgrade" bin/images/server-upgrade.tar
fi
if wants manager; then
  build manager "$MANAGER_IMAGE" bin/images/manager.tar
fi
# The e2e suite's object store (SeaweedFS, built once and cached).
if wants seaweedfs; then
  hack/weed.sh
  build seaweedfs "${SEAWEEDFS_IMAGE:-docker.io/zkensemble/seaweedfs:e2e}" bin/images/seaweedfs.tar
fi
