package membership

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// fakeSet plays the StatefulSet and the kubelet for real member processes
// on loopback: SetReplicas starts and stops members, each pod's volume is a
// fresh directory, and member id k is reached at "member-k.test:8080"
// through the injected dialer, as the operator reaches pod DNS names. Every
// member has a certificate of the set's CA naming member-k.test, and the
// planner reaches them as the operator does: HTTPS, verifying the name and
// the member identity, presenting the operator's certificate.
type fakeSet struct {
	t        *testing.T
	bin      string
	pki      *refzk.PKI
	mu       sync.Mutex
	replicas int
	ports    map[uint64]refzk.MemberPorts
	procs    map[uint64]*refzk.Server
	revision map[uint64]int
	current  int // the "StatefulSet revision" pods should run
	seeded   bool

	published        []uint64
	publishedVersion int64
	publishes        int
}

func newFakeSet(t *testing.T) *fakeSet {
	_ = t.TempDir() // its removal is registered first, so it runs after the log dump below
	f := &fakeSet{t: t, bin: refzk.BuildOurs(t), pki: refzk.NewPKI(t), ports: map[uint64]refzk.MemberPorts{}, procs: map[uint64]*refzk.Server{}, revision: map[uint64]int{}}
	f.pki.DNSNames = func(id int) []string { return []string{fmt.Sprintf("member-%d.test", id)} }
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for id, p := range f.procs {
			_ = os.WriteFile(fmt.Sprintf("/tmp/member-%d.log", id), []byte(p.Log()), 0o644)
		}
	})
	return f
}

func (f *fakeSet) setReplicas(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id := uint64(1); id <= uint64(max(n, f.replicas)); id++ {
		_, running := f.procs[id]
		switch {
		case int(id) <= n && !running:
			f.startPod(id)
		case int(id) > n && running:
			f.procs[id].Stop()
			delete(f.procs, id) // volume policy Delete: the next pod gets a new directory
		}
	}
	f.replicas = n
}

func (f *fakeSet) startPod(id uint64) {
	p, ok := f.ports[id]
	if !ok {
		p = refzk.AllocMember(f.t, int(id))
		f.ports[id] = p
	}
	o := refzk.Options{TickTime: 200, FourLetterWords: "*", PKI: f.pki}
	if f.seeded {
		o.Args = append(o.Args, "--join")
	}
	f.seeded = true
	// As a pod does: list itself and the members below it (see the server's --pod-domain).
	listed := []refzk.MemberPorts{p}
	for other := uint64(1); other < id; other++ {
		listed = append(listed, f.ports[other])
	}
	f.procs[id] = refzk.StartOursMember(f.t, f.bin, p, listed, o)
	f.revision[id] = f.current
}

// superviseOnce starts again any member process that exited, as a kubelet
// restarts a pod's container.
func (f *fakeSet) superviseOnce() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, p := range f.procs {
		if p.Exited() {
			f.t.Logf("member %d exited; starting it again", id)
			p.StartAgain()
		}
	}
}

// freshVolume stops member id, empties its data directory and starts it
// again as a joining member: a pod back on a new (or emptied) volume.
func (f *fakeSet) freshVolume(id uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.procs[id]
	p.Stop()
	if err := os.RemoveAll(filepath.Join(p.DataDir, "version-2")); err != nil {
		f.t.Fatal(err)
	}
	p.StartAgain()
}

func (f *fakeSet) restartPod(id uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.procs[id].Restart()
	f.revision[id] = f.current
}

// pods is what the controller would read from the API server.
func (f *fakeSet) pods(ctx context.Context, hc *http.Client) map[uint64]Pod {
	f.mu.Lock()
	pods := map[uint64]Pod{}
	for id := range f.procs {
		pods[id] = Pod{ID: id, Exists: true, UpToDate: f.revision[id] == f.current}
	}
	f.mu.Unlock()
	for id, p := range pods {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://member-%d.test:8080/readyz", id), nil)
		if resp, err := hc.Do(req); err == nil {
			p.Ready = resp.StatusCode == http.StatusOK
			_ = resp.Body.Close()
		}
		pods[id] = p
	}
	return pods
}

