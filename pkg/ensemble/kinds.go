package ensemble

import "github.com/zkensemble/zkensemble/pkg/ensemble/transport"

// Frame kinds of a member's own, beside Raft's (pkg/ensemble/transport:
// KindRaft 0 and KindSnapshot 4 are the transport's).
const (
	kindTouches       transport.Kind = 1
	kindReconfig      transport.Kind = 2
	kindReconfigReply transport.Kind = 3
	// kindProbe carries nothing: a member without a quorum sends it to its
	// peers now and then, so that one that was removed meanwhile is told
	// (peers refuse a removed member's streams).
	kindProbe transport.Kind = 5
)
