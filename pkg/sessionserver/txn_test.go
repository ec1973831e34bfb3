package sessionserver

import (
	"reflect"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

func TestTxnEncodeSizesItsBufferExactly(t *testing.T) {
	tests := []struct {
		name string
		txn  txn
	}{
		{"no auth, no body", txn{Type: wire.OpCloseSession, SID: 7}},
		{"ip auth and a setData body", txn{Type: wire.OpSetData, SID: 1 << 40, Cxid: 3, Time: 1700000000000, Origin: 2, Seq: 99,
			Auth: datatree.Auth{IDs: []wire.Id{{Scheme: "ip", ID: "127.0.0.2"}}}, Body: make([]byte, 150)}},
		{"super with two ids", txn{Type: wire.OpCreate, Auth: datatree.Auth{Super: true, IDs: []wire.Id{{Scheme: "ip", ID: "10.0.0.1"}, {Scheme: "digest", ID: "alice:x"}}},
			Body: []byte("body")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.txn.encode()
			if len(b) != tc.txn.encodedSize() || cap(b) != len(b) {
				t.Errorf("encoded %d bytes into a buffer of %d, predicted %d", len(b), cap(b), tc.txn.encodedSize())
			}
			back, err := decodeTxn(b)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.txn
			if want.Body == nil {
				want.Body = back.Body // nil and empty decode alike
			}
			if want.Auth.IDs == nil && len(back.Auth.IDs) == 0 {
				want.Auth.IDs = back.Auth.IDs
			}
			if !reflect.DeepEqual(*back, want) {
				t.Errorf("round trip: got %+v, want %+v", *back, want)
			}
		})
	}
}