// dialer maps member-k.test to member k's admin port on loopback, and
// presents the operator's certificate.
func (f *fakeSet) dialer() *http.Client {
	var d net.Dialer
	return &http.Client{Timeout: 40 * time.Second, Transport: &http.Transport{TLSClientConfig: f.pki.Operator(f.t).TLS, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		id, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(host, "member-"), ".test"))
		f.mu.Lock()
		p, ok := f.ports[uint64(id)]
		f.mu.Unlock()
		if err != nil || !ok {
			return nil, fmt.Errorf("no such member host %q", host)
		}
		return d.DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", p.Admin))
	}}}
}

func (f *fakeSet) ensemble(hc *http.Client) Ensemble {
	return Ensemble{
		Client: func(id uint64) *adminapi.Client {
			return adminapi.NewClient(fmt.Sprintf("https://member-%d.test:8080", id), hc, adminapi.Credentials{})
		},
		Addresses: func(id uint64) (string, string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			p := f.ports[id]
			return fmt.Sprintf("127.0.0.1:%d", p.Peer), fmt.Sprintf("127.0.0.1:%d", p.Client)
		},
	}
}

// converge runs the controller's loop until Plan says Done. Every pass
// starts from nothing but fresh observations and fresh clients: the
// controller "crashes" after every step, and must still finish.
func (f *fakeSet) converge(ctx context.Context, desired int, expect ...Action) []Step {
	f.t.Helper()
	var steps []Step
	var lastWait string
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		f.superviseOnce()
		hc := f.dialer()
		ens := f.ensemble(hc)
		pods, leader := ens.Observe(ctx, f.pods(ctx, hc))
		f.mu.Lock()
		o := Observation{Desired: desired, Replicas: f.replicas, Pods: pods, Leader: leader, Published: slices.Clone(f.published), PublishedVersion: f.publishedVersion}
		f.mu.Unlock()
		s := Plan(o)
		switch s.Action {
		case Done:
			return steps
		case Wait:
			if s.Reason != lastWait {
				f.t.Logf("wait: %s", s.Reason)
				lastWait = s.Reason
			}
			time.Sleep(50 * time.Millisecond) // polling the cluster, as a requeue would
			continue
		case Refuse:
			if slices.Contains(expect, Refuse) {
				return append(steps, s)
			}
			f.t.Fatalf("refused: %s", s)
		}
		steps = append(steps, s)
		f.t.Logf("step: %s", s)
		switch s.Action {
		case SetReplicas:
			f.setReplicas(s.Replicas)
		case RestartPod:
			f.restartPod(s.Member)
		case Publish:
			f.publish(leader)
		default:
			if err := ens.Execute(ctx, s, leader.ID); err != nil {
				// A step may fail (leadership moved, a learner not caught up
				// yet); the next pass observes again.
				f.t.Logf("step %s failed: %v", s.Action, err)
			} else if s.Replace {
				// The controller deletes the pod; in pod mode the server moves
				// its removed state aside and joins afresh.
				f.freshVolume(s.Member)
			}
		}
		hc.CloseIdleConnections()
	}
	f.t.Fatalf("did not converge to %d members; steps: %v", desired, steps)
	return nil
}

