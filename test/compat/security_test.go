package compat

import (
	"bufio"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/sasl"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// secStep is one step of a security scenario: a request (as in step), or a
// whole SASL DIGEST-MD5 login (user set).
type secStep struct {
	step
	user, password string
	rebase         bool // ping, and take its zxid as the base from here on
}

type secScenario struct {
	name string
	// conns names each session's transport: "plain", "tls" (no
	// certificate) or "tls:<CN>" (a client certificate for CN).
	conns []string
	steps []secStep
	// noPing skips the ping that reads the starting zxid (a ping of an
	// unauthenticated session is refused when authentication is enforced).
	noPing bool
}

func req(conn int, op int32, r func(int64) wire.Record, expect ...string) secStep {
	s := secStep{step: step{conn: conn, op: op, req: r}}
	if len(expect) > 0 {
		s.expect = expect[0]
	}
	return s
}

func login(conn int, user, password string) secStep {
	return secStep{step: step{conn: conn, op: wire.OpSASL}, user: user, password: password}
}

func aclReq(path, scheme, id string) func(int64) wire.Record {
	return func(int64) wire.Record {
		return &wire.CreateRequest{Path: path, Data: []byte("d"), ACL: []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: scheme, ID: id}}}}
	}
}

func saslToken(tok string) func(int64) wire.Record {
	return func(int64) wire.Record { return &wire.SASLRequest{Token: []byte(tok)} }
}

const aliceDN = `CN=alice,OU=dev,O=Example\, Inc.,C=US`

var aliceName = pkix.Name{CommonName: "alice", Organization: []string{"Example, Inc."}, Country: []string{"US"},
	OrganizationalUnit: []string{"dev"}}

func secScenarios() []secScenario {
	return []secScenario{
		{name: "sasl login and ACLs", conns: []string{"plain", "plain"}, steps: []secStep{
			login(0, "alice", "alice-pw"),
			req(0, wire.OpWhoAmI, nil),
			req(0, wire.OpCreate, aclReq("/s", "sasl", "alice")),
			req(0, wire.OpGetData, watchReq("/s", false)),
			req(1, wire.OpGetData, watchReq("/s", false)),
			req(0, wire.OpCreate, func(int64) wire.Record {
				return &wire.CreateRequest{Path: "/s-auth", ACL: []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "auth"}}}}
			}),
			req(0, wire.OpGetACL, pathReq("/s-auth")),
			req(1, wire.OpCreate, aclReq("/s-bad", "sasl", "a@b@c")),
			req(1, wire.OpCreate, aclReq("/s-princ", "sasl", "zk/host@REALM")),
			req(1, wire.OpCreate, aclReq("/x-dn", "x509", aliceDN)),
			req(1, wire.OpCreate, aclReq("/x-bad", "x509", "not a name")),
			req(1, wire.OpCreate, func(int64) wire.Record {
				return &wire.CreateRequest{Path: "/s-auth2", ACL: []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "auth"}}}}
			}),
			login(1, "bob", "bob-pw"),
			req(1, wire.OpGetData, watchReq("/s", false)),
			req(1, wire.OpWhoAmI, nil),
		}},
		{name: "sasl wrong password", conns: []string{"plain"}, steps: []secStep{login(0, "alice", "guess")}},
		{name: "sasl unknown user", conns: []string{"plain"}, steps: []secStep{login(0, "mallory", "x")}},
		{name: "sasl initial response", conns: []string{"plain"}, steps: []secStep{
			req(0, wire.OpSASL, saslToken("username=alice")),
			req(0, wire.OpSASL, saslToken("username=alice"), "reply+eof"),
		}},
		{name: "sasl garbage response", conns: []string{"plain"}, steps: []secStep{
			req(0, wire.OpSASL, saslToken("")),
			req(0, wire.OpSASL, saslToken("no directives here"), "reply+eof"),
		}},
		{name: "addauth cannot claim sasl", conns: []string{"plain"}, steps: []secStep{req(0, wire.OpAuth, authReq("sasl", "alice"), "reply+eof")}},
		{name: "addauth cannot claim x509", conns: []string{"plain"}, steps: []secStep{req(0, wire.OpAuth, authReq("x509", aliceDN), "reply+eof")}},
		{name: "addauth ip", conns: []string{"plain"}, steps: []secStep{req(0, wire.OpAuth, authReq("ip", "10.0.0.1")), req(0, wire.OpWhoAmI, nil)}},
		{name: "x509 ids and ACLs", conns: []string{"tls:alice", "tls:bob", "tls"}, steps: []secStep{
			req(0, wire.OpWhoAmI, nil),
			req(0, wire.OpCreate, aclReq("/x", "x509", aliceDN)),
			req(0, wire.OpGetData, watchReq("/x", false)),
			req(1, wire.OpGetData, watchReq("/x", false)),
			req(1, wire.OpWhoAmI, nil),
			req(2, wire.OpWhoAmI, nil),
			req(2, wire.OpGetData, watchReq("/x", false)),
			req(0, wire.OpAuth, authReq("x509", "CN=someone else")),
			req(0, wire.OpWhoAmI, nil),
			req(2, wire.OpAuth, authReq("x509", aliceDN), "reply+eof"),
		}},
		{name: "x509 and sasl on one connection", conns: []string{"tls:alice"}, steps: []secStep{
			login(0, "alice", "alice-pw"),
			req(0, wire.OpWhoAmI, nil),
		}},
		{name: "four-letter word over TLS", conns: []string{"tls:alice"}, steps: []secStep{
			{step: step{conn: 0, rawFn: func(int64) []byte { return []byte("ruok") }, expect: "eof"}},
		}},
	}
}

