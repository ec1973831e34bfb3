package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// reconfigRPC carries a client's reconfig from the member it reached to the
// leader, which alone can change the membership. The reply carries the log
// index up to which the leader had applied the change, so the asking member
// answers its client once it has applied it too.
type reconfigRPC struct {
	ID      uint64 `json:"id"`
	From    uint64 `json:"from"`
	Joining string `json:"joining,omitempty"`
	Leaving string `json:"leaving,omitempty"`
	Members string `json:"members,omitempty"`
	Code    int32  `json:"code,omitempty"`
	Index   uint64 `json:"index,omitempty"`
}

type reconfigCalls struct {
	mu      sync.Mutex
	next    uint64
	waiting map[uint64]chan reconfigRPC
}

// reconfigRPCTimeout bounds the leader's work on a forwarded reconfig (adding
// a member waits for it to catch up); the asking member's client waits longer.
const reconfigRPCTimeout = 50 * time.Second

// EnableReconfig lets this member serve the reconfig opcode (see Reconfig).
func (n *Node) EnableReconfig() {
	n.rcalls.waiting = map[uint64]chan reconfigRPC{}
	n.transport.Handle(kindReconfig, func(from uint64, b []byte) {
		var req reconfigRPC
		if json.Unmarshal(b, &req) != nil {
			return
		}
		req.From = from // the reply goes to the stream's member, whatever the request says
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), reconfigRPCTimeout)
			defer cancel()
			code, index := n.reconfigHere(ctx, req.Joining, req.Leaving, req.Members)
			req.Code, req.Index = int32(code), index
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
			select {
			case ch <- rep:
			default:
			}
		}
	})
}

// Reconfig changes the membership as ZooKeeper's reconfig opcode asks
// (sessionserver.Reconfigurer): joining is a comma list of server lines
// (pkg/serverspec; an existing id's line is updated), leaving a comma list of
// ids, or newMembers the whole new list. A joiner becomes a voter once caught
// up (an observer stays a learner). A member that does not lead passes the
// request to the leader. It returns once the change is applied on this
// member, or this member was removed by it; a leader that removes itself
// first hands leadership over, and the new leader removes it.
func (n *Node) Reconfig(ctx context.Context, joining, leaving, newMembers string) wire.ErrCode {
	if _, _, code := parseReconfig(joining, leaving, newMembers); code != wire.ErrOK {
		return code
	}
	if n.IsLeader() {
		code, _ := n.reconfigHere(ctx, joining, leaving, newMembers)
		return code
	}
	rep, code := n.forwardReconfig(ctx, joining, leaving, newMembers)
	if code != wire.ErrOK {
		return code
	}
	if rep.Code == int32(wire.ErrOK) {
		n.awaitApplied(ctx, rep.Index)
	}
	return wire.ErrCode(rep.Code)
}

// forwardReconfig sends the request to the leader and waits for its reply.
func (n *Node) forwardReconfig(ctx context.Context, joining, leaving, newMembers string) (reconfigRPC, wire.ErrCode) {
	lead := n.Leader()
	if lead == 0 || lead == n.cfg.ID {
		return reconfigRPC{}, wire.ErrNewConfigNoQuorum
	}
	n.rcalls.mu.Lock()
	n.rcalls.next++
	id := n.rcalls.next
	ch := make(chan reconfigRPC, 1)
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
	case rep := <-ch:
		return rep, wire.ErrOK
	case <-ctx.Done():
		return reconfigRPC{}, wire.ErrOperationTimeout
	}
}

// awaitApplied waits until this member has applied index, so that the
// reply carries the new /zookeeper/config, or until it stopped (a peer's
// "removed" verdict overtook the commit). Knowing it was removed is not
// enough: the member learns that while it applies the configuration change,
// before the transaction that rewrites /zookeeper/config is applied.
func (n *Node) awaitApplied(ctx context.Context, index uint64) {
	err := n.waitUntil(ctx, func() bool { return n.appliedIndex.Load() >= index })
	if err != nil && !errors.Is(err, ErrRemoved) {
		n.logger.Warn("ensemble: a committed reconfig was not applied here in time", "index", index, "err", err)
	}
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
