// Package sasl is the SASL DIGEST-MD5 mechanism (RFC 2831) as ZooKeeper's
// clients and servers speak it: the server side a ZooKeeper server runs for
// the sasl opcode (102), the client side our client uses, and the user
// databases ZooKeeper reads passwords from (a JAAS file's Server section of
// DigestLoginModule user_<name>="<password>" options, or a directory with
// one file per user, as a mounted Kubernetes Secret is).
//
// ZooKeeper fixes the names: the protocol is "zookeeper" and the server name
// (the realm, and the host of the digest-uri) is "zk-sasl-md5". Only the
// "auth" quality of protection is offered, as ZooKeeper's server offers it;
// the TLS port is the way to encrypt a connection. The authenticated id is the
// user name (an authorization id the client sends is ignored, as ZooKeeper's
// callback handler ignores it).
//
// No module on the Go module proxy implements a DIGEST-MD5 server (the
// well-kept SASL modules there offer PLAIN, SCRAM, OAUTHBEARER and the like),
// so the mechanism is written here, tested against the Java client and
// kazoo's pure-sasl, and its parser fuzzed.
package sasl