// publish records the committed voters as the client list, after checking
// that every voter's /zookeeper/config, read after a sync, says the same.
func (f *fakeSet) publish(leader *adminapi.Status) {
	var ids []uint64
	var servers []string
	for _, m := range leader.Members {
		if m.Role != adminapi.RoleLearner {
			ids = append(ids, m.ID)
			servers = append(servers, m.ClientAddr)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, addr := range servers {
		var data []byte
		var err error
		for deadline := time.Now().Add(20 * time.Second); ; {
			var c *zk.Conn
			if c, _, err = zk.Connect([]string{addr}, 5*time.Second, zk.WithLogger(quiet{})); err != nil {
				f.t.Fatal(err)
			}
			// sync, then read (ZooKeeper's idiom): a follower may not have
			// applied the change the leader reports committed yet.
			if _, err = c.Sync("/zookeeper/config"); err == nil {
				data, _, err = c.Get("/zookeeper/config")
			}
			c.Close()
			if err == nil || time.Now().After(deadline) {
				break
			}
			f.t.Logf("/zookeeper/config on %s: %v; again", addr, err)
			f.superviseOnce()
		}
		if err != nil {
			f.mu.Lock()
			for _, p := range f.procs {
				if p.Addr == addr {
					f.t.Logf("%s log:\n%s", addr, p.Log())
					if st, err := p.AdminClient().Status(context.Background()); err == nil {
						f.t.Logf("status: %+v", st)
					}
				}
			}
			f.mu.Unlock()
			f.t.Fatalf("/zookeeper/config on %s: %v", addr, err)
		}
		var got []uint64
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "server.") {
				id, _ := strconv.ParseUint(strings.SplitN(strings.TrimPrefix(line, "server."), "=", 2)[0], 10, 64)
				got = append(got, id)
			} else if v, ok := strings.CutPrefix(line, "version="); ok && v != strconv.FormatInt(leader.ConfigVersion, 16) {
				f.t.Errorf("%s: /zookeeper/config version %s, publishing %x", addr, v, leader.ConfigVersion)
			}
		}
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		if !slices.Equal(got, ids) {
			f.t.Errorf("%s: /zookeeper/config lists %v, publishing %v", addr, got, ids)
		}
	}
	f.mu.Lock()
	f.published, f.publishedVersion = ids, leader.ConfigVersion
	f.publishes++
	f.mu.Unlock()
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// writer keeps one session writing sequential znodes through member 1 (never
// removed) and records what was acknowledged.
type writer struct {
	conn  *zk.Conn
	acked atomic.Int64
	stop  chan struct{}
	done  chan struct{}
	err   atomic.Value
}

func startWriter(t *testing.T, addr string) *writer {
	c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	w := &writer{conn: c, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		for e := range ev {
			if e.State == zk.StateExpired {
				w.err.Store(fmt.Errorf("session expired"))
			}
		}
	}()
	if _, err := c.Create("/w", nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		t.Fatal(err)
	}
	go func() {
		defer close(w.done)
		for i := int64(0); ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			if _, err := c.Create(fmt.Sprintf("/w/%08d", i), []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
				// Not acknowledged: retried under the next number, never counted.
				i--
				if errors.Is(err, zk.ErrNodeExists) {
					i++
				}
				time.Sleep(20 * time.Millisecond) // pause before retrying an unacknowledged write
				continue
			}
			w.acked.Store(i + 1)
		}
	}()
	return w
}

func (w *writer) finish(t *testing.T) {
	close(w.stop)
	<-w.done
	n := w.acked.Load()
	kids, _, err := w.conn.Children("/w")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, k := range kids {
		have[k] = true
	}
	for i := int64(0); i < n; i++ {
		if !have[fmt.Sprintf("%08d", i)] {
			t.Fatalf("acknowledged write /w/%08d lost", i)
		}
	}
	if e := w.err.Load(); e != nil {
		t.Fatal(e)
	}
	t.Logf("%d acknowledged writes, all present; session kept", n)
	w.conn.Close()
}

func actions(steps []Step) []Action {
	var a []Action
	for _, s := range steps {
		a = append(a, s.Action)
	}
	return a
}

