// Package certs owns the certificates members and the operator trust one
// another with: the identities they name, issuing them from a per-ensemble
// CA (the operator, and tests), and TLS configurations that read them from
// disk again when the files change, so certificates rotate without a restart.
//
// An identity is a URI SAN: zkensemble://<ensemble-id>/member/<id> for a
// member, zkensemble://<ensemble-id>/operator for the operator's client
// certificate, zkensemble://<ensemble-id>/backup for backup jobs (taken by
// the admin API's GET /v1/backup only). A member accepts a replication stream only from a certificate
// of its trust bundle whose identity names its own ensemble and the member id
// the stream claims; its admin API takes writes only from the operator's
// identity. Certificates made by hand for ZooKeeper (no zkensemble URI) are
// checked as ZooKeeper checks them: chain to the trust store, and the host
// name when hostname verification is on.
//
// Files are PEM. The key may sit in the certificate file (ZooKeeper's PEM
// keystore holds both); the CA bundle may hold several certificates (a CA
// rotation trusts the old and the new one for a while). The key pair is read
// on every handshake (etcd's transport.TLSInfo does that), the bundle when
// its file changes.
package certs
