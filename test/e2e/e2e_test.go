//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestE2E runs the scenarios in order on one operator installation: each
// builds on the ensembles the previous ones left.
func TestE2E(t *testing.T) {
	ns := fmt.Sprintf("e2e-%d", rand.IntN(100000))
	ctx := context.Background()
	start := time.Now()
	scenario(t, "install with Helm", func(t *testing.T) {
		k.helmInstall(t)
		t.Logf("operator ready %s after start", time.Since(start).Round(time.Second))
		k.must(t, k.kubectl, "create", "namespace", ns)
	})
	if t.Failed() {
		return
	}
	scenario(t, "invalid specs are rejected with the webhook's message", func(t *testing.T) { invalidSpecs(t, ns) })
	scenario(t, "three members become Available and serve clients", func(t *testing.T) { available(t, ctx, ns, "e2e") })
	if t.Failed() {
		return
	}
	scenario(t, "the admin API refuses callers without the operator's certificate", func(t *testing.T) { adminRefusesStrangers(t, ctx, ns, "e2e") })
	scenario(t, "a PodMonitor once its CRD exists, and ZooKeeper's metric names", func(t *testing.T) { podMonitorScenario(t, ctx, ns+"-mon", "mon") })
	// The load scenarios run on an ensemble that requires TLS and SASL, in a
	// namespace that enforces Pod Security "restricted" (secure_test.go).
	secNS := ns + "-sec"
	if scenario(t, "a TLS-required, SASL-required ensemble in a restricted namespace", func(t *testing.T) { secureAvailable(t, ctx, ns, secNS, "sec") }) {
		scenario(t, "scale 3 to 5 to 3 under load, over TLS and SASL", func(t *testing.T) { scaleUnderLoad(t, ctx, secNS, "sec") })
		scenario(t, "certificates rotate under load", func(t *testing.T) { rotation(t, ctx, secNS, "sec") })
		scenario(t, "rolling upgrade under load, over TLS and SASL", func(t *testing.T) { rollingUpgrade(t, ctx, secNS, "sec") })
	}
	scenario(t, "the secure ensemble is removed", func(t *testing.T) { removeSecure(t, ctx, ns, secNS, "sec") })
	scenario(t, "delete the leader's pod", func(t *testing.T) { deleteLeader(t, ctx, ns, "e2e") })
	scenario(t, "delete a follower's pod and its volume", func(t *testing.T) { deleteFollowerVolume(t, ctx, ns, "e2e") })
	scenario(t, "operator killed after every membership step", func(t *testing.T) { operatorCrashes(t, ctx, ns, "e2e") })
	scenario(t, "lose two of three members and recover from the survivor", func(t *testing.T) { disasterRecovery(t, ctx, ns, "dr") })
	scenario(t, "scale 1 to 3 to 1 to 3 reusing volumes", func(t *testing.T) { reuseVolumes(t, ctx, ns, "reuse") })
	scenario(t, "pod settings, a log volume and a refused expansion", func(t *testing.T) { podSettings(t, ctx) })
	scenario(t, "backups to a missing bucket or with wrong credentials fail, saying so", func(t *testing.T) { backupFailures(t, ctx, ns) })
	scenario(t, "scheduled backups under load restore into a new ensemble", func(t *testing.T) { scheduledBackupRestore(t, ctx, ns) })
	scenario(t, "a ZooKeeper data directory on a PVC bootstraps an ensemble", func(t *testing.T) { zookeeperImport(t, ctx, ns) })
	scenario(t, "observers serve reads and scale without changing the voters", func(t *testing.T) { observersScenario(t, ctx) })
	scenario(t, "kubectl zke status, switchover and restart", func(t *testing.T) { kubectlZKE(t, ctx, ns+"-zke", "zke") })
	scenario(t, "uninstall leaves nothing behind", func(t *testing.T) { uninstall(t, ctx, ns) })
	scenario(t, "install with kubectl apply -k config/default", func(t *testing.T) { kustomizeInstall(t, ctx) })
}

