#!/usr/bin/env bash
# Brings up the single-node local cluster as host processes (idempotent: what
# already runs is left alone): Debian packages and binaries on first use,
# certificates, host setup, containerd, etcd, kube-apiserver,
# kube-controller-manager (hostpath provisioner), kube-scheduler, CoreDNS,
# kubelet, kube-proxy and the default StorageClass `standard`.
# Recipe and pitfalls: ../shared/reference/local-kubernetes.md (see docs/local-cluster.md).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
start=$SECONDS
"$LC_SRC/deps.sh"
"$LC_SRC/build.sh"
"$LC_SRC/certs.sh"
mkdir -p "$LC_RUN" "$LC_PIDS" "$LC_LOGS" "$LC_DIR/etcd" "$LC_DIR/kubelet" "$LC_DIR/pod-logs" "$LC_DIR/images"

# --- host setup ------------------------------------------------------------
# Record the sysctls we or the kubelet change, once, so that down restores them.
if [ ! -f "$LC_RUN/sysctl.orig" ]; then
  for s in "${LC_SYSCTLS[@]}"; do
    v="$(sysctl -n "$s" 2>/dev/null)" && echo "$s=$v"
  done >"$LC_RUN/sysctl.orig.tmp"
  mv "$LC_RUN/sysctl.orig.tmp" "$LC_RUN/sysctl.orig"
  [ -d /run/netns ] || touch "$LC_RUN/netns.absent"
fi
if ! ip link show "$NODE_IF" >/dev/null 2>&1; then
  log "creating $NODE_IF ($NODE_IP)"
  ip link add "$NODE_IF" type bridge # the kernel has no dummy driver
