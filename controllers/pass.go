package controllers

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/membership"
)

// pass is one reconcile's working state. What it learns is handed down
// through it: the members are asked for their status once per pass (obs),
// and the status is written once, at the end (patchStatus), from zke.Status
// against the object as read (read).
type pass struct {
	r    *Reconciler
	zke  *zkv1.ZKEnsemble // its Status is what the pass will report
	read *zkv1.ZKEnsemble // the object as read at the start of the pass
	rd   render
	n    names

	sts      *appsv1.StatefulSet
	servers  *corev1.ConfigMap
	pods     map[uint64]*corev1.Pod
	obs      membership.Observation // the pass's one observation
	replicas int32
	// The observers' StatefulSet (nil when there is none), its replica
	// count and claim templates as they exist.
	observerSts      *appsv1.StatefulSet
	observerReplicas int32
	observerClaims   []corev1.PersistentVolumeClaim
	ca               *certs.CA
	certIDs          uint64    // members 1..certIDs have certificates
	renewAt          time.Time // the earliest renewal of a member certificate

	rec recoveryState // a recovery from a survivor (recovery.go)
}

func (r *Reconciler) newPass(zke *zkv1.ZKEnsemble) *pass {
	rd := newRender(zke, r.ServerImage, r.clusterDomain())
	return &pass{r: r, zke: zke, read: zke.DeepCopy(), rd: rd, n: rd.n}
}

// run renders, observes once, plans one step and does it. What it found is
// left in p.zke.Status (a failure as a Degraded condition) for the deferred
// status patch. After a step it reports what it observed before the step,
// with the step as Progressing, and looks again soon: the next pass's
// observation is the one that sees the step's effect.
func (p *pass) run(ctx context.Context) (ctrl.Result, error) {
	// Certificates first: a member's exists before its pod does.
	ca, err := p.ensureCertificates(ctx)
	if isCASecretError(err) {
		// Not retried in a tight loop: a person has to fix the Secret (its
		// change wakes us), and a new CA would cut the members off.
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeWarning, "CASecretInvalid", "Certificates", "%v", err)
		_ = p.fail("CASecretInvalid", err)
		return ctrl.Result{RequeueAfter: 5 * time.Minute}, nil
	}
	if err != nil {
		return ctrl.Result{}, p.fail("CertificatesFailed", err)
	}
	p.ca = ca

	// What the pods will mount exists before they are rolled onto it.
	if res, stop, err := p.checkClientSecurity(ctx); stop {
		return res, err
	}

	// A bootstrap source is resolved before the seed member exists.
	if res, stop := p.resolveBootstrap(ctx); stop {
		return res, nil
	}

	if err := p.applyObjects(ctx); err != nil {
		return ctrl.Result{}, p.fail("RenderFailed", err)
	}
	p.expandVolumes(ctx)
	p.reconcilePodMonitor(ctx)
	if err := p.observe(ctx); err != nil {
		return ctrl.Result{}, p.fail("ObserveFailed", err)
	}
	step, err := p.requested(ctx, p.planStep()) // membership.Plan, or a recovery's step (recovery.go)
	if err != nil {
		return ctrl.Result{}, p.fail("AnnotationPatchFailed", err)
	}
	if step.Action == membership.Refuse {
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeWarning, "StepRefused", string(step.Action), step.Reason)
	}
	stepErr := p.execute(ctx, step)
	if stepErr == nil && p.r.Failpoint != nil {
		if fp := p.r.Failpoint(step.Action); fp != nil {
			return ctrl.Result{}, fp
		}
	}
	p.report(step, stepErr)
	p.reportBootstrap()
	if stepErr != nil {
		log.FromContext(ctx).Info("step failed; retrying", "step", step.String(), "error", stepErr.Error())
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	return ctrl.Result{RequeueAfter: p.requeueAfter(step)}, nil
}

// requeueAfter is when to look again after a step that succeeded.
func (p *pass) requeueAfter(step membership.Step) time.Duration {
	switch step.Action {
	case membership.Done:
		for _, m := range p.obs.Pods {
			if m.Exists && !m.Ready {
				// A member still starting, or one that will report a lost
				// volume once the leader reaches it: its pod may not change
				// again to wake us, so look again soon.
				return 2 * time.Second
			}
		}
		return p.idleRequeue(30 * time.Second)
	case membership.Wait, membership.Refuse:
		return 2 * time.Second
	}
	return 500 * time.Millisecond
}
