#!/usr/bin/env bash
# Drive a server with the real Java client (zkCli.sh) in one interactive
# session and check its output. Covers persistent-recursive watches
# (addWatch), whoami, getEphemerals, getAllChildrenNumber, containers, TTL
# nodes (the server must enable extended types), ACLs with digest auth.
#
# Usage: zkcli_check.sh HOST:PORT
set -euo pipefail
server=$1
zkcli=${ZKCLI:-/usr/share/zookeeper/bin/zkCli.sh}
base=/zkcli-$$
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# zkCli exits non-zero when its last command fails (the final ls, on purpose);
# the output is what we check.
"$zkcli" -server "$server" >"$out" 2>&1 <<EOF || true
create $base root
create -e $base/eph e
create -s $base/seq- s
create -c $base/box
create -t 60000 $base/ttl t
ls $base
get $base
set $base v2
stat $base
addWatch -m PERSISTENT_RECURSIVE $base
create $base/box/child c
set $base/box/child c2
getEphemerals
getAllChildrenNumber $base
whoami
addauth digest carol:pw
create $base/secret s digest:carol:RffyCdXXV1Js0ywLAoP5/l25yKs=:cdrwa
getAcl $base/secret
get $base/secret
setAcl $base/ttl world:anyone:r
getAcl $base/ttl
config
deleteall $base
ls $base
quit
EOF

fail=0
expect() {
  if ! grep -qF -- "$1" "$out"; then
    echo "FAIL: zkCli output lacks: $1" >&2
    fail=1
  fi
}
expect "Created $base"
expect "Created $base/eph"
expect "Created $base/seq-0000000001"
expect "Created $base/box"
expect "Created $base/ttl"
expect "[box, eph, seq-0000000001, ttl]"
expect "dataVersion = 1"
expect "WatchedEvent state:SyncConnected type:NodeCreated path:$base/box/child"
expect "WatchedEvent state:SyncConnected type:NodeDataChanged path:$base/box/child"
expect "[$base/eph]"
expect "Auth scheme: User"
expect "ip: 127.0.0.1"
expect "'digest,'carol:RffyCdXXV1Js0ywLAoP5/l25yKs="
expect "'world,'anyone"
expect ": r"
expect "Node does not exist: $base"
if [ $fail -ne 0 ]; then
  echo "---- zkCli output ----" >&2
  cat "$out" >&2
  exit 1
fi
echo "zkCli: all checks passed"
