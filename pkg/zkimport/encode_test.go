package zkimport

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/adler32"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// juteWriter writes BinaryOutputArchive's encoding, for test files.
type juteWriter struct{ bytes.Buffer }

func (w *juteWriter) i32(v int32) { _ = binary.Write(&w.Buffer, binary.BigEndian, v) }
func (w *juteWriter) i64(v int64) { _ = binary.Write(&w.Buffer, binary.BigEndian, v) }
func (w *juteWriter) buf(b []byte) {
	if b == nil {
		w.i32(-1)
		return
	}
	w.i32(int32(len(b)))
	w.Write(b)
}
func (w *juteWriter) str(s string) { w.buf([]byte(s)) }
func (w *juteWriter) acls(a []wire.ACL) {
	w.i32(int32(len(a)))
	for _, x := range a {
		w.i32(x.Perms)
		w.str(x.ID.Scheme)
		w.str(x.ID.ID)
	}
}

// seal is SnapStream.sealStream over everything written so far.
func (w *juteWriter) seal() {
	w.i64(int64(adler32.Checksum(w.Bytes())))
	w.str("/")
}

type testNode struct {
	path string
	data []byte
	acl  int64
	stat wire.Stat
}

// testSnapshot encodes a snapshot file; digest, when non-nil, is appended
// as the trailer.
func testSnapshot(sessions map[int64]int32, acls map[int64][]wire.ACL, nodes []testNode, digest *zxidDigest) []byte {
	var w juteWriter
	w.i32(snapMagic)
	w.i32(2)
	w.i64(0)
	w.i32(int32(len(sessions)))
	for id, to := range sessions {
		w.i64(id)
		w.i32(to)
	}
	w.i32(int32(len(acls)))
	for k, a := range acls {
		w.i64(k)
		w.acls(a)
	}
	for _, n := range nodes {
		w.str(n.path)
		w.buf(n.data)
		w.i64(n.acl)
		s := n.stat
		w.i64(s.Czxid)
		w.i64(s.Mzxid)
		w.i64(s.Ctime)
		w.i64(s.Mtime)
		w.i32(s.Version)
		w.i32(s.Cversion)
		w.i32(s.Aversion)
		w.i64(s.EphemeralOwner)
		w.i64(s.Pzxid)
	}
	w.str("/")
	w.seal()
	if digest != nil {
		w.i64(digest.Zxid)
		w.i32(digest.Version)
		w.i64(digest.Digest)
		w.seal()
	}
	return w.Bytes()
}

// basicNodes is the tree a fresh ZooKeeper snapshots: /, /zookeeper,
// /zookeeper/quota, /zookeeper/config.
func basicNodes() []testNode {
	return []testNode{
		{path: "", acl: openACLID},
		{path: "/zookeeper", acl: openACLID},
		{path: "/zookeeper/quota", acl: openACLID},
		{path: "/zookeeper/config", acl: 1, stat: wire.Stat{Aversion: -1}},
	}
}

var readOnly = map[int64][]wire.ACL{1: {{Perms: wire.PermRead, ID: wire.Id{Scheme: "world", ID: "anyone"}}}}

// txnRecord encodes a log entry: header, record, optional digest.
func txnRecord(h txnHeader, body func(w *juteWriter), digest *txnDigest) []byte {
	var w juteWriter
	w.i64(h.ClientID)
	w.i32(h.Cxid)
	w.i64(h.Zxid)
	w.i64(h.Time)
	w.i32(h.Type)
	if body != nil {
		body(&w)
	}
	if digest != nil {
		w.i32(digest.Version)
		w.i64(digest.Tree)
	}
	return w.Bytes()
}

// testLog encodes a log file of records, with preallocated zeros after.
func testLog(records ...[]byte) []byte {
	var w juteWriter
	w.i32(logMagic)
	w.i32(2)
	w.i64(0)
	for _, r := range records {
		w.i64(int64(adler32.Checksum(r)))
		w.buf(r)
		w.WriteByte('B')
	}
	w.Write(make([]byte, 64))
	return w.Bytes()
}

func gzipped(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func createBody(path string, data []byte, ephemeral bool, parentCVersion int32) func(w *juteWriter) {
	return func(w *juteWriter) {
		w.str(path)
		w.buf(data)
		w.acls(openACL)
		if ephemeral {
			w.WriteByte(1)
		} else {
			w.WriteByte(0)
		}
		w.i32(parentCVersion)
	}
}
