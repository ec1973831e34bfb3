package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/backup"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// acked is a write the server acknowledged: a create and its zxid, or a
// counter value set at a zxid.
type acked struct {
	path string
	zxid int64
	data string
}

// loadWriters create znodes and bump a counter until stopped, recording
// every acknowledged write.
type loadWriters struct {
	mu    sync.Mutex
	acked []acked
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startLoad(t *testing.T, addr string, n int) *loadWriters {
	t.Helper()
	ctx := context.Background()
	c := dial(t, addr, 20*time.Second)
	if _, _, err := c.Create(ctx, "/load", nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, "/load/counter", []byte("0"), zkclient.Persistent, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Fatal(err)
	}
	w := &loadWriters{stop: make(chan struct{})}
	for g := range n {
		c := dial(t, addr, 20*time.Second)
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-w.stop:
					return
				default:
				}
				if g == 0 { // the counter
					st, err := c.Set(ctx, "/load/counter", []byte(fmt.Sprint(i)), -1)
					if err == nil {
						w.record(acked{"/load/counter", st.Mzxid, fmt.Sprint(i)})
					}
					continue
				}
				p, st, err := c.Create(ctx, fmt.Sprintf("/load/g%d-%06d", g, i), []byte(fmt.Sprint(i)), zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
				if err == nil {
					w.record(acked{p, st.Czxid, fmt.Sprint(i)})
				}
			}
		}()
	}
	return w
}

func (w *loadWriters) record(a acked) {
	w.mu.Lock()
	w.acked = append(w.acked, a)
	w.mu.Unlock()
}

func (w *loadWriters) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *loadWriters) halt() []acked {
	close(w.stop)
	w.wg.Wait()
	return w.acked
}

// runCLI runs the server binary with a subcommand; it returns stdout, and
// an error with stderr when it exits non-zero.
func runCLI(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return string(out), nil
}

