package backup

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// FormatVersion is the archive format this package writes and reads.
const FormatVersion = 1

// Manifest describes an archive's snapshot.
type Manifest struct {
	FormatVersion int    `json:"formatVersion"`
	EnsembleID    string `json:"ensembleId"`
	// Member is the member the snapshot was taken from.
	Member uint64 `json:"member,omitempty"`
	// Zxid is the last transaction in the snapshot.
	Zxid Zxid `json:"zxid"`
	// RaftIndex is the member's applied Raft index just before the
	// snapshot was taken (the snapshot holds at least that much).
	RaftIndex     uint64    `json:"raftIndex"`
	ServerVersion string    `json:"serverVersion"`
	Created       time.Time `json:"created"`
	// Znodes counts the tree's znodes (informational).
	Znodes         int64  `json:"znodes,omitempty"`
	SnapshotSize   int64  `json:"snapshotSize"`
	SnapshotSHA256 string `json:"snapshotSha256"`
}

// Zxid is a zxid, written in JSON as a hex string ("0x500000003"): 64-bit
// numbers do not survive every JSON reader.
type Zxid uint64

func (z Zxid) String() string { return "0x" + strconv.FormatUint(uint64(z), 16) }

// MarshalJSON writes the hex string.
func (z Zxid) MarshalJSON() ([]byte, error) { return json.Marshal(z.String()) }

// UnmarshalJSON reads the hex string.
func (z *Zxid) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("zxid: %w", err)
	}
	v, err := ParseZxid(s)
	if err != nil {
		return err
	}
	*z = v
	return nil
}

// ParseZxid reads "0x..." (or bare hex).
func ParseZxid(s string) (Zxid, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("zxid %q is not a hex number", s)
	}
	return Zxid(v), nil
}

// check reports what makes a manifest unusable.
func (m *Manifest) check() error {
	switch {
	case m.FormatVersion != FormatVersion:
		return fmt.Errorf("archive format version %d, this server reads %d", m.FormatVersion, FormatVersion)
	case m.EnsembleID == "":
		return fmt.Errorf("the manifest names no ensemble")
	case m.SnapshotSize <= 0:
		return fmt.Errorf("the manifest gives a snapshot size of %d", m.SnapshotSize)
	case len(m.SnapshotSHA256) != 64 || strings.ToLower(m.SnapshotSHA256) != m.SnapshotSHA256:
		return fmt.Errorf("the manifest's snapshot checksum %q is not a SHA-256 in hex", m.SnapshotSHA256)
	case int64(m.Zxid) < 0:
		return fmt.Errorf("the manifest's zxid %s is out of range", m.Zxid)
	}
	return nil
}

// ServerVersion is this binary's version, from its build information.
func ServerVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
}
