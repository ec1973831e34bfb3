package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "|", "").Replace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bytes captured from ZooKeeper 3.8.0 and its clients (reference §1.3, Appendix).
func TestCapturedBytes(t *testing.T) {
	t.Run("zkCli connect request", func(t *testing.T) {
		raw := unhex(t, "00000000 0000000000000000 00007530 0000000000000000 00000010 00000000000000000000000000000000 00")
		var cr ConnectRequest
		if err := cr.Decode(NewDecoder(raw)); err != nil {
			t.Fatal(err)
		}
		if cr.TimeOut != 30000 || !cr.HasReadOnly || cr.ReadOnly || len(cr.Passwd) != 16 {
			t.Fatalf("decoded %+v", cr)
		}
		if got := Marshal(&cr); !bytes.Equal(got, raw) {
			t.Fatalf("re-encoded %x", got)
		}
		if len(raw) != 45 {
			t.Fatalf("len %d", len(raw))
		}
	})
	t.Run("go-zk connect request has no readOnly byte", func(t *testing.T) {
		raw := unhex(t, "00000000 0000000000000000 00007530 0000000000000000 00000010 00000000000000000000000000000000")
		var cr ConnectRequest
		if err := cr.Decode(NewDecoder(raw)); err != nil {
			t.Fatal(err)
		}
		if cr.HasReadOnly || !bytes.Equal(Marshal(&cr), raw) {
			t.Fatalf("decoded %+v", cr)
		}
	})
	t.Run("connect response", func(t *testing.T) {
		raw := unhex(t, "00000000 00007530 0100000a7fc60005 00000010 37a9f59ba55e9e8940e5feadf808b171 00")
		var r ConnectResponse
		if err := r.Decode(NewDecoder(raw)); err != nil {
			t.Fatal(err)
		}
		if r.SessionID != 0x0100000a7fc60005 || r.TimeOut != 30000 || !r.HasReadOnly {
			t.Fatalf("%+v", r)
		}
		if !bytes.Equal(Marshal(&r), raw) || len(raw) != 37 {
			t.Fatal("re-encode mismatch")
		}
	})
	t.Run("notification", func(t *testing.T) {
		raw := unhex(t, "ffffffff ffffffffffffffff 00000000 | 00000001 00000003 00000002 2f77")
		got := Marshal(&ReplyHeader{Xid: -1, Zxid: -1}, &WatcherEvent{Type: EventNodeCreated, State: StateSyncConnected, Path: "/w"})
		if !bytes.Equal(got, raw) {
			t.Fatalf("got %x", got)
		}
	})
	t.Run("failed multi", func(t *testing.T) {
		raw := unhex(t, "ffffffff 00 00000000 | 00000000 | ffffffff 00 ffffff9b | ffffff9b | ffffffff 00 fffffffe | fffffffe | ffffffff 01 ffffffff")
		m := MultiResponse{Results: []MultiResult{{Type: OpError, Err: 0}, {Type: OpError, Err: -101}, {Type: OpError, Err: -2}}}
		if got := Marshal(&m); !bytes.Equal(got, raw) {
			t.Fatalf("got %x", got)
		}
		var back MultiResponse
		if err := back.Decode(NewDecoder(raw)); err != nil || !reflect.DeepEqual(back.Results, m.Results) {
			t.Fatalf("decode %v %+v", err, back)
		}
	})
	t.Run("empty multi", func(t *testing.T) {
		raw := unhex(t, "ffffffff01ffffffff")
		if got := Marshal(&MultiResponse{}); !bytes.Equal(got, raw) {
			t.Fatalf("got %x", got)
		}
	})
	t.Run("java reconnect setWatches2", func(t *testing.T) {
		raw := unhex(t, "00000005 00000069 0000000000000025 00000001 00000002 2f77 00000001 00000008 2f6e6f7468657265 00000001 00000001 2f 00000000 00000001 00000002 2f77")
		var h RequestHeader
		d := NewDecoder(raw)
		if err := h.Decode(d); err != nil || h.Type != OpSetWatches2 {
			t.Fatalf("%v %+v", err, h)
		}
		rec, err := DecodeRequest(h.Type, d.Rest())
		if err != nil {
			t.Fatal(err)
		}
		sw := rec.(*SetWatches2)
		want := &SetWatches2{RelativeZxid: 0x25, DataWatches: []string{"/w"}, ExistWatches: []string{"/nothere"}, ChildWatches: []string{"/"}, PersistentWatches: []string{}, PersistentRecursiveWatches: []string{"/w"}}
		if !reflect.DeepEqual(sw, want) {
			t.Fatalf("%+v", sw)
		}
	})
}

