package sessionserver

// SessionTracker decides session liveness on this member.
//
// Standalone (and on an ensemble's leader) it is pkg/sessions.Tracker: every
// request touches the session into the tick-bucketed expiry queue, and expired
// sessions are marked closing and handed to the server, which proposes their
// closeSession. On an ensemble follower, Touch records the session for the
// next report to the leader and expiry does not run.
type SessionTracker interface {
	// AddSession starts tracking a session (applied createSession, or a new
	// leader re-arming every known session with a full timeout).
	AddSession(sid int64, timeout int32)
	// RemoveSession forgets a session (applied closeSession).
	RemoveSession(sid int64)
	// Touch records activity; false means unknown or closing: drop the request.
	Touch(sid int64, timeout int32) bool
	// SetClosing stops serving a session whose close is under way.
	SetClosing(sid int64)
}