// TestDifferentialSecurity plays the scenarios against ZooKeeper 3.8 and
// our server given the same zoo.cfg security keys, and compares every reply.
func TestDifferentialSecurity(t *testing.T) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	pki := refzk.NewPKI(t)
	opts := refzk.Options{TickTime: 2000, Client: &refzk.ClientSecurity{
		TLS: pki, ClientAuth: "want", SASLUsers: map[string]string{"alice": "alice-pw", "bob": "bob-pw"},
		SASLProvider: true, X509Provider: true,
	}}
	certs := map[string]*tls.Config{
		"tls":       pki.Client(t, nil).TLS,
		"tls:alice": pki.Client(t, &aliceName).TLS,
		"tls:bob":   pki.Client(t, &pkix.Name{CommonName: "bob"}).TLS,
	}
	// alice's subject has a multi-valued RDN, which pkix.Name cannot say.
	certs["tls:alice"] = pki.Client(t, &pkix.Name{ExtraNames: aliceRDNs()}).TLS
	servers := compareSecurity(t, opts, certs, secScenarios())
	// conf reports both ports, as ZooKeeper does.
	var confs []string
	for _, srv := range servers {
		out, err := refzk.FourLetter(srv.Addr, "conf")
		if err != nil {
			t.Fatal(err)
		}
		var ports []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "clientPort=") || strings.HasPrefix(l, "secureClientPort=") {
				l = strings.Replace(l, fmt.Sprint(srv.ClientPort), "<plain>", 1)
				ports = append(ports, strings.Replace(l, fmt.Sprint(srv.SecurePort), "<secure>", 1))
			}
		}
		confs = append(confs, strings.Join(ports, " "))
	}
	if confs[0] != confs[1] || confs[0] != "clientPort=<plain> secureClientPort=<secure>" {
		t.Errorf("conf: zookeeper %q, ours %q", confs[0], confs[1])
	}
}

// aliceRDNs is aliceDN as attributes, most general first.
func aliceRDNs() []pkix.AttributeTypeAndValue {
	return []pkix.AttributeTypeAndValue{
		{Type: []int{2, 5, 4, 6}, Value: "US"},
		{Type: []int{2, 5, 4, 10}, Value: "Example, Inc."},
		{Type: []int{2, 5, 4, 11}, Value: "dev"},
		{Type: []int{2, 5, 4, 3}, Value: "alice"},
	}
}

