package sasl

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ZooKeeper's fixed names (SecurityUtils.createSaslServer/Client).
const (
	Protocol   = "zookeeper"
	ServerName = "zk-sasl-md5"
	// Mechanism is the only mechanism served.
	Mechanism = "DIGEST-MD5"
)

// ErrFailed is returned for every authentication failure (unknown user,
// wrong password, a response that does not follow the exchange); the detail
// is in the wrapped message, for the server's log only.
var ErrFailed = errors.New("sasl: DIGEST-MD5 authentication failed")

// Users looks up a user's password; ok is false for an unknown user.
type Users interface {
	Password(user string) (password string, ok bool, err error)
}

// Server is the server side of one DIGEST-MD5 exchange: an empty first
// message gets the challenge, the client's response gets rspauth, and then
// the exchange is complete. Anything else fails it.
type Server struct {
	users Users
	step  int
	nonce string
	user  string
}

// NewServer starts an exchange against users.
func NewServer(users Users) *Server { return &Server{users: users} }

// Complete reports whether the client has authenticated.
func (s *Server) Complete() bool { return s.step == 2 }

// User is the authenticated user name (once Complete).
func (s *Server) User() string { return s.user }

// Evaluate takes the client's message and returns the server's answer.
func (s *Server) Evaluate(msg []byte) ([]byte, error) {
	switch s.step {
	case 0:
		// DIGEST-MD5 has no initial response; like Java's server, whatever
		// the first message holds is ignored and answered with the challenge.
		raw := make([]byte, 30)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		s.nonce = base64.StdEncoding.EncodeToString(raw)
		s.step = 1
		var b bytes.Buffer
		b.WriteString("realm=")
		quote(&b, ServerName)
		b.WriteString(",nonce=")
		quote(&b, s.nonce)
		// Java's server leaves qop out when it offers only auth (the default).
		b.WriteString(`,charset=utf-8,algorithm=md5-sess`)
		return b.Bytes(), nil
	case 1:
		s.step = -1 // one response only, whatever it holds
		rsp, err := s.verify(msg)
		if err != nil {
			return nil, err
		}
		s.step = 2
		return rsp, nil
	}
	return nil, fmt.Errorf("%w: the exchange is over", ErrFailed)
}

func (s *Server) verify(msg []byte) ([]byte, error) {
	d, err := parseDirectives(msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	fail := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrFailed}, args...)...)
	}
	if cs, ok := d["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fail("charset %q", cs)
	}
	user, ok := d["username"]
	if !ok || user == "" {
		return fail("no username")
	}
	realm := d["realm"]
	if _, given := d["realm"]; given && realm != ServerName {
		return fail("unknown realm %q", realm)
	}
	if d["nonce"] != s.nonce {
		return fail("nonce mismatch")
	}
	cnonce := d["cnonce"]
	if cnonce == "" {
		return fail("no cnonce")
	}
	if d["nc"] != "00000001" {
		return fail("nonce count %q", d["nc"])
	}
	qop := d["qop"]
	if qop == "" {
		qop = "auth"
	}
	if qop != "auth" {
		return fail("quality of protection %q is not offered", qop)
	}
	uri := d["digest-uri"]
	serv, host, _ := strings.Cut(uri, "/")
	if !strings.EqualFold(serv, Protocol) || !strings.EqualFold(strings.SplitN(host, "/", 2)[0], ServerName) {
		return fail("digest-uri %q", uri)
	}
	got, err := hex.DecodeString(d["response"])
	if err != nil || len(got) != md5.Size {
		return fail("malformed response value")
	}
	pw, known, err := s.users.Password(user)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the users: %w", ErrFailed, err)
	}
	_, utf := d["charset"]
	k := digestKey{user: user, realm: realm, password: pw, nonce: s.nonce, cnonce: cnonce, authzid: d["authzid"], utf8: utf}
	want := k.response("AUTHENTICATE:"+uri, "00000001")
	if !known {
		// Compare anyway, so an unknown user costs what a known one does.
		subtle.ConstantTimeCompare(got, want)
		return fail("unknown user %q", user)
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return fail("wrong password for %q", user)
	}
	s.user = user
	return []byte("rspauth=" + hex.EncodeToString(k.response(":"+uri, "00000001"))), nil
}

