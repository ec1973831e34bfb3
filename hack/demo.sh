#!/usr/bin/env bash
# The README's main job: a real cluster (KUBECONFIG's if it answers, else the
# local one from upstream parts), the operator installed with the Helm chart,
# a ZKEnsemble of 3 members Available, and a client session that creates an
# ephemeral znode through the client Service. Leaves everything running.
set -euo pipefail
cd "$(dirname "$0")/.."
LC_DIR=${LC_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zkensemble/localcluster}
export LC_DIR
KUBECTL=${KUBECTL:-$LC_DIR/bin/kubectl}
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)
HELM=${HELM:-$PWD/bin/helm}
SERVER_IMAGE=${SERVER_IMAGE:-docker.io/zkensemble/server:dev}
MANAGER_IMAGE=${MANAGER_IMAGE:-docker.io/zkensemble/manager:dev}
start=$SECONDS
say() { printf '\n==> %s (%ds)\n' "$*" $((SECONDS - start)); }

if [ -n "${KUBECONFIG:-}" ] && "$KUBECTL" version --request-timeout=5s >/dev/null 2>&1; then
  say "using the cluster of KUBECONFIG=$KUBECONFIG (its nodes must have the images: see make kind-e2e)"
else
  say "bringing up the local cluster (first run builds Kubernetes from the Go module proxy: ~12 min)"
  hack/localcluster/build.sh
  hack/localcluster/up.sh
  export KUBECONFIG=$LC_DIR/pki/admin.kubeconfig
  KUBECTL=$LC_DIR/bin/kubectl # built with the cluster; a fresh machine has no other
  say "building and loading the images"
  hack/images.sh
fi
k() { "$KUBECTL" "$@"; }

say "installing the operator with the Helm chart"
"$HELM" upgrade --install zke charts/zkensemble-operator --namespace zkensemble-system --create-namespace \
  --set image.repository="${MANAGER_IMAGE%:*}" --set image.tag="${MANAGER_IMAGE##*:}" \
  --set serverImage.repository="${SERVER_IMAGE%:*}" --set serverImage.tag="${SERVER_IMAGE##*:}" \
  --wait --timeout 3m
# The webhook answers once its in-process certificate is injected.
for _ in $(seq 60); do
  k apply --dry-run=server -f config/samples/zookeeper_v1alpha1_zkensemble.yaml >/dev/null 2>&1 && break
  sleep 1
done

say "creating the sample ZKEnsemble (3 members)"
sample=$(cat config/samples/zookeeper_v1alpha1_zkensemble.yaml)
# hostPath volumes (the local cluster's provisioner) ignore fsGroup: the
# members' volumes need the opt-in init container there (storage is last in the sample).
if k get storageclass -o jsonpath='{range .items[*]}{.metadata.annotations.storageclass\.kubernetes\.io/is-default-class} {.provisioner}{"\n"}{end}' |
  grep -qx 'true kubernetes.io/host-path'; then
  sample=$(printf '%s\n    volumePermissions: true\n' "$sample")
fi
k apply -f - <<<"$sample"
k wait zke/demo --for=condition=Available --timeout=5m
until [ "$(k get zke demo -o jsonpath='{.status.votingMembers}')" = 3 ] &&
  [ "$(k get zke demo -o jsonpath='{.status.conditions[?(@.type=="Progressing")].status}')" = False ]; do
  sleep 1
done
k get zke demo
k get pods -l app.kubernetes.io/instance=demo -o wide

say "a client session creates an ephemeral znode through the client Service"
ip=$(k get svc demo-client -o jsonpath='{.spec.clusterIP}')
go run ./hack/democlient "$ip:2181"

cat <<TXT

The ensemble is running. To look further:
  export KUBECONFIG=$KUBECONFIG
  $KUBECTL get zke demo -o yaml                 # status: members, roles, zxids, published list
  $KUBECTL get events --field-selector involvedObject.name=demo
  $KUBECTL scale zke demo --replicas=5           # one member at a time; watch with: $KUBECTL get zke demo -w
  $KUBECTL exec demo-0 -- /zkcli -server demo-client:2181 ls /   # a client inside the cluster
  $KUBECTL port-forward svc/demo-client 2181:2181 &
  /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:2181
Stop the local cluster with: make cluster-down (PURGE=1 also deletes its data).
TXT
say "demo ready"
