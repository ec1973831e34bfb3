package datatree

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/zkensemble/zkensemble/pkg/watches"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

const snapshotMagic = "ZKETREE1"

// WriteSnapshot streams the tree to w: the ACL table, then every node in
// depth-first order (parents before children). Call it with the tree locked
// (read or write).
func (t *Tree) WriteSnapshot(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return err
	}
	e := wire.NewEncoder(make([]byte, 0, 512))
	ids := make(map[aclRef]int32, len(t.acls.byKey))
	e.WriteInt32(int32(len(t.acls.byKey)))
	t.acls.each(func(r aclRef, acl []wire.ACL) {
		ids[r] = int32(len(ids))
		e.WriteInt32(int32(len(acl)))
		for i := range acl {
			acl[i].Encode(e)
		}
	})
	e.WriteInt64(int64(t.count))
	if err := writeChunk(bw, e); err != nil {
		return err
	}
	var walk func(path string, n *node) error
	walk = func(path string, n *node) error {
		e.Reset()
		e.WriteString(path)
		e.WriteBuffer(n.data)
		e.WriteInt32(ids[n.stat.acl])
		st := n.stat.persisted()
		st.Encode(e)
		if err := writeChunk(bw, e); err != nil {
			return err
		}
		return n.children.each(func(c string, cn *node) error {
			cp := path + "/" + c
			if path == RootPath {
				cp = "/" + c
			}
			return walk(cp, cn)
		})
	}
	if err := walk(RootPath, t.root); err != nil {
		return err
	}
	return bw.Flush()
}

func writeChunk(w *bufio.Writer, e *wire.Encoder) error {
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(e.Len()))
	if _, err := w.Write(l[:]); err != nil {
		return err
	}
	_, err := w.Write(e.Bytes())
	return err
}

// ReadSnapshot rebuilds a tree written by WriteSnapshot. The new tree has an
// empty watch registry: watches belong to connections, not to the data.
func ReadSnapshot(r io.Reader) (*Tree, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, fmt.Errorf("datatree: not a snapshot (%w)", err)
	}
	t := &Tree{
		ephemerals: map[int64]map[string]struct{}{},
		containers: map[string]struct{}{},
		ttls:       map[string]struct{}{},
		acls:       newACLCache(),
		Watches:    watches.NewManager(),
	}
	buf, err := wire.ReadFrame(br, nil, 1<<30)
	if err != nil {
		return nil, err
	}
	d := wire.NewDecoder(buf)
	nACL, err := d.ReadInt32()
	if err != nil || nACL < 0 || int(nACL) > d.Remaining()/4 { // each entry holds at least its count
		return nil, errors.New("datatree: bad snapshot ACL table")
	}
	table := make([][]wire.ACL, nACL)
	for i := range table {
		n, err := d.ReadInt32()
		if err != nil || n < 0 || int(n) > d.Remaining() {
			return nil, errors.New("datatree: bad snapshot ACL entry")
		}
		table[i] = make([]wire.ACL, n)
		for j := range table[i] {
			if err := table[i][j].Decode(d); err != nil {
				return nil, err
			}
		}
	}
	count, err := d.ReadInt64()
	if err != nil || count < 1 {
		return nil, errors.New("datatree: bad snapshot node count")
	}
	for i := int64(0); i < count; i++ {
		buf, err = wire.ReadFrame(br, buf, 1<<30)
		if err != nil {
			return nil, fmt.Errorf("datatree: snapshot node %d: %w", i, err)
		}
		d := wire.NewDecoder(buf)
		path, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		data, err := d.ReadBuffer()
		if err != nil {
			return nil, err
		}
		aclIdx, err := d.ReadInt32()
		if err != nil || aclIdx < 0 || int(aclIdx) >= len(table) {
			return nil, errors.New("datatree: bad snapshot ACL index")
		}
		var st wire.Stat
		if err := st.Decode(d); err != nil {
			return nil, err
		}
		if !ValidPath(path) {
			return nil, fmt.Errorf("datatree: snapshot node %q: bad path", path)
		}
		if t.lookup(path) != nil {
			return nil, fmt.Errorf("datatree: snapshot holds %s twice", path)
		}
		n := &node{data: data, stat: packStat(st)}
		n.stat.acl = t.acls.intern(table[aclIdx])
		if path == RootPath {
			t.root, t.count = n, 1
		} else {
			parentPath, name := parentAndName(path)
			parent := t.lookup(parentPath)
			if parent == nil {
				return nil, fmt.Errorf("datatree: snapshot node %s before its parent", path)
			}
			t.attach(parent, name, n)
		}
		t.index(path, n)
		t.dataSize += int64(len(path) + len(data))
	}
	return t, nil
}

// Replace takes over the contents of o (typically from ReadSnapshot) while
// keeping t's watch registry and settings. Call it with t write-locked.
func (t *Tree) Replace(o *Tree) {
	t.root, t.count, t.ephemerals, t.containers, t.ttls = o.root, o.count, o.ephemerals, o.containers, o.ttls
	t.acls, t.dataSize = o.acls, o.dataSize
}
