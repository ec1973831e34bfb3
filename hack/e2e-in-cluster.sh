#!/usr/bin/env bash
# Runs the end-to-end suite inside the cluster, as a pod, for clusters whose
# pod network the host cannot reach (kind): the suite's clients then connect
# to pods as any in-cluster client does. The pod runs the compiled suite with
# kubectl, helm, the chart and config/ under a service account bound to
# cluster-admin, in the namespace zkensemble-e2e-runner (deleted afterwards).
#
# Usage: hack/e2e-in-cluster.sh [--kind NAME]
#   The server and manager images must be in the cluster already
#   (hack/images.sh; for kind, kind load image-archive). With --kind the
#   runner image is loaded into that kind cluster, else it is imported into
#   the local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
kind_name=""
[ "${1:-}" = --kind ] && kind_name=${2:?--kind needs the cluster name}
KUBECTL=${KUBECTL:-kubectl}
HELM=${HELM:-bin/helm}
image=docker.io/zkensemble/e2e:dev
ns=zkensemble-e2e-runner

CGO_ENABLED=0 go test -c -tags e2e -o bin/e2e.test ./test/e2e
kubectl_bin=$(readlink -f "$(command -v "$KUBECTL")") helm_bin=$(readlink -f "$HELM")
for b in "$kubectl_bin" "$helm_bin"; do
  # The runner image has no C library.
  if file -L "$b" | grep -q 'dynamically linked'; then
    echo "e2e-in-cluster: $b is dynamically linked; use a static build (CGO_ENABLED=0; make tools builds helm so)" >&2
    exit 1
  fi
done
files=("$kubectl_bin=/kubectl" "$helm_bin=/helm")
while read -r f; do files+=("$f=/src/$f"); done < <(git ls-files charts config)
import=()
[ -z "$kind_name" ] || import=(--no-import)
mkdir -p bin/images
hack/localcluster/load-image.sh "${import[@]}" -o bin/images/e2e.tar "$image" bin/e2e.test "${files[@]}"
[ -z "$kind_name" ] || kind load image-archive bin/images/e2e.tar --name "$kind_name"

"$KUBECTL" delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
"$KUBECTL" apply -f - <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: e2e, namespace: $ns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: zkensemble-e2e-runner}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: e2e, namespace: $ns}]
---
apiVersion: v1
kind: Pod
metadata: {name: e2e, namespace: $ns}
spec:
  serviceAccountName: e2e
  restartPolicy: Never
  containers:
  - name: e2e
    image: $image
    imagePullPolicy: Never
    args: [-test.v, -test.count=1, -test.timeout=45m]
    workingDir: /src
    env:
    - {name: E2E_ROOT, value: /src}
    - {name: KUBECTL, value: /kubectl}
    - {name: HELM, value: /helm}
    - {name: HOME, value: /tmp}
    - {name: MANAGER_IMAGE, value: "${MANAGER_IMAGE:-docker.io/zkensemble/manager:dev}"}
    - {name: SERVER_IMAGE, value: "${SERVER_IMAGE:-docker.io/zkensemble/server:dev}"}
YAML
cleanup() {
  "$KUBECTL" delete clusterrolebinding zkensemble-e2e-runner --ignore-not-found >/dev/null || true
  "$KUBECTL" delete namespace "$ns" --ignore-not-found --wait=false >/dev/null || true
}
trap cleanup EXIT
"$KUBECTL" -n "$ns" wait pod/e2e --for=jsonpath='{.status.phase}'=Running --timeout=3m >/dev/null ||
  "$KUBECTL" -n "$ns" wait pod/e2e --for=jsonpath='{.status.phase}'=Failed --timeout=1s >/dev/null || true
"$KUBECTL" -n "$ns" logs -f e2e
until phase=$("$KUBECTL" -n "$ns" get pod e2e -o jsonpath='{.status.phase}') && [ "$phase" = Succeeded ] || [ "$phase" = Failed ]; do
  sleep 1
done
echo "e2e in the cluster: $phase"
[ "$phase" = Succeeded ]
