#!/usr/bin/env bash
# Everything the kind path needs, each step skipped when already done:
# Debian packages (deps.sh), a Docker daemon (dockerd.sh), kind and the node's
# binaries (build.sh), the node image (node-image.sh; not with KIND_NODE_IMAGE,
# an official kindest/node pulled from a registry instead). The Dockerfile's
# base images are docker-images.sh's.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
"$here/deps.sh"
"$here/dockerd.sh"
"$here/build.sh"
[ -n "${KIND_NODE_IMAGE:-}" ] || "$here/node-image.sh"
