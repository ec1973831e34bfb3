package seed

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// TestSeededMemberGrowsAnEnsemble (real processes): the seeded member is
// the first of an ensemble; a second member joins it empty (--join, added
// as a learner and promoted), receives the tree, and serves every znode as
// seeded; writes through it get zxids above the seeded one.
func TestSeededMemberGrowsAnEnsemble(t *testing.T) {
	tree, zxid := testTree(t)
	ports := []refzk.MemberPorts{refzk.AllocMember(t, 1), refzk.AllocMember(t, 2)}
	dir := filepath.Join(t.TempDir(), "data")
	if err := Write(dir, tree, zxid, Options{EnsembleID: "default", PeerAddr: fmt.Sprintf("127.0.0.1:%d", ports[0].Peer)}); err != nil {
		t.Fatal(err)
	}
	want := dumpTree(t, tree)
	bin := refzk.BuildOurs(t)
	pki := refzk.NewPKI(t)
	first := refzk.StartOursMember(t, bin, ports[0], ports[:1], refzk.Options{ExtendedTypes: true, TickTime: 500, PKI: pki, DataDir: func(int) string { return dir }})
	if err := first.WaitServing(time.Minute); err != nil {
		t.Fatalf("the seeded member: %v\n%s", err, first.Log())
	}
	second := refzk.StartOursMember(t, bin, ports[1], ports, refzk.Options{ExtendedTypes: true, TickTime: 500, PKI: pki, Args: []string{"--join"}})
	ctx := context.Background()
	admin := first.AdminClient()
	retry(t, func() error {
		_, err := admin.AddLearner(ctx, adminapi.AddLearnerRequest{ID: 2, PeerAddr: fmt.Sprintf("127.0.0.1:%d", ports[1].Peer), ClientAddr: second.Addr})
		var ae *adminapi.Error
		if errors.As(err, &ae) && ae.Code == "MemberExists" {
			return nil
		}
		return err
	})
	retry(t, func() error {
		_, err := admin.Promote(ctx, 2)
		var ae *adminapi.Error
		if errors.As(err, &ae) && ae.Code == "NotLearner" {
			return nil
		}
		return err
	})
	if err := second.WaitServing(time.Minute); err != nil {
		t.Fatalf("the joined member: %v\n%s", err, second.Log())
	}
	c := connect(t, second.Addr)
	got := dumpServer(t, c)
	// The membership changes rewrote /zookeeper/config; its content is the new ensemble's.
	for _, p := range []string{"/zookeeper/config", "/zookeeper"} {
		delete(got, p)
		delete(want, p)
	}
	diffTrees(t, "on the member that joined", want, got)
	if z := create(t, c, "/written-on-2"); z <= int64(zxid) || z>>32 <= int64(zxid>>32) {
		t.Fatalf("a write through the joined member got zxid %#x, not in an epoch after the seeded %#x", z, zxid)
	}
}

// retry calls op until it succeeds (one minute at most).
func retry(t *testing.T, op func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		if err = op(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(err)
}
