#!/usr/bin/env bash
# Runs the end-to-end suite (test/e2e, build tag e2e). With KUBECONFIG
# pointing at a cluster that answers, it runs there (its images must already
# be loaded: `make kind-e2e` does that for kind). Otherwise it runs on the
# local cluster (hack/localcluster) with the images of this tree; a local
# cluster that was not running is brought up and stopped again afterwards
# (KEEP_CLUSTER=1 leaves it up), one that was running is left running.
# A cluster that already runs the operator (make demo) gets it back after the
# suite, its ensembles created again empty (hack/e2e-lib.sh: e2e_take_over).
# E2E_IN_CLUSTER=1 runs the suite in a pod instead of on the host
# (hack/e2e-in-cluster.sh; make kind-e2e does, with E2E_KIND naming the kind
# cluster). hack/e2e-repeat.sh runs it several times on one cluster.
# E2E_RUN='TestE2E/^(install_with_Helm|three_members_.*)$' runs only the
# scenarios it matches (go test -run; later scenarios may need earlier ones).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=e2e-lib.sh
source hack/e2e-lib.sh
start=$SECONDS
finish() {
  local rc=$?
  set +e
  e2e_give_back || rc=1
  echo "e2e: finished in $((SECONDS - start))s"
  e2e_finish $rc
}
trap finish EXIT
e2e_cluster_up
e2e_take_over
echo "e2e: cluster ready after $((SECONDS - start))s"
e2e_suite "${E2E_LOG:-/tmp/zkensemble-e2e.log}"
