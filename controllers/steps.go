package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/membership"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// execute does one step, planned from the pass's observation (p.obs), and
// records an event for it.
func (p *pass) execute(ctx context.Context, s membership.Step) (err error) {
	switch s.Action {
	case membership.Done, membership.Wait, membership.Refuse:
		return nil
	}
	began := time.Now()
	defer func() {
		outcome := "ok"
		if err != nil {
			outcome = "error"
		}
		stepDuration.WithLabelValues(string(s.Action), outcome).Observe(time.Since(began).Seconds())
	}()
	switch s.Action {
	case membership.SetReplicas:
		p.replicas = int32(s.Replicas)
		// Each pod's certificate is in place before the pod (normally
		// already: the pass began with the certificates up to the spec).
		err = p.ensureMemberCerts(ctx, p.ca, max(p.certIDs, uint64(s.Replicas)))
		if err == nil {
			err = p.apply(ctx, p.rd.statefulSet(p.replicas), fieldOwner)
		}
		if err == nil {
			err = p.applyPDB(ctx)
		}
	case membership.SetObserverReplicas:
		err = p.setObserverReplicas(ctx, int32(s.Replicas))
	case membership.RestartPod:
		pod, ok := p.pods[s.Member]
		if !ok {
			return nil
		}
		err = p.r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID})
	case membership.Publish:
		err = p.publish(ctx)
	case membership.ForceNewCluster, membership.RestartSurvivor, membership.FinishRecovery, membership.DropRecoveryRequest:
		err = p.executeRecovery(ctx, s)
	default:
		if p.obs.Leader == nil {
			return fmt.Errorf("no leader to carry out %s", s.Action)
		}
		ens, eerr := p.ensemble()
		if eerr != nil {
			return eerr
		}
		actx, cancel := context.WithTimeout(ctx, 40*time.Second)
		defer cancel()
		err = ens.Execute(actx, s, p.obs.Leader.ID)
		if pod, ok := p.pods[s.Member]; err == nil && s.Replace && ok {
			// A new pod starts at once; the old one may sit in a crash loop's back-off.
			err = client.IgnoreNotFound(p.r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}))
		}
	}
	if err != nil {
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeWarning, "StepFailed", string(s.Action), "%s: %v", s.Reason, err)
		return err
	}
	p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeNormal, string(s.Action), string(s.Action), "%s", s.Reason)
	stepsTotal.WithLabelValues(string(s.Action)).Inc()
	return nil
}

// publish writes the committed voters, as the pass observed them at the
// leader, as the client server list, only after the change it reflects
// committed (the planner asks for it then).
func (p *pass) publish(ctx context.Context) error {
	leader := p.obs.Leader
	if leader == nil {
		return fmt.Errorf("no leader to read the committed configuration from")
	}
	var addrs, ids, observers []string
	for _, m := range leader.Members {
		switch {
		case m.Role != adminapi.RoleLearner:
			ids = append(ids, fmt.Sprint(m.ID))
		case podlayout.IsObserverID(m.ID):
			observers = append(observers, fmt.Sprint(m.ID)) // clients read from observers too
		default:
			continue
		}
		addrs = append(addrs, m.ClientAddr)
	}
	cm := p.rd.serversConfigMap(strings.Join(addrs, ","), leader.ConfigVersion, strings.Join(ids, ","))
	cm.Data[keyObservers] = strings.Join(observers, ",")
	if secure := p.rd.secureConnectString(addrs); secure != "" {
		cm.Data[keySecureConnectString] = secure
	}
	if err := p.apply(ctx, cm, publishOwner); err != nil {
		return err
	}
	p.servers = cm
	return p.applyPDB(ctx)
}

// applyPDB sizes the disruption budget from the voters (or removes it).
func (p *pass) applyPDB(ctx context.Context) error {
	voters := p.zke.Spec.Replicas
	if p.replicas < voters {
		voters = p.replicas
	}
	pdb := p.rd.pdb(voters)
	if pdb == nil {
		old := &policyv1.PodDisruptionBudget{}
		old.Name, old.Namespace = p.n.pdb(), p.zke.Namespace
		return client.IgnoreNotFound(p.r.Delete(ctx, old))
	}
	return p.apply(ctx, pdb, fieldOwner)
}
