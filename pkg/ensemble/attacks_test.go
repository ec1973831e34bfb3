package ensemble

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/certs/certstest"
	"github.com/zkensemble/zkensemble/pkg/ensemble/transport"
)

// withTLS gives every member of a test cluster its certificate (mutual TLS
// instead of the shared secret).
func withTLS(p *certstest.PKI) func(*Config) {
	return func(c *Config) {
		c.Secret = nil
		c.TLS = p.Files(fmt.Sprintf("member-%d", c.ID), certs.Member(c.EnsembleID, c.ID))
	}
}

// attacker is a transport under an attacker's control: it believes whatever
// it is told and counts its failed sends.
type attacker struct {
	tr     *transport.Transport
	failed chan uint64
}

type attackerRaft struct{ failed chan uint64 }

func (a attackerRaft) Process(context.Context, pb.Message) error { return nil }
func (a attackerRaft) ReportUnreachable(id uint64) {
	select {
	case a.failed <- id:
	default:
	}
}
func (a attackerRaft) ReportSnapshot(uint64, raft.SnapshotStatus) {}

type attackerMembers struct{}

func (attackerMembers) Admit(uint64, bool) error                { return nil }
func (attackerMembers) Address(uint64) string                   { return "" }
func (attackerMembers) CheckProposal(uint64, *pb.Message) error { return nil }
func (attackerMembers) Removed(uint64, string)                  {}

func newAttacker(t *testing.T, cfg transport.Config) *attacker {
	a := &attacker{failed: make(chan uint64, 100)}
	cfg.Listen, cfg.Raft, cfg.Members, cfg.Logger = "127.0.0.1:0", attackerRaft{a.failed}, attackerMembers{}, quietLogger()
	tr, err := transport.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.Start()
	t.Cleanup(tr.Close)
	a.tr = tr
	return a
}

// forged is what an attacker sends: heartbeats of a higher term claiming a
// commit far beyond the log (used to stall writes, raise the term and mark a
// follower dataLost), a vote request, an append, and a proposal.
func forged(from, to uint64) []pb.Message {
	return []pb.Message{
		{Type: pb.MsgHeartbeat, From: from, To: to, Term: 50, Commit: 1 << 40},
		{Type: pb.MsgVote, From: from, To: to, Term: 51, LogTerm: 50, Index: 1 << 40},
		{Type: pb.MsgApp, From: from, To: to, Term: 52, LogTerm: 1, Index: 1, Commit: 1 << 40, Entries: []pb.Entry{{Term: 52, Index: 2, Data: []byte("forged=append")}}},
		{Type: pb.MsgProp, From: from, To: to, Entries: []pb.Entry{{Data: []byte("forged=proposal")}}},
	}
}

// TestForgedPeersChangeNothing: peers that cannot prove they are members of
// the configuration, or that speak for another member, move nothing: the
// data, the term, the commit index and the leader stay as they were, and no
// member reports a lost log.
func TestForgedPeersChangeNothing(t *testing.T) {
	secretCluster := func(t *testing.T) []*member { return cluster(t, 3, 1000) }
	var pki *certstest.PKI
	tlsCluster := func(t *testing.T) []*member { pki = certstest.New(t, "test"); return cluster(t, 3, 1000, withTLS(pki)) }
	tests := []struct {
		name    string
		cluster func(*testing.T) []*member
		// attacker's transport: its claimed id and credentials
		attacker func(t *testing.T) transport.Config
		from     uint64 // the messages' From
		refused  bool   // the stream is refused (else it is up, and its messages are dropped)
	}{
		{name: "no credential", cluster: secretCluster, refused: true, from: 2,
			attacker: func(*testing.T) transport.Config { return transport.Config{ID: 2, Ensemble: "test"} }},
		{name: "wrong secret", cluster: secretCluster, refused: true, from: 2,
			attacker: func(*testing.T) transport.Config {
				return transport.Config{ID: 2, Ensemble: "test", Secret: []byte("guessed")}
			}},
		{name: "the secret, an id not in the configuration", cluster: secretCluster, refused: true, from: 9,
			attacker: func(*testing.T) transport.Config {
				return transport.Config{ID: 9, Ensemble: "test", Secret: testSecret}
			}},
		{name: "the secret, speaking for another member", cluster: secretCluster, from: 3,
			attacker: func(*testing.T) transport.Config {
				return transport.Config{ID: 2, Ensemble: "test", Secret: testSecret}
			}},
		{name: "TLS, no certificate", cluster: tlsCluster, refused: true, from: 2,
			attacker: func(*testing.T) transport.Config { return transport.Config{ID: 2, Ensemble: "test"} }},
		{name: "TLS, a certificate of another CA", cluster: tlsCluster, refused: true, from: 2,
			attacker: func(t *testing.T) transport.Config {
				return transport.Config{ID: 2, Ensemble: "test", TLS: certstest.New(t, "test").Files("m2", certs.Member("test", 2))}
			}},
		{name: "TLS, the CA's certificate for an id not in the configuration", cluster: tlsCluster, refused: true, from: 9,
			attacker: func(t *testing.T) transport.Config {
				return transport.Config{ID: 9, Ensemble: "test", TLS: pki.Files("m9", certs.Member("test", 9))}
			}},
		{name: "TLS, member 2's certificate speaking for member 3", cluster: tlsCluster, from: 3,
			attacker: func(t *testing.T) transport.Config {
				return transport.Config{ID: 2, Ensemble: "test", TLS: pki.Files("stolen-m2", certs.Member("test", 2))}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := tc.cluster(t)
			leader := waitLeader(t, ms)
			propose(t, leader, "before", "attack")
			waitConverged(t, ms, "before", "attack")
			victim := ms[0] // member 1: the attackers claim ids 2 and 9
			before := victim.node.Status()
			a := newAttacker(t, tc.attacker(t))
			a.tr.AddPeer(victim.cfg.ID, victim.node.Transport().Addr())
			for i := 0; i < 5; i++ {
				a.tr.Send(forged(tc.from, victim.cfg.ID))
				if tc.refused {
					select {
					case <-a.failed:
					case <-time.After(10 * time.Second):
						t.Fatal("the attacker's stream was not refused")
					}
				}
			}
			// Whatever got through has reached Raft once a write proposed
			// after it has been applied on the victim.
			propose(t, victim, "after", "attack")
			after := victim.node.Status()
			if after.Term != before.Term || after.Lead != before.Lead {
				t.Errorf("term %d→%d, leader %d→%d", before.Term, after.Term, before.Lead, after.Lead)
			}
			if after.Commit > before.Commit+10 {
				t.Errorf("commit index %d→%d", before.Commit, after.Commit)
			}
			if err := victim.node.DataLost(); err != nil {
				t.Errorf("the victim believes it lost data: %v", err)
			}
			for _, m := range ms {
				for _, k := range []string{"forged"} {
					if v, ok := m.sm.get(k); ok {
						t.Errorf("member %d applied %s=%s", m.cfg.ID, k, v)
					}
				}
			}
		})
	}
}

