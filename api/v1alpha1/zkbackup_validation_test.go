package v1alpha1

import (
	"strings"
	"testing"
)

func s3Dest() BackupDestination {
	return BackupDestination{S3: &S3Destination{Bucket: "zk-backups", Endpoint: "http://store.ns:8333", CredentialsSecret: SecretRef{Name: "creds"}}}
}

func TestValidateBackupSpec(t *testing.T) {
	base := func(mut func(*BackupSpec)) ZKEnsembleSpec {
		s := ZKEnsembleSpec{Replicas: 3, TickTime: 2000, Backup: &BackupSpec{Schedule: "*/5 * * * *", Destination: s3Dest()}}
		mut(s.Backup)
		return s
	}
	tests := []struct {
		name    string
		mut     func(*BackupSpec)
		wantErr string
	}{
		{"valid", func(*BackupSpec) {}, ""},
		{"descriptor", func(b *BackupSpec) { b.Schedule = "@every 1h" }, ""},
		{"six fields", func(b *BackupSpec) { b.Schedule = "0 */5 * * * *" }, "five fields"},
		{"bad field", func(b *BackupSpec) { b.Schedule = "61 * * * *" }, "five fields"},
		{"keepWithin in days", func(b *BackupSpec) { b.Retention.KeepWithin = "7d" }, "7 days is 168h"},
		{"keepWithin hours", func(b *BackupSpec) { b.Retention.KeepWithin = "168h"; b.Retention.KeepLast = i32(3) }, ""},
		{"keepLast zero", func(b *BackupSpec) { b.Retention.KeepLast = i32(0) }, "at least 1"},
		{"no destination", func(b *BackupSpec) { b.Destination = BackupDestination{} }, "exactly one of s3 or pvc"},
		{"both destinations", func(b *BackupSpec) { b.Destination.PVC = &PVCSource{ClaimName: "c"} }, "exactly one of s3 or pvc"},
		{"bucket upper case", func(b *BackupSpec) { b.Destination.S3.Bucket = "Backups" }, "S3 bucket name"},
		{"prefix escapes", func(b *BackupSpec) { b.Destination.S3.Prefix = "a/../b" }, "no '..'"},
		{"endpoint with path", func(b *BackupSpec) { b.Destination.S3.Endpoint = "http://h:1/x?y" }, "scheme, host and port only"},
		{"no credentials", func(b *BackupSpec) { b.Destination.S3.CredentialsSecret.Name = "" }, "accessKeyId and secretAccessKey"},
		{"pvc subPath absolute", func(b *BackupSpec) {
			b.Destination = BackupDestination{PVC: &PVCSource{ClaimName: "c", SubPath: "/etc"}}
		}, "relative path"},
		{"pvc", func(b *BackupSpec) {
			b.Destination = BackupDestination{PVC: &PVCSource{ClaimName: "c", SubPath: "zk/a"}}
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base(tc.mut)
			errs, _ := s.Validate()
			checkErrs(t, errs.ToAggregate(), tc.wantErr)
		})
	}
}