fi
ip addr show dev "$NODE_IF" | grep -q "inet $NODE_IP/32" || ip addr add "$NODE_IP/32" dev "$NODE_IF"
ip link set "$NODE_IF" up
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
# Pod traffic never leaves the machine: anything from the pod CIDR forwarded
# to an interface other than the pod bridge is rejected.
iptables -N LC-EGRESS-GUARD 2>/dev/null || true
iptables -F LC-EGRESS-GUARD
iptables -A LC-EGRESS-GUARD -s "$POD_CIDR" ! -o "$POD_BRIDGE" -j REJECT
iptables -C FORWARD -j LC-EGRESS-GUARD 2>/dev/null || iptables -I FORWARD 1 -j LC-EGRESS-GUARD
# The kubelet's cgroupRoot must exist in every hierarchy.
for h in /sys/fs/cgroup/*/; do
  mountpoint -q "$h" && mkdir -p "$h$CGROUP_ROOT"
done

# --- containerd (own instance) ----------------------------------------------
writefile "$LC_DIR/containerd/config.toml" <<TOML
version = 2
root = "$LC_DIR/containerd/root"
state = "$LC_RUN/containerd"
[grpc]
  address = "$LC_SOCK"
[ttrpc]
  address = "$LC_SOCK.ttrpc"
[debug]
  address = "$LC_RUN/containerd-debug.sock"
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "localhost/pause:local"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    # Required here: the VM's bounding set lacks CAP_SYS_RESOURCE, so runc
    # cannot lower oom_score_adj below containerd's own.
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$LC_RUN/runc"
          BinaryName = "/usr/sbin/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$LC_DIR/cni/net.d"
      max_conf_num = 1
  [plugins."io.containerd.internal.v1.opt"]
    path = "$LC_DIR/containerd/opt"
TOML
writefile "$LC_DIR/cni/net.d/10-lc.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "lc-pods",
  "plugins": [
    {
      "type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$LC_RUN/cni-ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GW"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
start_proc containerd containerd --config "$LC_DIR/containerd/config.toml"
ctr() { command ctr --address "$LC_SOCK" -n k8s.io "$@"; }
wait_for containerd 30 ctr version

# The sandbox image, built from our pause binary (there is no registry).
if [ ! -s "$LC_DIR/images/pause.tar" ] || [ "$LC_BIN/pause" -nt "$LC_DIR/images/pause.tar" ]; then
  "$LC_BIN/imgtool" -o "$LC_DIR/images/pause.tar" -t localhost/pause:local -entrypoint /pause "$LC_BIN/pause=/pause" >/dev/null
  ctr images rm localhost/pause:local >/dev/null 2>&1 || true
fi
if ! ctr images ls -q | grep -qx 'localhost/pause:local'; then
  log "importing localhost/pause:local"
  ctr images import "$LC_DIR/images/pause.tar" >/dev/null
fi

# --- etcd ---------------------------------------------------------------------
start_proc etcd etcd --name lc --data-dir "$LC_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "lc=http://127.0.0.1:$ETCD_PEER_PORT"
wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

# --- kube-apiserver -------------------------------------------------------------
P=$LC_PKI
start_proc kube-apiserver "$LC_BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$APISERVER_PORT" \
  --tls-cert-file="$P/kube-apiserver.crt" --tls-private-key-file="$P/kube-apiserver.key" \
  --client-ca-file="$P/ca.crt" \
  --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" --kubelet-client-key="$P/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$P/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
  --service-cluster-ip-range="$SERVICE_CIDR" --authorization-mode=Node,RBAC --allow-privileged=true \
  --requestheader-client-ca-file="$P/ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$P/front-proxy-client.crt" --proxy-client-key-file="$P/front-proxy-client.key"
wait_for kube-apiserver 90 curl -sf --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "$APISERVER_URL/readyz"

# --- controller-manager and scheduler ---------------------------------------------
start_proc kube-controller-manager "$LC_BIN/kube-controller-manager" \
  --kubeconfig="$P/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="$P/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="$P/kube-controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$LC_DIR/kcm-certs" \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --cluster-cidr="$POD_CIDR" \
  --use-service-account-credentials=true --leader-elect=false \
  --enable-hostpath-provisioner=true
start_proc kube-scheduler "$LC_BIN/kube-scheduler" --kubeconfig="$P/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig="$P/kube-scheduler.kubeconfig" --authorization-kubeconfig="$P/kube-scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false

kc apply -f "$LC_SRC/manifests/coredns-rbac.yaml" -f "$LC_SRC/manifests/storageclass.yaml" >/dev/null

# --- CoreDNS (host process on the node IP) ------------------------------------------
writefile "$LC_DIR/Corefile" <<COREFILE
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:$COREDNS_HEALTH_PORT
    ready 127.0.0.1:$COREDNS_READY_PORT
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $P/coredns.kubeconfig localcluster
        pods insecure
        ttl 5
    }
    cache 5
}
COREFILE
start_proc coredns "$LC_BIN/coredns" -conf "$LC_DIR/Corefile"

# --- kubelet ----------------------------------------------------------------------
writefile "$LC_DIR/resolv.conf" <<<"nameserver $NODE_IP"
writefile "$LC_DIR/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $P/kubelet-serving.crt
tlsPrivateKeyFile: $P/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $P/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$LC_SOCK
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
failCgroupV1: false
failSwapOn: false
clusterDNS: [$NODE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $LC_DIR/resolv.conf
podLogsDir: $LC_DIR/pod-logs
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
YAML
start_proc kubelet "$LC_BIN/kubelet" --config="$LC_DIR/kubelet.yaml" --kubeconfig="$P/kubelet.kubeconfig" \
  --root-dir="$LC_DIR/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP"

# --- kube-proxy (iptables mode) ---------------------------------------------------------
writefile "$LC_DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $P/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
nodePortAddresses: ["$NODE_IP/32"]
iptables: {localhostNodePorts: false}
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
start_proc kube-proxy "$LC_BIN/kube-proxy" --config="$LC_DIR/kube-proxy.yaml"

# --- ready ----------------------------------------------------------------------------
node_ready() {
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
wait_for "node $NODE_NAME Ready" 120 node_ready
wait_for CoreDNS 60 curl -sf "http://127.0.0.1:$COREDNS_READY_PORT/ready"
wait_for kube-proxy 60 curl -sf "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
log "cluster up in $((SECONDS - start))s"
echo "export KUBECONFIG=$KUBECONFIG_ADMIN"