// TestMembershipAgainstRealMembers drives real members through 1→3→5, the
// loss of a follower's volume, a rolling restart, 5→3→1 and 1→3 again on
// ids used before, with the planner, the controller crashing after every
// step, while a session writes.
func TestMembershipAgainstRealMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts member processes")
	}
	f := newFakeSet(t)
	ctx := context.Background()
	steps := f.converge(ctx, 1)
	if got := actions(steps); !slices.Equal(got, []Action{SetReplicas, Publish}) {
		t.Fatalf("bootstrap steps %v", got)
	}
	w := startWriter(t, fmt.Sprintf("127.0.0.1:%d", f.ports[1].Client))

	steps = f.converge(ctx, 3)
	want := []Action{SetReplicas, AddLearner, Promote, Publish, SetReplicas, AddLearner, Promote, Publish}
	if got := actions(steps); !slices.Equal(withoutRetries(got), want) {
		t.Fatalf("1→3 steps %v, want %v", got, want)
	}
	f.converge(ctx, 5)
	if f.replicas != 5 || len(f.published) != 5 {
		t.Fatalf("after 5: replicas %d, published %v", f.replicas, f.published)
	}

	// A follower loses its volume (not member 1, whose empty volume would
	// bootstrap: the operator lists it as the seed only until the first
	// publication). It reports the loss and is replaced at once.
	hc := f.dialer()
	_, leader := f.ensemble(hc).Observe(ctx, f.pods(ctx, hc))
	victim := uint64(2)
	if leader.ID == victim {
		victim = 3
	}
	f.freshVolume(victim)
	for deadline := time.Now().Add(time.Minute); ; {
		pods, _ := f.ensemble(hc).Observe(ctx, f.pods(ctx, hc))
		if a := pods[victim].Admin; a != nil && a.DataLost {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("member %d on an empty volume does not report its data lost", victim)
		}
		time.Sleep(50 * time.Millisecond) // poll interval, as the operator's periodic reconcile
	}
	steps = f.converge(ctx, 5)
	if got := withoutRetries(actions(steps)); len(got) < 4 || got[0] != RemoveMember || !steps[0].Replace || steps[0].Member != victim ||
		!slices.Equal(got[len(got)-3:], []Action{AddLearner, Promote, Publish}) {
		t.Fatalf("lost volume of member %d: steps %v", victim, steps)
	}
	if !slices.Equal(f.published, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("after the replacement: published %v", f.published)
	}

	// Rolling change: every pod restarts, the leader last.
	f.mu.Lock()
	f.current++
	f.mu.Unlock()
	_, leader = f.ensemble(hc).Observe(ctx, f.pods(ctx, hc))
	steps = f.converge(ctx, 5)
	var restarted []uint64
	for _, s := range steps {
		if s.Action == RestartPod {
			restarted = append(restarted, s.Member)
		}
	}
	if len(restarted) != 5 || restarted[4] != leader.ID {
		t.Fatalf("rolling restarted %v; want all 5 with the leader %d last", restarted, leader.ID)
	}

	steps = f.converge(ctx, 3)
	want = []Action{RemoveMember, Publish, SetReplicas, RemoveMember, Publish, SetReplicas}
	if got := withoutRetries(actions(steps)); !slices.Equal(withoutTransfers(got), want) {
		t.Fatalf("5→3 steps %v, want %v (with transfers where the leader goes)", got, want)
	}
	f.converge(ctx, 1)
	if f.replicas != 1 || !slices.Equal(f.published, []uint64{1}) {
		t.Fatalf("after 1: replicas %d, published %v", f.replicas, f.published)
	}
	// Ids 2 and 3 again, on new volumes: each replays its old removal while
	// catching up and must still become a voter.
	f.converge(ctx, 3)
	if !slices.Equal(f.published, []uint64{1, 2, 3}) {
		t.Fatalf("after 3 again: published %v", f.published)
	}
	w.finish(t)
}

// TestMembershipRefusesUnsafeSteps: with a voter down, neither a removal
// that would lose the quorum nor a scale-up starts.
func TestMembershipRefusesUnsafeSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts member processes")
	}
	f := newFakeSet(t)
	ctx := context.Background()
	f.converge(ctx, 3)
	hc := f.dialer()
	_, leader := f.ensemble(hc).Observe(ctx, f.pods(ctx, hc))
	// Stop a follower other than 3, the one a scale-down would remove.
	var victim uint64
	for _, m := range leader.Members {
		if m.ID != leader.ID && m.ID != 3 {
			victim = m.ID
		}
	}
	if victim == 0 {
		victim = 3 // member 3 leads? then stop the other follower
	}
	f.procs[victim].Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		hc := f.dialer()
		pods, leader := f.ensemble(hc).Observe(ctx, f.pods(ctx, hc))
		s := Plan(Observation{Desired: 5, Replicas: 3, Pods: pods, Leader: leader, Published: f.published, PublishedVersion: f.publishedVersion})
		if s.Action == Refuse {
			t.Logf("scale-up: %s", s)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scale-up with member %d down: %s, want Refuse", victim, s)
		}
		time.Sleep(100 * time.Millisecond) // poll interval until the deadline
	}
	if victim != 3 {
		s := f.converge(ctx, 2, Refuse)
		if last := s[len(s)-1]; last.Action != Refuse || !strings.Contains(last.Reason, "quorum") {
			t.Fatalf("scale-down with member %d down: %v, want Refuse", victim, s)
		}
		t.Logf("scale-down: %s", s[len(s)-1])
	}
}

// withoutRetries drops repeats of an admin step that failed and was planned again.
func withoutRetries(a []Action) []Action {
	var out []Action
	for i, x := range a {
		if i > 0 && x == a[i-1] && x != SetReplicas {
			continue
		}
		out = append(out, x)
	}
	return out
}

func withoutTransfers(a []Action) []Action {
	return slices.DeleteFunc(slices.Clone(a), func(x Action) bool { return x == TransferLeadership })
}