func getZKE(t *testing.T, ctx context.Context, ns, name string) *zkv1.ZKEnsemble {
	t.Helper()
	z := &zkv1.ZKEnsemble{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, z); err != nil {
		t.Fatal(err)
	}
	return z
}

// waitSettled waits until the ensemble has `voters` voters, is Available,
// not progressing, its published list has that many servers and every pod
// is ready.
func waitSettled(t *testing.T, ctx context.Context, ns, name string, voters int, d time.Duration) *zkv1.ZKEnsemble {
	t.Helper()
	var z *zkv1.ZKEnsemble
	eventually(t, d, func() error {
		z = &zkv1.ZKEnsemble{}
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, z); err != nil {
			return err
		}
		st := z.Status
		switch {
		case !meta.IsStatusConditionTrue(st.Conditions, "Available"):
			return fmt.Errorf("not Available: %+v", st.Conditions)
		case meta.IsStatusConditionTrue(st.Conditions, "Progressing"):
			return fmt.Errorf("progressing: %s", meta.FindStatusCondition(st.Conditions, "Progressing").Message)
		case int(st.VotingMembers) != voters || len(strings.Split(st.ConnectString, ",")) != voters:
			return fmt.Errorf("%d voters, published %q; want %d", st.VotingMembers, st.ConnectString, voters)
		case int(st.ReadyMembers) != voters:
			return fmt.Errorf("%d ready", st.ReadyMembers)
		case st.ObservedGeneration != z.Generation:
			return fmt.Errorf("observed generation %d of %d", st.ObservedGeneration, z.Generation)
		}
		return nil
	})
	return z
}

func publishedList(t *testing.T, ns, name string) string {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := k.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name + "-servers"}, cm); err != nil {
		t.Fatal(err)
	}
	return cm.Data["connectString"]
}