// TestForgedRemovalLeavesMemberRunning: an impostor at a peer's address
// answering "you were removed" does not stop a member when the stream is
// not authenticated (before, it stopped the member and marked its data
// directory removed).
func TestForgedRemovalLeavesMemberRunning(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	answered := make(chan struct{}, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err == nil {
					// A verdict: code 3 (removed), then its reason.
					_, _ = c.Write(append([]byte{3, 0, 7}, "removed"...))
					answered <- struct{}{}
				}
			}()
		}
	}()
	ms := cluster(t, 3, 1000, func(c *Config) { c.Secret = nil }) // insecure: nothing proves who answers
	leader := waitLeader(t, ms)
	victim := ms[0]
	if victim == leader {
		victim = ms[1]
	}
	victim.node.Transport().AddPeer(4, ln.Addr().String())
	victim.node.Transport().SendRaw(4, kindTouches, []byte{0})
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("the impostor was never reached")
	}
	propose(t, victim, "still", "running")
	select {
	case <-victim.node.Done():
		t.Fatalf("the member stopped: %v", victim.node.Err())
	default:
	}
	if _, err := os.Stat(filepath.Join(victim.cfg.DataDir, removedMarker)); err == nil {
		t.Fatal("the member's data directory was marked removed")
	}
}

// TestJoinerAdmitsLeaderByCertificate: a member that joins knows only the
// members below it (as a pod does), not necessarily the leader; with mutual
// TLS it admits the leader on the strength of its certificate, before and
// after it learns who leads (its configuration is still empty then), and it
// catches up. (A replaced member 2 whose leader was 3 was refused that way.)
func TestJoinerAdmitsLeaderByCertificate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ms := cluster(t, 3, 1000, withTLS(certstest.New(t, "test")))
	leader := waitLeader(t, ms)
	if leader.cfg.ID != 3 {
		waitHears(t, leader, others(ms, leader)...)
		if err := leader.node.Transfer(ctx, 3); err != nil {
			t.Fatal(err)
		}
		leader = ms[2]
	}
	propose(t, leader, "before", "replacement")
	gone := ms[1] // member 2
	waitHears(t, leader, others(ms, leader)...)
	if err := leader.node.RemoveMember(ctx, gone.cfg.ID); err != nil {
		t.Fatalf("remove: %v", err)
	}
	gone.cfg.Peers = map[uint64]string{1: ms[0].cfg.Peers[1], 2: gone.cfg.Peers[2]} // not the leader
	gone.cfg.PeerAddr = func(id uint64) string { return ms[0].cfg.Peers[id] }       // as a pod reaches any member by name
	rejoinEmpty(t, gone)
	readd(t, ctx, leader, gone)
	waitConverged(t, ms, "before", "replacement")
}
