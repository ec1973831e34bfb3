# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# Shared settings and helpers of the local cluster scripts (sourced, not run).
# Every address, port, interface and path the cluster uses is defined here.

LC_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LC_DIR="${LC_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zkensemble/localcluster}"
LC_BIN="$LC_DIR/bin"
LC_PKI="$LC_DIR/pki"
LC_LOGS="$LC_DIR/logs"
LC_RUN=/run/localcluster             # sockets, pids, runc/containerd state, CNI IPAM
LC_PIDS="$LC_RUN/pids"
LC_SOCK="$LC_RUN/containerd.sock"
LC_HOSTPATH_PV=/tmp/hostpath_pv      # hardcoded by kcm's hostpath provisioner

K8S_VERSION=v1.37.2
COREDNS_VERSION=v1.15.0

NODE_NAME=lc-node
NODE_IF=lc0                          # empty bridge holding the node IP (no dummy driver here)
NODE_IP=10.200.0.1
POD_BRIDGE=lcbr0
POD_CIDR=10.202.0.0/24
POD_GW=10.202.0.1
SERVICE_CIDR=10.201.0.0/24
KUBERNETES_SVC_IP=10.201.0.1
CLUSTER_DOMAIN=cluster.local
CGROUP_ROOT=localcluster

ETCD_PORT=27379
ETCD_PEER_PORT=27380
APISERVER_PORT=27443
KCM_PORT=27257
SCHEDULER_PORT=27259
KUBELET_PORT=27250
KUBELET_HEALTHZ_PORT=27248
PROXY_METRICS_PORT=27249
PROXY_HEALTHZ_PORT=27256
COREDNS_HEALTH_PORT=27280
COREDNS_READY_PORT=27281

APISERVER_URL="https://$NODE_IP:$APISERVER_PORT"
KUBECONFIG_ADMIN="$LC_PKI/admin.kubeconfig"

# The sysctls the cluster (or the kubelet) changes; up records them, down restores them.
LC_SYSCTLS=(net.ipv4.ip_forward vm.overcommit_memory kernel.panic kernel.panic_on_oops
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables)

log() { printf '[localcluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo -E $0)"
}

# writefile PATH: writes stdin to PATH only when the content changed, through a
# temp file and mv (kube-proxy exits when its config is rewritten; containerd's
# CNI watcher must never see a half-written file).
writefile() {
  local dst=$1 tmp
  mkdir -p "$(dirname "$dst")"
  tmp="$(mktemp "$dst.XXXX")"
  cat >"$tmp"
  if [ -f "$dst" ] && cmp -s "$tmp" "$dst"; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$dst"
  fi
}

# alive PID: true while the process exists and is not a zombie.
alive() {
  [ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# pid_of NAME: the live PID recorded for component NAME, or nothing.
pid_of() {
  local f="$LC_PIDS/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if alive "$pid"; then echo "$pid"; fi
}

# wait_for DESCRIPTION TIMEOUT_S COMMAND...: polls COMMAND every 0.2 s.
wait_for() {
  local what=$1 timeout=$2 i
  shift 2
  for ((i = 0; i < timeout * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "timed out after ${timeout}s waiting for $what"
}

kc() { "$LC_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# start_proc NAME COMMAND...: starts COMMAND detached (own session, output in
# $LC_LOGS/NAME.log, PID in $LC_PIDS/NAME.pid) unless NAME already runs.
start_proc() {
  local name=$1
  shift
  if [ -n "$(pid_of "$name")" ]; then
    log "$name already running (pid $(pid_of "$name"))"
    return 0
  fi
  mkdir -p "$LC_LOGS" "$LC_PIDS"
  log "starting $name"
  setsid "$@" </dev/null >>"$LC_LOGS/$name.log" 2>&1 &
  echo $! >"$LC_PIDS/$name.pid"
}

# stop_proc NAME [GRACE_S]: SIGTERM, then SIGKILL after GRACE_S (default 10)
# seconds; waits until it is gone.
stop_proc() {
  local name=$1 grace=${2:-10} pid i
  pid="$(pid_of "$name")"
  if [ -n "$pid" ]; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do
      alive "$pid" || break
      sleep 0.2
    done
    if alive "$pid"; then
      log "$name still running ${grace}s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while alive "$pid"; do sleep 0.1; done
    fi
  fi
  rm -f "$LC_PIDS/$name.pid"
}