func invalidSpecs(t *testing.T, ns string) {
	tests := []struct{ name, spec, want string }{
		{"min-below-two-ticks", "  minSessionTimeout: 3000\n", "minSessionTimeout must be at least 2*tickTime"},
		{"min-one-tick", "  minSessionTimeout: 2000\n", "minSessionTimeout must be at least 2*tickTime"},
		{"min-above-max", "  minSessionTimeout: 30000\n  maxSessionTimeout: 20000\n", "must not exceed maxSessionTimeout"},
		{"owned-key", "  extraConfig:\n    dataDir: /tmp\n", "dataDir is set by the operator"},
		{"security-key", "  extraConfig:\n    ssl.clientAuth: none\n", "use spec.tls"},
		{"auth-key", "  extraConfig:\n    enforce.auth.enabled: \"false\"\n", "use spec.auth"},
		{"newline-value", "  extraConfig:\n    globalOutstandingLimit: \"1\\nclientPort=1\"\n", "single lines"},
		{"client-auth-without-tls", "  tls:\n    clientAuth: Need\n", "set tls.client to Optional or Required"},
	}
	for _, tc := range tests {
		_, err := k.run(t, sampleYAML(tc.name, ns, 3, tc.spec), k.kubectl, "apply", "-f", "-")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want a rejection saying %q", tc.name, err, tc.want)
			continue
		}
		if err := k.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: tc.name}, &zkv1.ZKEnsemble{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: rejected but exists (%v)", tc.name, err)
		}
		t.Logf("%s rejected: %s", tc.name, lastLine(err.Error()))
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func available(t *testing.T, ctx context.Context, ns, name string) {
	start := time.Now()
	if _, err := k.run(t, sampleYAML(name, ns, 3, ""), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	z := waitSettled(t, ctx, ns, name, 3, 4*time.Minute)
	t.Logf("3 members Available in %s; leader %s; published %s (version %d)", time.Since(start).Round(time.Second), z.Status.Leader, z.Status.ConnectString, z.Status.ServerListVersion)
	// Every member answers srvr from inside the cluster (busybox nc in the server image).
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			host := fmt.Sprintf("%s-%d.%s-peers.%s.svc.cluster.local", name, j, name, ns)
			out, err := k.run(t, "", k.kubectl, "-n", ns, "exec", fmt.Sprintf("%s-%d", name, i), "--", "/bin/busybox", "sh", "-c",
				fmt.Sprintf("echo srvr | /bin/busybox nc -w 3 %s 2181", host))
			if err != nil || !strings.Contains(out, "Mode: ") {
				t.Errorf("srvr from %s-%d to %s: %v %q", name, i, host, err, out)
			}
		}
	}
	podClients(t, ns, name)
	// Clients through the client Service create, read and watch.
	svc := &corev1.Service{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name + "-client"}, svc); err != nil {
		t.Fatal(err)
	}
	c, err := zkclient.Connect(fmt.Sprintf("%s:2181", svc.Spec.ClusterIP), 10*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w, err := zkclient.Connect(z.Status.ConnectString, 10*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(cctx, "/hello", []byte("v1"), 0, zkclient.WorldACL(wire.PermAll)); err != nil && !errors.Is(err, wire.ErrNodeExists) {
		t.Fatal(err)
	}
	// w may be on another member, which need not have applied c's create
	// yet: sync first (ZooKeeper's idiom for reading another client's write).
	if err := w.Sync(cctx, "/hello"); err != nil {
		t.Fatal(err)
	}
	_, _, ch, err := w.GetW(cctx, "/hello")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set(cctx, "/hello", []byte("v2"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		if ev.Path != "/hello" {
			t.Fatalf("watch event %+v", ev)
		}
	case <-cctx.Done():
		t.Fatal("watch not fired")
	}
	data, _, err := w.Get(cctx, "/hello")
	if err != nil || string(data) != "v2" {
		t.Fatalf("read %q %v", data, err)
	}
	if _, _, err := c.Create(cctx, "/session", nil, zkclient.Ephemeral, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Fatal(err)
	}
}

// podClients: clients inside the cluster (zkcli in the server image, run in
// the members' pods) watch, create and read through the client Service's
// DNS name and the members' own names.
func podClients(t *testing.T, ns, name string) {
	svc := fmt.Sprintf("%s-client.%s.svc.cluster.local:2181", name, ns)
	var members []string
	for i := 0; i < 3; i++ {
		members = append(members, fmt.Sprintf("%s-%d.%s-peers.%s.svc.cluster.local:2181", name, i, name, ns))
	}
	zkcli := func(pod string, args ...string) []string {
		return append([]string{"-n", ns, "exec", pod, "--", "/zkcli"}, args...)
	}
	// A watcher in pod 0 through the Service.
	watcher := exec.Command(k.kubectl, zkcli(name+"-0", "-server", svc, "watch", "-for", "60s", "/in-pod")...)
	watcher.Env = append(os.Environ(), "KUBECONFIG="+k.kubeconfig)
	stdout, err := watcher.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var werr bytes.Buffer
	watcher.Stderr = &werr
	if err := watcher.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "watching /in-pod" {
		_ = watcher.Process.Kill()
		t.Fatalf("watcher in %s-0: %q %s", name, lines.Text(), werr.String())
	}
	// A writer in pod 1 through the Service, a reader in pod 2 through the members' names.
	k.must(t, k.kubectl, zkcli(name+"-1", "-server", svc, "create", "/in-pod", "written-in-a-pod")...)
	if !lines.Scan() || lines.Text() != "event NodeCreated /in-pod" {
		_ = watcher.Process.Kill()
		t.Fatalf("watcher in %s-0 saw %q %s", name, lines.Text(), werr.String())
	}
	if err := watcher.Wait(); err != nil {
		t.Fatalf("watcher: %v %s", err, werr.String())
	}
	// A fresh session on maybe another member: -sync, so it has the create.
	got := k.must(t, k.kubectl, zkcli(name+"-2", "-server", strings.Join(members, ","), "-sync", "get", "/in-pod")...)
	if strings.TrimSpace(got) != "written-in-a-pod" {
		t.Fatalf("reader in %s-2 got %q", name, got)
	}
	where := k.must(t, k.kubectl, zkcli(name+"-2", "-server", svc, "whereami")...)
	t.Logf("clients in pods: watch in %s-0 fired on a create from %s-1, read back in %s-2 (%s)", name, name, name, strings.TrimSpace(where))
}

// checkConfigAgrees: /zookeeper/config on every published member, read after
// a sync, lists the published members, at the published version, and each
// has its pod.
func checkConfigAgrees(t *testing.T, ctx context.Context, ns, name string) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name + "-servers"}, cm); err != nil {
		t.Fatal(err)
	}
	ids := strings.Split(cm.Data["members"], ",")
	sort.Strings(ids)
	version, _ := strconv.ParseInt(cm.Data["version"], 10, 64)
	for _, addr := range strings.Split(cm.Data["connectString"], ",") {
		c, err := zkclient.Connect(addr, 10*time.Second, clientOptions(ns, name)...)
		if err != nil {
			t.Fatal(err)
		}
		// sync, then getConfig (ZooKeeper's idiom): the member has applied
		// every configuration change committed before.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = c.Sync(cctx, "/zookeeper/config")
		var data []byte
		if err == nil {
			data, _, _, err = c.GetConfig(cctx)
		}
		cancel()
		c.Close()
		if err != nil {
			t.Errorf("%s: /zookeeper/config: %v", addr, err)
			continue
		}
		var got []string
		gotVersion := ""
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "server."); ok {
				got = append(got, strings.SplitN(rest, "=", 2)[0])
			} else if v, ok := strings.CutPrefix(line, "version="); ok {
				gotVersion = v
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(ids, ",") || gotVersion != strconv.FormatInt(version, 16) {
			t.Errorf("%s: /zookeeper/config has members %v version %s; published %v version %x", addr, got, gotVersion, ids, version)
		}
	}
	for _, id := range ids {
		n, _ := strconv.Atoi(id)
		pod := &corev1.Pod{}
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("%s-%d", name, n-1)}, pod); err != nil {
			t.Errorf("published member %s has no pod: %v", id, err)
		}
	}
}

