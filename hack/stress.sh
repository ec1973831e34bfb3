#!/usr/bin/env bash
# Runs the tests of a member re-added under an id removed earlier N times
# each (default 50): go test -count=N, one package at a time, and prints how
# many runs of each test passed. Every run's output is kept in
# STRESS_LOG_DIR (default /tmp/zkensemble-stress)/<package>.json; a failed
# run's output is printed.
# Usage: hack/stress.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [N]  (N: runs of each test, at least 1)" >&2; exit 2; }
logs=${STRESS_LOG_DIR:-/tmp/zkensemble-stress}
mkdir -p "$logs"

# package: the tests in it that re-add a removed id (in process, then with
# real member processes driven by the membership planner).
targets=(
  "./pkg/ensemble/ ^(TestReaddedMemberProposes|TestRemovedMemberComesBack|TestLostLogIsReplaced|TestLostLeaderLogRecovers|TestCaughtUpClaimIsForgotten)$"
  "./pkg/membership/ ^TestMembershipAgainstRealMembers$"
)

failed=0
for t in "${targets[@]}"; do
  pkg=${t%% *} run=${t#* }
  log=$logs/$(echo "$pkg" | tr -c 'a-z0-9\n' '_').json
  t0=$SECONDS
  go test -count="$n" -timeout 0 -run "$run" -json "$pkg" >"$log" || true
  # One line per test: runs passed / runs.
  jq -r 'select(.Test != null and (.Test | contains("/") | not) and (.Action == "pass" or .Action == "fail")) | "\(.Test) \(.Action)"' "$log" |
    sort | uniq -c | awk -v n="$n" -v pkg="$pkg" '{c[$2]+=0; if ($3 == "pass") c[$2]+=$1; else f[$2]+=$1}
      END {for (k in c) printf "%s %s: %d/%d passed%s\n", pkg, k, c[k], n, (f[k] ? " (" f[k] " FAILED)" : "")}'
  echo "$pkg: $((SECONDS - t0)) s"
  if jq -e -s 'any(.[]; .Action == "fail")' "$log" >/dev/null; then
    failed=1
    # The failures and the test lines logged before them (awk reads to the end: no SIGPIPE under pipefail).
    jq -r 'select(.Action == "output") | .Output' "$log" | grep -E -- '--- FAIL|_test.go:[0-9]+:' | grep -v -E ': (step|wait): ' | awk 'NR <= 50'
  fi
done
exit "$failed"
