package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// reconfigRPC carries a client's reconfig from the member it reached to the
// leader, which alone can change the membership.
type reconfigRPC struct {
	ID      uint64 `json:"id"`
	From    uint64 `json:"from"`
	Joining string `json:"joining,omitempty"`
	Leaving string `json:"leaving,omitempty"`
	Members string `json:"members,omitempty"`
	Code    int32  `json:"code,omitempty"`
}

type reconfigCalls struct {
	mu      sync.Mutex
	next    uint64
	waiting map[uint64]chan int32
}

// EnableReconfig lets this member serve the reconfig opcode (see Reconfig).
func (n *Node) EnableReconfig() {
	n.rcalls.waiting = map[uint64]chan int32{}
	n.transport.Handle(kindReconfig, func(from uint64, b []byte) {
		var req reconfigRPC
		if json.Unmarshal(b, &req) != nil {
			return
		}
		req.From = from // the reply goes to the stream's member, whatever the request says
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
			defer cancel()
			req.Code = int32(n.reconfigHere(ctx, req.Joining, req.Leaving, req.Members))
			out, _ := json.Marshal(req)
			n.transport.SendRaw(req.From, kindReconfigReply, out)
		}()
	})
	n.transport.Handle(kindReconfigReply, func(_ uint64, b []byte) {
		var rep reconfigRPC
		if json.Unmarshal(b, &rep) != nil {
			return
		}
		n.rcalls.mu.Lock()
		ch := n.rcalls.waiting[rep.ID]
		n.rcalls.mu.Unlock()
		if ch != nil {
			ch <- rep.Code
		}
	})
}

// Reconfig changes the membership as ZooKeeper's reconfig opcode asks
// (sessionserver.Reconfigurer): joining is a comma list of
// "server.N=host:quorumPort:electionPort[:role];[clientHost:]clientPort",
// leaving a comma list of ids, or newMembers a whole new list. A joiner
// becomes a voter once caught up (an observer stays a learner). A member that
// does not lead passes the request to the leader.
func (n *Node) Reconfig(ctx context.Context, joining, leaving, newMembers string) wire.ErrCode {
	if n.IsLeader() {
		return n.reconfigHere(ctx, joining, leaving, newMembers)
	}
	lead := n.Leader()
	if lead == 0 {
		return wire.ErrNewConfigNoQuorum
	}
	n.rcalls.mu.Lock()
	n.rcalls.next++
	id := n.rcalls.next
	ch := make(chan int32, 1)
	n.rcalls.waiting[id] = ch
	n.rcalls.mu.Unlock()
	defer func() {
		n.rcalls.mu.Lock()
		delete(n.rcalls.waiting, id)
		n.rcalls.mu.Unlock()
	}()
	req, _ := json.Marshal(reconfigRPC{ID: id, From: n.cfg.ID, Joining: joining, Leaving: leaving, Members: newMembers})
	n.transport.SendRaw(lead, kindReconfig, req)
	select {
	case code := <-ch:
		return wire.ErrCode(code)
	case <-ctx.Done():
		return wire.ErrOperationTimeout
	}
}

func (n *Node) reconfigHere(ctx context.Context, joining, leaving, newMembers string) wire.ErrCode {
	if !n.IsLeader() {
		return wire.ErrNewConfigNoQuorum
	}
	var joins []MemberInfo
	var leaves []uint64
	if newMembers != "" {
		want := map[uint64]MemberInfo{}
		for _, spec := range splitList(newMembers) {
			m, err := parseJoiner(spec)
			if err != nil {
				return wire.ErrBadArguments
			}
			want[m.ID] = m
		}
		for _, m := range n.Members() {
			if _, ok := want[m.ID]; !ok {
				leaves = append(leaves, m.ID)
			}
		}
		for id, m := range want {
			if _, ok := n.member(id); !ok {
				joins = append(joins, m)
			}
		}
	} else {
		for _, spec := range splitList(joining) {
			m, err := parseJoiner(spec)
			if err != nil {
				return wire.ErrBadArguments
			}
			joins = append(joins, m)
		}
		for _, f := range splitList(leaving) {
			id, err := strconv.ParseUint(f, 10, 8)
			if err != nil {
				return wire.ErrBadArguments
			}
			leaves = append(leaves, id)
		}
	}
	// ZooKeeper's order: a change under way, then the voters left (at least one).
	if !n.reconfigMu.TryLock() {
		return wire.ErrReconfigInProgress
	}
	defer n.reconfigMu.Unlock()
	voters := map[uint64]bool{}
	for _, m := range n.Members() {
		if !m.Learner {
			voters[m.ID] = true
		}
	}
	for _, m := range joins {
		if !m.Learner {
			voters[m.ID] = true
		}
	}
	for _, id := range leaves {
		delete(voters, id)
	}
	if len(voters) < 1 {
		return wire.ErrBadArguments
	}
	for _, m := range joins {
		observer := m.Learner
		if err := n.AddLearner(ctx, m); err != nil && !errors.Is(err, ErrMemberExists) {
			return reconfigCode(err)
		}
		if observer {
			continue
		}
		if err := n.waitUntil(ctx, func() bool { return n.CaughtUp(m.ID) }); err != nil {
			return wire.ErrNewConfigNoQuorum
		}
		if err := n.Promote(ctx, m.ID); err != nil && !errors.Is(err, ErrNotLearner) {
			return reconfigCode(err)
		}
	}
	for _, id := range leaves {
		if id == n.cfg.ID {
			// Removing the leader: hand leadership over; the new leader finishes
			// nothing for us, so the caller retries against it.
			if err := n.Transfer(ctx, 0); err != nil {
				return reconfigCode(err)
			}
			return wire.ErrReconfigInProgress
		}
		if err := n.RemoveMember(ctx, id); err != nil && !errors.Is(err, ErrUnknownMember) {
			return reconfigCode(err)
		}
	}
	return wire.ErrOK
}

func reconfigCode(err error) wire.ErrCode {
	switch {
	case errors.Is(err, ErrNoQuorum), errors.Is(err, ErrNotCaughtUp), errors.Is(err, ErrNotLeader):
		return wire.ErrNewConfigNoQuorum
	case errors.Is(err, context.DeadlineExceeded):
		return wire.ErrOperationTimeout
	}
	return wire.ErrBadArguments
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseJoiner reads "server.N=host:quorumPort:electionPort[:role];[clientHost:]clientPort" (or "N=...").
func parseJoiner(spec string) (MemberInfo, error) {
	key, value, ok := strings.Cut(spec, "=")
	if !ok {
		return MemberInfo{}, errors.New("no =")
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(key, "server."), 10, 8)
	if err != nil || id == 0 {
		return MemberInfo{}, errors.New("bad id")
	}
	quorum, client, hasClient := strings.Cut(value, ";")
	parts := strings.Split(quorum, ":")
	if len(parts) < 3 || !hasClient {
		return MemberInfo{}, errors.New("a joiner needs both quorum ports and a client address")
	}
	m := MemberInfo{ID: id, PeerAddr: net.JoinHostPort(parts[0], parts[1]), Learner: len(parts) > 3 && parts[3] == "observer"}
	if !strings.Contains(client, ":") {
		client = "0.0.0.0:" + client
	}
	m.ClientAddr = client
	return m, nil
}