func scale(t *testing.T, ns, name string, n int) {
	t.Helper()
	k.must(t, k.kubectl, "-n", ns, "scale", "zke/"+name, fmt.Sprintf("--replicas=%d", n))
}

func scaleUnderLoad(t *testing.T, ctx context.Context, ns, name string) {
	f := startFleet(t, ns, name, 100)
	for _, step := range []struct {
		from, to int
		expected float64 // ZooKeeper's rule: the fraction of clients that must move
	}{{3, 5, 1 - 3.0/5}, {5, 3, 2.0 / 5}} {
		before := f.servers()
		start := time.Now()
		scale(t, ns, name, step.to)
		waitSettled(t, ctx, ns, name, step.to, 5*time.Minute)
		checkConfigAgrees(t, ctx, ns, name)
		final := publishedList(t, ns, name)
		var after []string
		eventually(t, 30*time.Second, func() (err error) {
			after, err = f.settledOn(final)
			return err
		})
		moved, needless := 0, 0
		for i := range before {
			if before[i] != after[i] {
				moved++
				if strings.Contains(","+final+",", ","+before[i]+",") && step.to < step.from {
					needless++
				}
			}
		}
		frac := float64(moved) / float64(len(before))
		t.Logf("scale %d→%d: %s; %.2f of %d clients moved (ZooKeeper's rule: %.2f), %d of them from a server that stayed; clients per server now %v",
			step.from, step.to, time.Since(start).Round(time.Second), frac, len(before), step.expected, needless, spread(after))
		if frac < step.expected-0.15 || frac > step.expected+0.15 || needless > 0 {
			t.Errorf("rebalancing %d→%d moved %.2f (expected %.2f±0.15), %d clients of kept members moved", step.from, step.to, frac, step.expected, needless)
		}
	}
	writes := f.finish(publishedList(t, ns, name))
	t.Logf("%d acknowledged writes verified; 100 sessions kept", writes)
}