// TestDifferentialEnforcedAuth: enforce.auth.schemes=sasl refuses the
// requests of a session without a sasl id the same way on both servers.
func TestDifferentialEnforcedAuth(t *testing.T) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	opts := refzk.Options{TickTime: 2000, Client: &refzk.ClientSecurity{
		SASLUsers: map[string]string{"alice": "alice-pw"}, SASLProvider: true, EnforceSchemes: "sasl",
	}}
	scenarios := []secScenario{
		{name: "unauthenticated ping", conns: []string{"plain"}, steps: []secStep{req(0, wire.OpPing, nil, "reply+eof")}},
		{name: "unauthenticated create", conns: []string{"plain"}, steps: []secStep{req(0, wire.OpCreate, create("/e", "", 0), "reply+eof")}},
		{name: "unauthenticated exists", conns: []string{"plain"}, steps: []secStep{req(0, wire.OpExists, watchReq("/", false), "reply+eof")}},
		{name: "unauthenticated unknown op", conns: []string{"plain"}, steps: []secStep{req(0, 999, nil, "reply+eof")}},
		{name: "digest is not sasl", conns: []string{"plain"}, steps: []secStep{
			req(0, wire.OpAuth, authReq("digest", "alice:alice-pw")),
			req(0, wire.OpGetData, watchReq("/", false), "reply+eof"),
		}},
		{name: "wrong password", conns: []string{"plain"}, steps: []secStep{login(0, "alice", "guess")}},
		{name: "authenticated", conns: []string{"plain"}, steps: []secStep{
			login(0, "alice", "alice-pw"),
			{rebase: true},
			req(0, wire.OpCreate, create("/e", "", 0)),
			req(0, wire.OpWhoAmI, nil),
		}},
	}
	for i := range scenarios {
		scenarios[i].noPing = true
	}
	compareSecurity(t, opts, nil, scenarios)
}

// TestDifferentialSASLUnconfigured: without SASL users both servers answer
// a sasl request with a null token and go on.
func TestDifferentialSASLUnconfigured(t *testing.T) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	compareSecurity(t, refzk.Options{TickTime: 2000}, nil, []secScenario{
		{name: "sasl without users", conns: []string{"plain"}, steps: []secStep{
			req(0, wire.OpSASL, saslToken("")),
			req(0, wire.OpExists, watchReq("/", false)),
		}},
	})
}

func compareSecurity(t *testing.T, opts refzk.Options, certs map[string]*tls.Config, scenarios []secScenario) []*refzk.Server {
	t.Helper()
	servers := []*refzk.Server{refzk.StartStandalone(t, opts), refzk.StartOurs(t, refzk.BuildOurs(t), opts)}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			want := runSecurity(t, servers[0], certs, sc)
			got := runSecurity(t, servers[1], certs, sc)
			t.Logf("zookeeper:\n%s", strings.Join(want, "\n"))
			for i := range max(len(want), len(got)) {
				var w, g string
				if i < len(want) {
					w = want[i]
				}
				if i < len(got) {
					g = got[i]
				}
				if w != g {
					t.Errorf("step %d differs:\n zookeeper:  %s\n zkensemble: %s", i, w, g)
				}
			}
		})
	}
	return servers
}

func runSecurity(t *testing.T, srv *refzk.Server, certs map[string]*tls.Config, sc secScenario) []string {
	conns := make([]*session, len(sc.conns))
	for i, kind := range sc.conns {
		if kind == "plain" {
			conns[i] = dial(t, srv.Addr)
			continue
		}
		cfg := certs[kind].Clone()
		cfg.ServerName = "localhost"
		nc, err := tls.Dial("tcp", srv.SecureAddr, cfg)
		if err != nil {
			t.Fatalf("%s: TLS %s: %v", srv.Kind, kind, err)
		}
		t.Cleanup(func() { nc.Close() })
		conns[i] = &session{nc: nc, br: bufio.NewReader(nc)}
		if sc.steps[0].rawFn == nil {
			conns[i].handshake(t)
		}
	}
	base := int64(0)
	if sc.steps[0].rawFn == nil && !sc.noPing {
		base = conns[0].ping(t)
	}
	var out []string
	for i, st := range sc.steps {
		c := conns[st.conn]
		xid := int32(100 + i)
		if st.user != "" {
			out = append(out, c.saslLogin(t, xid, st.user, st.password))
			continue
		}
		if st.rebase {
			base = c.ping(t)
			out = append(out, "rebased")
			continue
		}
		var frame []byte
		if st.rawFn != nil {
			frame = st.rawFn(base)
			c.nc.Write(frame)
			out = append(out, c.drain(t))
			continue
		}
		e := wire.NewEncoder(nil)
		e.BeginFrame()
		(&wire.RequestHeader{Xid: xid, Type: st.op}).Encode(e)
		if st.req != nil {
			st.req(base).Encode(e)
		}
		e.EndFrame()
		c.nc.Write(e.Bytes())
		out = append(out, c.collect(t, xid, st.step, base, conns))
	}
	return out
}

