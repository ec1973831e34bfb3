//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// sessionTrace is what one client's session went through (its states and
// the servers it was on), to tell why a client was slow to write again.
type sessionTrace struct {
	mu     sync.Mutex
	events []tracedEvent
}

type tracedEvent struct {
	at     time.Time
	state  zkclient.State
	server string
	err    error
}

func (s *sessionTrace) add(ev zkclient.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, tracedEvent{at: time.Now(), state: ev.State, server: ev.Server, err: ev.Err})
}

// since lists the events after t0, with their times from t0.
func (s *sessionTrace) since(t0 time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, e := range s.events {
		if e.at.Before(t0) {
			continue
		}
		fmt.Fprintf(&b, " +%s %s", e.at.Sub(t0).Round(10*time.Millisecond), e.state)
		if e.server != "" {
			fmt.Fprintf(&b, " (%s)", e.server)
		}
		if e.err != nil {
			fmt.Fprintf(&b, " [%v]", e.err)
		}
	}
	if b.Len() == 0 {
		return " no session events"
	}
	return b.String()
}

// explainSlowest logs, when the slowest client took longer than usual to
// write again after t0, what its session went through meanwhile.
func (f *fleet) explainSlowest(t0 time.Time, took time.Duration) {
	if took < 3*time.Second || f.slowest < 0 {
		return
	}
	f.t.Logf("slowest client c%03d (%s): session events:%s", f.slowest, took.Round(100*time.Millisecond), f.traces[f.slowest].since(t0))
}
