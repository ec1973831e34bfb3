//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// observersScenario: 3 voters and 2 observers become Available; a client
// on an observer only reads a voter's write (after sync) and writes through
// the observer; observers scale 2→0→2 while /zookeeper/config is recorded:
// the voters' lines never change and the ensemble stays Available.
func observersScenario(t *testing.T, ctx context.Context) {
	ns := fmt.Sprintf("e2e-obs-%d", rand.IntN(100000))
	name := "obs"
	k.must(t, k.kubectl, "create", "namespace", ns)
	t.Cleanup(func() {
		_, _ = k.run(t, "", k.kubectl, "delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=3m")
	})
	start := time.Now()
	if _, err := k.run(t, sampleYAML(name, ns, 3, "  observers: 2\n"), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	waitObservers(t, ctx, ns, name, 2, 6*time.Minute)
	t.Logf("3 voters and 2 observers Available in %s", time.Since(start).Round(time.Second))

	host := func(pod string) string { return fmt.Sprintf("%s.%s-peers.%s.svc.cluster.local:2181", pod, name, ns) }
	voter, err := zkclient.Connect(host(name+"-0"), 10*time.Second, clientOptions(ns, name)...)
	if err != nil {
		t.Fatal(err)
	}
	defer voter.Close()
	observer, err := zkclient.Connect(host(name+"-observer-0"), 10*time.Second, clientOptions(ns, name)...)
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, _, err := voter.Create(cctx, "/through-voter", []byte("v1"), 0, zkclient.WorldACL(wire.PermAll)); err != nil && !errors.Is(err, wire.ErrNodeExists) {
		t.Fatal(err)
	}
	if err := observer.Sync(cctx, "/through-voter"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := observer.Get(cctx, "/through-voter"); err != nil || string(data) != "v1" {
		t.Fatalf("observer read %q %v", data, err)
	}
	if _, err := observer.Set(cctx, "/through-voter", []byte("v2"), -1); err != nil {
		t.Fatalf("write through the observer: %v", err)
	}
	if err := voter.Sync(cctx, "/through-voter"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := voter.Get(cctx, "/through-voter"); err != nil || string(data) != "v2" {
		t.Fatalf("voter read the observer's write as %q %v", data, err)
	}
	cfg := readConfig(t, ctx, voter)
	if n := strings.Count(cfg, ":observer"); n != 2 {
		t.Fatalf("/zookeeper/config lists %d observers:\n%s", n, cfg)
	}
	voters := voterLines(cfg)
	t.Logf("voters %v; an observer's session read a voter's write and wrote through the observer", voters)

	// Record /zookeeper/config and Available while observers scale 2→0→2.
	rec := startConfigRecorder(ctx, ns, name, voter)
	for _, n := range []int{0, 2} {
		k.must(t, k.kubectl, "-n", ns, "patch", "zke/"+name, "--type=merge", "-p", fmt.Sprintf(`{"spec":{"observers":%d}}`, n))
		waitObservers(t, ctx, ns, name, n, 5*time.Minute)
		t.Logf("observers scaled to %d after %s", n, time.Since(start).Round(time.Second))
	}
	samples, changed, unavailable := rec.stop()
	if samples < 2 {
		t.Fatalf("recorded /zookeeper/config only %d times", samples)
	}
	if len(changed) > 0 {
		t.Errorf("the voters' lines changed during the observer scaling: %v, was %v", changed, voters)
	}
	if len(unavailable) > 0 {
		t.Errorf("the ensemble was not Available during the observer scaling: %v", unavailable)
	}
	if got := voterLines(readConfig(t, ctx, voter)); !slices.Equal(got, voters) {
		t.Fatalf("voters after scaling %v, before %v", got, voters)
	}
	t.Logf("%d samples of /zookeeper/config during 2→0→2: voters unchanged, Available throughout", samples)
}

// waitObservers waits until the ensemble is settled with 3 voters and n
// observers: Available, not progressing, every pod ready, the observers
// published and shown with their role.
func waitObservers(t *testing.T, ctx context.Context, ns, name string, n int, d time.Duration) {
	t.Helper()
	eventually(t, d, func() error {
		z := &zkv1.ZKEnsemble{}
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, z); err != nil {
			return err
		}
		st := z.Status
		observers := 0
		for _, m := range st.Members {
			if m.Role == "observer" {
				observers++
			}
		}
		switch {
		case !meta.IsStatusConditionTrue(st.Conditions, "Available"):
			return fmt.Errorf("not Available: %+v", st.Conditions)
		case meta.IsStatusConditionTrue(st.Conditions, "Progressing"):
			return fmt.Errorf("progressing: %s", meta.FindStatusCondition(st.Conditions, "Progressing").Message)
		case st.VotingMembers != 3 || st.ReadyMembers != 3:
			return fmt.Errorf("%d voters, %d ready", st.VotingMembers, st.ReadyMembers)
		case observers != n || int(st.ReadyObservers) != n:
			return fmt.Errorf("%d observers, %d ready; want %d", observers, st.ReadyObservers, n)
		case len(strings.Split(st.ConnectString, ",")) != 3+n:
			return fmt.Errorf("published %q; want %d servers", st.ConnectString, 3+n)
		case st.ObservedGeneration != z.Generation:
			return fmt.Errorf("observed generation %d of %d", st.ObservedGeneration, z.Generation)
		}
		return nil
	})
}

// readConfig is /zookeeper/config after a sync.
func readConfig(t *testing.T, ctx context.Context, c *zkclient.Conn) string {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Sync(cctx, "/zookeeper/config"); err != nil {
		t.Fatal(err)
	}
	data, _, _, err := c.GetConfig(cctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// voterLines are the server lines of /zookeeper/config that are not observers'.
func voterLines(cfg string) []string {
	var lines []string
	for _, l := range strings.Split(cfg, "\n") {
		if strings.HasPrefix(l, "server.") && !strings.Contains(l, ":observer") {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return lines
}

// configRecorder samples /zookeeper/config (the voters' lines) and the
// Available condition until stopped.
type configRecorder struct {
	done        chan struct{}
	wg          sync.WaitGroup
	samples     int
	changed     [][]string
	unavailable []string
}

func startConfigRecorder(ctx context.Context, ns, name string, c *zkclient.Conn) *configRecorder {
	r := &configRecorder{done: make(chan struct{})}
	var first []string
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		tick := time.NewTicker(500 * time.Millisecond) // the sampling period
		defer tick.Stop()
		for {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := c.Sync(cctx, "/zookeeper/config")
			var data []byte
			if err == nil {
				data, _, _, err = c.GetConfig(cctx)
			}
			cancel()
			if err == nil {
				v := voterLines(string(data))
				if first == nil {
					first = v
				} else if !slices.Equal(v, first) {
					r.changed = append(r.changed, v)
				}
				r.samples++
			}
			z := &zkv1.ZKEnsemble{}
			if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, z); err == nil &&
				!meta.IsStatusConditionTrue(z.Status.Conditions, "Available") {
				r.unavailable = append(r.unavailable, time.Now().Format(time.TimeOnly))
			}
			select {
			case <-r.done:
				return
			case <-tick.C:
			}
		}
	}()
	return r
}

func (r *configRecorder) stop() (samples int, changed [][]string, unavailable []string) {
	close(r.done)
	r.wg.Wait()
	return r.samples, r.changed, r.unavailable
}
