#!/usr/bin/env bash
# Runs the end-to-end suite (test/e2e, build tag e2e). With KUBECONFIG
# pointing at a cluster that answers, it runs there (its images must already
# be loaded: `make kind-e2e` does that for kind). Otherwise it brings up the
# local cluster (hack/localcluster), loads the images, runs the suite and
# stops the cluster again (KEEP_CLUSTER=1 leaves it up). E2E_IN_CLUSTER=1 runs
# the suite in a pod instead of on the host (hack/e2e-in-cluster.sh; make
# kind-e2e does, with E2E_KIND naming the kind cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
LC_DIR=${LC_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zkensemble/localcluster}
export LC_DIR
KUBECTL=${KUBECTL:-$LC_DIR/bin/kubectl}
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)
export KUBECTL HELM=${HELM:-$PWD/bin/helm}
start=$SECONDS
started=0
if [ -n "${KUBECONFIG:-}" ] && "$KUBECTL" version --request-timeout=5s >/dev/null 2>&1; then
  echo "e2e: using the cluster of KUBECONFIG=$KUBECONFIG"
else
  hack/localcluster/build.sh
  hack/localcluster/up.sh
  started=1
  export KUBECONFIG=$LC_DIR/pki/admin.kubeconfig KUBECTL=$LC_DIR/bin/kubectl
  # Host-side clients resolve pod names through the cluster's DNS.
  export E2E_CLUSTER_DNS=10.200.0.1:53
  hack/images.sh
fi
if [ $started = 1 ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then
  trap 'hack/localcluster/down.sh --purge >/dev/null || true' EXIT
fi
echo "e2e: cluster ready after $((SECONDS - start))s"
if [ "${E2E_IN_CLUSTER:-0}" = 1 ]; then
  # The suite runs in a pod (hack/e2e-in-cluster.sh): clients reach pods from
  # inside the cluster, as on kind, where the host cannot reach them.
  kind=()
  [ -z "${E2E_KIND:-}" ] || kind=(--kind "$E2E_KIND")
  hack/e2e-in-cluster.sh "${kind[@]}" 2>&1 | tee "${E2E_LOG:-/tmp/zkensemble-e2e.log}" | grep -E '^(=== RUN|--- |\s+\S+_test.go:|ok|FAIL|PASS|panic|e2e in the cluster)'
else
  go test -tags e2e -count=1 -timeout 45m -v ./test/e2e/ 2>&1 | tee "${E2E_LOG:-/tmp/zkensemble-e2e.log}" | grep -E '^(=== RUN|--- |\s+\S+_test.go:|ok|FAIL|PASS|panic)'
fi
echo "e2e: finished in $((SECONDS - start))s"
