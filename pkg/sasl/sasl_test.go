package sasl

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type mapUsers map[string]string

func (m mapUsers) Password(u string) (string, bool, error) { p, ok := m[u]; return p, ok, nil }

// RFC 2831 §4's worked example.
func TestRFC2831Example(t *testing.T) {
	k := digestKey{user: "chris", realm: "elwood.innosoft.com", password: "secret", nonce: "OA6MG9tEQGm2hh", cnonce: "OA6MHXh6VqTrRk", utf8: true}
	if got := hex.EncodeToString(k.response("AUTHENTICATE:imap/elwood.innosoft.com", "00000001")); got != "d388dad90d4bbd760a152321f2143af7" {
		t.Fatalf("response = %s", got)
	}
	if got := hex.EncodeToString(k.response(":imap/elwood.innosoft.com", "00000001")); got != "ea40f60335c427b5527b84dbabcdfffd" {
		t.Fatalf("rspauth = %s", got)
	}
}

func TestExchange(t *testing.T) {
	users := mapUsers{"alice": "alice-secret", "jörg": "pässwort"}
	for _, tc := range []struct {
		name, user, password string
		tamper               func(string) string
		ok                   bool
	}{
		{name: "right password", user: "alice", password: "alice-secret", ok: true},
		{name: "latin-1 user and password", user: "jörg", password: "pässwort", ok: true},
		{name: "wrong password", user: "alice", password: "guess"},
		{name: "unknown user", user: "mallory", password: "alice-secret"},
		{name: "other nonce", user: "alice", password: "alice-secret", tamper: func(s string) string {
			return replaceDirective(s, "nonce", `"AAAA"`)
		}},
		{name: "other digest-uri", user: "alice", password: "alice-secret", tamper: func(s string) string {
			return replaceDirective(s, "digest-uri", `"imap/zk-sasl-md5"`)
		}},
		{name: "replayed nonce count", user: "alice", password: "alice-secret", tamper: func(s string) string {
			return replaceDirective(s, "nc", "00000002")
		}},
		{name: "privacy asked for", user: "alice", password: "alice-secret", tamper: func(s string) string {
			return replaceDirective(s, "qop", "auth-conf")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := NewServer(users), NewClient(tc.user, tc.password)
			ch, err := srv.Evaluate(cli.Start())
			if err != nil {
				t.Fatal(err)
			}
			resp, done, err := cli.Next(ch)
			if err != nil || done {
				t.Fatalf("client: %v %v", done, err)
			}
			if tc.tamper != nil {
				resp = []byte(tc.tamper(string(resp)))
			}
			rsp, err := srv.Evaluate(resp)
			if !tc.ok {
				if !errors.Is(err, ErrFailed) || srv.Complete() {
					t.Fatalf("server accepted: %v", err)
				}
				return
			}
			if err != nil || !srv.Complete() || srv.User() != tc.user {
				t.Fatalf("server: %v complete=%v user=%q", err, srv.Complete(), srv.User())
			}
			if _, done, err := cli.Next(rsp); err != nil || !done {
				t.Fatalf("client did not accept rspauth: %v", err)
			}
			if _, err := srv.Evaluate(nil); err == nil {
				t.Fatal("a message after completion was taken")
			}
		})
	}
}

// An initial response is ignored, as Java's server ignores it: the
// exchange starts with the challenge all the same.
func TestServerIgnoresInitialResponse(t *testing.T) {
	s := NewServer(mapUsers{})
	ch, err := s.Evaluate([]byte("username=x"))
	if err != nil || s.Complete() || !strings.Contains(string(ch), "nonce=") {
		t.Fatalf("%q %v", ch, err)
	}
}

func TestClientRefusesWrongRspauth(t *testing.T) {
	srv, cli := NewServer(mapUsers{"a": "b"}), NewClient("a", "b")
	ch, _ := srv.Evaluate(cli.Start())
	resp, _, _ := cli.Next(ch)
	if _, err := srv.Evaluate(resp); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli.Next([]byte("rspauth=00000000000000000000000000000000")); err == nil {
		t.Fatal("a forged rspauth was taken")
	}
}

func replaceDirective(s, name, value string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if strings.HasPrefix(p, name+"=") {
			parts[i] = name + "=" + value
		}
	}
	return strings.Join(parts, ",")
}

func TestParseDirectives(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		bad  bool
	}{
		{in: `realm="zk-sasl-md5",nonce="a\"b",qop="auth",charset=utf-8,algorithm=md5-sess`,
			want: map[string]string{"realm": "zk-sasl-md5", "nonce": `a"b`, "qop": "auth", "charset": "utf-8", "algorithm": "md5-sess"}},
		{in: ` ,, Username = "x" , nc=00000001,`, want: map[string]string{"username": "x", "nc": "00000001"}},
		{in: "", want: map[string]string{}},
		{in: `a="x`, bad: true},
		{in: `a=1,a=2`, bad: true},
		{in: `novalue`, bad: true},
		{in: `a=1 b=2`, bad: true},
		{in: strings.Repeat("a", maxMessage+1), bad: true},
	} {
		got, err := parseDirectives([]byte(tc.in))
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%q: %v %v", tc.in, got, err)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%q: %s=%q, want %q", tc.in, k, got[k], v)
			}
		}
	}
}

const jaasExample = `
/* ZooKeeper's example */
Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bob\"secret";
};
// the client side, ignored by the server
Client {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="bob"
       password="bob\"secret";
};
`

func TestParseJAAS(t *testing.T) {
	users, err := ParseJAAS([]byte(jaasExample), "Server")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users["super"] != "adminsecret" || users["bob"] != `bob"secret` {
		t.Fatalf("users = %v", users)
	}
	for name, src := range map[string]string{
		"no section":   `Client { org.apache.zookeeper.server.auth.DigestLoginModule required; };`,
		"kerberos":     `Server { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true; };`,
		"no semicolon": `Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_a="b" };`,
		"bad flag":     `Server { org.apache.zookeeper.server.auth.DigestLoginModule always user_a="b"; };`,
		"unterminated": `Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_a="b; };`,
		"twice":        `Server { org.apache.zookeeper.server.auth.DigestLoginModule required; }; Server { org.apache.zookeeper.server.auth.DigestLoginModule required; };`,
	} {
		if _, err := ParseJAAS([]byte(src), "Server"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestJAASUsersReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jaas.conf")
	write := func(pw string) {
		src := `Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_alice="` + pw + `"; };`
		if err := os.WriteFile(path+".tmp", []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	j := &JAASUsers{Path: path}
	if pw, ok, err := j.Password("alice"); err != nil || !ok || pw != "one" {
		t.Fatalf("%q %v %v", pw, ok, err)
	}
	write("two-changed")
	if pw, ok, err := j.Password("alice"); err != nil || !ok || pw != "two-changed" {
		t.Fatalf("after the change: %q %v %v", pw, ok, err)
	}
}

func TestDirUsers(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alice"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "..data"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	u := DirUsers{Dir: dir}
	if err := u.Check(); err != nil {
		t.Fatal(err)
	}
	if pw, ok, err := u.Password("alice"); err != nil || !ok || pw != "s3cret" {
		t.Fatalf("%q %v %v", pw, ok, err)
	}
	for _, name := range []string{"bob", "..data", "../alice", "a/b", ""} {
		if _, ok, err := u.Password(name); ok || err != nil {
			t.Errorf("%q: found (%v)", name, err)
		}
	}
	if err := (DirUsers{Dir: filepath.Join(dir, "alice")}).Check(); err == nil {
		t.Error("a file was taken as the users directory")
	}
}