// TestBackupUnderLoadRestores (real processes, the real commands): a backup
// taken with `zkensemble-server backup` while clients write holds exactly
// the writes up to its zxid: every znode acknowledged at or before it, none
// after, and the counter's value as of it. `zkensemble-server restore`
// writes a data directory that a new member serves with those znodes and
// their stats; `backup list` shows the backup.
func TestBackupUnderLoadRestores(t *testing.T) {
	bin := refzk.BuildOurs(t)
	srv := refzk.StartOurs(t, bin, refzk.Options{TickTime: 500})
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(srv.Admin.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	load := startLoad(t, srv.Addr, 4)
	retry(t, "writes under way", func() error {
		if n := load.count(); n < 300 {
			return fmt.Errorf("%d writes so far", n)
		}
		return nil
	})
	store := "file://" + filepath.Join(t.TempDir(), "backups")
	tlog := filepath.Join(t.TempDir(), "termination-log")
	if err := os.WriteFile(tlog, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(bin, nil, "backup", "--admin-url", srv.AdminURL(), "--token-file", tokenFile, "--to", store, "--termination-log", tlog)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	var res podlayout.BackupResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("backup printed %q: %v", out, err)
	}
	if b, _ := os.ReadFile(tlog); strings.TrimSpace(string(b)) != strings.TrimSpace(out) {
		t.Errorf("termination log %q, printed %q", b, out)
	}
	n := load.count()
	retry(t, "more writes after the backup", func() error {
		if load.count() < n+100 {
			return errors.New("waiting")
		}
		return nil
	})
	writes := load.halt()
	zxid, err := backup.ParseZxid(res.Zxid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup %s at zxid %s, %d bytes, among %d acknowledged writes", res.Name, res.Zxid, res.Size, len(writes))

	dataDir := filepath.Join(t.TempDir(), "restored")
	if _, err := runCLI(bin, nil, "restore", "--from", res.Location, "--dataDir", dataDir); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if _, err := runCLI(bin, nil, "restore", "--from", res.Location, "--dataDir", dataDir); err == nil || !strings.Contains(err.Error(), "restoring over a live data directory is refused") {
		t.Fatalf("a second restore into the same directory: %v", err)
	}
	restored := refzk.StartOurs(t, bin, refzk.Options{TickTime: 500, DataDir: func(int) string { return dataDir }})
	checkRestored(t, dial(t, restored.Addr, 20*time.Second), dial(t, srv.Addr, 20*time.Second), writes, int64(zxid))

	list, err := runCLI(bin, nil, "backup", "list", "--at", store)
	if err != nil || !strings.Contains(list, res.Name) || !strings.Contains(list, res.Zxid) {
		t.Fatalf("backup list: %q %v", list, err)
	}
}

// checkRestored compares the restored member with the acknowledged writes
// and, znode by znode, with the original.
func checkRestored(t *testing.T, c, orig *zkclient.Conn, writes []acked, zxid int64) {
	t.Helper()
	ctx := context.Background()
	kids, _, err := c.Children(ctx, "/load")
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, k := range kids {
		present["/load/"+k] = true
	}
	counter, before, after := "", 0, 0
	var counterZxid int64
	for _, w := range writes {
		if w.path == "/load/counter" {
			if w.zxid <= zxid && w.zxid > counterZxid {
				counter, counterZxid = w.data, w.zxid
			}
			continue
		}
		switch {
		case w.zxid <= zxid && !present[w.path]:
			t.Errorf("%s (zxid %#x, at or before the backup's %#x) is missing", w.path, w.zxid, zxid)
		case w.zxid > zxid && present[w.path]:
			t.Errorf("%s (zxid %#x, after the backup's %#x) is in the backup", w.path, w.zxid, zxid)
		case w.zxid <= zxid:
			before++
		default:
			after++
		}
	}
	if before == 0 || after == 0 {
		t.Fatalf("the backup did not fall under load: %d writes before it, %d after", before, after)
	}
	for p := range present {
		data, st, err := c.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Czxid > zxid || st.Mzxid > zxid {
			t.Errorf("%s has zxids %#x/%#x, after the backup's %#x", p, st.Czxid, st.Mzxid, zxid)
		}
		if p == "/load/counter" {
			if string(data) != counter {
				t.Errorf("the counter is %q, its last value at or before zxid %#x was %q", data, zxid, counter)
			}
			continue
		}
		odata, ost, err := orig.Get(ctx, p)
		if err != nil || string(odata) != string(data) || ost != st {
			t.Errorf("%s: restored %q %+v, original %q %+v %v", p, data, st, odata, ost, err)
		}
	}
	t.Logf("%d acknowledged creates before the backup restored, %d after it absent", before, after)
}

// TestBackupCommandErrors: the command says what to fix, on stderr and in
// the termination log, and exits non-zero.
func TestBackupCommandErrors(t *testing.T) {
	bin := refzk.BuildOurs(t)
	srv := refzk.StartOurs(t, bin, refzk.Options{TickTime: 500})
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(srv.Admin.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	s3 := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3.Close)
	env := []string{"AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"}
	file := "file://" + t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a missing bucket", []string{"--token-file", tokenFile, "--to", "s3://missing/zk?endpoint=" + s3.URL + "&region=us-east-1&use_path_style=true"}, "the bucket does not exist"},
		{"no credentials", []string{"--to", file}, "the member asks for credentials"},
		{"a wrong token", []string{"--token-file", "/dev/null", "--to", file}, "the member"},
		{"another ensemble", []string{"--token-file", tokenFile, "--to", file, "--ensemble-id", "other"}, `not "other"`},
		{"a bad destination", []string{"--token-file", tokenFile, "--to", "ftp://x/y"}, "s3:// or file://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tlog := filepath.Join(t.TempDir(), "termination-log")
			if err := os.WriteFile(tlog, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"backup", "--admin-url", srv.AdminURL(), "--termination-log", tlog}, tc.args...)
			out, err := runCLI(bin, env, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q, %v; want a failure saying %q", out, err, tc.want)
			}
			if b, _ := os.ReadFile(tlog); !strings.Contains(string(b), tc.want) || strings.Count(strings.TrimSpace(string(b)), "\n") != 0 {
				t.Errorf("termination log %q", b)
			}
		})
	}
}

// TestBackupRefusedWithoutQuorum: a member that has lost its quorum answers
// 503 with a reason, within the wait the request asked for.
func TestBackupRefusedWithoutQuorum(t *testing.T) {
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 500})
	ens.Servers[1].Stop()
	ens.Servers[2].Stop()
	c := ens.Servers[0].AdminClient()
	resp, err := c.Do(context.Background(), http.MethodGet, backup.Path+"?timeout=3s", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var e adminapi.Error
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || e.Code != backup.CodeNotCaughtUp || !strings.Contains(e.Message, "cannot take a consistent backup") {
		t.Fatalf("answered %s %+v", resp.Status, e)
	}
	t.Logf("answered %s: %s", resp.Status, e.Message)
}
