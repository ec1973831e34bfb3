package zkimport

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	v2 := filepath.Join(dir, "version-2")
	if err := os.Mkdir(v2, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(v2, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshotAt5 is / (cversion 2), /zookeeper..., /a (data x) and /e, an
// ephemeral of session 77.
func snapshotAt5(digest *zxidDigest) []byte {
	nodes := basicNodes()
	nodes[0].stat = wire.Stat{Cversion: 2, Pzxid: 4}
	nodes = append(nodes,
		testNode{path: "/a", data: []byte("x"), acl: openACLID, stat: wire.Stat{Czxid: 3, Mzxid: 3, Pzxid: 3, Ctime: 1000, Mtime: 1000}},
		testNode{path: "/e", acl: openACLID, stat: wire.Stat{Czxid: 4, Mzxid: 4, Pzxid: 4, EphemeralOwner: 77}})
	return testSnapshot(map[int64]int32{77: 4000}, readOnly, nodes, digest)
}

func hdr(zxid int64, typ int32) txnHeader {
	return txnHeader{ClientID: 1, Zxid: zxid, Time: 2000 + zxid, Type: typ}
}

func sub(typ int32, body func(w *juteWriter)) func(w *juteWriter) {
	return func(w *juteWriter) {
		var b juteWriter
		body(&b)
		w.i32(typ)
		w.buf(b.Bytes())
	}
}

func multi(subs ...func(w *juteWriter)) func(w *juteWriter) {
	return func(w *juteWriter) {
		w.i32(int32(len(subs)))
		for _, s := range subs {
			s(w)
		}
	}
}

func pathBody(p string) func(w *juteWriter) { return func(w *juteWriter) { w.str(p) } }

// historyLog replays every kind of transaction over snapshotAt5.
func historyLog() []byte {
	return testLog(
		txnRecord(hdr(6, wire.OpCreate), createBody("/a/b", []byte("b"), false, 1), nil),
		txnRecord(hdr(7, wire.OpSetData), func(w *juteWriter) { w.str("/a"); w.buf([]byte("y")); w.i32(3) }, nil),
		// A failed multi: an error among its records; nothing applies.
		txnRecord(hdr(8, wire.OpMulti), multi(sub(wire.OpCreate, createBody("/x", nil, false, 3)),
			sub(wire.OpError, func(w *juteWriter) { w.i32(int32(wire.ErrBadVersion)) })), nil),
		txnRecord(hdr(9, wire.OpMulti), multi(sub(wire.OpCreate, createBody("/m", nil, false, 3)), sub(wire.OpDelete, pathBody("/a/b"))), nil),
		// A create replayed over a fuzzy snapshot that has the node already
		// moves its parent's cversion and pzxid.
		txnRecord(hdr(10, wire.OpCreate), createBody("/a", nil, false, 7), nil),
		txnRecord(hdr(11, wire.OpSetACL), func(w *juteWriter) { w.str("/m"); w.acls(readOnly[1]); w.i32(2) }, nil),
		txnRecord(txnHeader{ClientID: 88, Zxid: 12, Type: wire.OpCreateSession}, func(w *juteWriter) { w.i32(3000) }, nil),
		txnRecord(txnHeader{ClientID: 77, Zxid: 13, Type: wire.OpCloseSession}, func(w *juteWriter) { w.i32(1); w.str("/e") }, nil),
		txnRecord(hdr(14, wire.OpCreateTTL), func(w *juteWriter) { w.str("/t"); w.buf(nil); w.acls(openACL); w.i32(8); w.i64(5000) }, nil),
		txnRecord(txnHeader{ClientID: 88, Zxid: 15, Time: 3000, Type: wire.OpCreate}, createBody("/e2", nil, true, 9), nil),
	)
}

func TestLoadReplaysLikeDataTree(t *testing.T) {
	for _, gz := range []bool{false, true} {
		snap, name := snapshotAt5(nil), "snapshot.5"
		if gz {
			snap, name = gzipped(t, snap), "snapshot.5.gz"
		}
		res, err := Load(writeFiles(t, map[string][]byte{name: snap, "log.6": historyLog()}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Zxid != 16 || res.LastLoggedZxid != 15 || res.Ephemerals != 1 || res.Sessions != 1 || res.Txns != 10 || res.Znodes != 7 {
			t.Errorf("gz=%v: %+v", gz, *summary(res))
		}
		super := datatree.Auth{Super: true}
		tests := []struct {
			path string
			data string
			want wire.Stat
		}{
			// cversion 9 stored, 4 children: 2*9-4; pzxid: /e2 removed at 16.
			{"/", "", wire.Stat{Cversion: 14, Pzxid: 16, NumChildren: 4}},
			{"/a", "y", wire.Stat{Czxid: 3, Mzxid: 7, Pzxid: 9, Ctime: 1000, Mtime: 2007, Version: 3, Cversion: 2, DataLength: 1}},
			{"/m", "", wire.Stat{Czxid: 9, Mzxid: 9, Pzxid: 9, Ctime: 2009, Mtime: 2009, Aversion: 2}},
			{"/t", "", wire.Stat{Czxid: 14, Mzxid: 14, Pzxid: 14, Ctime: 2014, Mtime: 2014}},
		}
		for _, tc := range tests {
			data, st, code := res.Tree.GetData(tc.path, super, nil)
			if code != wire.ErrOK || st != tc.want || string(data) != tc.data {
				t.Errorf("gz=%v %s: %q %+v %v, want %q %+v", gz, tc.path, data, st, code, tc.data, tc.want)
			}
		}
		for _, gone := range []string{"/e", "/e2", "/x", "/a/b"} {
			if _, ok := res.Tree.Stat(gone); ok {
				t.Errorf("%s exists", gone)
			}
		}
		if acl, _, _ := res.Tree.GetACL("/m", super); len(acl) != 1 || acl[0].Perms != wire.PermRead {
			t.Errorf("/m acl %v", acl)
		}
		if exp := res.Tree.ExpiredContainersAndTTLs(1 << 60); len(exp) != 1 || exp[0] != "/t" {
			t.Errorf("TTL nodes: %v", exp)
		}
	}
}

func TestLoadDigests(t *testing.T) {
	// The tree digest of snapshotAt5, read back from a load without trailer.
	s, err := readSnapshot(bytes.NewReader(snapshotAt5(nil)), -1, "", DefaultMaxBuffer)
	if err != nil {
		t.Fatal(err)
	}
	good := s.m.digest
	afterCreate := func() int64 { // the digest once /a/b is created at 6
		s.m.apply(hdr(6, wire.OpCreate), &txn{Path: "/a/b", Data: []byte("b"), ACL: openACL, ParentCVersion: 1})
		return s.m.digest
	}()
	tests := []struct {
		name    string
		trailer *zxidDigest
		logDig  *txnDigest
		want    string
		checked int
	}{
		{"trailer matches", &zxidDigest{Zxid: 5, Version: 2, Digest: good}, nil, "", 1},
		{"trailer and log match", &zxidDigest{Zxid: 5, Version: 2, Digest: good}, &txnDigest{Version: 2, Tree: afterCreate}, "", 2},
		{"trailer differs", &zxidDigest{Zxid: 5, Version: 2, Digest: good + 1}, nil, "tree digest mismatch at zxid 0x5", 0},
		{"fuzzy trailer compared at its zxid", &zxidDigest{Zxid: 6, Version: 2, Digest: good}, nil, "tree digest mismatch at zxid 0x6", 0},
		{"log digest differs", nil, &txnDigest{Version: 2, Tree: 12345}, "tree digest mismatch after zxid 0x6", 0},
		{"another digest version is not compared", &zxidDigest{Zxid: 5, Version: 3, Digest: good + 1}, nil, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := testLog(txnRecord(hdr(6, wire.OpCreate), createBody("/a/b", []byte("b"), false, 1), tc.logDig))
			res, err := Load(writeFiles(t, map[string][]byte{"snapshot.5": snapshotAt5(tc.trailer), "log.6": log}), Options{})
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.DigestsChecked != tc.checked {
				t.Errorf("%d digests checked, want %d", res.DigestsChecked, tc.checked)
			}
		})
	}
}

func TestLoadRefuses(t *testing.T) {
	snap := snapshotAt5(nil)
	big := testLog(txnRecord(hdr(6, wire.OpCreate), createBody("/big", make([]byte, 2<<20), false, 3), nil))
	tests := []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"unknown transaction", map[string][]byte{"snapshot.5": snap, "log.6": testLog(txnRecord(hdr(6, 999), nil, nil))}, "unknown transaction type 999"},
		{"unknown multi record", map[string][]byte{"snapshot.5": snap, "log.6": testLog(txnRecord(hdr(6, wire.OpMulti), multi(sub(wire.OpSetACL, pathBody("/a"))), nil))}, "unknown transaction type 7"},
		{"record over jute.maxbuffer", map[string][]byte{"snapshot.5": snap, "log.6": big}, "unreasonable length"},
		{"logs without a snapshot", map[string][]byte{"log.6": historyLog()}, "no snapshot, but there are log files"},
		{"snappy", map[string][]byte{"snapshot.5.snappy": snap}, "snappy"},
		{"bad log magic", map[string][]byte{"snapshot.5": snap, "log.6": append([]byte("XXXX"), historyLog()[4:]...)}, "bad magic"},
		{"truncated snapshot", map[string][]byte{"snapshot.5": snap[:len(snap)-20]}, "no valid snapshot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFiles(t, tc.files), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadQuotaStatsRecomputed(t *testing.T) {
	nodes := basicNodes()
	nodes[2].stat = wire.Stat{Cversion: 1}
	nodes = append(nodes,
		testNode{path: "/zookeeper/quota/q", acl: openACLID, stat: wire.Stat{Cversion: 2}},
		testNode{path: "/zookeeper/quota/q/zookeeper_limits", data: []byte("count=10,bytes=-1"), acl: openACLID},
		testNode{path: "/zookeeper/quota/q/zookeeper_stats", data: []byte("count=0,bytes=0"), acl: openACLID},
		testNode{path: "/q", data: []byte("abc"), acl: openACLID},
		testNode{path: "/q/c", data: []byte("de"), acl: openACLID})
	files := map[string][]byte{"snapshot.5": testSnapshot(nil, readOnly, nodes, nil)}
	res, err := Load(writeFiles(t, files), Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := res.Tree.GetData("/zookeeper/quota/q/zookeeper_stats", datatree.Auth{Super: true}, nil)
	if string(data) != "count=2,bytes=5" {
		t.Errorf("stats %q, want count=2,bytes=5", data)
	}
}

func TestReadACLsNullAndEmpty(t *testing.T) {
	tests := []struct {
		name string
		enc  func(w *juteWriter)
		want []wire.ACL
	}{
		{"null is OPEN_ACL_UNSAFE", func(w *juteWriter) { w.i32(-1) }, openACL},
		{"empty stays empty", func(w *juteWriter) { w.i32(0) }, []wire.ACL{}},
		{"one", func(w *juteWriter) { w.acls(readOnly[1]) }, readOnly[1]},
	}
	for _, tc := range tests {
		var w juteWriter
		tc.enc(&w)
		got, err := readACLs(wire.NewDecoder(w.Bytes()))
		if err != nil || got == nil || len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("%s: %v %v, want %v", tc.name, got, err, tc.want)
		}
	}
}

// TestLoadSeparateLogDir: ZooKeeper with a dataLogDir keeps its logs apart.
func TestLoadSeparateLogDir(t *testing.T) {
	snapDir := writeFiles(t, map[string][]byte{"snapshot.5": snapshotAt5(nil)})
	logDir := writeFiles(t, map[string][]byte{"log.6": historyLog()})
	for _, ld := range []string{logDir, filepath.Join(logDir, "version-2")} {
		res, err := Load(snapDir, Options{LogDir: ld})
		if err != nil {
			t.Fatal(err)
		}
		if res.Txns != 10 || res.Zxid != 16 {
			t.Errorf("LogDir %s: %+v", ld, *summary(res))
		}
	}
	if res, err := Load(snapDir, Options{}); err != nil || res.Txns != 0 {
		t.Errorf("without LogDir: %v %v", res, err)
	}
}