func TestSizes(t *testing.T) {
	for name, tc := range map[string]struct {
		r    Record
		size int
	}{
		"Stat":          {&Stat{}, 68},
		"RequestHeader": {&RequestHeader{}, 8},
		"ReplyHeader":   {&ReplyHeader{}, 16},
	} {
		if n := len(Marshal(tc.r)); n != tc.size {
			t.Errorf("%s: %d bytes, want %d", name, n, tc.size)
		}
	}
}

func sampleRecords() []Record {
	acl := []ACL{{Perms: PermAll, ID: Id{Scheme: "world", ID: "anyone"}}, {Perms: PermRead, ID: Id{Scheme: "digest", ID: "u:x"}}}
	st := Stat{Czxid: 1, Mzxid: 2, Ctime: 3, Mtime: 4, Version: 5, Cversion: 6, Aversion: 7, EphemeralOwner: 8, DataLength: 9, NumChildren: 10, Pzxid: 11}
	return []Record{
		&CreateRequest{Path: "/a", Data: []byte("d"), ACL: acl, Flags: 3},
		&CreateTTLRequest{Path: "/t", Data: []byte{}, ACL: acl, Flags: 5, TTL: 1000},
		&DeleteRequest{Path: "/a", Version: -1},
		&PathWatchRequest{Path: "/a", Watch: true},
		&PathRequest{Path: "/p"},
		&SetDataRequest{Path: "/a", Data: []byte("x"), Version: 2},
		&SetACLRequest{Path: "/a", ACL: acl, Version: 0},
		&CheckVersionRequest{Path: "/a", Version: 1},
		&ReconfigRequest{JoiningServers: "server.4=h:1:2;3", LeavingServers: "2", CurConfigID: -1},
		&WatchesRequest{Path: "/a", Type: WatcherAny},
		&AddWatchRequest{Path: "/a", Mode: AddWatchPersistentRecursive},
		&AuthPacket{Scheme: "digest", Auth: []byte("u:p")},
		&SetWatches{RelativeZxid: 7, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{"/b", "/c"}},
		&SetWatches2{RelativeZxid: 7, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{}, PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{}},
		&MultiRequest{Ops: []MultiOp{{Type: OpCreate, Req: &CreateRequest{Path: "/m", ACL: acl}}, {Type: OpCheck, Req: &CheckVersionRequest{Path: "/m"}}, {Type: OpDelete, Req: &DeleteRequest{Path: "/m", Version: -1}}}},
		&Create2Response{Path: "/a", Stat: st},
		&StatResponse{Stat: st},
		&GetDataResponse{Data: []byte("v"), Stat: st},
		&GetACLResponse{ACL: acl, Stat: st},
		&GetChildrenResponse{Children: []string{"a", "b"}},
		&GetChildren2Response{Children: []string{"a"}, Stat: st},
		&GetEphemeralsResponse{Ephemerals: []string{"/e"}},
		&GetAllChildrenNumberResponse{TotalNumber: 4},
		&ErrorResponse{Err: -101},
		&WhoAmIResponse{ClientInfo: []ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}},
		&MultiResponse{Results: []MultiResult{{Type: OpCreate, Resp: &CreateResponse{Path: "/m"}}, {Type: OpCreate2, Resp: &Create2Response{Path: "/n", Stat: st}}, {Type: OpDelete}, {Type: OpSetData, Resp: &SetDataResponse{Stat: st}}, {Type: OpGetData, Resp: &GetDataResponse{Data: []byte("x"), Stat: st}}, {Type: OpGetChildren, Resp: &GetChildrenResponse{Children: []string{"c"}}}, {Type: OpError, Err: -101}}},
		&ConnectRequest{TimeOut: 4000, SessionID: 5, Passwd: make([]byte, 16), HasReadOnly: true, ReadOnly: true},
		&ConnectResponse{TimeOut: 4000, SessionID: 5, Passwd: make([]byte, 16)},
		&WatcherEvent{Type: EventNodeDeleted, State: StateSyncConnected, Path: "/x"},
	}
}

