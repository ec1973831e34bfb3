//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// kubectlZKE: the plugin (bin/kubectl-zke, built by make build) against its
// own ensemble, with clients holding sessions throughout: status prints
// what each member's srvr says, switchover moves the leader, restart rolls
// every member, followers first, and no session expires.
func kubectlZKE(t *testing.T, ctx context.Context, ns, name string) {
	k.must(t, k.kubectl, "create", "namespace", ns)
	t.Cleanup(func() { _, _ = k.run(t, "", k.kubectl, "delete", "namespace", ns, "--wait=false") })
	if _, err := k.run(t, sampleYAML(name, ns, 3, ""), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, ctx, ns, name, 3, 4*time.Minute)
	f := startFleet(t, ns, name, 20)
	plugin := func(args ...string) string {
		t.Helper()
		return k.must(t, filepath.Join(k.root, "bin", "kubectl-zke"), append(args, "-n", ns, "--kubeconfig", k.kubeconfig)...)
	}

	// status: every member's row carries the mode its srvr reports.
	out := plugin("status", name)
	t.Logf("kubectl zke status:\n%s", out)
	leader := ""
	for i := 0; i < 3; i++ {
		pod := fmt.Sprintf("%s-%d", name, i)
		row := pluginRow(t, out, pod)
		mode, zxid := srvrOf(t, ns, name, pod)
		if row[6] != mode {
			t.Errorf("%s: the plugin says mode %s, its srvr says %s", pod, row[6], mode)
		}
		if pz, err := strconv.ParseInt(strings.TrimPrefix(row[7], "0x"), 16, 64); err != nil || pz > zxid {
			t.Errorf("%s: the plugin's zxid %s is not at or before srvr's later %#x", pod, row[7], zxid)
		}
		if mode == "leader" {
			leader = pod
		}
	}
	if leader == "" || !strings.Contains(out, "Leader:       "+leader+"\n") {
		t.Fatalf("no leader in srvr, or the plugin names another: srvr leader %q", leader)
	}

	// switchover to the next member.
	ord, _ := strconv.Atoi(strings.TrimPrefix(leader, name+"-"))
	to := (ord+1)%3 + 1 // the member id of the next pod
	target := fmt.Sprintf("%s-%d", name, to-1)
	start := time.Now()
	plugin("switchover", name, "--to", strconv.Itoa(to), "--timeout", "2m")
	if mode, _ := srvrOf(t, ns, name, target); mode != "leader" {
		t.Fatalf("after switchover to %d, %s is %s", to, target, mode)
	}
	t.Logf("switchover %s -> %s in %s", leader, target, time.Since(start).Round(100*time.Millisecond))

	// restart: the plugin waits; the order the pods were replaced in is
	// watched here.
	uids := podUIDs(t, ctx, ns, name)
	cmd := exec.Command(filepath.Join(k.root, "bin", "kubectl-zke"), "restart", name, "-n", ns, "--kubeconfig", k.kubeconfig, "--timeout", "6m")
	cmd.Env = os.Environ()
	var pout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &pout, &pout
	start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var order []string
	eventually(t, 6*time.Minute, func() error {
		for pod, uid := range podUIDs(t, ctx, ns, name) {
			if old, ok := uids[pod]; ok && old != uid && !contains(order, pod) {
				order = append(order, pod)
			}
		}
		if len(order) < 3 {
			return fmt.Errorf("replaced so far: %v", order)
		}
		return nil
	})
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kubectl zke restart: %v\n%s", err, pout.String())
	}
	t.Logf("kubectl zke restart in %s, order %v:\n%s", time.Since(start).Round(time.Second), order, pout.String())
	if order[len(order)-1] != target {
		t.Errorf("the leader %s was not restarted last: %v", target, order)
	}
	waitSettled(t, ctx, ns, name, 3, 3*time.Minute)
	writes := f.finish(publishedList(t, ns, name))
	t.Logf("%d acknowledged writes verified through switchover and restart; no session expired", writes)
}

// pluginRow is the member table's row of pod: ID POD READY ROLE ZXID LAG
// SRVR-MODE SRVR-ZXID CONNECTIONS VERSION.
func pluginRow(t *testing.T, out, pod string) []string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 10 && f[1] == pod {
			return f
		}
	}
	t.Fatalf("no member row for %s in:\n%s", pod, out)
	return nil
}

// srvrOf is a member's mode and zxid from the four-letter srvr on its client
// port (the cluster's DNS resolves the pod's name; e2e TestMain).
func srvrOf(t *testing.T, ns, name, pod string) (mode string, zxid int64) {
	t.Helper()
	addr := fmt.Sprintf("%s.%s-peers.%s.svc.cluster.local:2181", pod, name, ns)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Mode: "); ok {
			mode = v
		}
		if v, ok := strings.CutPrefix(l, "Zxid: "); ok {
			zxid, _ = strconv.ParseInt(strings.TrimPrefix(v, "0x"), 16, 64)
		}
	}
	if mode == "" {
		t.Fatalf("srvr of %s: %q", pod, b)
	}
	return mode, zxid
}
