package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// Path is the member's backup endpoint on the admin API.
const Path = "/v1/backup"

// Response headers of the backup endpoint.
const (
	HeaderName   = "X-Zkensemble-Backup-Name"
	HeaderZxid   = "X-Zkensemble-Zxid"
	HeaderSize   = "X-Zkensemble-Snapshot-Size"
	HeaderSHA256 = "X-Zkensemble-Snapshot-Sha256"
)

// maxTimeout bounds the wait a request may ask for (?timeout=).
const maxTimeout = 10 * time.Minute

// CodeNotCaughtUp is the adminapi.Error code of a member that cannot take a
// consistent backup now (503).
const CodeNotCaughtUp = "NotCaughtUp"

// Source is the member a backup is taken from.
type Source struct {
	EnsembleID string
	Member     uint64
	// Barrier returns once this member has applied every write committed
	// before the call (ensemble.Node.Barrier, a ReadIndex).
	Barrier func(ctx context.Context) error
	// Ready says why this member is not serving from a quorum now (no
	// leader, not in quorum, lost data, not caught up); nil when it is
	// (ensemble.Node.Ready).
	Ready func() error
	// AppliedIndex is the member's applied Raft index.
	AppliedIndex func() uint64
	// Snapshot serialises the state machine under its lock
	// (sessionserver.Server.Snapshot).
	Snapshot func() ([]byte, error)
	// Timeout bounds the wait to catch up (default 30s; a request may ask
	// for another with ?timeout=).
	Timeout time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Handler serves GET /v1/backup[?timeout=DURATION]: a ReadIndex barrier (so the snapshot holds
// every write committed before the request), then the state machine's
// snapshot, serialised into memory under the tree's lock and streamed
// after it is released, as an archive (see Write) with the backup's name,
// zxid, snapshot size and SHA-256 in headers. A member that cannot catch up
// with a quorum within Timeout answers 503 with an adminapi.Error saying why.
func Handler(src Source) http.Handler {
	if src.Timeout == 0 {
		src.Timeout = 30 * time.Second
	}
	if src.Now == nil {
		src.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			replyError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
			return
		}
		wait := src.Timeout
		if q := r.URL.Query().Get("timeout"); q != "" {
			d, err := time.ParseDuration(q)
			if err != nil || d <= 0 || d > maxTimeout {
				replyError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("timeout=%q: give a duration up to %v", q, maxTimeout))
				return
			}
			wait = d
		}
		if why := src.catchUp(r.Context(), wait); why != nil {
			replyError(w, http.StatusServiceUnavailable, CodeNotCaughtUp, why.Error())
			return
		}
		index := src.AppliedIndex()
		snap, err := src.Snapshot()
		if err != nil {
			replyError(w, http.StatusInternalServerError, "SnapshotFailed", err.Error())
			return
		}
		h, err := sessionserver.ReadSnapshotHeader(bytes.NewReader(snap))
		if err != nil {
			replyError(w, http.StatusInternalServerError, "SnapshotFailed", err.Error())
			return
		}
		sum := sha256.Sum256(snap)
		m := Manifest{EnsembleID: src.EnsembleID, Member: src.Member, Zxid: Zxid(h.Zxid), RaftIndex: index,
			ServerVersion: ServerVersion(), Created: src.Now().UTC().Truncate(time.Second),
			SnapshotSize: int64(len(snap)), SnapshotSHA256: hex.EncodeToString(sum[:])}
		manifest, err := EncodeManifest(m)
		if err != nil {
			replyError(w, http.StatusInternalServerError, "SnapshotFailed", err.Error())
			return
		}
		hd := w.Header()
		hd.Set("Content-Type", "application/x-tar")
		hd.Set("Content-Length", strconv.FormatInt(ArchiveSize(int64(len(manifest)), m.SnapshotSize), 10))
		hd.Set(HeaderName, Name(m.EnsembleID, m.Created, m.Zxid))
		hd.Set(HeaderZxid, m.Zxid.String())
		hd.Set(HeaderSize, strconv.FormatInt(m.SnapshotSize, 10))
		hd.Set(HeaderSHA256, m.SnapshotSHA256)
		_ = Write(w, manifest, bytes.NewReader(snap), m.SnapshotSize, m.Created)
	})
}

// catchUp waits (up to Timeout) until this member has applied what a quorum
// had committed, and is serving from it.
func (src Source) catchUp(ctx context.Context, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := src.Barrier(ctx); err != nil {
		if why := src.Ready(); why != nil {
			return fmt.Errorf("member %d cannot take a consistent backup: %w (waited %v)", src.Member, why, wait)
		}
		return fmt.Errorf("member %d could not confirm with a quorum that it is caught up within %v: %w", src.Member, wait, err)
	}
	if why := src.Ready(); why != nil {
		return fmt.Errorf("member %d cannot take a consistent backup: %w", src.Member, why)
	}
	return nil
}

func replyError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(adminapi.Error{Code: code, Message: msg})
}
