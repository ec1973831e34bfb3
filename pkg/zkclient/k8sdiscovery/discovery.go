// Package k8sdiscovery feeds a zkclient session the server list that the
// zkensemble operator publishes in a ConfigMap, so applications in the
// cluster follow membership changes without reading /zookeeper/config.
//
// The ConfigMap holds two keys: "connectString" ("host:port,host:port") and
// "version" (changes with every published list); when the ensemble serves
// TLS, "secureConnectString" lists the same servers' secure client ports
// (FollowSecure). The operator writes a new
// list only after the membership change it reflects has committed.
package k8sdiscovery

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Keys of the published ConfigMap.
const (
	KeyConnectString       = "connectString"
	KeySecureConnectString = "secureConnectString"
	KeyVersion             = "version"
)

// Updater is what receives new server lists; *zkclient.Conn is one.
type Updater interface {
	UpdateServerList(connectString string) error
}

// Follow watches the ConfigMap namespace/name until ctx ends and calls
// UpdateServerList whenever its version changes.
func Follow(ctx context.Context, client kubernetes.Interface, namespace, name string, u Updater, log *slog.Logger) error {
	return follow(ctx, client, namespace, name, KeyConnectString, u, log)
}

// FollowSecure is Follow for TLS clients: it follows the secure client ports.
func FollowSecure(ctx context.Context, client kubernetes.Interface, namespace, name string, u Updater, log *slog.Logger) error {
	return follow(ctx, client, namespace, name, KeySecureConnectString, u, log)
}

func follow(ctx context.Context, client kubernetes.Interface, namespace, name, key string, u Updater, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}))
	inf := factory.Core().V1().ConfigMaps().Informer()
	var mu sync.Mutex
	lastVersion := ""
	apply := func(obj any) {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok || cm.Name != name {
			return
		}
		cs, version := cm.Data[key], cm.Data[KeyVersion]
		mu.Lock()
		defer mu.Unlock()
		if cs == "" || version == lastVersion {
			return
		}
		if err := u.UpdateServerList(cs); err != nil {
			log.Warn("k8sdiscovery: ignoring an unusable server list", "configmap", namespace+"/"+name, "connectString", cs, "err", err)
			return
		}
		lastVersion = version
		log.Info("k8sdiscovery: server list updated", "version", version, "connectString", cs)
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    apply,
		UpdateFunc: func(_, obj any) { apply(obj) },
	}); err != nil {
		return fmt.Errorf("k8sdiscovery: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return ctx.Err()
	}
	<-ctx.Done()
	return ctx.Err()
}
