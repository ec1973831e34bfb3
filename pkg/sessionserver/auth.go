package sessionserver

import (
	"crypto/sha1"
	"encoding/base64"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// handleAuth answers setAuth at once (ZooKeeper answers it outside the
// pipeline), with zxid 0, as ZooKeeper 3.8's providers do:
//   - digest: any bytes, with or without a colon, even none; the id is the
//     part before the first colon, a colon, and the base64 SHA-1 of all of
//     it (DigestAuthenticationProvider.generateDigest), so "blah" gives
//     "blah:<digest of blah>". The super digest also adds super.
//   - ip: accepted whatever it says; the connection already holds its ip id.
//   - x509: only on a connection whose TLS handshake gave it an x509 id,
//     with the x509 provider registered (ZooKeeper's provider); sasl ids come
//     only from a SASL exchange.
//
// Anything else (an unknown scheme, no bytes at all) fails: AuthFailed, then
// the connection closes.
func (c *conn) handleAuth(hdr wire.RequestHeader, body []byte) bool {
	var ap wire.AuthPacket
	if err := ap.Decode(wire.NewDecoder(body)); err != nil {
		c.srv.metrics.malformed.Inc()
		return false
	}
	ok := false
	switch {
	case ap.Scheme == "digest" && ap.Auth != nil:
		id := digestOf(string(ap.Auth))
		if c.srv.cfg.SuperDigest != "" && id == c.srv.cfg.SuperDigest {
			c.auth.Super = true
			c.addAuthID(wire.Id{Scheme: "super"})
		}
		c.addAuthID(wire.Id{Scheme: "digest", ID: id})
		ok = true
	case ap.Scheme == "ip" && ap.Auth != nil:
		ok = true
	case ap.Scheme == "x509":
		ok = c.srv.cfg.Client.X509Provider && c.hasScheme("x509")
	}
	if !ok {
		c.srv.metrics.authFailed.Inc()
		c.writeFrame(wire.Marshal(&wire.ReplyHeader{Xid: hdr.Xid, Zxid: 0, Err: int32(wire.ErrAuthFailed)}), true)
		return false
	}
	c.publishAuth()
	c.writeFrame(wire.Marshal(&wire.ReplyHeader{Xid: hdr.Xid, Zxid: 0, Err: 0}), false)
	return true
}

// digestOf is ZooKeeper's generateDigest.
func digestOf(idPassword string) string {
	user, _, _ := strings.Cut(idPassword, ":")
	sum := sha1.Sum([]byte(idPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// addAuthID adds an id unless the connection holds it, keeping the ids in
// the order ZooKeeper keeps them: a hash set of Id, whose iteration order
// whoAmI and the auth ACL scheme expose.
func (c *conn) addAuthID(id wire.Id) {
	for _, have := range c.auth.IDs {
		if have == id {
			return
		}
	}
	c.auth.IDs = javaSetOrder(append(c.auth.IDs, id))
}

func (c *conn) hasScheme(scheme string) bool {
	for _, id := range c.auth.IDs {
		if id.Scheme == scheme {
			return true
		}
	}
	return false
}
