package sessionserver

// Mode is this server's role in its ensemble, as srvr and mntr report it.
type Mode uint8

const (
	// ModeStandalone is a server that is no ensemble's member (or its only one).
	ModeStandalone Mode = iota
	// ModeLeader leads the ensemble: it runs session expiry and containers.
	ModeLeader
	// ModeFollower is a voting member that does not lead.
	ModeFollower
	// ModeObserver is a non-voting member (a Raft learner).
	ModeObserver
)

// String is the mode as ZooKeeper spells it.
func (m Mode) String() string {
	switch m {
	case ModeStandalone:
		return "standalone"
	case ModeLeader:
		return "leader"
	case ModeFollower:
		return "follower"
	case ModeObserver:
		return "observer"
	}
	return "unknown"
}
