package refzk

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Ensemble is a ZooKeeper 3.8 quorum on loopback.
type Ensemble struct {
	Servers []*Server
	// PKI is our members' CA (nil for ZooKeeper and insecure ensembles).
	PKI *PKI
}

// ConnectString lists every member's client address.
func (e *Ensemble) ConnectString() string {
	addrs := make([]string, len(e.Servers))
	for i, s := range e.Servers {
		addrs[i] = s.Addr
	}
	return strings.Join(addrs, ",")
}

// StartEnsemble starts n ZooKeeper servers as one quorum (standaloneEnabled
// off, the server lines in the dynamic format with client addresses, so
// /zookeeper/config lists them) and waits until each serves as leader or follower.
func StartEnsemble(t T, n int, o Options) *Ensemble {
	t.Helper()
	if err := Available(); err != nil {
		t.Fatalf("%v", err)
	}
	type ports struct{ client, quorum, election int }
	ps := make([]ports, n)
	for i := range ps {
		ps[i] = ports{FreePort(t), FreePort(t), FreePort(t)}
	}
	e := &Ensemble{}
	for i := 0; i < n; i++ {
		dir := t.TempDir()
		data := filepath.Join(dir, "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatalf("%v", err)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", i+1)), 0o644); err != nil {
			t.Fatalf("%v", err)
		}
		cfg := o.zooCfg(data, ps[i].client)
		delete(cfg, "clientPort") // taken from the dynamic server line
		delete(cfg, "clientPortAddress")
		cfg["standaloneEnabled"] = "false"
		cfg["initLimit"] = "10"
		cfg["syncLimit"] = "5"
		for j := 0; j < n; j++ {
			cfg[fmt.Sprintf("server.%d", j+1)] = fmt.Sprintf("127.0.0.1:%d:%d:participant;127.0.0.1:%d", ps[j].quorum, ps[j].election, ps[j].client)
		}
		cfgPath := filepath.Join(dir, "zoo.cfg")
		if err := writeCfg(cfgPath, cfg); err != nil {
			t.Fatalf("%v", err)
		}
		argv := append([]string{Java, "-cp", Classpath()}, o.jvmArgs()...)
		argv = append(argv, "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath)
		argv = append(append([]string(nil), o.Prefix...), argv...)
		s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", ps[i].client), ClientPort: ps[i].client, DataDir: data, Kind: "zookeeper",
			t: t, argv: argv, logPath: filepath.Join(dir, "server.log")}
		s.startNoWait()
		e.Servers = append(e.Servers, s)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, s := range e.Servers {
		for {
			out, err := FourLetter(s.Addr, "srvr")
			if err == nil && (strings.Contains(out, "Mode: leader") || strings.Contains(out, "Mode: follower")) {
				break
			}
			if time.Now().After(deadline) {
				t.Logf("%s log:\n%s", s.Addr, s.Log())
				t.Fatalf("ensemble member %s did not join a quorum: %v %q", s.Addr, err, out)
			}
			time.Sleep(100 * time.Millisecond) // poll interval while the quorum forms
		}
	}
	return e
}

// Leader returns the member that currently leads, or nil.
func (e *Ensemble) Leader() *Server {
	for _, s := range e.Servers {
		if out, err := FourLetter(s.Addr, "srvr"); err == nil && strings.Contains(out, "Mode: leader") {
			return s
		}
	}
	return nil
}

// StartOursEnsemble starts n members of our binary as one ensemble
// (server.N lines and a myid file each, as for ZooKeeper) and waits until
// every member serves.
func StartOursEnsemble(t T, bin string, n int, o Options) *Ensemble {
	t.Helper()
	ports := make([]MemberPorts, n)
	for i := range ports {
		ports[i] = AllocMember(t, i+1)
	}
	if o.PKI == nil && !o.InsecureQuorum {
		o.PKI = NewPKI(t)
	}
	e := &Ensemble{PKI: o.PKI}
	for i := range ports {
		e.Servers = append(e.Servers, StartOursMember(t, bin, ports[i], ports, o))
	}
	for _, s := range e.Servers {
		if err := s.waitServing(60 * time.Second); err != nil {
			t.Logf("%s log:\n%s", s.Addr, s.Log())
			t.Fatalf("member %s did not start: %v", s.Addr, err)
		}
	}
	return e
}

