package serverspec

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		want Spec
		out  string // String() of the result
	}{
		{"server.1=zk1:2888:3888", Spec{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888}, "zk1:2888:3888:participant"},
		{"server.2=zk2:2888:3888:observer;2181", Spec{ID: 2, Host: "zk2", QuorumPort: 2888, ElectionPort: 3888, Observer: true, ClientHost: "0.0.0.0", ClientPort: 2181},
			"zk2:2888:3888:observer;0.0.0.0:2181"},
		{"3=127.0.0.1:1:2:participant;127.0.0.1:3", Spec{ID: 3, Host: "127.0.0.1", QuorumPort: 1, ElectionPort: 2, ClientHost: "127.0.0.1", ClientPort: 3},
			"127.0.0.1:1:2:participant;127.0.0.1:3"},
		{" server.4 = [::1]:2888:3888:PARTICIPANT;[::1]:2181 ", Spec{ID: 4, Host: "::1", QuorumPort: 2888, ElectionPort: 3888, ClientHost: "::1", ClientPort: 2181},
			"[::1]:2888:3888:participant;[::1]:2181"},
	}
	for _, tc := range tests {
		got, err := ParseLine(tc.line)
		if err != nil || got != tc.want {
			t.Errorf("ParseLine(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
			continue
		}
		if got.String() != tc.out {
			t.Errorf("%q: String() = %q, want %q", tc.line, got.String(), tc.out)
		}
		again, err := ParseLine(got.Line())
		if err != nil || again != got {
			t.Errorf("%q does not parse back: %+v %v", got.Line(), again, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, line := range []string{
		"some thing", "server.x=h:1:2", "server.0=h:1:2", "server.256=h:1:2", "server.9=foo", "server.1=h:1",
		"server.1=h:1:2:3:4", "server.1=h:1:2:voter", "server.1=h:0:2", "server.1=h:1:70000", "server.1=:1:2",
		"server.1=h:1:2;", "server.1=h:1:2;a:b:c", "server.1=h:1:2;x", "server.1=h:1:2;1;2", "server.1=a:1:2|b:1:2",
		"server.1=[::1:1:2", "server.1=[::1]x:1:2", "server.1=h:1:2;:5",
	} {
		if s, err := ParseLine(line); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseLine(%q) = %+v, %v; want ErrSyntax", line, s, err)
		}
	}
}

func TestConfig(t *testing.T) {
	data := []byte("server.1=a:1:2:participant;a:3\nserver.2=b:4:5:observer\nversion=10000000a")
	cfg, err := ParseConfig(data)
	if err != nil || len(cfg.Servers) != 2 || cfg.Version != 0x10000000a || cfg.Servers[1].ClientAddr() != "" || cfg.Servers[0].ClientAddr() != "a:3" {
		t.Fatalf("%+v %v", cfg, err)
	}
	if got := string(Lines(cfg.Servers)) + "version=10000000a"; got != string(data) {
		t.Fatalf("Lines: %q", got)
	}
	if _, err := ParseConfig([]byte("server.1=a\n")); !errors.Is(err, ErrSyntax) {
		t.Fatalf("a malformed line: %v", err)
	}
}

// FuzzParseLine: reconfig's joining list comes from clients.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"server.1=zk1:2888:3888", "2=[::1]:1:2:observer;[::1]:3", "server.9=foo", "1=a:1:2;b:3", "1=[ ]:1:1", "1=a:1:2;[ ]:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		s, err := ParseLine(line)
		if err != nil {
			return
		}
		again, err := ParseLine(s.Line())
		if err != nil || again != s {
			t.Fatalf("%q → %+v → %q → %+v, %v", line, s, s.Line(), again, err)
		}
	})
}
