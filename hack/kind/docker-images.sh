#!/usr/bin/env bash
# The server and operator images by `docker build` from the Dockerfile:
# $SERVER_IMAGE (also tagged :upgrade, the e2e suite's rolling-upgrade
# target) and $MANAGER_IMAGE. The base images are GO_IMAGE and BASE_IMAGE when
# set, else the local stand-ins of base-images.sh. The binaries are built here
# first, into bin/docker/, and the Dockerfile takes them (PREBUILT=1): the
# host's Go build cache is warm, the build stage's is empty every time (a
# change to the sources cost 11 min there on 2 busy cores).
# DOCKER_GO_BUILD=1 builds them in the Dockerfile's build stage instead, as a
# plain `docker build` does.
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
version=$(hack/version.sh)
args+=(--build-arg "VERSION=$version")
start=$SECONDS
if [ "${DOCKER_GO_BUILD:-0}" != 1 ]; then
  for cmd in zkensemble-server zkcli manager; do
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/zkensemble/zkensemble/pkg/version.Version=$version" -o "bin/docker/$cmd" "./cmd/$cmd"
  done
  args+=(--build-arg PREBUILT=1)
fi
docker build -q "${args[@]}" --target server -t "$SERVER_IMAGE" -t "${SERVER_IMAGE%:*}:upgrade" . >/dev/null
docker build -q "${args[@]}" --target manager -t "$MANAGER_IMAGE" . >/dev/null
klog "docker build of $SERVER_IMAGE and $MANAGER_IMAGE in $((SECONDS - start))s"
