package v1alpha1

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The webhook's side of the rules the CRD states in CEL (zkbackup_types.go),
// with the same messages, and what CEL cannot check (the cron expression).
var (
	bucketName   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	keyPrefix    = regexp.MustCompile(`^[A-Za-z0-9/._-]*$`)
	endpointURL  = regexp.MustCompile(`^https?://[^/?#&\s]+/?$`)
	regionName   = regexp.MustCompile(`^[a-z0-9-]*$`)
	goDuration   = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`)
	cronShape    = regexp.MustCompile(`^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every [0-9][0-9a-z.]*|[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+)$`)
	cronSchedule = "schedule is a cron expression: five fields (minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\") or @hourly, @daily, @weekly, @every 1h"
)

// ParseSchedule parses spec.backup.schedule as the operator runs it.
func ParseSchedule(s string) (cron.Schedule, error) {
	if !cronShape.MatchString(s) {
		return nil, fmt.Errorf("%s", cronSchedule)
	}
	return cron.ParseStandard(s)
}

func (b *BackupSpec) validate(p *field.Path) (errs field.ErrorList) {
	if _, err := ParseSchedule(b.Schedule); err != nil {
		errs = append(errs, field.Invalid(p.Child("schedule"), b.Schedule, fmt.Sprintf("%s (%v)", cronSchedule, err)))
	}
	errs = append(errs, b.Retention.validate(p.Child("retention"))...)
	return append(errs, b.Destination.validate(p.Child("destination"))...)
}

func (r *BackupRetention) validate(p *field.Path) (errs field.ErrorList) {
	if r.KeepLast != nil && *r.KeepLast < 1 {
		errs = append(errs, field.Invalid(p.Child("keepLast"), *r.KeepLast, "keepLast must be at least 1 (leave it unset to keep every backup)"))
	}
	if r.KeepWithin != "" {
		if _, err := time.ParseDuration(r.KeepWithin); err != nil || !goDuration.MatchString(r.KeepWithin) {
			errs = append(errs, field.Invalid(p.Child("keepWithin"), r.KeepWithin, "keepWithin is a duration such as 168h or 90m (units ns, us, ms, s, m, h; no days: 7 days is 168h)"))
		}
	}
	return errs
}

func (d *BackupDestination) validate(p *field.Path) (errs field.ErrorList) {
	if (d.S3 == nil) == (d.PVC == nil) {
		return field.ErrorList{field.Invalid(p, "", "a destination is exactly one of s3 or pvc")}
	}
	if d.PVC != nil {
		return d.PVC.validate(p.Child("pvc"))
	}
	s3, p := d.S3, p.Child("s3")
	if len(s3.Bucket) < 3 || len(s3.Bucket) > 63 || !bucketName.MatchString(s3.Bucket) {
		errs = append(errs, field.Invalid(p.Child("bucket"), s3.Bucket, "bucket is an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-'"))
	}
	if strings.HasPrefix(s3.Prefix, "/") || strings.Contains(s3.Prefix, "..") || !keyPrefix.MatchString(s3.Prefix) {
		errs = append(errs, field.Invalid(p.Child("prefix"), s3.Prefix, "prefix is a relative key prefix: letters, digits, '/', '.', '_', '-', no leading '/' and no '..'"))
	}
	if s3.Endpoint != "" && !endpointURL.MatchString(s3.Endpoint) {
		errs = append(errs, field.Invalid(p.Child("endpoint"), s3.Endpoint, "endpoint is a URL such as https://s3.example.com or http://minio.store:9000 (scheme, host and port only)"))
	}
	if !regionName.MatchString(s3.Region) {
		errs = append(errs, field.Invalid(p.Child("region"), s3.Region, "region is an AWS region name such as us-east-1"))
	}
	if s3.CredentialsSecret.Name == "" {
		errs = append(errs, field.Required(p.Child("credentialsSecret", "name"), "name the Secret holding accessKeyId and secretAccessKey"))
	}
	return errs
}

func (s *PVCSource) validate(p *field.Path) (errs field.ErrorList) {
	if s.ClaimName == "" {
		errs = append(errs, field.Required(p.Child("claimName"), "name the PersistentVolumeClaim"))
	}
	if strings.HasPrefix(s.SubPath, "/") || strings.Contains(s.SubPath, "..") {
		errs = append(errs, field.Invalid(p.Child("subPath"), s.SubPath, "subPath is a relative path on the volume, without '..'"))
	}
	return errs
}

func (b *BootstrapSpec) validate(p *field.Path) field.ErrorList {
	if (b.FromBackup == nil) == (b.FromZooKeeper == nil) {
		return field.ErrorList{field.Invalid(p, "", "bootstrap takes exactly one of fromBackup or fromZooKeeper")}
	}
	if b.FromZooKeeper != nil {
		return b.FromZooKeeper.validate(p.Child("fromZooKeeper"))
	}
	fb, p := b.FromBackup, p.Child("fromBackup")
	switch {
	case (fb.BackupName == "") == (fb.Location == ""):
		return field.ErrorList{field.Invalid(p, "", "fromBackup takes exactly one of backupName (a ZKBackup of this namespace) or location (a backup's status.location)")}
	case fb.Location == "" && (fb.CredentialsSecret != nil || fb.PVC != nil):
		return field.ErrorList{field.Invalid(p, "", "credentialsSecret and pvc go with location only: a ZKBackup's destination says how to read it")}
	case fb.Location == "":
		return nil
	case strings.HasPrefix(fb.Location, "s3://"):
		if fb.CredentialsSecret == nil {
			return field.ErrorList{field.Required(p.Child("credentialsSecret"), "an s3:// location needs credentialsSecret (keys accessKeyId, secretAccessKey)")}
		}
	case strings.HasPrefix(fb.Location, "file:///"):
		if fb.PVC == nil {
			return field.ErrorList{field.Required(p.Child("pvc"), "a file:// location needs pvc: the claim the backup was written to, mounted where the backup Job mounted it")}
		}
		return fb.PVC.validate(p.Child("pvc"))
	default:
		return field.ErrorList{field.Invalid(p.Child("location"), fb.Location, "location is a backup's status.location: s3://bucket/key?endpoint=... or file:///backup/...")}
	}
	return nil
}

// validateBackups checks spec.backup and spec.bootstrap (from Validate).
func (s *ZKEnsembleSpec) validateBackups() (errs field.ErrorList) {
	if s.Backup != nil {
		errs = append(errs, s.Backup.validate(field.NewPath("spec", "backup"))...)
	}
	if s.Bootstrap != nil {
		errs = append(errs, s.Bootstrap.validate(field.NewPath("spec", "bootstrap"))...)
	}
	return errs
}

// validateBootstrapUpdate refuses any change of spec.bootstrap (from
// ValidateUpdate): it acts once, when the ensemble is created.
func (s *ZKEnsembleSpec) validateBootstrapUpdate(old *ZKEnsembleSpec) field.ErrorList {
	if reflect.DeepEqual(s.Bootstrap, old.Bootstrap) {
		return nil
	}
	p := field.NewPath("spec", "bootstrap")
	if old.Bootstrap == nil || s.Bootstrap == nil {
		return field.ErrorList{field.Forbidden(p, "spec.bootstrap is set only when the ensemble is created: restoring over a live ensemble is refused; create a new ZKEnsemble with spec.bootstrap")}
	}
	return field.ErrorList{field.Forbidden(p, "bootstrap is set when the ensemble is created and cannot change: restoring over a live ensemble is refused; create a new ZKEnsemble with spec.bootstrap")}
}

// Validate checks a ZKBackup (the webhook's rules; the CRD's CEL has the same).
func (s *ZKBackupSpec) Validate() (errs field.ErrorList) {
	if s.Ensemble == "" {
		errs = append(errs, field.Required(field.NewPath("spec", "ensemble"), "name the ZKEnsemble of this namespace to back up"))
	}
	if s.Retention != nil {
		errs = append(errs, s.Retention.validate(field.NewPath("spec", "retention"))...)
	}
	return append(errs, s.Destination.validate(field.NewPath("spec", "destination"))...)
}

// ValidateUpdate refuses changes of what a backup is of and where it goes.
func (s *ZKBackupSpec) ValidateUpdate(old *ZKBackupSpec) field.ErrorList {
	errs := s.Validate()
	if s.Ensemble != old.Ensemble {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "ensemble"), "a ZKBackup's ensemble cannot change: create another ZKBackup"))
	}
	if !reflect.DeepEqual(s.Destination, old.Destination) {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "destination"), "a ZKBackup's destination cannot change: create another ZKBackup"))
	}
	return errs
}

func (z *BootstrapFromZooKeeper) validate(p *field.Path) field.ErrorList {
	switch {
	case (z.PVC == nil) == (z.Location == ""):
		return field.ErrorList{field.Invalid(p, "", "fromZooKeeper takes exactly one of pvc (a claim holding the data directory) or location (an s3:// archive of it)")}
	case z.PVC != nil && z.CredentialsSecret != nil:
		return field.ErrorList{field.Invalid(p.Child("credentialsSecret"), "", "an s3:// location needs credentialsSecret (keys accessKeyId, secretAccessKey), and credentialsSecret goes with location only")}
	case z.PVC != nil:
		return z.PVC.validate(p.Child("pvc"))
	}
	key := strings.SplitN(z.Location, "?", 2)[0]
	if archive := strings.HasSuffix(key, ".tar") || strings.HasSuffix(key, ".tar.gz") || strings.HasSuffix(key, ".tgz"); !strings.HasPrefix(z.Location, "s3://") || !archive {
		return field.ErrorList{field.Invalid(p.Child("location"), z.Location, "location is an archive in a bucket: s3://bucket/key.tar.gz?endpoint=... (.tar, .tar.gz or .tgz)")}
	}
	if z.CredentialsSecret == nil {
		return field.ErrorList{field.Required(p.Child("credentialsSecret"), "an s3:// location needs credentialsSecret (keys accessKeyId, secretAccessKey), and credentialsSecret goes with location only")}
	}
	return nil
}
