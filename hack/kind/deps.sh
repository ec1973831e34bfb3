#!/usr/bin/env bash
# Installs what the kind path needs from Debian, only when missing: Docker
# (docker.io: dockerd and its containerd; the docker CLI may come from
# elsewhere), debootstrap (the node image's rootfs), jq (the runc wrapper),
# plus the local cluster's packages (containerd, runc, busybox-static, ...):
# the node image is built from the same Debian pieces.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
"$here/../localcluster/deps.sh"
"$here/../install-deps.sh" docker.io debootstrap jq