func TestRoundTripAndTruncation(t *testing.T) {
	for _, r := range sampleRecords() {
		raw := Marshal(r)
		fresh := reflect.New(reflect.TypeOf(r).Elem()).Interface().(Record)
		if err := fresh.Decode(NewDecoder(raw)); err != nil {
			t.Fatalf("%T: %v", r, err)
		}
		if !reflect.DeepEqual(fresh, r) {
			t.Fatalf("%T round trip:\n got %+v\nwant %+v", r, fresh, r)
		}
		// Every strict prefix must fail cleanly (records whose tail is optional excepted).
		for i := 0; i < len(raw); i++ {
			fresh := reflect.New(reflect.TypeOf(r).Elem()).Interface().(Record)
			err := fresh.Decode(NewDecoder(raw[:i]))
			if err == nil {
				switch r.(type) {
				case *ConnectRequest, *ConnectResponse:
					if i == len(raw)-1 {
						continue // the readOnly byte is optional
					}
				}
				t.Fatalf("%T: prefix of %d/%d bytes decoded without error", r, i, len(raw))
			}
		}
	}
}

func TestHostileLengths(t *testing.T) {
	// A vector declaring 2^31-1 strings in a 12-byte body must not allocate.
	raw := unhex(t, "7fffffff 00000000 00000000")
	if _, err := NewDecoder(raw).ReadStringVector(); !errors.Is(err, ErrShortBuffer) {
		t.Fatalf("got %v", err)
	}
	if _, err := NewDecoder(unhex(t, "fffffffe")).ReadBuffer(); !errors.Is(err, ErrBadLength) {
		t.Fatalf("got %v", err)
	}
	if _, err := DecodeRequest(999, nil); !errors.Is(err, ErrUnknownOpcode) {
		t.Fatalf("got %v", err)
	}
}

func TestReadFrame(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(AppendFrame(nil, []byte("hello")))
	buf.Write(unhex(t, "00200000")) // 2 MiB
	got, err := ReadFrame(&buf, nil, DefaultMaxBuffer)
	if err != nil || string(got) != "hello" {
		t.Fatalf("%q %v", got, err)
	}
	_, err = ReadFrame(&buf, nil, DefaultMaxBuffer)
	var fe *FrameLengthError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v", err)
	}
	if w, ok := FourLetterWord(int32(0x72756f6b)); !ok || w != "ruok" {
		t.Fatalf("ruok not recognised")
	}
	if _, ok := FourLetterWord(45); ok {
		t.Fatal("45 is a connect request")
	}
	e := NewEncoder(nil)
	e.BeginFrame()
	(&ReplyHeader{Xid: 1}).Encode(e)
	e.EndFrame()
	if !bytes.Equal(e.Bytes()[:4], []byte{0, 0, 0, 16}) {
		t.Fatalf("frame %x", e.Bytes())
	}
}

func BenchmarkEncodeGetDataReply(b *testing.B) {
	e := NewEncoder(make([]byte, 0, 256))
	st := Stat{Czxid: 1, Mzxid: 2}
	data := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		e.BeginFrame()
		(&ReplyHeader{Xid: 1, Zxid: 2}).Encode(e)
		(&GetDataResponse{Data: data, Stat: st}).Encode(e)
		e.EndFrame()
	}
}

// TestReadFrameLengthTruncated: a byte reader (bufio.Reader, read without
// allocating) and a plain reader end alike on a cut-off length prefix.
func TestReadFrameLengthTruncated(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want error
	}{
		{"nothing", "", io.EOF},
		{"one byte", "\x00", io.ErrUnexpectedEOF},
		{"three bytes", "\x00\x00\x01", io.ErrUnexpectedEOF},
		{"whole", "\x00\x00\x01\x02", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{bufio.NewReader(strings.NewReader(tc.in)), struct{ io.Reader }{strings.NewReader(tc.in)}} {
				n, err := ReadFrameLength(r)
				if !errors.Is(err, tc.want) || (err == nil && n != 0x102) {
					t.Errorf("%T: %d, %v; want %v", r, n, err, tc.want)
				}
			}
		})
	}
}
