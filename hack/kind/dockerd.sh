#!/usr/bin/env bash
# Starts dockerd (Debian's docker.io) in the background when no Docker daemon
# answers: there is no systemd here. Its log and PID file are in $KIND_DIR.
# A daemon that already runs is used as it is.
#
# - net.ipv4.ip_forward is set to 1 first: dockerd that finds it 0 sets the
#   FORWARD policy to DROP (and never undoes it), which cuts the local
#   cluster's bridged pod traffic (hack/localcluster). Both must keep working.
# - the default runtime is runc-nosysresource (see that file): without it no
#   privileged container starts on this VM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if docker info >/dev/null 2>&1; then
  klog "a Docker daemon answers already: using it"
  exit 0
fi
need_root
command -v dockerd >/dev/null || kdie "dockerd is missing (hack/kind/deps.sh installs docker.io)"
mkdir -p "$KIND_DIR"
sysctl -qw net.ipv4.ip_forward=1
runtime="$KIND_SRC/runc-nosysresource"
start=$SECONDS
setsid dockerd --storage-driver "${DOCKER_STORAGE_DRIVER:-overlay2}" \
  --add-runtime "runc-nosysres=$runtime" --default-runtime runc-nosysres \
  </dev/null >>"$KIND_DIR/dockerd.log" 2>&1 &
echo $! >"$KIND_DIR/dockerd.pid"
for _ in $(seq 150); do
  docker info >/dev/null 2>&1 && break
  alive "$(cat "$KIND_DIR/dockerd.pid")" || kdie "dockerd exited; see $KIND_DIR/dockerd.log"
  sleep 0.2 # poll interval until the daemon answers
done
docker info >/dev/null 2>&1 || kdie "dockerd did not answer in 30s; see $KIND_DIR/dockerd.log"
klog "dockerd up (pid $(cat "$KIND_DIR/dockerd.pid")) in $((SECONDS - start))s; log $KIND_DIR/dockerd.log"
