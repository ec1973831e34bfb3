package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

func sampleView() *view {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	z := &zkv1.ZKEnsemble{
		ObjectMeta: metav1.ObjectMeta{Namespace: "prod", Name: "zk", Annotations: map[string]string{zkv1.SwitchoverToAnnotation: "2"}},
		Spec:       zkv1.ZKEnsembleSpec{Replicas: 3},
		Status: zkv1.ZKEnsembleStatus{
			Phase: "Running", Leader: "zk-0", VotingMembers: 3, ReadyMembers: 2, ConfigVersion: "0x100000003",
			ConnectString: "zk-0.zk-peers:2181,zk-1.zk-peers:2181,zk-2.zk-peers:2181", ServerListVersion: 4294967299,
			Members: []zkv1.MemberStatus{
				{ID: 1, Pod: "zk-0", Role: "leader", Zxid: "0x100000009"},
				{ID: 2, Pod: "zk-1", Role: "follower", Zxid: "0x100000009"},
				{ID: 3, Pod: "zk-2", Role: "follower", Zxid: "0x100000007", Lag: 2},
			},
			Conditions: []metav1.Condition{
				{Type: "Available", Status: "True", Reason: "QuorumServing", Message: "3 of 3 voters answer the leader zk-0", LastTransitionTime: metav1.NewTime(now.Add(-90 * time.Minute))},
				{Type: "Degraded", Status: "False", Reason: "Healthy", Message: "every voter answers the leader"},
			},
		},
	}
	ms := z.Status.Members
	return &view{ZKE: z, Now: now, Members: []member{
		{ID: 1, Pod: "zk-0", Ready: true, Operator: &ms[0], Live: &srvr{Version: "3.8.0-zkensemble-v0.4.0, built on 02/25/2022 08:49 GMT", State: "leader", Zxid: 0x10000000a, Connections: 5}},
		{ID: 2, Pod: "zk-1", Ready: true, Operator: &ms[1], Live: &srvr{Version: "3.8.0-zkensemble-v0.4.0, built on 02/25/2022 08:49 GMT", State: "follower", Zxid: 0x10000000a}},
		{ID: 3, Pod: "zk-2", Operator: &ms[2], LiveErr: "srvr through the pod proxy: connection refused"},
		{ID: 4, Pod: "zk-3", Live: &srvr{State: "observer", Zxid: 0x10000000a}},
	}}
}

func TestPrintStatus(t *testing.T) {
	var b bytes.Buffer
	printStatus(&b, sampleView())
	out := b.String()
	lines := strings.Split(out, "\n")
	row := func(prefix string) []string {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return strings.Fields(l)
			}
		}
		t.Fatalf("no line starting %q in:\n%s", prefix, out)
		return nil
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"Ensemble:", []string{"Ensemble:", "prod/zk"}},
		{"Leader:", []string{"Leader:", "zk-0"}},
		{"Voters:", []string{"Voters:", "3", "of", "3", "wanted", "(2", "pods", "ready)"}},
		{"Server list:", []string{"Server", "list:", "zk-0.zk-peers:2181,zk-1.zk-peers:2181,zk-2.zk-peers:2181", "(version", "4294967299)"}},
		{"Switchover:", []string{"Switchover:", "to", "member", "2", "requested"}},
		{"ID ", []string{"ID", "POD", "READY", "ROLE", "ZXID", "LAG", "SRVR", "MODE", "SRVR", "ZXID", "CONNECTIONS", "VERSION"}},
		{"1 ", []string{"1", "zk-0", "yes", "leader", "0x100000009", "0", "leader", "0x10000000a", "5", "3.8.0-zkensemble-v0.4.0"}},
		{"3 ", []string{"3", "zk-2", "no", "follower", "0x100000007", "2", "unreachable", "-", "-", "-"}},
		{"4 ", []string{"4", "zk-3", "no", "-", "-", "-", "observer", "0x10000000a", "0", "-"}},
		{"  zk-2:", []string{"zk-2:", "srvr", "through", "the", "pod", "proxy:", "connection", "refused"}},
		{"Available", []string{"Available", "True", "QuorumServing", "90m", "3", "of", "3", "voters", "answer", "the", "leader", "zk-0"}},
		{"Degraded", []string{"Degraded", "False", "Healthy", "-", "every", "voter", "answers", "the", "leader"}},
	} {
		if got := row(tc.prefix); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("line %q:\n got %q\nwant %q", tc.prefix, got, tc.want)
		}
	}
}

