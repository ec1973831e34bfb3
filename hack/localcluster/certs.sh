#!/usr/bin/env bash
# Generates the local cluster's CA, certificates and kubeconfigs with openssl
# into $LC_DIR/pki. Existing files are kept (idempotent); `down --purge`
# removes them.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$LC_PKI"
umask 077
cd "$LC_PKI"

if [ ! -f ca.crt ] || [ ! -f ca.key ]; then
  log "creating CA"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout ca.key -out ca.crt \
    -subj "/CN=localcluster-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
fi

# cert NAME SUBJECT EXTKEYUSAGE [SANS]: a key and a CA-signed certificate.
cert() {
  local name=$1 subj=$2 eku=$3 sans=${4:-} ext
  [ -f "$name.crt" ] && [ -f "$name.key" ] && return 0
  ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$eku"
  [ -z "$sans" ] || ext+="
subjectAltName=$sans"
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
    -extfile <(printf '%s\n' "$ext") -out "$name.crt" 2>/dev/null
  rm -f "$name.csr"
}

# kubeconfig NAME USER: a kubeconfig for certificate NAME, server on the node IP.
kubeconfig() {
  local name=$1 user=$2
  [ -f "$name.kubeconfig" ] && return 0
  cat >"$name.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: localcluster
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 ca.crt)
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$name.crt")
    client-key-data: $(base64 -w0 "$name.key")
contexts:
- name: localcluster
  context: {cluster: localcluster, user: $user}
current-context: localcluster
KC
}

cert admin "/O=system:masters/CN=localcluster-admin" clientAuth
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
cert kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
cert kube-scheduler "/CN=system:kube-scheduler" clientAuth
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
cert kube-proxy "/CN=system:kube-proxy" clientAuth
cert coredns "/CN=system:coredns" clientAuth
cert front-proxy-client "/CN=front-proxy-client" clientAuth
cert kube-apiserver "/CN=kube-apiserver" serverAuth \
  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$KUBERNETES_SVC_IP"
cert kubelet-serving "/CN=$NODE_NAME" serverAuth "DNS:$NODE_NAME,IP:$NODE_IP,IP:127.0.0.1"
if [ ! -f sa.key ] || [ ! -f sa.pub ]; then
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
fi

kubeconfig admin localcluster-admin
kubeconfig kube-controller-manager system:kube-controller-manager
kubeconfig kube-scheduler system:kube-scheduler
kubeconfig kubelet "system:node:$NODE_NAME"
kubeconfig kube-proxy system:kube-proxy
kubeconfig coredns system:coredns
