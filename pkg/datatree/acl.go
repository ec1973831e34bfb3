package datatree

import (
	"crypto/sha1"
	"encoding/base64"
	"net"
	"strconv"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/x500"
)

// Well-known ACL lists (ZooDefs.Ids).
var (
	OpenACLUnsafe = []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "world", ID: "anyone"}}}
	ReadACLUnsafe = []wire.ACL{{Perms: wire.PermRead, ID: wire.Id{Scheme: "world", ID: "anyone"}}}
)

// Auth is what a request's connection has proven: its ids (always ip:<addr>,
// plus digest ids from setAuth, sasl ids from a SASL exchange, x509 ids from
// a client certificate) and whether one of them makes it the super user.
type Auth struct {
	IDs   []wire.Id
	Super bool
}

// DigestID returns ZooKeeper's digest id for user:password: user:base64(sha1(user:password)).
func DigestID(user, password string) string {
	sum := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// CheckACL is ZooKeeper's checkACL: does auth hold perm on a node with acl?
func CheckACL(acl []wire.ACL, perm int32, auth Auth) bool {
	if auth.Super || len(acl) == 0 {
		return true
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID.Scheme == "world" && a.ID.ID == "anyone" {
			return true
		}
		for _, id := range auth.IDs {
			if id.Scheme != a.ID.Scheme {
				continue
			}
			switch id.Scheme {
			case "digest", "x509":
				if id.ID == a.ID.ID {
					return true
				}
			case "sasl":
				// SASLAuthenticationProvider.matches: the sasl user "super"
				// matches every sasl ACL.
				if id.ID == a.ID.ID || id.ID == "super" {
					return true
				}
			case "ip":
				if ipMatches(id.ID, a.ID.ID) {
					return true
				}
			}
		}
	}
	return false
}

// ipMatches implements IPAuthenticationProvider.matches: aclExpr is an address
// with an optional /bits mask.
func ipMatches(addr, aclExpr string) bool {
	ip := net.ParseIP(addr)
	if ip == nil {
		return false
	}
	host, bits, hasBits := strings.Cut(aclExpr, "/")
	want := net.ParseIP(host)
	if want == nil {
		return false
	}
	if v4 := want.To4(); v4 != nil {
		want = v4
		if ip = ip.To4(); ip == nil {
			return false
		}
	}
	n := len(want) * 8
	if hasBits {
		b, err := strconv.Atoi(bits)
		if err != nil || b < 0 || b > n {
			return false
		}
		n = b
	}
	mask := net.CIDRMask(n, len(want)*8)
	return ip.Mask(mask).Equal(want.Mask(mask))
}

// validKerberosName is SASLAuthenticationProvider.isValid: KerberosName's
// pattern name[/host]@realm, or a name without @.
func validKerberosName(id string) bool {
	if !strings.Contains(id, "@") {
		return true
	}
	name, realm, _ := strings.Cut(id, "@")
	return !strings.ContainsAny(realm, "/@") && strings.Count(name, "/") <= 1
}

func validIPExpr(expr string) bool {
	host, bits, hasBits := strings.Cut(expr, "/")
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if hasBits {
		b, err := strconv.Atoi(bits)
		max := 128
		if ip.To4() != nil {
			max = 32
		}
		return err == nil && b >= 0 && b <= max
	}
	return true
}

// Providers are the authentication providers registered beside digest and
// ip (authProvider.N): ACLs of their schemes are accepted only then.
type Providers struct {
	SASL, X509 bool
}

// FixupACL is PrepRequestProcessor.fixupACL: de-duplicate, expand the auth
// scheme to the connection's authenticated ids, and reject what no provider
// accepts.
func FixupACL(acl []wire.ACL, auth Auth, p Providers) ([]wire.ACL, wire.ErrCode) {
	if len(acl) == 0 {
		return nil, wire.ErrInvalidACL
	}
	out := make([]wire.ACL, 0, len(acl))
	add := func(a wire.ACL) {
		for _, b := range out {
			if b == a {
				return
			}
		}
		out = append(out, a)
	}
	for _, a := range acl {
		switch a.ID.Scheme {
		case "world":
			if a.ID.ID != "anyone" {
				return nil, wire.ErrInvalidACL
			}
			add(a)
		case "auth":
			found := false
			for _, id := range auth.IDs {
				// Providers whose isAuthenticated is true (not ip; super has none).
				if id.Scheme == "digest" || (id.Scheme == "sasl" && p.SASL) || (id.Scheme == "x509" && p.X509) {
					found = true
					add(wire.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !found {
				return nil, wire.ErrInvalidACL
			}
		case "digest":
			if len(strings.Split(a.ID.ID, ":")) != 2 {
				return nil, wire.ErrInvalidACL
			}
			add(a)
		case "ip":
			if !validIPExpr(a.ID.ID) {
				return nil, wire.ErrInvalidACL
			}
			add(a)
		case "sasl":
			if !p.SASL || !validKerberosName(a.ID.ID) {
				return nil, wire.ErrInvalidACL
			}
			add(a)
		case "x509":
			if !p.X509 || !x500.Valid(a.ID.ID) {
				return nil, wire.ErrInvalidACL
			}
			add(a)
		default:
			return nil, wire.ErrInvalidACL
		}
	}
	return out, wire.ErrOK
}

// aclCache interns ACL lists: most znodes share a handful, so each node keeps
// a 4-byte reference instead of its own copy (ZooKeeper's
// ReferenceCountedACLCache). A released slot is reused by the next new list.
type aclCache struct {
	byKey   map[string]aclRef
	entries []aclEntry
	free    []aclRef
}

// aclRef is an index into aclCache.entries.
type aclRef uint32

type aclEntry struct {
	key  string
	acl  []wire.ACL
	refs int
}

func newACLCache() *aclCache { return &aclCache{byKey: map[string]aclRef{}} }

func aclKey(acl []wire.ACL) string {
	var b strings.Builder
	for _, a := range acl {
		b.WriteString(strconv.Itoa(int(a.Perms)))
		b.WriteByte(0)
		b.WriteString(a.ID.Scheme)
		b.WriteByte(0)
		b.WriteString(a.ID.ID)
		b.WriteByte(0)
	}
	return b.String()
}

func (c *aclCache) intern(acl []wire.ACL) aclRef {
	k := aclKey(acl)
	r, ok := c.byKey[k]
	if !ok {
		e := aclEntry{key: k, acl: append([]wire.ACL(nil), acl...)}
		if n := len(c.free); n > 0 {
			r = c.free[n-1]
			c.free = c.free[:n-1]
			c.entries[r] = e
		} else {
			r = aclRef(len(c.entries))
			c.entries = append(c.entries, e)
		}
		c.byKey[k] = r
	}
	c.entries[r].refs++
	return r
}

// list returns the interned list; callers must not change it.
func (c *aclCache) list(r aclRef) []wire.ACL { return c.entries[r].acl }

func (c *aclCache) release(r aclRef) {
	e := &c.entries[r]
	e.refs--
	if e.refs <= 0 {
		delete(c.byKey, e.key)
		*e = aclEntry{}
		c.free = append(c.free, r)
	}
}

// each calls f with every interned list and its reference.
func (c *aclCache) each(f func(r aclRef, acl []wire.ACL)) {
	for _, r := range c.byKey {
		f(r, c.entries[r].acl)
	}
}
