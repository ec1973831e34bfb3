package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// switchoverCmd asks the operator to hand leadership to member --to, and
// with --wait waits until the member says it leads.
func switchoverCmd(ctx context.Context, k *kube, o *options, name string, out io.Writer) error {
	if o.to == 0 {
		return fmt.Errorf("--to ID is required (a voter's member id, see kubectl zke status %s)", name)
	}
	zke := &zkv1.ZKEnsemble{}
	if err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: name}, zke); err != nil {
		return err
	}
	if err := checkVoter(zke, int32(o.to)); err != nil {
		return err
	}
	target := fmt.Sprintf("%s-%d", name, o.to-1)
	if s, err := k.srvr(ctx, target); err == nil && s.State == "leader" {
		fmt.Fprintf(out, "member %d (%s) already leads\n", o.to, target)
		return nil
	}
	if err := k.annotate(ctx, zke, zkv1.SwitchoverToAnnotation, strconv.Itoa(int(o.to))); err != nil {
		return err
	}
	fmt.Fprintf(out, "switchover to member %d (%s) requested\n", o.to, target)
	if !o.wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	// The operator removes the annotation when the member leads, or when
	// it cannot (with a Warning event).
	err := k.watchUntil(ctx, &zkv1.ZKEnsembleList{}, client.MatchingFields{"metadata.name": name}, func() (bool, error) {
		cur := &zkv1.ZKEnsemble{}
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(zke), cur); err != nil {
			return false, err
		}
		_, pending := cur.Annotations[zkv1.SwitchoverToAnnotation]
		return !pending, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the operator: %w", err)
	}
	s, err := k.srvr(ctx, target)
	if err != nil {
		return err
	}
	if s.State != "leader" {
		return fmt.Errorf("the operator dropped the request and member %d is %s: see kubectl describe zke %s", o.to, s.State, name)
	}
	fmt.Fprintf(out, "member %d (%s) leads\n", o.to, target)
	return nil
}

// checkVoter refuses a switchover to an id that is not a voter the operator
// has seen (it would refuse too, later).
func checkVoter(zke *zkv1.ZKEnsemble, id int32) error {
	for _, m := range zke.Status.Members {
		if m.ID == id {
			if m.Role != "leader" && m.Role != "follower" {
				return fmt.Errorf("member %d is a %s, not a voter: only a voter can lead", id, m.Role)
			}
			return nil
		}
	}
	return fmt.Errorf("member %d is not in the configuration the operator last saw (members: %s)", id, memberIDs(zke))
}

func memberIDs(zke *zkv1.ZKEnsemble) string {
	s := ""
	for i, m := range zke.Status.Members {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d (%s)", m.ID, m.Role)
	}
	if s == "" {
		return "none yet"
	}
	return s
}

// restartCmd sets the restartedAt annotation: the operator rolls the pods,
// followers first, the leader last after a handover. With --wait it prints
// each member as it comes back and returns when all run the new revision.
func restartCmd(ctx context.Context, k *kube, o *options, name string, out io.Writer) error {
	zke := &zkv1.ZKEnsemble{}
	if err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: name}, zke); err != nil {
		return err
	}
	sts := &appsv1.StatefulSet{}
	if err := k.c.Get(ctx, client.ObjectKeyFromObject(zke), sts); err != nil {
		return err
	}
	before := sts.Status.UpdateRevision
	at := time.Now().UTC().Format(time.RFC3339)
	if err := k.annotate(ctx, zke, zkv1.RestartedAtAnnotation, at); err != nil {
		return err
	}
	fmt.Fprintf(out, "restart of %s requested (restartedAt %s)\n", name, at)
	if !o.wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	sel := labels.SelectorFromSet(memberSelector(name))
	seen := map[string]bool{}
	err := k.watchUntil(ctx, &corev1.PodList{}, client.MatchingLabelsSelector{Selector: sel}, func() (bool, error) {
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(zke), sts); err != nil {
			return false, err
		}
		rev := sts.Status.UpdateRevision
		if rev == "" || rev == before {
			return false, nil // the operator has not rendered the new template yet
		}
		var pods corev1.PodList
		if err := k.c.List(ctx, &pods, client.InNamespace(k.ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
			return false, err
		}
		done := 0
		for _, p := range pods.Items {
			if p.Labels[appsv1.ControllerRevisionHashLabelKey] == rev && p.DeletionTimestamp.IsZero() && podReady(&p) {
				done++
				if !seen[p.Name] {
					seen[p.Name] = true
					fmt.Fprintf(out, "%s restarted\n", p.Name)
				}
			}
		}
		want := 0
		if sts.Spec.Replicas != nil {
			want = int(*sts.Spec.Replicas)
		}
		return done == want && len(pods.Items) == want, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the rollout: %w", err)
	}
	fmt.Fprintf(out, "%s restarted: every member runs revision %s\n", name, sts.Status.UpdateRevision)
	return nil
}

// annotate sets one annotation on the ensemble (a merge patch).
func (k *kube) annotate(ctx context.Context, zke *zkv1.ZKEnsemble, key, value string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: value}}})
	if err != nil {
		return err
	}
	return k.c.Patch(ctx, zke, client.RawPatch(types.MergePatchType, patch))
}

// watchUntil calls done now and after every change of the listed objects
// until it returns true, an error, or ctx ends. A watch the server closes is
// opened again.
func (k *kube) watchUntil(ctx context.Context, list client.ObjectList, sel client.ListOption, done func() (bool, error)) error {
	for {
		if err := k.c.List(ctx, list, client.InNamespace(k.ns), sel); err != nil {
			return err
		}
		if ok, err := done(); ok || err != nil {
			return err
		}
		rv := list.GetResourceVersion()
		w, err := k.c.Watch(ctx, list, client.InNamespace(k.ns), sel, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})
		if err != nil {
			return err
		}
		if ok, err := drain(ctx, w, done); ok || err != nil {
			return err
		}
	}
}

// drain reads w's events until done is true, an error, or w closes (false, nil).
func drain(ctx context.Context, w watch.Interface, done func() (bool, error)) (bool, error) {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, open := <-w.ResultChan():
			if !open {
				return false, nil
			}
			if ev.Type == watch.Error {
				return false, nil // e.g. a resource version too old: list again
			}
			if ok, err := done(); ok || err != nil {
				return ok, err
			}
		}
	}
}
