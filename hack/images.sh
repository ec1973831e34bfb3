#!/usr/bin/env bash
# Builds the server and operator images without Docker (go-containerregistry,
# hack/localcluster/load-image.sh) from the binaries in bin/, writes their
# tarballs to bin/images/ (for `kind load image-archive`), and imports them
# into the local cluster when it runs (IMPORT=0 skips that).
# The server image carries zkcli, a command-line client, at /zkcli.
# The server is also tagged :upgrade, the e2e suite's rolling-upgrade target.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER_IMAGE=${SERVER_IMAGE:-docker.io/zkensemble/server:dev}
MANAGER_IMAGE=${MANAGER_IMAGE:-docker.io/zkensemble/manager:dev}
mkdir -p bin/images
import=()
[ "${IMPORT:-1}" = 1 ] || import=(--no-import)
hack/localcluster/load-image.sh "${import[@]}" -o bin/images/server.tar "$SERVER_IMAGE" bin/zkensemble-server bin/zkcli
hack/localcluster/load-image.sh "${import[@]}" -o bin/images/server-upgrade.tar "${SERVER_IMAGE%:*}:upgrade" bin/zkensemble-server bin/zkcli
hack/localcluster/load-image.sh "${import[@]}" -o bin/images/manager.tar "$MANAGER_IMAGE" bin/manager
