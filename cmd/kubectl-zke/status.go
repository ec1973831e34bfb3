package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// kube is the plugin's access to the cluster, in one namespace.
type kube struct {
	ns string
	cs kubernetes.Interface // the pod proxy
	c  client.WithWatch     // typed and unstructured objects
}

func newClient(cfg *rest.Config) (client.WithWatch, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{zkv1.AddToScheme, corev1.AddToScheme, appsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	return client.NewWithWatch(cfg, client.Options{Scheme: scheme})
}

// srvr is a member's /commands/srvr answer (ZooKeeper's AdminServer
// server_stats; public on the admin port).
type srvr struct {
	Version     string `json:"version"`
	State       string `json:"server_state"`
	Zxid        int64  `json:"zxid"`
	NodeCount   int64  `json:"node_count"`
	Connections int64  `json:"num_alive_client_connections"`
	Outstanding int64  `json:"outstanding_requests"`
	Error       any    `json:"error"`
}

// member is one row of the status: the operator's view of a member (from
// the ZKEnsemble's status) and the member's own (srvr), either may be absent.
type member struct {
	ID       int32
	Pod      string
	Ready    bool
	Operator *zkv1.MemberStatus
	Live     *srvr
	LiveErr  string
}

// view is everything `status` prints.
type view struct {
	ZKE     *zkv1.ZKEnsemble
	Members []member
	Now     time.Time
}

func statusCmd(ctx context.Context, k *kube, _ *options, name string, out io.Writer) error {
	v, err := k.collect(ctx, name)
	if err != nil {
		return err
	}
	printStatus(out, v)
	return nil
}

// collect reads the ensemble, its pods, and asks every pod for srvr.
func (k *kube) collect(ctx context.Context, name string) (*view, error) {
	zke := &zkv1.ZKEnsemble{}
	if err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: name}, zke); err != nil {
		return nil, err
	}
	sel := labels.SelectorFromSet(memberSelector(name))
	if zke.Status.Selector != "" {
		var err error
		if sel, err = labels.Parse(zke.Status.Selector); err != nil {
			return nil, fmt.Errorf("status.selector: %w", err)
		}
	}
	var pods corev1.PodList
	if err := k.c.List(ctx, &pods, client.InNamespace(k.ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, err
	}
	byID := map[int32]*member{}
	for i := range zke.Status.Members {
		ms := &zke.Status.Members[i]
		byID[ms.ID] = &member{ID: ms.ID, Pod: ms.Pod, Operator: ms}
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		ord, ok := strings.CutPrefix(pod.Name, name+"-")
		n, err := strconv.ParseInt(ord, 10, 32)
		if !ok || err != nil {
			continue
		}
		m := byID[int32(n)+1]
		if m == nil {
			m = &member{ID: int32(n) + 1}
			byID[m.ID] = m
		}
		m.Pod, m.Ready = pod.Name, podReady(pod)
		m.Live, err = k.srvr(ctx, pod.Name)
		if err != nil {
			m.LiveErr = err.Error()
		}
	}
	v := &view{ZKE: zke, Now: time.Now()}
	for _, m := range byID {
		v.Members = append(v.Members, *m)
	}
	sort.Slice(v.Members, func(i, j int) bool { return v.Members[i].ID < v.Members[j].ID })
	return v, nil
}

// srvr asks a member for its public srvr command through the API server's
// pod proxy (the admin port speaks HTTPS; the command needs no credentials).
func (k *kube) srvr(ctx context.Context, pod string) (*srvr, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	raw, err := k.cs.CoreV1().Pods(k.ns).ProxyGet("https", pod, strconv.Itoa(podlayout.AdminPort), "/commands/srvr", nil).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("srvr through the pod proxy: %w", err)
	}
	var s srvr
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("srvr: %w", err)
	}
	if s.Error != nil {
		return nil, fmt.Errorf("srvr: %v", s.Error)
	}
	return &s, nil
}

// memberSelector selects an ensemble's member pods (the operator's labels),
// until the operator has written status.selector.
func memberSelector(name string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "zkensemble", "app.kubernetes.io/instance": name}
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
