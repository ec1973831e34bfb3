#!/usr/bin/env bash
# The server and operator images by `docker build` from the Dockerfile, as a
# kind user builds them: $SERVER_IMAGE (also tagged :upgrade, the e2e suite's
# rolling-upgrade target) and $MANAGER_IMAGE. The base images are GO_IMAGE and
# BASE_IMAGE when set, else the local stand-ins of base-images.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$KIND_SRC/../.."
SERVER_IMAGE=${SERVER_IMAGE:-docker.io/zkensemble/server:dev}
MANAGER_IMAGE=${MANAGER_IMAGE:-docker.io/zkensemble/manager:dev}
if [ -n "${GO_IMAGE:-}" ] && [ -n "${BASE_IMAGE:-}" ]; then
  args=(--build-arg "GO_IMAGE=$GO_IMAGE" --build-arg "BASE_IMAGE=$BASE_IMAGE")
else
  read -ra args < <("$KIND_SRC/base-images.sh")
fi
# The Go proxy the host uses (the build stage downloads the modules).
args+=(--build-arg "GOPROXY=$(go env GOPROXY)")
start=$SECONDS
docker build -q "${args[@]}" --target server -t "$SERVER_IMAGE" -t "${SERVER_IMAGE%:*}:upgrade" . >/dev/null
docker build -q "${args[@]}" --target manager -t "$MANAGER_IMAGE" . >/dev/null
klog "docker build of $SERVER_IMAGE and $MANAGER_IMAGE in $((SECONDS - start))s"