func spread(servers []string) map[string]int {
	m := map[string]int{}
	for _, s := range servers {
		m[strings.SplitN(s, ".", 2)[0]]++
	}
	return m
}

func rollingUpgrade(t *testing.T, ctx context.Context, ns, name string) {
	f := startFleet(t, ns, name, 100)
	z := getZKE(t, ctx, ns, name)
	leader := z.Status.Leader
	uids := podUIDs(t, ctx, ns, name)
	// A new image tag (the same server, loaded as :upgrade) and a configuration change.
	repo, _ := splitImage(k.serverImage)
	patch := fmt.Sprintf(`{"spec":{"image":"%s:upgrade","maxClientCnxns":500}}`, repo)
	start := time.Now()
	k.must(t, k.kubectl, "-n", ns, "patch", "zke/"+name, "--type=merge", "-p", patch)
	var order []string
	eventually(t, 6*time.Minute, func() error {
		now := podUIDs(t, ctx, ns, name)
		for pod, uid := range now {
			if old, ok := uids[pod]; ok && old != uid && !contains(order, pod) {
				order = append(order, pod)
			}
		}
		if len(order) < 3 {
			return fmt.Errorf("replaced so far: %v", order)
		}
		return nil
	})
	waitSettled(t, ctx, ns, name, 3, 3*time.Minute)
	var sts appsv1.StatefulSet
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &sts); err != nil {
		t.Fatal(err)
	}
	if img := sts.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":upgrade") {
		t.Errorf("image %s", img)
	}
	t.Logf("rolled %v in %s (leader before: %s)", order, time.Since(start).Round(time.Second), leader)
	if order[len(order)-1] != leader {
		t.Errorf("the leader %s was not rolled last: %v", leader, order)
	}
	writes := f.finish(publishedList(t, ns, name))
	t.Logf("%d acknowledged writes verified through the upgrade; no session expired", writes)
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func podUIDs(t *testing.T, ctx context.Context, ns, name string) map[string]types.UID {
	t.Helper()
	var pods corev1.PodList
	if err := k.c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{"app.kubernetes.io/instance": name}); err != nil {
		t.Fatal(err)
	}
	m := map[string]types.UID{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			m[p.Name] = p.UID
		}
	}
	return m
}

func deleteLeader(t *testing.T, ctx context.Context, ns, name string) {
	f := startFleet(t, ns, name, 30)
	z := getZKE(t, ctx, ns, name)
	old := podUIDs(t, ctx, ns, name)
	start := time.Now()
	k.must(t, k.kubectl, "-n", ns, "delete", "pod", z.Status.Leader, "--wait=false")
	eventually(t, time.Minute, func() error {
		n := getZKE(t, ctx, ns, name)
		if n.Status.Leader == "" || n.Status.Leader == z.Status.Leader {
			return fmt.Errorf("leader still %q", n.Status.Leader)
		}
		return nil
	})
	t.Logf("new leader after %s", time.Since(start).Round(100*time.Millisecond))
	f.waitAllWriting(time.Minute)
	t.Logf("every client had a write acknowledged again %s after the deletion", time.Since(start).Round(100*time.Millisecond))
	f.explainSlowest(start, time.Since(start))
	eventually(t, 3*time.Minute, func() error {
		pod := &corev1.Pod{}
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: z.Status.Leader}, pod); err != nil {
			return err
		}
		if pod.UID == old[z.Status.Leader] || !podIsReady(pod) {
			return fmt.Errorf("%s not back and ready yet", z.Status.Leader)
		}
		return nil
	})
	waitSettled(t, ctx, ns, name, 3, 3*time.Minute)
	t.Logf("all 3 ready again after %s", time.Since(start).Round(time.Second))
	writes := f.finish(publishedList(t, ns, name))
	t.Logf("%d acknowledged writes verified; no session expired", writes)
}

