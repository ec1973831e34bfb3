package sessionserver

import (
	"crypto/sha1"
	"encoding/base64"
	"strings"
	"unicode/utf16"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// handleAuth answers setAuth at once (ZooKeeper answers it outside the
// pipeline), with zxid 0, as ZooKeeper 3.8's providers do:
//   - digest: any bytes, with or without a colon, even none; the id is the
//     part before the first colon, a colon, and the base64 SHA-1 of all of
//     it (DigestAuthenticationProvider.generateDigest), so "blah" gives
//     "blah:<digest of blah>". The super digest also adds super.
//   - ip: accepted whatever it says; the connection already holds its ip id.
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

// javaSetOrder orders ids (given in insertion order) as a java.util.HashMap
// of Id iterates them: by bucket, (h ^ h>>>16) & (n-1) with n the table
// size (16, doubled past three quarters full), then insertion order.
func javaSetOrder(ids []wire.Id) []wire.Id {
	n := 16
	for len(ids) > n*3/4 {
		n *= 2
	}
	buckets := make([][]wire.Id, n)
	for _, id := range ids {
		h := uint32(javaIDHash(id))
		b := int((h ^ h>>16) & uint32(n-1))
		buckets[b] = append(buckets[b], id)
	}
	out := ids[:0:0]
	for _, b := range buckets {
		out = append(out, b...)
	}
	return out
}

// javaIDHash is the jute-generated Id.hashCode.
func javaIDHash(id wire.Id) int32 {
	h := int32(17)
	h = 37*h + javaStringHash(id.Scheme)
	return 37*h + javaStringHash(id.ID)
}

// javaStringHash is String.hashCode, over UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}