// MemberPorts are the loopback ports of one of our members. Election is
// only written in the server line (Raft uses the peer port alone), as
// ZooKeeper's would be, so /zookeeper/config shows both.
type MemberPorts struct {
	ID                            int
	Client, Peer, Election, Admin int
	// Host is the member's address ("" is 127.0.0.1): a test that runs
	// members in network namespaces gives each its own.
	Host string
}

// host is the address the member listens on.
func (p MemberPorts) host() string {
	if p.Host == "" {
		return "127.0.0.1"
	}
	return p.Host
}

// AllocMember picks free ports for member id.
func AllocMember(t T, id int) MemberPorts {
	return MemberPorts{ID: id, Client: FreePort(t), Peer: FreePort(t), Election: FreePort(t), Admin: FreePort(t)}
}

// ServerLine is the member's zoo.cfg server line.
func (p MemberPorts) ServerLine() string {
	election := p.Election
	if election == 0 {
		election = p.Peer
	}
	h := p.host()
	return fmt.Sprintf("%s:%d:%d:participant;%s:%d", h, p.Peer, election, h, p.Client)
}

// StartOursMember starts one member of our binary whose zoo.cfg lists the
// given members (itself included); o.Args can add --join. With o.PKI it
// speaks mutual TLS to its peers.
func StartOursMember(t T, bin string, self MemberPorts, listed []MemberPorts, o Options) *Server {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if o.DataDir != nil {
		data = o.DataDir(self.ID)
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", self.ID)), 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	cfg := o.oursCfg(data, self.Client)
	cfg["admin.serverPort"] = strconv.Itoa(self.Admin)
	cfg["admin.serverAddress"] = self.host()
	cfg["clientPortAddress"] = self.host()
	delete(cfg, "admin.enableServer")
	for _, m := range listed {
		cfg[fmt.Sprintf("server.%d", m.ID)] = m.ServerLine()
	}
	s := &Server{Addr: net.JoinHostPort(self.host(), strconv.Itoa(self.Client)), ClientPort: self.Client, DataDir: data, Kind: "zkensemble",
		AdminAddr: net.JoinHostPort(self.host(), strconv.Itoa(self.Admin)), t: t, logPath: filepath.Join(dir, "server.log")}
	o.adminSecurity(t, dir, self.ID, cfg, s)
	if jaas := o.Client.apply(t, dir, cfg, s); jaas != "" {
		cfg["jaasLoginConfig"] = jaas
	}
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := writeCfg(cfgPath, cfg); err != nil {
		t.Fatalf("%v", err)
	}
	s.argv = append(append(append([]string(nil), o.Prefix...), bin, cfgPath), o.Args...)
	s.startNoWait()
	return s
}

// RestartAll starts every member again at once (after they were stopped or
// killed) and waits until each serves: members of a quorum need each other.
func (e *Ensemble) RestartAll() {
	for _, s := range e.Servers {
		s.Stop()
	}
	for _, s := range e.Servers {
		s.startNoWait()
	}
	for _, s := range e.Servers {
		if err := s.waitServing(60 * time.Second); err != nil {
			s.t.Logf("%s log:\n%s", s.Addr, s.Log())
			s.t.Fatalf("member %s did not come back: %v", s.Addr, err)
		}
	}
}

// WaitServing waits until the server serves: srvr answers with a Mode (a
// member without a quorum says it is not serving).
func (s *Server) WaitServing(d time.Duration) error { return s.waitServing(d) }

// WaitAnswering waits until the process answers srvr at all, serving or
// not (a member waiting to be added to the ensemble serves nothing).
func (s *Server) WaitAnswering(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if s.Exited() {
			return errors.New("process exited")
		}
		_, err := FourLetter(s.Addr, "srvr")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timeout: %w", err)
		}
		time.Sleep(50 * time.Millisecond) // polling interval while the process starts
	}
}

// oursCfg is zooCfg plus the keys our binary reads where ZooKeeper takes
// system properties.
func (o Options) oursCfg(dataDir string, clientPort int) map[string]string {
	cfg := o.zooCfg(dataDir, clientPort)
	if o.ExtendedTypes {
		cfg["extendedTypesEnabled"] = "true"
	}
	if o.SuperDigest != "" {
		cfg["superDigest"] = o.SuperDigest
	}
	if o.ReadOnlyMode {
		cfg["readonlymode.enabled"] = "true"
	}
	return cfg
}
