package sessionserver

// A proposal this member made goes to the leader of the moment. A leader
// that dies, or that drops proposals while it hands leadership over (Raft
// does), loses those it had not replicated, and nothing says so: the
// request would wait for an outcome that never comes. Worse, the client's
// pings queue behind its write, so the client only gives up at its read
// timeout (two thirds of the session timeout: 13 s for a 20 s session,
// seen as a 14 s stall when a leader's pod was deleted).
//
// Where a new leader's term begins in the log, every entry of an earlier
// term that will ever apply is already applied (the new leader's log holds
// all that was committed; what it appends comes after). So a request whose
// proposal went out in an earlier term and is still waiting then is given
// up: a write's connection closes, as ZooKeeper closes its connections at a
// change of leader, and the client resends on its next connection (it
// cannot know whether the write applied, as with any connection loss). A
// proposal the old leader passed on to the new one may still apply later;
// its reply is then lost with the connection, which the client treats as
// any connection loss.

// TermBegan (TermObserver) gives up on the requests proposed in a term
// before term that are still waiting.
func (s *Server) TermBegan(term uint64) {
	s.mu.Lock()
	var lost []pendingReq
	for seq, w := range s.pending {
		if w.term < term {
			lost = append(lost, w.req)
			delete(s.pending, seq)
		}
	}
	s.mu.Unlock()
	if len(lost) == 0 {
		return
	}
	s.logger.Info("a new leader's term began; requests proposed to an earlier leader were lost with it: closing their connections",
		"term", term, "requests", len(lost))
	for _, p := range lost {
		p.abandon()
	}
}
