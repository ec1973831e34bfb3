# shellcheck shell=bash
# Shared by hack/e2e.sh and hack/e2e-repeat.sh (sourced from the repository
# root, not run): the cluster the end-to-end suite runs on, the suite itself,
# and what the suite would destroy on a cluster that already runs the operator.

LC_DIR=${LC_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zkensemble/localcluster}
export LC_DIR
KUBECTL=${KUBECTL:-$LC_DIR/bin/kubectl}
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)
export KUBECTL HELM=${HELM:-$PWD/bin/helm}
E2E_CRD=zkensembles.zookeeper.zkensemble.io
E2E_CHART_PREFIX=zkensemble-operator-

e2e_local=0      # 1: the suite runs on the local cluster (hack/localcluster)
e2e_started=0    # 1: this run brought the local cluster up, and stops it again
e2e_prior_data=0 # 1: ... from the data of an earlier up: stopped again, not purged
e2e_saved=""     # what e2e_take_over removed, for e2e_give_back

# e2e_cluster_up: KUBECONFIG's cluster when it answers (and is not the local
# one), else the local cluster, brought up unless it runs already; the local
# cluster gets the images built from this tree.
e2e_cluster_up() {
  local lc_kubeconfig=$LC_DIR/pki/admin.kubeconfig
  if [ -n "${KUBECONFIG:-}" ] && [ "$(readlink -f "$KUBECONFIG")" != "$(readlink -f "$lc_kubeconfig")" ] &&
    "$KUBECTL" version --request-timeout=5s >/dev/null 2>&1; then
    echo "e2e: using the cluster of KUBECONFIG=$KUBECONFIG"
    return
  fi
  e2e_local=1
  if [ -f "$lc_kubeconfig" ] && "$LC_DIR/bin/kubectl" --kubeconfig "$lc_kubeconfig" version --request-timeout=5s >/dev/null 2>&1; then
    echo "e2e: the local cluster runs already: it is left running"
  else
    e2e_started=1
    [ -z "$(ls -A "$LC_DIR/etcd" 2>/dev/null)" ] || e2e_prior_data=1
  fi
  hack/localcluster/build.sh
  hack/localcluster/up.sh
  export KUBECONFIG=$lc_kubeconfig KUBECTL=$LC_DIR/bin/kubectl
  # Host-side clients resolve pod names through the cluster's DNS.
  export E2E_CLUSTER_DNS=10.200.0.1:53
  hack/images.sh
}

