package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// vmRSS reads a process's resident set size in bytes.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestNonReadingClientMemory (the real binary, issue 12's numbers): 1,500
// pipelined getData of a 1 MB znode from a client that never reads took the
// server from 18 MB to 5.4 GB RSS. Now the server stops reading the client
// at maxClientOutputBytes and closes it when clientWriteTimeoutMs passes; its
// RSS stays bounded (printed; the growth asserted is far above the cap and
// far below what the attack reached).
func TestNonReadingClientMemory(t *testing.T) {
	srv := refzk.StartOurs(t, refzk.BuildOurs(t), refzk.Options{TickTime: 2000, Extra: map[string]string{"clientWriteTimeoutMs": "3000"}})
	c := dial(t, srv.Addr, 30*time.Second)
	big := bytes.Repeat([]byte("m"), 1_000_000)
	if _, err := c.Set(t.Context(), "/", big, -1); err != nil {
		t.Fatal(err)
	}
	before := vmRSS(t, srv.Pid())

	nc, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.Write(wire.AppendFrame(nil, wire.Marshal(&wire.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16)})))
	b, err := wire.ReadFrame(nc, nil, 1<<20)
	var resp wire.ConnectResponse
	if err != nil || resp.Decode(wire.NewDecoder(b)) != nil || resp.SessionID == 0 {
		t.Fatalf("handshake: %v", err)
	}
	var reqs []byte
	for i := 1; i <= 1500; i++ {
		e := wire.NewEncoder(nil)
		e.BeginFrame()
		(&wire.RequestHeader{Xid: int32(i), Type: wire.OpGetData}).Encode(e)
		(&wire.PathWatchRequest{Path: "/"}).Encode(e)
		e.EndFrame()
		reqs = append(reqs, e.Bytes()...)
	}
	nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(reqs); err != nil {
		t.Fatal(err)
	}
	needle := fmt.Sprintf("sid=0x%x,", resp.SessionID)
	peak := before
	deadline := time.Now().Add(60 * time.Second)
	for {
		peak = max(peak, vmRSS(t, srv.Pid()))
		cons, err := refzk.FourLetter(srv.Addr, "cons")
		if err == nil && !strings.Contains(cons, needle) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the non-reading client is still connected; RSS %d MB", vmRSS(t, srv.Pid())>>20)
		}
		time.Sleep(20 * time.Millisecond) // sampling interval
	}
	t.Logf("server RSS: %d MB before, %d MB at the peak while a client pipelined 1500 getData of a 1 MB znode without reading; the client was disconnected", before>>20, peak>>20)
	// The cap is 4 MiB and one reply 1 MB; the rest is the runtime's slack.
	if grew := peak - before; grew > 128<<20 {
		t.Fatalf("server RSS grew by %d MB", grew>>20)
	}
	// The server still serves.
	if _, _, err := c.Get(t.Context(), "/"); err != nil {
		t.Fatal(err)
	}
}
