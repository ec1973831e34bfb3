//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// ackedWrite is a create the ensemble acknowledged, with its zxid.
type ackedWrite struct {
	path string
	zxid int64
}

// syncWriter creates znodes one after another until stopped, recording
// each acknowledged one.
type syncWriter struct {
	mu    sync.Mutex
	acked []ackedWrite
	stop  chan struct{}
	done  chan struct{}
}

func startSyncWriter(t *testing.T, connect string) *syncWriter {
	c, err := zkclient.Connect(connect, 10*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	w := &syncWriter{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer c.Close()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			p := fmt.Sprintf("/dr%06d", i)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_, st, err := c.Create(ctx, p, []byte(p), 0, zkclient.WorldACL(wire.PermAll))
			cancel()
			if err == nil {
				w.mu.Lock()
				w.acked = append(w.acked, ackedWrite{p, st.Czxid})
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *syncWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *syncWriter) finish() []ackedWrite {
	close(w.stop)
	<-w.done
	return w.acked
}

var survivorRE = regexp.MustCompile(`Survivors: (\d+) \(applied index (\d+), zxid (0x[0-9a-f]+)\)`)

// disasterRecovery: a 3-member ensemble under sync writes loses two
// members' pods and volumes (the StatefulSet brings them back on new, empty
// volumes). The status says QuorumLost naming the survivor and no
// membership step runs; the survivor named in the annotation rebuilds the
// ensemble, the operator scales back to 3 voters, and every acknowledged
// write the survivor had (its zxid at the loss covers it) is there.
func disasterRecovery(t *testing.T, ctx context.Context, plainNS, name string) {
	ns := plainNS + "-dr"
	k.must(t, k.kubectl, "create", "namespace", ns)
	t.Cleanup(func() { _, _ = k.run(t, "", k.kubectl, "delete", "namespace", ns, "--wait=false") })
	if _, err := k.run(t, sampleYAML(name, ns, 3, ""), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	z := waitSettled(t, ctx, ns, name, 3, 4*time.Minute)
	var survivor int32
	for _, m := range z.Status.Members {
		if m.Role == "follower" && survivor == 0 {
			survivor = m.ID
		}
	}
	if survivor == 0 {
		t.Fatalf("no follower in %+v", z.Status.Members)
	}
	w := startSyncWriter(t, z.Status.ConnectString)
	eventually(t, time.Minute, func() error {
		if n := w.count(); n < 200 {
			return fmt.Errorf("%d writes acknowledged", n)
		}
		return nil
	})
	lossAt := time.Now()
	var lost []string
	for id := int32(1); id <= 3; id++ {
		if id != survivor {
			lost = append(lost, fmt.Sprintf("%s-%d", name, id-1))
		}
	}
	oldPVC := map[string]types.UID{}
	for _, pod := range lost {
		pvc := &corev1.PersistentVolumeClaim{}
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "data-" + pod}, pvc); err != nil {
			t.Fatal(err)
		}
		oldPVC[pod] = pvc.UID
		k.must(t, k.kubectl, "-n", ns, "delete", "pvc", "data-"+pod, "--wait=false")
	}
	k.must(t, k.kubectl, append([]string{"-n", ns, "delete", "pod", "--grace-period=1", "--wait=false"}, lost...)...)
	eventually(t, 2*time.Minute, func() error {
		for pod, uid := range oldPVC {
			p := &corev1.PersistentVolumeClaim{}
			if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "data-" + pod}, p); err != nil {
				return err
			}
			if p.UID == uid {
				return fmt.Errorf("%s: volume not replaced yet", pod)
			}
		}
		return nil
	})
	acked := w.finish()
	t.Logf("%d writes acknowledged; %v on new volumes after %s", len(acked), lost, time.Since(lossAt).Round(time.Second))

	// The status tells the truth: QuorumLost naming the survivor.
	var msg string
	eventually(t, 3*time.Minute, func() error {
		z = getZKE(t, ctx, ns, name)
		c := meta.FindStatusCondition(z.Status.Conditions, "QuorumLost")
		if c == nil || c.Status != "True" {
			return fmt.Errorf("no QuorumLost yet: %+v", z.Status.Conditions)
		}
		msg = c.Message
		return nil
	})
	m := survivorRE.FindStringSubmatch(msg)
	if m == nil || m[1] != strconv.Itoa(int(survivor)) || !strings.Contains(msg, zkv1.ForceNewClusterAnnotation+"="+m[1]) {
		t.Fatalf("QuorumLost does not name survivor %d and the command: %q", survivor, msg)
	}
	survivorZxid, _ := strconv.ParseInt(m[3], 0, 64)
	t.Logf("QuorumLost after %s: %s", time.Since(lossAt).Round(time.Second), msg)
	// No membership step runs meanwhile.
	var evs eventsv1.EventList
	if err := k.c.List(ctx, &evs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs.Items {
		if e.Regarding.Name == name && !e.CreationTimestamp.Time.Before(lossAt.Truncate(time.Second)) &&
			(e.Reason == "RemoveMember" || e.Reason == "AddLearner" || e.Reason == "Promote" || e.Reason == "SetReplicas") {
			t.Errorf("a membership step ran while the quorum was lost: %s %s", e.Reason, e.Note)
		}
	}

	start := time.Now()
	k.must(t, k.kubectl, "-n", ns, "annotate", "zkensemble", name, fmt.Sprintf("%s=%d", zkv1.ForceNewClusterAnnotation, survivor))
	seen := map[string]bool{}
	eventually(t, 6*time.Minute, func() error {
		z = getZKE(t, ctx, ns, name)
		for _, c := range z.Status.Conditions {
			if c.Type == "Recovering" {
				seen[string(c.Status)+"/"+c.Reason] = true
			}
		}
		if !meta.IsStatusConditionTrue(z.Status.Conditions, "Available") || z.Status.VotingMembers != 3 || z.Status.ReadyMembers != 3 {
			return fmt.Errorf("%s, %d voters, %d ready", z.Status.Phase, z.Status.VotingMembers, z.Status.ReadyMembers)
		}
		return nil
	})
	z = waitSettled(t, ctx, ns, name, 3, 3*time.Minute)
	if !seen["False/Recovered"] || z.Status.Recovery != nil || z.Annotations[zkv1.ForceNewClusterAnnotation] != "" {
		t.Errorf("after the recovery: Recovering seen %v, status.recovery %+v, annotations %v", seen, z.Status.Recovery, z.Annotations)
	}
	t.Logf("3 voters Available %s after the annotation; Recovering seen %v", time.Since(start).Round(time.Second), keys(seen))
	checkConfigAgrees(t, ctx, ns, name)

	c, err := zkclient.Connect(z.Status.ConnectString, 10*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.Sync(cctx, "/"); err != nil {
		t.Fatal(err)
	}
	children, _, err := c.Children(cctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, ch := range children {
		have["/"+ch] = true
	}
	missingAfter := 0
	for _, a := range acked {
		switch {
		case have[a.path]:
		case a.zxid <= survivorZxid:
			t.Errorf("%s (zxid %#x) was acknowledged and the survivor had it (zxid %#x), but it is gone", a.path, a.zxid, survivorZxid)
		default:
			missingAfter++
		}
	}
	if _, _, err := c.Create(cctx, "/after-recovery", nil, 0, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged writes: all the survivor had (zxid %#x) present; %d acknowledged past it missing", len(acked), survivorZxid, missingAfter)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
