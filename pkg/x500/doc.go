// Package x500 writes and checks distinguished names as Java's
// javax.security.auth.x500.X500Principal does, because ZooKeeper's x509
// authentication provider names a client by its certificate's subject as
// X500Principal.getName() renders it (RFC 2253: the most specific RDN
// first, the keywords CN, C, L, ST, O, OU, STREET, DC and UID, every other
// attribute as its OID and the hex of its DER value), and accepts an x509:
// ACL id only if X500Principal can parse it.
package x500
