package ensemble

import "github.com/zkensemble/zkensemble/pkg/ensemble/transport"

// Frame kinds of a member's own, beside Raft's (pkg/ensemble/transport).
const (
	kindTouches       transport.Kind = 1
	kindReconfig      transport.Kind = 2
	kindReconfigReply transport.Kind = 3
)
