// Package adminapi is the typed JSON admin API of one zkensemble member: the
// ensemble's members with their roles, zxids and lag, and the membership
// operations (add a learner, promote it, remove a member, transfer
// leadership). The operator talks to an ensemble only through Client.
package adminapi

// Role of a member in the replicated configuration.
type Role string

const (
	RoleLeader   Role = "leader"
	RoleFollower Role = "follower"
	RoleLearner  Role = "learner"
	// RoleNone is a process that is not (or not yet) in the configuration.
	RoleNone Role = "none"
)

// Member is one entry of the ensemble's configuration as seen by the member answering.
type Member struct {
	// ID is the ZooKeeper server id (myid), 1..255.
	ID uint64 `json:"id"`
	// PeerAddr is host:port of the member's replication transport.
	PeerAddr string `json:"peerAddr"`
	// ClientAddr is host:port clients connect to.
	ClientAddr string `json:"clientAddr"`
	Role       Role   `json:"role"`
	// Zxid is the last zxid the member applied, when known (leader's view), else -1.
	Zxid int64 `json:"zxid"`
	// Match is the highest log index known to be replicated to the member (leader's view).
	Match uint64 `json:"match"`
	// Lag is the number of committed log entries the member has not yet acknowledged (leader's view).
	Lag uint64 `json:"lag"`
	// Active reports whether the leader heard from the member recently (leader's view).
	Active bool `json:"active"`
}

// Status describes the answering member and the configuration it has applied.
type Status struct {
	ID         uint64 `json:"id"`
	EnsembleID string `json:"ensembleID"`
	Role       Role   `json:"role"`
	LeaderID   uint64 `json:"leaderID"`
	Term       uint64 `json:"term"`
	Zxid       int64  `json:"zxid"`
	// CommitIndex and AppliedIndex are Raft log indexes on this member.
	CommitIndex  uint64 `json:"commitIndex"`
	AppliedIndex uint64 `json:"appliedIndex"`
	// CaughtUp is true when this member is in the configuration and has applied what the leader committed.
	CaughtUp bool `json:"caughtUp"`
	// DataLost is true when the leader counts on log entries this member does
	// not have (its volume was lost): it must be removed and added again.
	DataLost bool `json:"dataLost,omitempty"`
	// Removed is true when this member was removed from the configuration:
	// it serves nothing and keeps running on its old state until it is
	// stopped (a pod that must rejoin is restarted so it starts afresh).
	Removed bool `json:"removed,omitempty"`
	// ConfigVersion is the version of /zookeeper/config (the zxid of the change that produced it).
	ConfigVersion int64 `json:"configVersion"`
	// Members is the current configuration; leader-only fields are filled when the answering member leads.
	Members []Member `json:"members"`
}

// AddLearnerRequest adds a non-voting member that will catch up from the leader.
type AddLearnerRequest struct {
	ID         uint64 `json:"id"`
	PeerAddr   string `json:"peerAddr"`
	ClientAddr string `json:"clientAddr"`
	// ElectionPort is only shown in /zookeeper/config (optional).
	ElectionPort int `json:"electionPort,omitempty"`
}

// TransferLeadershipRequest asks the leader to hand leadership to To (0: any caught-up voter).
type TransferLeadershipRequest struct {
	To uint64 `json:"to"`
}

// Error is the JSON body of every non-2xx answer.
type Error struct {
	// Code is a stable machine-readable reason, e.g. "NotLeader", "NoQuorum", "NotCaughtUp", "UnknownMember",
	// or CodeUnauthorized / CodeForbidden.
	Code    string `json:"code"`
	Message string `json:"message"`
	// LeaderID is set with NotLeader so callers can retry against the leader.
	LeaderID uint64 `json:"leaderID,omitempty"`
}

// Codes of the answers to requests without the credentials a protected
// endpoint needs: 401 with no credentials, 403 with wrong ones (or when the
// member has no credentials configured at all).
const (
	CodeUnauthorized = "Unauthorized"
	CodeForbidden    = "Forbidden"
)

// HTTP endpoints, all JSON, all protected (see Credentials):
//
//	GET    /v1/status                     → Status
//	POST   /v1/members                    AddLearnerRequest → Status   (leader only)
//	POST   /v1/members/{id}/promote       → Status                     (leader only; the learner must be caught up)
//	DELETE /v1/members/{id}               → Status                     (leader only; refused if the remaining voters could not form a quorum)
//	POST   /v1/leader/transfer            TransferLeadershipRequest → Status (leader only)
//
// Liveness is GET /healthz (the process answers) and readiness GET /readyz (a voter or learner of the current
// configuration, caught up), served without credentials on the admin listener and on the plain probe
// listener (metricsProvider.httpPort) with /metrics.
const (
	PathStatus   = "/v1/status"
	PathMembers  = "/v1/members"
	PathTransfer = "/v1/leader/transfer"
)