// deleteFollowerVolume: a follower loses its pod and its volume while
// clients write. Its new pod starts empty under the same id; the member
// reports that it lost data (the leader counts on entries it had), the
// operator removes it and adds it back as a learner, and it serves the data.
func deleteFollowerVolume(t *testing.T, ctx context.Context, ns, name string) {
	f := startFleet(t, ns, name, 30)
	z := getZKE(t, ctx, ns, name)
	var pod string
	for _, m := range z.Status.Members {
		if m.Role == "follower" {
			pod = m.Pod
		}
	}
	if pod == "" {
		t.Fatalf("no follower in %+v", z.Status.Members)
	}
	pvc := &corev1.PersistentVolumeClaim{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "data-" + pod}, pvc); err != nil {
		t.Fatal(err)
	}
	oldUID := pvc.UID
	start := time.Now()
	k.must(t, k.kubectl, "-n", ns, "delete", "pvc", "data-"+pod, "--wait=false")
	k.must(t, k.kubectl, "-n", ns, "delete", "pod", pod, "--wait=false")
	eventually(t, 2*time.Minute, func() error {
		p := &corev1.PersistentVolumeClaim{}
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "data-" + pod}, p); err != nil {
			return err
		}
		if p.UID == oldUID {
			return fmt.Errorf("volume not replaced yet")
		}
		return nil
	})
	t.Logf("%s on a new volume after %s", pod, time.Since(start).Round(time.Second))
	// The operator replaces the member: removal, then learner, then voter.
	var steps []string
	eventually(t, 3*time.Minute, func() error {
		var evs eventsv1.EventList
		if err := k.c.List(ctx, &evs, client.InNamespace(ns)); err != nil {
			return err
		}
		sort.Slice(evs.Items, func(i, j int) bool { return evs.Items[i].CreationTimestamp.Before(&evs.Items[j].CreationTimestamp) })
		steps = steps[:0]
		for _, e := range evs.Items {
			if e.Regarding.Name == name && !e.CreationTimestamp.Time.Before(start.Truncate(time.Second)) && e.Type == corev1.EventTypeNormal {
				steps = append(steps, e.Reason)
			}
		}
		if !slices.Contains(steps, "RemoveMember") || !slices.Contains(steps, "Promote") {
			return fmt.Errorf("steps so far %v", steps)
		}
		return nil
	})
	waitSettled(t, ctx, ns, name, 3, 3*time.Minute)
	t.Logf("replaced and all 3 ready after %s; steps %v", time.Since(start).Round(time.Second), steps)
	addr := fmt.Sprintf("%s.%s-peers.%s.svc.cluster.local:2181", pod, name, ns)
	c, err := zkclient.Connect(addr, 10*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := c.Sync(cctx, "/"); err != nil {
		t.Fatal(err)
	}
	if d, _, err := c.Get(cctx, "/hello"); err != nil || string(d) != "v2" {
		t.Fatalf("%s on a new volume reads /hello = %q, %v", pod, d, err)
	}
	checkConfigAgrees(t, ctx, ns, name)
	f.waitAllWriting(time.Minute)
	writes := f.finish(publishedList(t, ns, name))
	t.Logf("%d acknowledged writes verified; no session expired", writes)
}

