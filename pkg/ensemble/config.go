package ensemble

import (
	"log/slog"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/ensemble/transport"
)

// Config configures a member.
type Config struct {
	// ID is the member id (ZooKeeper's myid), 1..255.
	ID uint64
	// EnsembleID names the ensemble (the operator passes the ZKEnsemble's
	// UID). Members introduce themselves with it on every connection and
	// refuse a peer of another ensemble; member certificates name it.
	EnsembleID string
	// TLS turns on mutual TLS between members (see pkg/certs): a peer must
	// present a certificate of the bundle naming this ensemble and its id.
	TLS certs.Files
	// HostnameVerification checks, for certificates without a zkensemble
	// identity (made for ZooKeeper), that they name the member's host.
	HostnameVerification bool
	// Secret, without TLS, is a credential the members share and prove to
	// each other on every stream (development). Without TLS or Secret the
	// members trust whoever reaches the replication port.
	Secret []byte
	// MaxEntryBytes is the largest transaction a member proposes
	// (jute.maxbuffer and then some); streams refuse frames far beyond it.
	MaxEntryBytes int
	// Peers maps every initial member's id to its replication address
	// (host:port). Peers[ID] is where this member listens.
	Peers map[uint64]string
	// PeerAddr, when set, names the replication address of a member that is
	// in neither Peers nor the log yet (pods: <set>-<id-1>.<domain>:2888), so
	// a member restarting on a log that predates the current configuration
	// can still answer the leader.
	PeerAddr func(id uint64) string
	// ObserverID, when set, names the ids that are observers by rule (pods:
	// podlayout's observer range): such a member is only ever a learner, and
	// a request to promote it (admin API or reconfig) is refused.
	ObserverID func(id uint64) bool
	// ListenAddr, when set, is where the member listens instead of Peers[ID]
	// (a pod listens on all interfaces and is reached by its DNS name).
	ListenAddr string
	// ClientAddrs and ElectionPorts are the rest of the initial members'
	// server lines (for /zookeeper/config).
	ClientAddrs   map[uint64]string
	ElectionPorts map[uint64]int
	// PublishConfig keeps /zookeeper/config in step with the membership. Off,
	// it stays empty, as on a standalone ZooKeeper (an ensemble of one).
	PublishConfig bool
	// Join starts a new member with an empty log that waits to be added as a
	// learner by the leader (Peers lists the members to reach).
	Join bool
	// DataDir holds the WAL and snapshots.
	DataDir string
	// WALDir, when set, holds the WAL instead of DataDir/wal (zoo.cfg's
	// dataLogDir: the transaction log on its own disk).
	WALDir string
	// TickInterval is Raft's logical clock; elections take ElectionTicks of it.
	TickInterval   time.Duration
	ElectionTicks  int
	HeartbeatTicks int
	// SnapshotCount is how many applied entries trigger a snapshot (ZooKeeper's snapCount).
	SnapshotCount uint64
	// SnapshotCatchUpEntries is how many entries before a snapshot stay in
	// the in-memory log, so a slightly slow follower gets entries, not a
	// whole snapshot (etcd's default: 5000).
	SnapshotCatchUpEntries uint64
	// SnapshotRetain is how many snapshot files (and released WAL segments
	// beyond the live ones) are kept in DataDir (ZooKeeper's autopurge.snapRetainCount).
	SnapshotRetain int
	Logger         *slog.Logger
}

func (c *Config) setDefaults() {
	if c.TickInterval == 0 {
		c.TickInterval = 100 * time.Millisecond
	}
	if c.ElectionTicks == 0 {
		c.ElectionTicks = 10
	}
	if c.HeartbeatTicks == 0 {
		c.HeartbeatTicks = 1
	}
	if c.SnapshotCount == 0 {
		c.SnapshotCount = 100000
	}
	if c.SnapshotCatchUpEntries == 0 {
		c.SnapshotCatchUpEntries = 5000
	}
	if c.SnapshotRetain <= 0 {
		c.SnapshotRetain = 3
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// electionTimeout is how long followers wait before campaigning.
func (c *Config) electionTimeout() time.Duration {
	return time.Duration(c.ElectionTicks) * c.TickInterval
}

// removalGrace is how long a member removed from the configuration is
// still sent to and heard from, so it learns that its removal committed and
// applies it (and answers the client that asked for it) before its streams
// are refused.
func (c *Config) removalGrace() time.Duration { return 2 * c.electionTimeout() }

// maxFrame is the stream's frame limit for entries of up to MaxEntryBytes.
func (c *Config) maxFrame() int {
	return max(transport.DefaultMaxFrame, 2*c.MaxEntryBytes+64<<10)
}
