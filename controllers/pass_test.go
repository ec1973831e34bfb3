package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// bare is a second API server with no manager running against it: the
// passes a test runs there by hand are the only writers, so what they did
// is all there is to see (started on first use; TestMain stops it).
var bare struct {
	once sync.Once
	env  *env
	err  error
}

func bareEnv(t *testing.T) *env {
	t.Helper()
	if testEnv == nil {
		t.Skip("envtest assets (kube-apiserver, etcd) not available")
	}
	bare.once.Do(func() {
		te := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
		cfg, err := te.Start()
		if err != nil {
			bare.err = err
			return
		}
		c, err := client.New(cfg, client.Options{Scheme: testEnv.scheme})
		if err != nil {
			_ = te.Stop()
			bare.err = err
			return
		}
		bare.env = &env{cfg: cfg, client: c, scheme: testEnv.scheme, cancel: func() {}, te: te}
	})
	if bare.err != nil {
		t.Fatalf("a second API server: %v", bare.err)
	}
	return bare.env
}

// stopBare stops the second API server if a test started it.
func stopBare() {
	if bare.env != nil {
		_ = bare.env.te.Stop()
	}
}

// bareEnsemble creates a ZKEnsemble in a fresh namespace of e and returns
// it as read.
func bareEnsemble(t *testing.T, e *env, name string) *zkv1.ZKEnsemble {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "zke-pass-"}}
	if err := e.client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	zke := newZKE(ns.Name, name)
	if err := e.client.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	return zke
}

// passRig is a Reconciler of the test's own over the envtest API server:
// it counts the admin requests per member address (none answers) and the
// status writes, and fails status patches when patchErr is set.
type passRig struct {
	r        *Reconciler
	mu       sync.Mutex
	dials    map[string]int
	writes   int
	patchErr error
}

func newPassRig(t *testing.T, e *env) *passRig {
	t.Helper()
	rig := &passRig{dials: map[string]int{}}
	c, err := client.NewWithWatch(e.cfg, client.Options{Scheme: e.scheme})
	if err != nil {
		t.Fatal(err)
	}
	countWrite := func() error {
		rig.mu.Lock()
		defer rig.mu.Unlock()
		rig.writes++
		return rig.patchErr
	}
	c = interceptor.NewClient(c, interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if err := countWrite(); err != nil {
				return err
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if err := countWrite(); err != nil {
				return err
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	bc := events.NewBroadcaster(&events.EventSinkImpl{Interface: kubernetes.NewForConfigOrDie(e.cfg).EventsV1()})
	stop := make(chan struct{})
	bc.StartRecordingToSink(stop)
	t.Cleanup(func() { close(stop); bc.Shutdown() })
	rig.r = &Reconciler{Client: c, APIReader: c, Recorder: bc.NewRecorder(e.scheme, "zkensemble-test"), ServerImage: "zkensemble/server:test",
		admin: newAdminClients(func(_ context.Context, _, addr string) (net.Conn, error) {
			rig.mu.Lock()
			defer rig.mu.Unlock()
			rig.dials[addr]++
			return nil, fmt.Errorf("no member at %s under envtest", addr)
		})}
	return rig
}

// memberPods creates the pods of members 1..n (no kubelet runs them).
func memberPods(t *testing.T, e *env, zke *zkv1.ZKEnsemble, n int) {
	t.Helper()
	for id := uint64(1); id <= uint64(n); id++ {
		nm := names{zke, defaultClusterDomain}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: zke.Namespace, Name: nm.pod(id), Labels: nm.selector()},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "server", Image: "zkensemble/server:test"}}},
		}
		if err := e.client.Create(context.Background(), pod); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPassObservesOnce: a pass that takes a step (here the first one,
// SetReplicas) asks each member for its status once, and writes the
// status once, with the step as Progressing.
func TestPassObservesOnce(t *testing.T) {
	e := bareEnv(t)
	zke := bareEnsemble(t, e, "once")
	memberPods(t, e, zke, 3)
	rig := newPassRig(t, e)
	if _, err := rig.r.reconcilePass(context.Background(), zke); err != nil {
		t.Fatal(err)
	}
	n := names{zke, defaultClusterDomain}
	for id := uint64(1); id <= 3; id++ {
		if got := rig.dials[fmt.Sprintf("%s:%d", n.host(id), podlayout.AdminPort)]; got != 1 {
			t.Errorf("member %d asked %d times in one pass, want once (%v)", id, got, rig.dials)
		}
	}
	if rig.writes != 1 {
		t.Errorf("%d status writes in one pass, want 1", rig.writes)
	}
	cur := &zkv1.ZKEnsemble{}
	if err := e.client.Get(context.Background(), client.ObjectKeyFromObject(zke), cur); err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(cur.Status.Conditions, CondProgressing); c == nil || c.Status != metav1.ConditionTrue || c.Reason != "SetReplicas" {
		t.Errorf("Progressing = %+v, want True SetReplicas", c)
	}
}

// TestStatusPatchStaleRead: the pass's status patch, made against an object
// read before another write of the status, changes what the pass changed
// and keeps what the other write set.
func TestStatusPatchStaleRead(t *testing.T) {
	ctx := context.Background()
	e := bareEnv(t)
	read := bareEnsemble(t, e, "stale")
	other := &zkv1.ZKEnsemble{}
	if err := e.client.Get(ctx, client.ObjectKeyFromObject(read), other); err != nil {
		t.Fatal(err)
	}
	other.Status.ConnectString = "other-writer:2181"
	if err := e.client.Status().Update(ctx, other); err != nil {
		t.Fatal(err)
	}

	rig := newPassRig(t, e)
	p := rig.r.newPass(read)
	_ = p.fail("RenderFailed", errors.New("the pass's own failure"))
	if err := p.patchStatus(ctx); err != nil {
		t.Fatalf("status patch over a stale read: %v", err)
	}
	cur := &zkv1.ZKEnsemble{}
	if err := e.client.Get(ctx, client.ObjectKeyFromObject(read), cur); err != nil {
		t.Fatal(err)
	}
	if cur.Status.ConnectString != "other-writer:2181" {
		t.Errorf("connectString = %q: the patch erased the other write", cur.Status.ConnectString)
	}
	if c := meta.FindStatusCondition(cur.Status.Conditions, CondDegraded); c == nil || c.Reason != "RenderFailed" {
		t.Errorf("Degraded = %+v, want the pass's RenderFailed", c)
	}
}

// TestStatusWriteFailureReturned: a status write that fails fails the pass
// (it is retried), whatever else the pass returned; it is never dropped.
func TestStatusWriteFailureReturned(t *testing.T) {
	e := bareEnv(t)
	zke := bareEnsemble(t, e, "fails")
	rig := newPassRig(t, e)
	rig.patchErr = errors.New("status write refused")
	_, err := rig.r.reconcilePass(context.Background(), zke)
	if !errors.Is(err, rig.patchErr) {
		t.Fatalf("pass returned %v, want the status write's error", err)
	}
	if !strings.Contains(err.Error(), "status") {
		t.Errorf("error %q does not say it was the status write", err)
	}
}
