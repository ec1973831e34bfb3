package ensemble

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/certs/certstest"
)

// TestCertificateRotationUnderWrites replaces every member's certificate
// files, then the CA (trusted through a bundle of both while the leaves
// move), while writes go on through every member; every stream is cut after
// each step, so the members dial again with what is on disk. No write is
// lost and, at the end, the leader hears every member.
func TestCertificateRotationUnderWrites(t *testing.T) {
	p := certstest.New(t, "test")
	ms := cluster(t, 3, 1000, withTLS(p))
	waitLeader(t, ms)

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func(m *member) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("m%d-%d", m.cfg.ID, i)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				err := m.node.Propose(ctx, []byte(k+"=v"))
				if err == nil {
					err = m.node.Barrier(ctx)
				}
				cancel()
				if _, ok := m.sm.get(k); err == nil && ok {
					mu.Lock()
					acked = append(acked, k)
					mu.Unlock()
				}
			}
		}(m)
	}
	reissue := func() {
		for _, m := range ms {
			p.Files(fmt.Sprintf("member-%d", m.cfg.ID), certs.Member(m.cfg.EnsembleID, m.cfg.ID))
		}
	}
	next, err := certs.NewCA("next", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"new leaves", reissue},
		{"the bundle trusts the next CA too", func() { p.Write("ca.crt", append(append([]byte{}, p.CA.CertPEM...), next.CertPEM...)) }},
		{"leaves of the next CA", func() { p.CA = next; reissue() }},
		{"the old CA leaves the bundle", func() { p.Write("ca.crt", next.CertPEM) }},
	}
	progress := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	for _, s := range steps {
		s.do()
		for _, m := range ms {
			m.node.Transport().ResetStreams()
		}
		// Writes go on after the step: some are acknowledged through streams dialed since.
		before := progress()
		waitFor(t, "writes after "+s.name, func() bool { return progress() >= before+30 })
	}
	close(stop)
	wg.Wait()
	leader := waitLeader(t, ms)
	waitFor(t, "the leader hears every member", func() bool {
		st := leader.node.Status()
		for _, m := range ms {
			pr, ok := st.Progress[m.cfg.ID]
			if m != leader && (!ok || !pr.RecentActive || pr.Match < st.Commit) {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	for _, k := range acked {
		waitConverged(t, ms, k, "v")
	}
	t.Logf("%d writes acknowledged through four rotation steps, none lost", len(acked))
}
