#!/usr/bin/env bash
# Stops the local cluster and leaves the host as it was before `up`: removes
# pods (sandboxes, veths, IP leases), the bridges lc0/lcbr0, the iptables
# chains of kube-proxy, the kubelet and the CNI plugins, mounts, the pod
# cgroups, and restores the sysctls. Data (etcd, volumes, images, certificates)
# is kept for the next `up` unless --purge; the built binaries are always kept.
# Usage: down.sh [--purge]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
case "${1:-}" in
  --purge) purge=1 ;;
  "") ;;
  *) die "usage: $0 [--purge]" ;;
esac
need_root
start=$SECONDS

# 1. Nothing must recreate pods while they are removed.
stop_proc kube-controller-manager
stop_proc kube-scheduler
stop_proc kubelet

# 2. Remove every sandbox: containerd runs CNI DEL (veths, IPAM, portmap).
if [ -n "$(pid_of containerd)" ] && [ -x "$LC_BIN/cri-clean" ]; then
  "$LC_BIN/cri-clean" -endpoint "unix://$LC_SOCK" 2>&1 | sed 's/^/  cri-clean: /' >&2 || log "cri-clean failed; cleaning up by hand"
fi

# 3. The rest, by PID; then any shim of our containerd that outlived it.
# The apiserver often takes over 10 s to exit on SIGTERM; it keeps no state
# (etcd does), so it gets 3 s.
stop_proc kube-proxy
stop_proc coredns
stop_proc kube-apiserver 3
stop_proc etcd
stop_proc containerd
our_shim() { # PROC_DIR: a containerd shim started with "-address $LC_SOCK"
  local -a argv
  local i
  mapfile -d '' -t argv <"$1/cmdline" 2>/dev/null || return 1
  [[ ${#argv[@]} -gt 0 && ${argv[0]##*/} == containerd-shim* ]] || return 1
  for ((i = 1; i < ${#argv[@]}; i++)); do
    [[ ${argv[i - 1]} == -address && ${argv[i]} == "$LC_SOCK" ]] && return 0
  done
  return 1
}
for d in /proc/[0-9]*; do
  if our_shim "$d"; then
    log "killing leftover shim ${d#/proc/}"
    kill -KILL "${d#/proc/}" 2>/dev/null || true
  fi
done

# 4. Processes still in our pod cgroups (only if something above failed).
for h in /sys/fs/cgroup/*/; do
  [ -d "$h$CGROUP_ROOT" ] || continue
  while read -r procs; do
    while read -r pid; do
      kill -KILL "$pid" 2>/dev/null || true
    done <"$procs"
  done < <(find "$h$CGROUP_ROOT" -name cgroup.procs 2>/dev/null)
done

# 5. iptables: kube-proxy's, the kubelet's (KUBE-*), the CNI plugins' (CNI-*)
# and our guard (LC-*), in IPv4 and IPv6. Only one such cluster may run on a host.
if [ -x "$LC_BIN/kube-proxy" ]; then "$LC_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
for ipt in iptables ip6tables; do
  command -v "$ipt" >/dev/null || continue
  for table in filter nat mangle raw; do
    mapfile -t chains < <("$ipt" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE-|CNI-|LC-)/ {print $2}')
    [ ${#chains[@]} -gt 0 ] || continue
    pattern="-j ($(IFS='|'; echo "${chains[*]}"))( |\$)"
    # Jumps to our chains from the built-in chains.
    while read -r rule; do
      eval "$ipt -t $table ${rule/#-A/-D}" || true
    done < <("$ipt" -t "$table" -S | awk '$1 == "-A" && $2 !~ /^(KUBE-|CNI-|LC-)/' | grep -E -- "$pattern" || true)
    for c in "${chains[@]}"; do "$ipt" -t "$table" -F "$c" 2>/dev/null || true; done
    for c in "${chains[@]}"; do "$ipt" -t "$table" -X "$c" 2>/dev/null || true; done
  done
done

# 6. Interfaces: veths left on the pod bridge, the bridge, the node interface.
if ip link show "$POD_BRIDGE" >/dev/null 2>&1; then
  while read -r veth; do
    ip link del "$veth" 2>/dev/null || true
  done < <(ip -o link show master "$POD_BRIDGE" | awk -F': ' '{print $2}' | cut -d@ -f1)
  ip link del "$POD_BRIDGE"
fi
ip link show "$NODE_IF" >/dev/null 2>&1 && ip link del "$NODE_IF"

# 7. Mounts left under our directories (kubelet volumes, overlay snapshots, netns).
while read -r m; do
  umount -l "$m" 2>/dev/null || true
done < <(findmnt -rn -o TARGET | grep -E "^($LC_DIR|$LC_RUN)/" | sort -r)
if [ -f "$LC_RUN/netns.absent" ] && [ -d /run/netns ]; then
  rmdir /run/netns 2>/dev/null || true
fi

# 8. Pod cgroups, deepest first.
for h in /sys/fs/cgroup/*/; do
  [ -d "$h$CGROUP_ROOT" ] || continue
  find "$h$CGROUP_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  [ -d "$h$CGROUP_ROOT" ] && log "warning: $h$CGROUP_ROOT could not be removed"
done

# 9. Sysctls as they were before up.
if [ -f "$LC_RUN/sysctl.orig" ]; then
  while IFS='=' read -r key value; do
    [ "$(sysctl -n "$key" 2>/dev/null)" = "$value" ] || sysctl -qw "$key=$value" || log "warning: could not restore $key"
  done <"$LC_RUN/sysctl.orig"
fi
rm -rf "$LC_RUN"

if [ $purge = 1 ]; then
  log "purging data under $LC_DIR (keeping bin/) and $LC_HOSTPATH_PV"
  [ ! -d "$LC_DIR" ] || find "$LC_DIR" -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} +
  rm -rf "$LC_HOSTPATH_PV"
fi
log "cluster down in $((SECONDS - start))s"