// digestKey holds what RFC 2831's response value is computed from.
type digestKey struct {
	user, realm, password  string
	nonce, cnonce, authzid string
	utf8                   bool // charset=utf-8 was given
}

// response is HEX(KD(HEX(H(A1)), nonce:nc:cnonce:auth:HEX(H(A2)))) as raw bytes.
func (k digestKey) response(a2, nc string) []byte {
	inner := md5.Sum(bytes.Join([][]byte{k.text(k.user), k.text(k.realm), k.text(k.password)}, []byte(":")))
	a1 := append(inner[:], ":"+k.nonce+":"+k.cnonce...)
	if k.authzid != "" {
		a1 = append(a1, ":"+k.authzid...)
	}
	ha1 := md5.Sum(a1)
	ha2 := md5.Sum([]byte(a2))
	kd := md5.Sum([]byte(hex.EncodeToString(ha1[:]) + ":" + k.nonce + ":" + nc + ":" + k.cnonce + ":auth:" + hex.EncodeToString(ha2[:])))
	return kd[:]
}

// text encodes a user name, realm or password as RFC 2831 asks with
// charset=utf-8: ISO 8859-1 when every character fits, else UTF-8 (Java's
// DigestMD5Base does the same). Without the charset directive the bytes are
// taken as they are.
func (k digestKey) text(s string) []byte {
	if !k.utf8 || !utf8.ValidString(s) {
		return []byte(s)
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return []byte(s)
		}
		out = append(out, byte(r))
	}
	return out
}

// Client is the client side of one DIGEST-MD5 exchange, for our client.
type Client struct {
	user, password string
	step           int
	key            digestKey
	uri            string
}

// NewClient starts an exchange as user.
func NewClient(user, password string) *Client { return &Client{user: user, password: password} }

// Start is the first message: empty (DIGEST-MD5 has no initial response).
func (c *Client) Start() []byte { return []byte{} }

// Next answers the server's challenge, then checks its rspauth; done is true
// once the server has proven it knows the password too.
func (c *Client) Next(challenge []byte) (msg []byte, done bool, err error) {
	d, err := parseDirectives(challenge)
	if err != nil {
		return nil, false, err
	}
	switch c.step {
	case 0:
		nonce, ok := d["nonce"]
		if !ok {
			return nil, false, errors.New("sasl: the challenge has no nonce")
		}
		if q, ok := d["qop"]; ok && !containsToken(q, "auth") {
			return nil, false, fmt.Errorf("sasl: the server offers qop %q, not auth", q)
		}
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return nil, false, err
		}
		_, utf := d["charset"]
		realm, hasRealm := d["realm"]
		c.key = digestKey{user: c.user, realm: realm, password: c.password, nonce: nonce, cnonce: base64.RawStdEncoding.EncodeToString(raw), utf8: utf}
		c.uri = Protocol + "/" + ServerName
		var b bytes.Buffer
		if utf {
			b.WriteString("charset=utf-8,")
		}
		b.WriteString("username=")
		quote(&b, c.user)
		if hasRealm {
			b.WriteString(",realm=")
			quote(&b, realm)
		}
		b.WriteString(",nonce=")
		quote(&b, nonce)
		b.WriteString(",nc=00000001,cnonce=")
		quote(&b, c.key.cnonce)
		b.WriteString(",digest-uri=")
		quote(&b, c.uri)
		b.WriteString(",maxbuf=65536,response=")
		b.WriteString(hex.EncodeToString(c.key.response("AUTHENTICATE:"+c.uri, "00000001")))
		b.WriteString(",qop=auth")
		c.step = 1
		return b.Bytes(), false, nil
	case 1:
		c.step = 2
		got, err := hex.DecodeString(d["rspauth"])
		want := c.key.response(":"+c.uri, "00000001")
		if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
			return nil, false, errors.New("sasl: the server's rspauth is wrong: it does not know the password")
		}
		return nil, true, nil
	}
	return nil, false, errors.New("sasl: the exchange is over")
}

func containsToken(list, tok string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.TrimSpace(t) == tok {
			return true
		}
	}
	return false
}
