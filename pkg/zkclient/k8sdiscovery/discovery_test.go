package k8sdiscovery

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

type recorder struct {
	mu    sync.Mutex
	lists []string
}

func (r *recorder) UpdateServerList(cs string) error {
	r.mu.Lock()
	r.lists = append(r.lists, cs)
	r.mu.Unlock()
	return nil
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lists)
}

// TestFollow drives the informer through client-go's fake clientset (the
// end-to-end suite exercises it against a real API server).
func TestFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset()
	cms := client.CoreV1().ConfigMaps("zk")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "demo-servers", Namespace: "zk"},
		Data: map[string]string{KeyConnectString: "a:2181,b:2181,c:2181", KeyVersion: "1"}}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Another ConfigMap in the namespace must be ignored.
	cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "zk"}, Data: map[string]string{KeyConnectString: "x:1", KeyVersion: "9"}}, metav1.CreateOptions{})
	r := &recorder{}
	go Follow(ctx, client, "zk", "demo-servers", r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	waitFor(t, r, []string{"a:2181,b:2181,c:2181"})

	// A new version is followed; an update that keeps the version is not.
	cm.Data = map[string]string{KeyConnectString: "a:2181,b:2181,c:2181,d:2181,e:2181", KeyVersion: "2"}
	cms.Update(ctx, cm, metav1.UpdateOptions{})
	waitFor(t, r, []string{"a:2181,b:2181,c:2181", "a:2181,b:2181,c:2181,d:2181,e:2181"})
	cm.Annotations = map[string]string{"touched": "yes"}
	cms.Update(ctx, cm, metav1.UpdateOptions{})
	cm.Data = map[string]string{KeyConnectString: "a:2181,b:2181,c:2181", KeyVersion: "3"}
	cms.Update(ctx, cm, metav1.UpdateOptions{})
	waitFor(t, r, []string{"a:2181,b:2181,c:2181", "a:2181,b:2181,c:2181,d:2181,e:2181", "a:2181,b:2181,c:2181"})
}

func waitFor(t *testing.T, r *recorder, want []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(r.get(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("server lists %v, want %v", r.get(), want)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}