func TestPrintBackup(t *testing.T) {
	b := newBackup("prod", "zk", map[string]any{"pvc": map[string]any{"claimName": "backups"}})
	b.SetName("zk-x7k2p")
	b.Object["status"] = map[string]any{"phase": "Failed", "zxid": "0x100000042", "location": "file:///backup/zk/0x100000042.tar",
		"member": int64(2), "conditions": []any{map[string]any{"type": "Failed", "status": "True", "reason": "UploadFailed", "message": "no space left"}}}
	var out bytes.Buffer
	printBackup(&out, b)
	want := "zkbackup/zk-x7k2p: Failed\n  zxid:     0x100000042\n  location: file:///backup/zk/0x100000042.tar\n  member:   2\n  Failed: UploadFailed no space left\n"
	if out.String() != want {
		t.Errorf("printBackup:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestDestination(t *testing.T) {
	withSpec := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"backup": map[string]any{
		"schedule": "@daily", "destination": map[string]any{"pvc": map[string]any{"claimName": "nightly"}}}}}}
	without := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{}}}
	without.SetName("zk")
	for _, tc := range []struct {
		name  string
		flags destinationFlags
		ens   *unstructured.Unstructured
		want  string // the destination's JSON-ish print, or the error's text
	}{
		{"the ensemble's", destinationFlags{}, withSpec, "map[pvc:map[claimName:nightly]]"},
		{"none", destinationFlags{}, without, "ensemble zk has no spec.backup.destination: give --s3-bucket or --pvc"},
		{"pvc flag", destinationFlags{pvc: "claim/sub/dir"}, withSpec, "map[pvc:map[claimName:claim subPath:sub/dir]]"},
		{"s3 flags", destinationFlags{s3Bucket: "zk-backups", s3Endpoint: "http://store:8333", s3Credentials: "creds", s3PathStyle: true}, without,
			"map[s3:map[bucket:zk-backups credentialsSecret:map[name:creds] endpoint:http://store:8333 forcePathStyle:true]]"},
		{"s3 without credentials", destinationFlags{s3Bucket: "b"}, without, "--s3-bucket needs --s3-credentials-secret"},
		{"both", destinationFlags{s3Bucket: "b", pvc: "c"}, without, "a backup has one destination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.flags.destination(tc.ens)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = fmtAny(d)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("destination = %s, want %s", got, tc.want)
			}
		})
	}
}

func fmtAny(v any) string { return strings.TrimSpace(strings.ReplaceAll(sprint(v), "\n", " ")) }

func TestCheckVoter(t *testing.T) {
	z := sampleView().ZKE
	z.Status.Members = append(z.Status.Members, zkv1.MemberStatus{ID: 4, Role: "learner"})
	for _, tc := range []struct {
		id   int32
		want string
	}{
		{2, ""}, {1, ""}, {4, "member 4 is a learner, not a voter: only a voter can lead"}, {7, "member 7 is not in the configuration the operator last saw (members: 1 (leader), 2 (follower), 3 (follower), 4 (learner))"},
	} {
		err := checkVoter(z, tc.id)
		if got := errText(err); got != tc.want {
			t.Errorf("checkVoter(%d) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--version"}, 0, "kubectl-zke dev ("},
		{[]string{"version"}, 0, "kubectl-zke dev ("},
		{[]string{"status"}, 2, "Usage:"},
		{[]string{"frobnicate", "zk"}, 2, `unknown command "frobnicate"`},
		{[]string{"status", "zk", "--no-such-flag"}, 2, "unknown flag: --no-such-flag"},
		{[]string{"--kubeconfig", "/nonexistent/kubeconfig", "status", "zk"}, 1, "/nonexistent/kubeconfig"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.out) {
			t.Errorf("%v: exit %d, output %q%q; want exit %d with %q", tc.args, code, out.String(), errb.String(), tc.code, tc.out)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func sprint(v any) string { return fmt.Sprint(v) }
