// Package controllers holds the ZKEnsemble reconciler: it renders the
// objects an ensemble needs (Services, ConfigMaps, StatefulSet,
// PodDisruptionBudget), changes the membership one safe step at a time
// through the ensemble's admin API (pkg/membership decides the step), rolls
// configuration and image changes, publishes the server list clients
// rebalance with, and reports what it observed in status.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/membership"
)

// Reconciler reconciles ZKEnsembles.
type Reconciler struct {
	client.Client
	Recorder events.EventRecorder
	// ServerImage runs ensembles whose spec names no image.
	ServerImage string
	// DialContext reaches members' admin ports; nil dials the pod DNS names
	// directly (in the cluster). Tests inject one to reach real members on
	// loopback.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Failpoint, when set, is called after every step with its action; a
	// non-nil error stops the reconcile there (e2e tests crash the manager
	// between membership steps with it).
	Failpoint func(action membership.Action) error
	// APIReader reads Secrets the cache does not hold (it holds only the
	// operator's own, see CacheOptions); nil reads from the cache only.
	APIReader client.Reader
	// OperatorNamespace is where the operator's pods run: the members'
	// NetworkPolicy admits them to the admin port. Empty: zkensemble-system.
	OperatorNamespace string
	// MemberCertValidity is how long member certificates are valid (renewed
	// with a third left); zero: a year. Tests shorten it to see rotation.
	MemberCertValidity time.Duration
	// ClusterDomain is the cluster's DNS domain, in the members' names and
	// certificates. Empty: cluster.local.
	ClusterDomain string

	admin *adminClients // made by SetupWithManager
}

// +kubebuilder:rbac:groups=zookeeper.zkensemble.io,resources=zkensembles,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=zookeeper.zkensemble.io,resources=zkensembles/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=zookeeper.zkensemble.io,resources=zkensembles/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services;configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile runs one pass (pass.run): render, observe once, plan one step,
// do it, and write the status once, deferred, whatever ended the pass.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	zke := &zkv1.ZKEnsemble{}
	if err := r.Get(ctx, req.NamespacedName, zke); err != nil {
		if apierrors.IsNotFound(err) {
			r.admin.forget(req.NamespacedName)
			forgetEnsemble(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !zke.DeletionTimestamp.IsZero() {
		r.admin.forget(req.NamespacedName)
		forgetEnsemble(req.NamespacedName)
		return ctrl.Result{}, nil // owner references remove the rest
	}
	return r.reconcilePass(ctx, zke)
}

// reconcilePass runs one pass over zke, as read, and then writes its status.
func (r *Reconciler) reconcilePass(ctx context.Context, zke *zkv1.ZKEnsemble) (res ctrl.Result, err error) {
	p := r.newPass(zke)
	defer func() {
		recordEnsemble(p.zke)
		if perr := p.patchStatus(ctx); perr != nil {
			res, err = ctrl.Result{}, errors.Join(err, fmt.Errorf("status: %w", perr))
		}
	}()
	return p.run(ctx)
}

func (p *pass) apply(ctx context.Context, obj client.Object, owner string) error {
	return p.r.Patch(ctx, obj, client.Apply, client.FieldOwner(owner), client.ForceOwnership) //nolint:staticcheck // typed objects carry complete desired states
}

// applyObjects renders and applies everything but the replica count, which
// only membership steps change.
func (p *pass) applyObjects(ctx context.Context) error {
	p.servers = &corev1.ConfigMap{}
	err := p.r.Get(ctx, types.NamespacedName{Namespace: p.zke.Namespace, Name: p.n.servers()}, p.servers)
	if apierrors.IsNotFound(err) {
		p.servers = nil
	} else if err != nil {
		return err
	}
	bootstrap := p.servers == nil || p.servers.Data[keyVersion] == ""
	for _, obj := range []client.Object{p.rd.peerService(), p.rd.clientService(), p.rd.configMap(bootstrap)} {
		if err := p.apply(ctx, obj, fieldOwner); err != nil {
			return fmt.Errorf("apply %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
	}
	if p.ca != nil {
		if err := p.apply(ctx, p.rd.caBundle(p.ca.CertPEM), fieldOwner); err != nil {
			return fmt.Errorf("apply ConfigMap %s: %w", p.n.caBundle(), err)
		}
	}
	if err := p.applyNetworkPolicy(ctx); err != nil {
		return fmt.Errorf("apply NetworkPolicy: %w", err)
	}
	cur := &appsv1.StatefulSet{}
	err = p.r.Get(ctx, types.NamespacedName{Namespace: p.zke.Namespace, Name: p.n.statefulSet()}, cur)
	switch {
	case apierrors.IsNotFound(err):
		p.replicas = 0
	case err != nil:
		return err
	default:
		p.replicas = ptrOr(cur.Spec.Replicas, 0)
		p.rd.claims = cur.Spec.VolumeClaimTemplates
	}
	p.sts = p.rd.statefulSet(p.replicas)
	if err := p.apply(ctx, p.sts, fieldOwner); err != nil {
		return fmt.Errorf("apply StatefulSet: %w", err)
	}
	return p.applyObserverSet(ctx)
}

// idleRequeue is when to look again with nothing under way: after d, or
// when a member certificate is due for renewal, if sooner.
func (p *pass) idleRequeue(d time.Duration) time.Duration {
	if !p.renewAt.IsZero() {
		if until := time.Until(p.renewAt) + time.Second; until < d {
			return max(until, time.Second)
		}
	}
	return d
}

func (r *Reconciler) operatorNamespace() string {
	if r.OperatorNamespace == "" {
		return "zkensemble-system"
	}
	return r.OperatorNamespace
}

func (r *Reconciler) clusterDomain() string {
	if r.ClusterDomain == "" {
		return defaultClusterDomain
	}
	return r.ClusterDomain
}

func ptrOr(p *int32, d int32) int32 {
	if p == nil {
		return d
	}
	return *p
}

// SetupWithManager registers the controller: ZKEnsembles, the objects they
// own, and their pods (readiness changes drive membership steps).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.admin = newAdminClients(r.DialContext)
	return ctrl.NewControllerManagedBy(mgr).
		For(&zkv1.ZKEnsemble{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Owns(&networkingv1.NetworkPolicy{}).
		Owns(&corev1.Secret{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []ctrl.Request {
			inst := o.GetLabels()["app.kubernetes.io/instance"]
			if o.GetLabels()["app.kubernetes.io/managed-by"] != "zkensemble-operator" || inst == "" {
				return nil
			}
			return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: inst}}}
		})).
		Named("zkensemble").
		Complete(r)
}
