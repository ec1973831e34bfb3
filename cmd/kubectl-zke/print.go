package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/duration"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// printStatus writes the status: the ensemble, its members as the operator
// last observed them and as each answers now, the published server list
// and the conditions.
func printStatus(w io.Writer, v *view) {
	z := v.ZKE
	st := &z.Status
	fmt.Fprintf(w, "Ensemble:     %s/%s\n", z.Namespace, z.Name)
	fmt.Fprintf(w, "Phase:        %s\n", orDash(st.Phase))
	fmt.Fprintf(w, "Leader:       %s\n", orDash(st.Leader))
	fmt.Fprintf(w, "Voters:       %d of %d wanted (%d pods ready)\n", st.VotingMembers, z.Spec.Replicas, st.ReadyMembers)
	fmt.Fprintf(w, "Config:       version %s\n", orDash(st.ConfigVersion))
	fmt.Fprintf(w, "Server list:  %s (version %d)\n", orDash(st.ConnectString), st.ServerListVersion)
	if st.SecureConnectString != "" {
		fmt.Fprintf(w, "Secure list:  %s\n", st.SecureConnectString)
	}
	if _, ok := z.Annotations[zkv1.SwitchoverToAnnotation]; ok {
		fmt.Fprintf(w, "Switchover:   to member %s requested\n", z.Annotations[zkv1.SwitchoverToAnnotation])
	}

	fmt.Fprintf(w, "\nMembers (operator's view, then each member's own srvr):\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPOD\tREADY\tROLE\tZXID\tLAG\tSRVR MODE\tSRVR ZXID\tCONNECTIONS\tVERSION")
	var unreachable []string
	for _, m := range v.Members {
		role, zxid, lag := "-", "-", "-"
		if o := m.Operator; o != nil {
			role, zxid, lag = orDash(o.Role), orDash(o.Zxid), fmt.Sprint(o.Lag)
		}
		mode, lzxid, conns, ver := "-", "-", "-", "-"
		if l := m.Live; l != nil {
			mode, lzxid, conns, ver = l.State, fmt.Sprintf("%#x", l.Zxid), fmt.Sprint(l.Connections), shortVersion(l.Version)
		} else if m.LiveErr != "" {
			mode = "unreachable"
			unreachable = append(unreachable, fmt.Sprintf("  %s: %s", orDash(m.Pod), m.LiveErr))
		}
		ready := "no"
		if m.Ready {
			ready = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, orDash(m.Pod), ready, role, zxid, lag, mode, lzxid, conns, ver)
	}
	_ = tw.Flush()
	if len(unreachable) > 0 {
		fmt.Fprintf(w, "Not answering srvr:\n%s\n", strings.Join(unreachable, "\n"))
	}

	fmt.Fprintf(w, "\nConditions:\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tSTATUS\tREASON\tAGE\tMESSAGE")
	for _, c := range st.Conditions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, age(v.Now, c.LastTransitionTime.Time), c.Message)
	}
	_ = tw.Flush()
}

// shortVersion is srvr's version without the build date.
func shortVersion(v string) string {
	s, _, _ := strings.Cut(v, ",")
	return orDash(s)
}

func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printBackup writes a ZKBackup's outcome: phase, member, zxid, location
// and, for a failure, the reason its conditions give.
func printBackup(w io.Writer, b *unstructured.Unstructured) {
	str := func(f ...string) string {
		s, _, _ := unstructured.NestedString(b.Object, f...)
		return orDash(s)
	}
	fmt.Fprintf(w, "zkbackup/%s: %s\n", b.GetName(), str("status", "phase"))
	fmt.Fprintf(w, "  zxid:     %s\n", str("status", "zxid"))
	fmt.Fprintf(w, "  location: %s\n", str("status", "location"))
	if m, ok, _ := unstructured.NestedInt64(b.Object, "status", "member"); ok {
		fmt.Fprintf(w, "  member:   %d\n", m)
	}
	conds, _, _ := unstructured.NestedSlice(b.Object, "status", "conditions")
	for _, c := range conds {
		if cm, ok := c.(map[string]any); ok && cm["status"] == "True" {
			fmt.Fprintf(w, "  %v: %v %v\n", cm["type"], cm["reason"], cm["message"])
		}
	}
}
