package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/seed"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// member serves the backup endpoint over a tree of n znodes at zxid.
func member(t *testing.T, n int, zxid int64, barrier func(context.Context) error) *httptest.Server {
	t.Helper()
	tree := datatree.New()
	for i := range n {
		if _, _, code := tree.Create(zxid-int64(n-i), 1, 0, datatree.Auth{Super: true}, datatree.CreateOp{Type: wire.OpCreate,
			Path: fmt.Sprintf("/n%05d", i), Data: []byte("data"), ACL: datatree.OpenACLUnsafe, TTL: -1}); code != wire.ErrOK {
			t.Fatal(code)
		}
	}
	var state bytes.Buffer
	if err := sessionserver.WriteSeedSnapshot(&state, tree, zxid); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(Source{EnsembleID: "ens-1", Member: 3, Barrier: barrier, Ready: func() error { return nil },
		AppliedIndex: func() uint64 { return 77 }, Snapshot: func() ([]byte, error) { return state.Bytes(), nil }}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTakeAndRestore(t *testing.T) {
	ctx := context.Background()
	srv := member(t, 500, 0x400000100, func(context.Context) error { return nil })
	store, err := OpenStore(ctx, "file://"+filepath.Join(t.TempDir(), "b"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	taken, err := Take(ctx, adminapi.NewClient(srv.URL, nil, adminapi.Credentials{}), store, "ens-1")
	if err != nil {
		t.Fatal(err)
	}
	if taken.Manifest.Zxid != 0x400000100 || taken.Manifest.RaftIndex != 77 || taken.Manifest.Member != 3 {
		t.Fatalf("taken: %+v", taken)
	}
	if _, err := Take(ctx, adminapi.NewClient(srv.URL, nil, adminapi.Credentials{}), store, "ens-2"); err == nil || !strings.Contains(err.Error(), `not "ens-2"`) {
		t.Fatalf("a member of another ensemble: %v", err)
	}
	r, err := store.Get(ctx, taken.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	res, err := Restore(r, filepath.Join(t.TempDir(), "data"), t.TempDir(), seed.Options{})
	if err != nil || res.Znodes != 504 || res.Manifest.EnsembleID != "ens-1" {
		t.Fatalf("restore: %+v %v", res, err)
	}
}

// A response cut short, or altered on the way, leaves no backup behind.
func TestTakeRefusesDamage(t *testing.T) {
	ctx := context.Background()
	srv := member(t, 2000, 0x400001000, func(context.Context) error { return nil })
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
		want   string
	}{
		{"cut short", func(b []byte) []byte { return b[:len(b)/2] }, "truncated"},
		{"altered", func(b []byte) []byte { b[len(b)-3000] ^= 1; return b }, "SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				resp, err := http.Get(srv.URL + r.URL.Path)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				for k, v := range resp.Header {
					if k != "Content-Length" {
						w.Header()[k] = v
					}
				}
				_, _ = w.Write(tc.damage(b))
			}))
			t.Cleanup(proxy.Close)
			store, err := OpenStore(ctx, "file://"+filepath.Join(t.TempDir(), "b"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = store.Close() })
			_, err = Take(ctx, adminapi.NewClient(proxy.URL, nil, adminapi.Credentials{}), store, "")
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an ErrCorrupt saying %q", err, tc.want)
			}
			if list, err := store.List(ctx, ""); err != nil || len(list) != 0 {
				t.Fatalf("left behind: %+v %v", list, err)
			}
		})
	}
}

func TestEndpointNotCaughtUp(t *testing.T) {
	srv := member(t, 1, 0x100000005, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	resp, err := http.Get(srv.URL + "?timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), CodeNotCaughtUp) {
		t.Fatalf("answered %s %s", resp.Status, b)
	}
	for _, q := range []string{"?timeout=forever", "?timeout=11m", "?timeout=-1s"} {
		resp, err := http.Get(srv.URL + q)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s", q, resp.Status)
		}
	}
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"NoSuchBucket", "the bucket does not exist"},
		{"InvalidAccessKeyId", "credentials refused (InvalidAccessKeyId)"},
		{"SignatureDoesNotMatch", "credentials refused (SignatureDoesNotMatch)"},
		{"AccessDenied", "credentials refused (AccessDenied)"},
	} {
		err := explain("writing x", &smithy.GenericAPIError{Code: tc.code, Message: "refused"})
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.code, err)
		}
	}
}
