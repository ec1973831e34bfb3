package zkimport

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// File magics (FileSnap.SNAP_MAGIC, FileTxnLog.TXNLOG_MAGIC).
const (
	snapMagic = 0x5a4b534e // "ZKSN"
	logMagic  = 0x5a4b4c47 // "ZKLG"
)

// openACLID is ReferenceCountedACLCache.OPEN_UNSAFE_ACL_ID.
const openACLID = -1

// zxidDigest is the digest trailer of a snapshot (DataTree.ZxidDigest).
type zxidDigest struct {
	Zxid    int64
	Version int32
	Digest  int64
}

// snapshot is a loaded snapshot file.
type snapshot struct {
	m      *model
	digest *zxidDigest // nil when absent or empty
}

// readSnapshot is FileSnap.deserialize of one file: header, sessions, the ACL
// cache, the nodes, the seal, then the optional digest trailer and its seal.
// size is the stream's length when known (-1 for a compressed one).
func readSnapshot(r io.Reader, size int64, compressed string, maxBuffer int) (*snapshot, error) {
	if compressed == "gz" {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer func() { _ = zr.Close() }()
		r, size = zr, -1
	}
	j := newJuteReader(r, size, maxBuffer)
	if err := readFileHeader(j, snapMagic); err != nil {
		return nil, err
	}
	// A znode takes at least minNodeBytes of the file: size the node map
	// for what the file can hold (nothing when its length is unknown).
	const minNodeBytes = 4 + 4 + 8 + 68
	m := newModel(int(min(max(size, 0)/minNodeBytes, 1<<24)))
	if err := readSessions(j, m); err != nil {
		return nil, err
	}
	acls, err := readACLCache(j)
	if err != nil {
		return nil, err
	}
	if err := readNodes(j, m, acls); err != nil {
		return nil, err
	}
	if err := j.seal(); err != nil {
		return nil, err
	}
	s := &snapshot{m: m}
	d, err := readZxidDigest(j)
	if errors.Is(err, errTruncated) {
		return s, nil // an older snapshot without the trailer
	}
	if err != nil {
		return nil, err
	}
	if err := j.seal(); err != nil {
		return nil, fmt.Errorf("digest trailer: %w", err)
	}
	if d.Zxid > 0 {
		s.digest = &d
	}
	return s, nil
}

func readFileHeader(j *juteReader, magic int32) error {
	got, err := j.int32()
	if err != nil {
		return fmt.Errorf("file header: %w", err)
	}
	if got != magic {
		return fmt.Errorf("bad magic %#x (want %#x)", got, magic)
	}
	if _, err := j.int32(); err != nil { // version
		return fmt.Errorf("file header: %w", err)
	}
	if _, err := j.int64(); err != nil { // dbid
		return fmt.Errorf("file header: %w", err)
	}
	return nil
}

func readSessions(j *juteReader, m *model) error {
	n, err := j.int32()
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	for ; n > 0; n-- {
		id, err := j.int64()
		if err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		to, err := j.int32()
		if err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		m.sessions[id] = to
	}
	return nil
}

// readACLCache is ReferenceCountedACLCache.deserialize.
func readACLCache(j *juteReader) (map[int64][]wire.ACL, error) {
	n, err := j.int32()
	if err != nil {
		return nil, fmt.Errorf("ACL cache: %w", err)
	}
	acls := map[int64][]wire.ACL{}
	for ; n > 0; n-- {
		key, err := j.int64()
		if err != nil {
			return nil, fmt.Errorf("ACL cache: %w", err)
		}
		count, err := j.int32()
		if err != nil {
			return nil, fmt.Errorf("ACL cache: %w", err)
		}
		if count < 0 {
			return nil, errors.New("ACL cache: missing acls")
		}
		list := []wire.ACL{}
		for ; count > 0; count-- {
			var a wire.ACL
			if a.Perms, err = j.int32(); err == nil {
				if a.ID.Scheme, err = j.string(); err == nil {
					a.ID.ID, err = j.string()
				}
			}
			if err != nil {
				return nil, fmt.Errorf("ACL cache: %w", err)
			}
			list = append(list, a)
		}
		acls[key] = list
	}
	return acls, nil
}

// readNodes is DataTree.deserialize: (path, DataNode) pairs, parents first,
// until the path "/"; the root is written as "".
func readNodes(j *juteReader, m *model, acls map[int64][]wire.ACL) error {
	for {
		path, err := j.string()
		if err != nil {
			return fmt.Errorf("node: %w", err)
		}
		if path == "/" {
			break
		}
		n, err := readDataNode(j, acls)
		if err != nil {
			return fmt.Errorf("node %q: %w", path, err)
		}
		if path == "" {
			if _, ok := m.nodes["/"]; ok {
				return errors.New("two roots")
			}
			m.put("/", n)
			continue
		}
		parentPath, child, ok := split(path)
		parent := m.nodes[parentPath]
		if !ok || child == "" || parent == nil {
			return fmt.Errorf("node %q before its parent", path)
		}
		if _, dup := m.nodes[path]; dup {
			return fmt.Errorf("node %q twice", path)
		}
		if parent.children == nil {
			parent.children = map[string]struct{}{}
		}
		parent.children[child] = struct{}{}
		m.put(path, n)
	}
	if m.nodes["/"] == nil {
		return errors.New("no root node")
	}
	return nil
}

func readDataNode(j *juteReader, acls map[int64][]wire.ACL) (*znode, error) {
	data, err := j.buffer()
	if err != nil {
		return nil, err
	}
	key, err := j.int64()
	if err != nil {
		return nil, err
	}
	n := &znode{data: data}
	if key == openACLID {
		n.acl = openACL
	} else if n.acl = acls[key]; n.acl == nil {
		return nil, fmt.Errorf("ACL %d not in the cache", key)
	}
	s := &n.stat
	fields := []*int64{&s.Czxid, &s.Mzxid, &s.Ctime, &s.Mtime}
	for _, f := range fields {
		if *f, err = j.int64(); err != nil {
			return nil, err
		}
	}
	for _, f := range []*int32{&s.Version, &s.Cversion, &s.Aversion} {
		if *f, err = j.int32(); err != nil {
			return nil, err
		}
	}
	if s.EphemeralOwner, err = j.int64(); err != nil {
		return nil, err
	}
	if s.Pzxid, err = j.int64(); err != nil {
		return nil, err
	}
	return n, nil
}

var openACL = []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "world", ID: "anyone"}}}

// readZxidDigest reads the trailer; digest versions before 2 wrote the
// value as a hex string.
func readZxidDigest(j *juteReader) (zxidDigest, error) {
	var d zxidDigest
	var err error
	if d.Zxid, err = j.int64(); err != nil {
		return d, err
	}
	if d.Version, err = j.int32(); err != nil {
		return d, err
	}
	if d.Version >= 2 {
		d.Digest, err = j.int64()
		return d, err
	}
	s, err := j.string()
	if err != nil {
		return d, err
	}
	_, err = fmt.Sscanf(s, "%x", &d.Digest)
	return d, err
}