# e2e_finish [RC] (the EXIT trap): gives back what e2e_take_over removed,
# then stops the local cluster if this run started it (KEEP_CLUSTER=1 leaves
# it up), purging it unless it was brought up from earlier data; exits with
# RC (default: the status the script was exiting with).
e2e_finish() {
  local rc=${1:-$?}
  set +e # a failing step here must not skip the rest
  e2e_give_back || rc=1
  if [ $e2e_started = 1 ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then
    if [ $e2e_prior_data = 1 ]; then
      hack/localcluster/down.sh >/dev/null || true
    else
      hack/localcluster/down.sh --purge >/dev/null || true
    fi
  fi
  exit "$rc"
}

# e2e_take_over: the suite installs and uninstalls the operator and deletes
# its CRD, which deletes every ZKEnsemble in the cluster. When the cluster
# already runs the operator (make demo leaves the Helm release zke and the
# ZKEnsemble default/demo), the chart's releases (with their values), a
# `kubectl apply -k config/default` install and the ZKEnsembles (their specs)
# are saved and removed first; e2e_give_back installs and creates them again
# afterwards. The ensembles' data is not kept: they come back empty. On a
# cluster other than the local one this needs E2E_TAKE_OVER=1.
e2e_take_over() {
  command -v jq >/dev/null || hack/install-deps.sh jq
  local releases zkes="" kustomized=0
  releases=$("$HELM" list -A -o json | jq -r --arg p "$E2E_CHART_PREFIX" '.[] | select(.chart | startswith($p)) | "\(.name) \(.namespace)"')
  if "$KUBECTL" get crd "$E2E_CRD" >/dev/null 2>&1; then
    zkes=$("$KUBECTL" get zke -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {end}')
    zkes=${zkes% }
  fi
  ! "$KUBECTL" -n zkensemble-system get deploy zkensemble-controller-manager >/dev/null 2>&1 || kustomized=1
  if [ -z "$releases" ] && [ -z "$zkes" ] && [ $kustomized = 0 ]; then
    return 0
  fi
  local found kust=no
  [ $kustomized = 0 ] || kust=yes
  found="releases: ${releases:-none}; kubectl apply -k install: $kust; ZKEnsembles: ${zkes:-none}"
  found=${found//$'\n'/, }
  if [ $e2e_local = 0 ] && [ "${E2E_TAKE_OVER:-0}" != 1 ]; then
    echo "e2e: the cluster runs the operator already ($found). The suite uninstalls it and deletes its CRD, and with it every ZKEnsemble." >&2
    echo "e2e: E2E_TAKE_OVER=1 lets it save them, remove them, and install and create them again (empty) afterwards." >&2
    return 1
  fi
  e2e_saved=$(mktemp -d "${TMPDIR:-/tmp}/zkensemble-e2e-saved.XXXXXX")
  echo "e2e: the cluster runs the operator ($found): saved in $e2e_saved and removed for the suite, given back afterwards (the ensembles empty)"
  if [ -n "$zkes" ]; then
    "$KUBECTL" get zke -A -o json | jq '{apiVersion: "v1", kind: "List", items: [.items[] |
      {apiVersion, kind, spec, metadata: (.metadata | {name, namespace, labels, annotations} | with_entries(select(.value != null)))}]}' \
      >"$e2e_saved/zkensembles.json"
  fi
  local name ns
  while read -r name ns; do
    [ -n "$name" ] || continue
    "$HELM" get values "$name" --namespace "$ns" -o yaml >"$e2e_saved/values.$name.$ns.yaml"
    echo "$name $ns" >>"$e2e_saved/releases"
  done <<<"$releases"
  [ $kustomized = 0 ] || touch "$e2e_saved/kustomized"

  [ -z "$zkes" ] || "$KUBECTL" delete zke --all -A --wait=true --timeout=3m
  if [ -f "$e2e_saved/releases" ]; then
    while read -r name ns; do
      "$HELM" uninstall "$name" --namespace "$ns" --wait </dev/null >/dev/null
    done <"$e2e_saved/releases"
  fi
  [ $kustomized = 0 ] || "$KUBECTL" delete -k config/default --ignore-not-found --wait=true --timeout=3m >/dev/null
  "$KUBECTL" delete crd "$E2E_CRD" --ignore-not-found --wait=true >/dev/null
}

# e2e_give_back: installs what e2e_take_over saved and creates its
# ZKEnsembles again (e2e_reinstall); what could not be given back stays saved.
e2e_give_back() {
  [ -n "$e2e_saved" ] || return 0
  local dir=$e2e_saved
  e2e_saved=""
  echo "e2e: giving back what the suite removed"
  if e2e_reinstall "$dir"; then
    rm -rf "$dir"
    return 0
  fi
  echo "e2e: could not give everything back; what was saved is in $dir" >&2
  return 1
}

# e2e_reinstall DIR: the installs, then the ZKEnsembles, waiting until they
# are Available.
e2e_reinstall() {
  local dir=$1 name ns
  if [ -f "$dir/kustomized" ]; then
    "$KUBECTL" apply --server-side -k config/default >/dev/null || return 1
    "$KUBECTL" -n zkensemble-system rollout status deploy/zkensemble-controller-manager --timeout=3m || return 1
  fi
  if [ -f "$dir/releases" ]; then
    while read -r name ns; do
      "$HELM" upgrade --install "$name" charts/zkensemble-operator --namespace "$ns" --create-namespace \
        -f "$dir/values.$name.$ns.yaml" --wait --timeout 3m </dev/null >/dev/null || return 1
      echo "e2e: release $name in $ns installed again"
    done <"$dir/releases"
  fi
  [ -f "$dir/zkensembles.json" ] || return 0
  # The webhook answers once its certificate is in place.
  for _ in $(seq 120); do
    "$KUBECTL" apply --dry-run=server -f "$dir/zkensembles.json" >/dev/null 2>&1 && break
    sleep 1 # poll interval until the webhook answers
  done
  "$KUBECTL" apply -f "$dir/zkensembles.json" || return 1
  "$KUBECTL" wait zke --all -A --for=condition=Available --timeout=5m || return 1
  # Available comes with the first member; the rest join one at a time.
  local deadline=$((SECONDS + 300)) pending
  while pending=$("$KUBECTL" get zke -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.replicas}/{.status.votingMembers} {end}' |
    tr ' ' '\n' | awk -F'[=/]' 'NF == 4 && $3 != $4') && [ -n "$pending" ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "e2e: not every member is back (name=replicas/voters): $pending" >&2
      return 1
    fi
    sleep 1 # poll interval while members join
  done
  "$KUBECTL" get zke -A
}

# e2e_suite LOG: runs the suite once, on the host or (E2E_IN_CLUSTER=1) in a
# pod, with its whole output in LOG and on stdout the outline: what ran, what
# passed or failed, and what the tests logged (diagnostics included).
e2e_suite() {
  local log=$1 outline='^(=== RUN|--- |\s+|ok|FAIL|PASS|panic|e2e in the cluster)'
  if [ "${E2E_IN_CLUSTER:-0}" = 1 ]; then
    # Clients then reach pods from inside the cluster, as on kind, where
    # the host cannot reach them (hack/e2e-in-cluster.sh).
    local kind=()
    [ -z "${E2E_KIND:-}" ] || kind=(--kind "$E2E_KIND")
    hack/e2e-in-cluster.sh "${kind[@]}" 2>&1 | tee "$log" | grep -E "$outline"
  else
    go test -tags e2e -count=1 -timeout 45m -v -run "${E2E_RUN:-.}" ./test/e2e/ 2>&1 | tee "$log" | grep -E "$outline"
  fi
}
