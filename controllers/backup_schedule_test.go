package controllers

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

func TestDueTime(t *testing.T) {
	sched, err := zkv1.ParseSchedule("*/5 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		name      string
		last, now time.Time
		want      time.Time
	}{
		{"not due", at("2026-12-07T06:00:00Z"), at("2026-12-07T06:04:59Z"), time.Time{}},
		{"due", at("2026-12-07T06:00:00Z"), at("2026-12-07T06:05:01Z"), at("2026-12-07T06:05:00Z")},
		{"missed runs collapse into the latest", at("2026-12-07T06:00:00Z"), at("2026-12-07T06:17:00Z"), at("2026-12-07T06:15:00Z")},
	}
	for _, tc := range tests {
		if got := dueTime(sched.Next, tc.last, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	b := func(name, phase string, age time.Duration) zkv1.ZKBackup {
		return zkv1.ZKBackup{ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: zkv1.ZKBackupStatus{Phase: phase, CompletionTime: &metav1.Time{Time: now.Add(-age)}}}
	}
	items := []zkv1.ZKBackup{
		b("s1", zkv1.BackupSucceeded, 5*time.Hour), b("s2", zkv1.BackupSucceeded, 3*time.Hour), b("s3", zkv1.BackupSucceeded, 2*time.Hour),
		b("s4", zkv1.BackupSucceeded, time.Hour), b("s5", zkv1.BackupSucceeded, time.Minute), b("run", zkv1.BackupRunning, 0),
		b("f1", zkv1.BackupFailed, 6*time.Hour), b("f2", zkv1.BackupFailed, 4*time.Hour), b("f3", zkv1.BackupFailed, 3*time.Hour), b("f4", zkv1.BackupFailed, time.Hour),
	}
	tests := []struct {
		name string
		ret  zkv1.BackupRetention
		want []string
	}{
		{"keep all", zkv1.BackupRetention{}, []string{"f1"}},
		{"keepLast", zkv1.BackupRetention{KeepLast: ptr.To(int32(2))}, []string{"s3", "s2", "s1", "f1"}},
		{"keepWithin", zkv1.BackupRetention{KeepWithin: "150m"}, []string{"s2", "s1", "f1"}},
		{"the newest stays", zkv1.BackupRetention{KeepWithin: "1s"}, []string{"s4", "s3", "s2", "s1", "f1"}},
		{"either keeps", zkv1.BackupRetention{KeepLast: ptr.To(int32(1)), KeepWithin: "4h"}, []string{"s1", "f1"}},
	}
	for _, tc := range tests {
		var got []string
		for _, e := range expired(items, tc.ret, now) {
			got = append(got, e.Name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: deleted %v, want %v", tc.name, got, tc.want)
		}
	}
}
