#!/usr/bin/env bash
# Smoke check of the local cluster, in the shape an operator e2e needs: a
# headless Service and a 3-replica StatefulSet with volumeClaimTemplates (the
# default StorageClass) of a tiny test image (tools/cmd/hello + busybox).
# Checks: all pods Ready and PVCs Bound; every pod reaches every other by its
# stable DNS name; a ClusterIP Service answers from a pod and from the host; a
# deleted pod comes back with the same volume. Then deletes everything
# (SMOKE_KEEP=1 leaves the namespace lc-smoke in place).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS=lc-smoke
IMAGE=localhost/lc-hello:v1
REPLICAS=3
export KUBECONFIG="${KUBECONFIG:-$KUBECONFIG_ADMIN}"
k() { "$LC_BIN/kubectl" "$@"; }
t0=$SECONDS
step() { log "[$((SECONDS - t0))s] $*"; }
fail() { log "SMOKE FAILED: $*"; k -n "$NS" get all,pvc -o wide >&2 || true; exit 1; }

cleanup() {
  step "cleaning up namespace $NS"
  k delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s >/dev/null
  # The PVs (reclaim policy Delete) go once their claims are gone.
  local i
  for ((i = 0; i < 300; i++)); do
    [ -z "$(k get pv -o jsonpath="{range .items[?(@.spec.claimRef.namespace==\"$NS\")]}{.metadata.name}{\"\\n\"}{end}")" ] && return 0
    sleep 0.2
  done
  log "warning: PVs of $NS still present"
}

k get --raw /readyz >/dev/null || die "no cluster at $KUBECONFIG (make cluster-up)"
[ -x "$LC_BIN/hello" ] || "$LC_SRC/build.sh" tools
"$LC_SRC/load-image.sh" "$IMAGE" "$LC_BIN/hello"
k delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s >/dev/null
trap cleanup EXIT

step "creating the StatefulSet"
k create namespace "$NS" >/dev/null
k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: hello}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: hello}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: hello-client}
spec:
  selector: {app: hello}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: hello}
spec:
  serviceName: hello
  replicas: $REPLICAS
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: hello
        image: $IMAGE
        imagePullPolicy: Never
        args: [-listen, ":8080", -data, /data]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 1
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 10Mi}}
YAML
k -n "$NS" rollout status statefulset/hello --timeout=180s >/dev/null || fail "StatefulSet not Ready"
step "$REPLICAS replicas Ready"
for ((i = 0; i < REPLICAS; i++)); do
  phase="$(k -n "$NS" get pvc "data-hello-$i" -o jsonpath='{.status.phase}')"
  [ "$phase" = Bound ] || fail "PVC data-hello-$i is $phase"
done
step "PVCs Bound (default StorageClass $(k get pvc -n "$NS" data-hello-0 -o jsonpath='{.spec.storageClassName}'))"

# Every pod reaches every other by its stable DNS name (retries: DNS records
# of a new pod can lag its readiness by a few seconds). Debian's busybox 1.35
# wget segfaults when given -T, hence `timeout 5 wget`.
declare -A ident
for ((i = 0; i < REPLICAS; i++)); do
  for ((j = 0; j < REPLICAS; j++)); do
    host="hello-$j.hello.$NS.svc.cluster.local"
    got=""
    for ((try = 0; try < 30; try++)); do
      got="$(k -n "$NS" exec "hello-$i" -- timeout 5 wget -qO- "http://$host:8080/" 2>/dev/null || true)"
      [[ $got == "hello-$j "* ]] && break
      sleep 1
    done
    [[ $got == "hello-$j "* ]] || fail "hello-$i could not reach $host (got '$got')"
    ident[$j]=${got#* }
  done
done
step "all $REPLICAS pods reach each other by DNS name"

svc_ip="$(k -n "$NS" get service hello-client -o jsonpath='{.spec.clusterIP}')"
got="$(k -n "$NS" exec hello-0 -- timeout 5 wget -qO- "http://hello-client.$NS.svc.cluster.local/")" || fail "ClusterIP service from a pod"
[[ $got == hello-* ]] || fail "ClusterIP service from a pod answered '$got'"
got="$(curl -sf -m 5 "http://$svc_ip/")" || fail "ClusterIP service $svc_ip from the host"
[[ $got == hello-* ]] || fail "ClusterIP service from the host answered '$got'"
step "ClusterIP service $svc_ip answers from a pod and from the host"

k -n "$NS" delete pod hello-1 --wait=true >/dev/null
k -n "$NS" rollout status statefulset/hello --timeout=120s >/dev/null || fail "hello-1 did not come back"
k -n "$NS" wait --for=condition=Ready pod/hello-1 --timeout=120s >/dev/null || fail "hello-1 not Ready"
got="$(k -n "$NS" exec hello-1 -- cat /data/identity)"
[ "$got" = "${ident[1]}" ] || fail "hello-1 came back with identity '$got', want '${ident[1]}'"
step "deleted hello-1 came back with the same volume (identity ${ident[1]})"

trap - EXIT
if [ "${SMOKE_KEEP:-0}" = 1 ]; then
  step "SMOKE OK (namespace $NS kept)"
  exit 0
fi
cleanup
step "SMOKE OK"
