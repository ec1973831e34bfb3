package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// AdminInfo is what the admin API needs from the session server.
type AdminInfo struct {
	EnsembleID    string
	Zxid          func() int64
	ConfigVersion func() int64
}

// role of this member in the configuration.
func (n *Node) role() adminapi.Role {
	m, ok := n.member(n.cfg.ID)
	switch {
	case !ok || n.Removed():
		return adminapi.RoleNone
	case n.IsLeader():
		return adminapi.RoleLeader
	case m.Learner:
		return adminapi.RoleLearner
	default:
		return adminapi.RoleFollower
	}
}

// readyBudget bounds a readiness check (Kubernetes probes time out after 1 s by default).
const readyBudget = 500 * time.Millisecond

// Ready reports whether this member is a voter or learner of the current
// configuration that has caught up: a ReadIndex round gives the leader's
// commit index, and this member must have applied it within readyBudget.
// The server's /readyz calls it; liveness (/healthz) is just the process
// answering.
func (n *Node) Ready() error {
	if err := n.DataLost(); err != nil {
		return err
	}
	if n.role() == adminapi.RoleNone {
		return errors.New("not a member of the current configuration")
	}
	if n.Leader() == 0 {
		return errors.New("no leader known")
	}
	if st, _ := n.QuorumState(); st != sessionserver.InQuorum {
		return fmt.Errorf("not serving clients: %s", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyBudget)
	defer cancel()
	if err := n.Barrier(ctx); err != nil {
		st := n.rn.Status()
		return fmt.Errorf("not caught up with the leader (applied %d, commit known here %d): %w", n.appliedIndex.Load(), st.Commit, err)
	}
	return nil
}

// AdminStatus is this member's status in the admin API's terms.
func (n *Node) AdminStatus(info AdminInfo) *adminapi.Status {
	st := n.rn.Status()
	s := &adminapi.Status{
		ID: n.cfg.ID, EnsembleID: info.EnsembleID, Role: n.role(), LeaderID: n.Leader(), Term: st.Term,
		CommitIndex: st.Commit, AppliedIndex: n.appliedIndex.Load(), CaughtUp: n.Ready() == nil,
		DataLost: n.DataLost() != nil, Removed: n.Removed(),
	}
	if info.Zxid != nil {
		s.Zxid = info.Zxid()
	}
	if info.ConfigVersion != nil {
		s.ConfigVersion = info.ConfigVersion()
	}
	for _, m := range n.Members() {
		am := adminapi.Member{ID: m.ID, PeerAddr: m.PeerAddr, ClientAddr: m.ClientAddr, Role: adminapi.RoleFollower, Zxid: -1}
		if m.Learner {
			am.Role = adminapi.RoleLearner
		}
		if m.ID == s.LeaderID {
			am.Role = adminapi.RoleLeader
		}
		if pr, ok := st.Progress[m.ID]; ok && s.Role == adminapi.RoleLeader {
			am.Active = n.answers(m.ID, pr, ok)
			am.Match = pr.Match
			if st.Commit > pr.Match {
				am.Lag = st.Commit - pr.Match
			}
			if m.ID == n.cfg.ID {
				am.Zxid = s.Zxid
			}
		}
		s.Members = append(s.Members, am)
	}
	return s
}

// AdminHandler serves the typed admin API (pkg/adminapi) of this member.
func (n *Node) AdminHandler(info AdminInfo) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err == nil {
			_ = json.NewEncoder(w).Encode(n.AdminStatus(info))
			return
		}
		code, status := "Internal", http.StatusInternalServerError
		switch {
		case errors.Is(err, ErrNotLeader):
			code, status = "NotLeader", http.StatusConflict
		case errors.Is(err, ErrUnknownMember):
			code, status = "UnknownMember", http.StatusNotFound
		case errors.Is(err, ErrMemberExists):
			code, status = "MemberExists", http.StatusConflict
		case errors.Is(err, ErrNotLearner):
			code, status = "NotLearner", http.StatusConflict
		case errors.Is(err, ErrObserverID):
			code, status = "ObserverID", http.StatusConflict
		case errors.Is(err, ErrNotCaughtUp):
			code, status = "NotCaughtUp", http.StatusConflict
		case errors.Is(err, ErrNoQuorum):
			code, status = "NoQuorum", http.StatusConflict
		case errors.Is(err, ErrRemoveLeader):
			code, status = "IsLeader", http.StatusConflict
		case errors.Is(err, errBadRequest):
			code, status = "BadRequest", http.StatusBadRequest
		case errors.Is(err, context.DeadlineExceeded):
			code, status = "Timeout", http.StatusGatewayTimeout
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(adminapi.Error{Code: code, Message: err.Error(), LeaderID: n.Leader()})
	}
	ctxOf := func(r *http.Request) (context.Context, context.CancelFunc) {
		return context.WithTimeout(r.Context(), 30*time.Second)
	}
	idOf := func(r *http.Request) (uint64, error) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 8)
		if err != nil || id == 0 {
			return 0, fmt.Errorf("%w: member ids are 1..255", errBadRequest)
		}
		return id, nil
	}
	mux.HandleFunc("GET "+adminapi.PathStatus, func(w http.ResponseWriter, r *http.Request) { reply(w, nil) })
	mux.HandleFunc("POST "+adminapi.PathMembers, func(w http.ResponseWriter, r *http.Request) {
		var req adminapi.AddLearnerRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			reply(w, fmt.Errorf("%w: %w", errBadRequest, err))
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		reply(w, n.AddLearner(ctx, MemberInfo{ID: req.ID, PeerAddr: req.PeerAddr, ClientAddr: req.ClientAddr, ElectionPort: req.ElectionPort}))
	})
	mux.HandleFunc("POST "+adminapi.PathMembers+"/{id}/promote", func(w http.ResponseWriter, r *http.Request) {
		id, err := idOf(r)
		if err != nil {
			reply(w, err)
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		reply(w, n.Promote(ctx, id))
	})
	mux.HandleFunc("DELETE "+adminapi.PathMembers+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := idOf(r)
		if err != nil {
			reply(w, err)
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		reply(w, n.RemoveMember(ctx, id))
	})
	mux.HandleFunc("POST "+adminapi.PathTransfer, func(w http.ResponseWriter, r *http.Request) {
		var req adminapi.TransferLeadershipRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			reply(w, fmt.Errorf("%w: %w", errBadRequest, err))
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		reply(w, n.Transfer(ctx, req.To))
	})
	return mux
}

var errBadRequest = errors.New("bad request")