func (s *session) handshake(t *testing.T) {
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	(&wire.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16), HasReadOnly: true}).Encode(e)
	e.EndFrame()
	s.nc.Write(e.Bytes())
	b := s.read(t)
	var resp wire.ConnectResponse
	if b == nil || resp.Decode(wire.NewDecoder(b)) != nil || resp.TimeOut != 30000 {
		t.Fatalf("handshake failed: %x", b)
	}
	s.sid = resp.SessionID
}

// drain reads what the server sends until it closes (a four-letter word).
func (s *session) drain(t *testing.T) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	s.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := s.br.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String() + " | EOF"
		}
	}
}

var nonceRE = regexp.MustCompile(`nonce="[^"]*"`)

// maskNonce replaces a DIGEST-MD5 challenge's random nonce by its length.
func maskNonce(tok []byte) []byte {
	return nonceRE.ReplaceAllFunc(tok, func(m []byte) []byte { return []byte(fmt.Sprintf("nonce=<%d chars>", len(m)-len(`nonce=""`))) })
}

// saslLogin runs a DIGEST-MD5 exchange and renders each reply: its header,
// and its token with the nonce replaced by its length; the server's
// rspauth is checked by the client (it proves the server knows the password).
func (s *session) saslLogin(t *testing.T, xid int32, user, password string) string {
	cli := sasl.NewClient(user, password)
	msg := cli.Start()
	var parts []string
	for n := int32(0); n < 4; n++ {
		e := wire.NewEncoder(nil)
		e.BeginFrame()
		(&wire.RequestHeader{Xid: xid*10 + n, Type: wire.OpSASL}).Encode(e)
		(&wire.SASLRequest{Token: msg}).Encode(e)
		e.EndFrame()
		s.nc.Write(e.Bytes())
		b := s.read(t)
		if b == nil {
			return strings.Join(append(parts, "EOF"), " | ")
		}
		var h wire.ReplyHeader
		d := wire.NewDecoder(b)
		h.Decode(d)
		head := fmt.Sprintf("(xid=%d zxid=%d err=%d)", h.Xid-xid*10, h.Zxid, h.Err)
		var tok wire.SASLRequest
		if err := tok.Decode(wire.NewDecoder(d.Rest())); err != nil {
			return strings.Join(append(parts, head+" undecodable="+hex.EncodeToString(d.Rest())), " | ")
		}
		if h.Err != 0 || tok.Token == nil {
			parts = append(parts, head+" token="+fmt.Sprint(tok.Token == nil))
			if h.Err != 0 {
				if s.read(t) == nil {
					parts = append(parts, "EOF")
				} else {
					parts = append(parts, "still open")
				}
			}
			return strings.Join(parts, " | ")
		}
		shown := string(maskNonce(tok.Token))
		if strings.HasPrefix(shown, "rspauth=") {
			shown = fmt.Sprintf("rspauth=<%d hex>", len(shown)-len("rspauth="))
		}
		parts = append(parts, head+" "+shown)
		next, done, err := cli.Next(tok.Token)
		if err != nil {
			return strings.Join(append(parts, "client: "+err.Error()), " | ")
		}
		if done {
			return strings.Join(append(parts, "rspauth verified"), " | ")
		}
		msg = next
	}
	return strings.Join(append(parts, "too many rounds"), " | ")
}
