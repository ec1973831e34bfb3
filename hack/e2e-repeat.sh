#!/usr/bin/env bash
# Runs the end-to-end suite N times (default 10) on one cluster, set up once
# as hack/e2e.sh does (and stopped at the end only if this brought it up),
# and prints each run's result and time, then the pass count. Each run's
# output is in E2E_LOG_DIR (default /tmp/zkensemble-e2e-repeat)/run-I.log;
# a failed run's outline (with the suite's diagnostics) is printed whole.
# Usage: hack/e2e-repeat.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=e2e-lib.sh
source hack/e2e-lib.sh
n=${1:-10}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [N]  (N: how many runs, at least 1)" >&2; exit 2; }
logs=${E2E_LOG_DIR:-/tmp/zkensemble-e2e-repeat}
mkdir -p "$logs"
trap e2e_finish EXIT
e2e_cluster_up
e2e_take_over

# clean_up: what a failed run may have left (its namespaces, the operator,
# the CRD), so the next run starts as the first did.
clean_up() {
  "$KUBECTL" delete zke --all -A --wait=true --timeout=3m >/dev/null 2>&1 || true
  "$HELM" uninstall zke --namespace zkensemble-system --wait >/dev/null 2>&1 || true
  "$KUBECTL" delete -k config/default --ignore-not-found --wait=true --timeout=3m >/dev/null 2>&1 || true
  "$KUBECTL" delete crd "$E2E_CRD" --ignore-not-found >/dev/null 2>&1 || true
  "$KUBECTL" get namespaces -o name | grep '^namespace/e2e-' | xargs -r "$KUBECTL" delete --wait=true --timeout=3m >/dev/null 2>&1 || true
}

passed=0
times=()
for i in $(seq "$n"); do
  t0=$SECONDS
  log=$logs/run-$i.log
  if e2e_suite "$log" >"$log.outline"; then
    passed=$((passed + 1))
    result=passed
  else
    result=FAILED
  fi
  times+=("$((SECONDS - t0))s")
  echo "e2e-repeat: run $i of $n $result in $((SECONDS - t0))s ($log)"
  grep -E '^\s*--- (PASS|FAIL)' "$log.outline" | sed 's/^/  /' || true
  if [ $result = FAILED ]; then
    echo "e2e-repeat: run $i's outline:"
    cat "$log.outline"
    clean_up
  fi
done
echo "e2e-repeat: time per run: ${times[*]}"
echo "e2e-repeat: $passed passed, $((n - passed)) failed"
[ $passed = "$n" ]