func checkErrs(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestValidateBootstrap(t *testing.T) {
	tests := []struct {
		name    string
		b       BootstrapSpec
		wantErr string
	}{
		{"backup name", BootstrapSpec{FromBackup: &BootstrapFromBackup{BackupName: "b1"}}, ""},
		{"both sources", BootstrapSpec{FromBackup: &BootstrapFromBackup{BackupName: "b1"}, FromZooKeeper: &BootstrapFromZooKeeper{PVC: &PVCSource{ClaimName: "c"}}}, "exactly one of fromBackup or fromZooKeeper"},
		{"name and location", BootstrapSpec{FromBackup: &BootstrapFromBackup{BackupName: "b1", Location: "s3://b/k"}}, "exactly one of backupName"},
		{"name with credentials", BootstrapSpec{FromBackup: &BootstrapFromBackup{BackupName: "b1", CredentialsSecret: &SecretRef{Name: "c"}}}, "go with location only"},
		{"s3 without credentials", BootstrapSpec{FromBackup: &BootstrapFromBackup{Location: "s3://b/k"}}, "needs credentialsSecret"},
		{"s3", BootstrapSpec{FromBackup: &BootstrapFromBackup{Location: "s3://b/k", CredentialsSecret: &SecretRef{Name: "c"}}}, ""},
		{"file without pvc", BootstrapSpec{FromBackup: &BootstrapFromBackup{Location: "file:///backup/x"}}, "needs pvc"},
		{"http location", BootstrapSpec{FromBackup: &BootstrapFromBackup{Location: "http://x/y"}}, "status.location"},
		{"zookeeper pvc", BootstrapSpec{FromZooKeeper: &BootstrapFromZooKeeper{PVC: &PVCSource{ClaimName: "zk-data", SubPath: "data"}}}, ""},
		{"zookeeper no claim", BootstrapSpec{FromZooKeeper: &BootstrapFromZooKeeper{PVC: &PVCSource{}}}, "name the PersistentVolumeClaim"},
		{"zookeeper no source", BootstrapSpec{FromZooKeeper: &BootstrapFromZooKeeper{}}, "exactly one of pvc"},
		{"zookeeper archive", BootstrapSpec{FromZooKeeper: &BootstrapFromZooKeeper{Location: "s3://b/zk/data.tar.gz?endpoint=http://s3:8333", CredentialsSecret: &SecretRef{Name: "c"}}}, ""},
		{"zookeeper archive without credentials", BootstrapSpec{FromZooKeeper: &BootstrapFromZooKeeper{Location: "s3://b/data.tgz"}}, "needs credentialsSecret"},
		{"zookeeper archive not a tar", BootstrapSpec{FromZooKeeper: &BootstrapFromZooKeeper{Location: "s3://b/data.zip", CredentialsSecret: &SecretRef{Name: "c"}}}, "(.tar, .tar.gz or .tgz)"},
		{"zookeeper pvc with credentials", BootstrapSpec{FromZooKeeper: &BootstrapFromZooKeeper{PVC: &PVCSource{ClaimName: "c"}, CredentialsSecret: &SecretRef{Name: "c"}}}, "goes with location only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ZKEnsembleSpec{Replicas: 3, TickTime: 2000, Bootstrap: &tc.b}
			errs, _ := s.Validate()
			checkErrs(t, errs.ToAggregate(), tc.wantErr)
		})
	}
}

// Restoring over a live ensemble is refused: bootstrap cannot be added,
// changed or removed after creation.
func TestBootstrapImmutable(t *testing.T) {
	from := &BootstrapSpec{FromBackup: &BootstrapFromBackup{BackupName: "b1"}}
	other := &BootstrapSpec{FromBackup: &BootstrapFromBackup{BackupName: "b2"}}
	tests := []struct {
		name     string
		old, new *BootstrapSpec
		wantErr  string
	}{
		{"unchanged", from, from, ""},
		{"added to a live ensemble", nil, from, "restoring over a live ensemble is refused"},
		{"changed", from, other, "cannot change"},
		{"removed", from, nil, "only when the ensemble is created"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := ZKEnsembleSpec{Replicas: 3, TickTime: 2000, Bootstrap: tc.old}
			cur := ZKEnsembleSpec{Replicas: 3, TickTime: 2000, Bootstrap: tc.new}
			errs, _ := cur.ValidateUpdate(&old)
			checkErrs(t, errs.ToAggregate(), tc.wantErr)
		})
	}
}

func TestValidateZKBackup(t *testing.T) {
	b := ZKBackupSpec{Ensemble: "zk", Destination: s3Dest()}
	checkErrs(t, b.Validate().ToAggregate(), "")
	checkErrs(t, (&ZKBackupSpec{Destination: s3Dest()}).Validate().ToAggregate(), "name the ZKEnsemble")
	moved := b
	moved.Destination = BackupDestination{PVC: &PVCSource{ClaimName: "c"}}
	checkErrs(t, moved.ValidateUpdate(&b).ToAggregate(), "destination cannot change")
	renamed := b
	renamed.Ensemble = "other"
	checkErrs(t, renamed.ValidateUpdate(&b).ToAggregate(), "ensemble cannot change")
}