// operatorCrashes kills the manager right after each step it records, so
// every membership step is followed by a fresh manager that must resume.
func operatorCrashes(t *testing.T, ctx context.Context, ns, name string) {
	k.helmInstall(t, "--set", "leaderElection=false")
	f := startFleet(t, ns, name, 30)
	seen := map[string]bool{}
	var kills int
	start := time.Now()
	scale(t, ns, name, 5)
	deadline := time.Now().Add(8 * time.Minute)
	for time.Now().Before(deadline) {
		var evs eventsv1.EventList
		if err := k.c.List(ctx, &evs, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		killed := false
		for _, e := range evs.Items {
			if e.Regarding.Name != name || seen[string(e.UID)] || e.CreationTimestamp.Time.Before(start) {
				continue
			}
			seen[string(e.UID)] = true
			switch e.Reason {
			case "AddLearner", "Promote", "RemoveMember", "Publish", "SetReplicas", "TransferLeadership":
				if !killed {
					for _, p := range k.managerPods(t) {
						_ = k.c.Delete(ctx, &p, client.GracePeriodSeconds(0))
					}
					kills++
					killed = true
					t.Logf("step %s (%s): manager killed", e.Reason, e.Note)
				}
			}
		}
		z := getZKE(t, ctx, ns, name)
		if z.Status.VotingMembers == 5 && !meta.IsStatusConditionTrue(z.Status.Conditions, "Progressing") && len(strings.Split(z.Status.ConnectString, ",")) == 5 {
			break
		}
		time.Sleep(200 * time.Millisecond) // poll interval: watching events for the next step
	}
	waitSettled(t, ctx, ns, name, 5, 2*time.Minute)
	checkConfigAgrees(t, ctx, ns, name)
	t.Logf("3→5 finished in %s with the manager killed %d times", time.Since(start).Round(time.Second), kills)
	if kills < 4 {
		t.Errorf("only %d kills: the scale-up should take at least 4 steps", kills)
	}
	k.helmInstall(t)
	scale(t, ns, name, 3)
	waitSettled(t, ctx, ns, name, 3, 5*time.Minute)
	writes := f.finish(publishedList(t, ns, name))
	t.Logf("%d acknowledged writes verified; no session expired", writes)
}

func reuseVolumes(t *testing.T, ctx context.Context, ns, name string) {
	spec := "  storage:\n    size: 100Mi\n    volumeReclaimPolicy: Retain\n"
	yaml := strings.Replace(sampleYAML(name, ns, 1, ""), "  storage:\n    size: 100Mi\n", spec, 1)
	if _, err := k.run(t, yaml, k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, ctx, ns, name, 1, 3*time.Minute)
	write := func(path string) {
		c, err := zkclient.Connect(publishedList(t, ns, name), 10*time.Second, zkclient.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if _, _, err := c.Create(cctx, path, []byte(path), 0, zkclient.WorldACL(wire.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	readAll := func(paths ...string) {
		for _, addr := range strings.Split(publishedList(t, ns, name), ",") {
			c, err := zkclient.Connect(addr, 10*time.Second, zkclient.WithLogger(quiet))
			if err != nil {
				t.Fatal(err)
			}
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			if err := c.Sync(cctx, "/"); err != nil {
				t.Errorf("%s: sync: %v", addr, err)
			}
			for _, p := range paths {
				if d, _, err := c.Get(cctx, p); err != nil || string(d) != p {
					t.Errorf("%s: %s: %q %v", addr, p, d, err)
				}
			}
			cancel()
			c.Close()
		}
	}
	write("/one")
	for i, n := range []int{3, 1, 3} {
		start := time.Now()
		scale(t, ns, name, n)
		waitSettled(t, ctx, ns, name, n, 5*time.Minute)
		checkConfigAgrees(t, ctx, ns, name)
		p := fmt.Sprintf("/after-%d", i)
		write(p)
		readAll("/one", p)
		var pvcs corev1.PersistentVolumeClaimList
		_ = k.c.List(ctx, &pvcs, client.InNamespace(ns), client.MatchingLabels{"app.kubernetes.io/instance": name})
		t.Logf("scaled to %d in %s; %d volumes kept", n, time.Since(start).Round(time.Second), len(pvcs.Items))
	}
	// Members 2 and 3 came back on their kept volumes, whose logs recorded
	// their removal: each moved that state aside and joined afresh.
	for _, pod := range []string{name + "-1", name + "-2"} {
		out, err := k.run(t, "", k.kubectl, "-n", ns, "exec", pod, "--", "/bin/busybox", "ls", "/data/stale")
		if err != nil || len(strings.Fields(out)) != 1 {
			t.Errorf("%s: the stale state it came back with was not moved aside once: %q %v", pod, out, err)
		}
	}
}

func uninstall(t *testing.T, ctx context.Context, ns string) {
	k.must(t, k.kubectl, "-n", ns, "delete", "zke", "--all", "--wait=true", "--timeout=3m")
	eventually(t, 3*time.Minute, func() error {
		var pods corev1.PodList
		if err := k.c.List(ctx, &pods, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d pods left", len(pods.Items))
		}
		return nil
	})
	// Volumes of ensembles with the Delete policy go with them; retained ones stay, by request.
	var pvcs corev1.PersistentVolumeClaimList
	_ = k.c.List(ctx, &pvcs, client.InNamespace(ns))
	for _, p := range pvcs.Items {
		if p.Labels["app.kubernetes.io/instance"] != "reuse" {
			t.Errorf("volume %s left behind", p.Name)
		}
	}
	k.must(t, k.helm, "uninstall", "zke", "--namespace", operatorNS, "--wait")
	k.must(t, k.kubectl, "delete", "crd", "zkensembles.zookeeper.zkensemble.io")
	k.must(t, k.kubectl, "delete", "crd", "zkbackups.zookeeper.zkensemble.io")
	k.must(t, k.kubectl, "delete", "namespace", ns, "--wait=false")
	eventually(t, 2*time.Minute, func() error {
		out, err := k.run(t, "", k.kubectl, "get", "clusterrole,clusterrolebinding,validatingwebhookconfiguration,crd", "-l", "app.kubernetes.io/instance=zke", "-o", "name")
		if err != nil {
			return err
		}
		out2, err := k.run(t, "", k.kubectl, "-n", operatorNS, "get", "all,secret,configmap,role,rolebinding,serviceaccount", "-l", "app.kubernetes.io/instance=zke", "-o", "name")
		if err != nil {
			return err
		}
		if strings.TrimSpace(out+out2) != "" {
			return fmt.Errorf("left behind:\n%s%s", out, out2)
		}
		return nil
	})
}

func kustomizeInstall(t *testing.T, ctx context.Context) {
	start := time.Now()
	k.must(t, k.kubectl, "apply", "--server-side", "-k", "config/default")
	k.must(t, k.kubectl, "-n", operatorNS, "rollout", "status", "deploy/zkensemble-controller-manager", "--timeout=3m")
	k.waitOperator(t)
	ns := fmt.Sprintf("e2e-k-%d", rand.IntN(100000))
	k.must(t, k.kubectl, "create", "namespace", ns)
	if _, err := k.run(t, sampleYAML("kust", ns, 1, ""), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, ctx, ns, "kust", 1, 3*time.Minute)
	t.Logf("installed with kustomize and served a 1-member ensemble in %s", time.Since(start).Round(time.Second))
	k.must(t, k.kubectl, "-n", ns, "delete", "zke", "kust", "--wait=true", "--timeout=2m")
	k.must(t, k.kubectl, "delete", "-k", "config/default", "--wait=true", "--timeout=3m")
	k.must(t, k.kubectl, "delete", "namespace", ns, "--wait=false")
	out, _ := k.run(t, "", k.kubectl, "get", "crd", "-o", "name")
	if strings.Contains(out, "zkensembles") {
		t.Errorf("CRD left behind after kubectl delete -k")
	}
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil
		}
	}
	return false
}
