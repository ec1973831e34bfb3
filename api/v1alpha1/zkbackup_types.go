package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BackupSpec is an ensemble's scheduled backups (spec.backup).
type BackupSpec struct {
	// Schedule is a cron expression in the operator's time zone (UTC in its
	// image): five fields ("*/15 * * * *"), or @hourly, @daily, @every 1h...
	// +kubebuilder:validation:XValidation:rule="self.matches('^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every [0-9][0-9a-z.]*|[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+)$')",message="schedule is a cron expression: five fields (minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\") or @hourly, @daily, @weekly, @every 1h"
	Schedule string `json:"schedule"`
	// Retention deletes old backups after each scheduled one.
	// +optional
	Retention BackupRetention `json:"retention,omitempty"`
	// Destination of every scheduled backup.
	Destination BackupDestination `json:"destination"`
}

// BackupRetention keeps the newest keepLast backups and every backup younger
// than keepWithin; with both set a backup is kept when either keeps it.
// Unset: every backup is kept.
type BackupRetention struct {
	// +kubebuilder:validation:Minimum=1
	// +optional
	KeepLast *int32 `json:"keepLast,omitempty"`
	// KeepWithin is a Go duration ("168h" for a week; no days unit).
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(\\\\.[0-9]+)?(ns|us|ms|s|m|h))+$')",message="keepWithin is a duration such as 168h or 90m (units ns, us, ms, s, m, h; no days: 7 days is 168h)"
	// +optional
	KeepWithin string `json:"keepWithin,omitempty"`
}

// BackupDestination is where backups are written: an S3-compatible bucket
// or a PersistentVolumeClaim.
// +kubebuilder:validation:XValidation:rule="has(self.s3) != has(self.pvc)",message="a destination is exactly one of s3 or pvc"
type BackupDestination struct {
	// +optional
	S3 *S3Destination `json:"s3,omitempty"`
	// +optional
	PVC *PVCSource `json:"pvc,omitempty"`
}

// S3Destination is a bucket of an S3-compatible object store.
type S3Destination struct {
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`
	Bucket string `json:"bucket"`
	// Prefix of the backups' keys in the bucket.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.contains('..') && self.matches('^[A-Za-z0-9/._-]*$')",message="prefix is a relative key prefix: letters, digits, '/', '.', '_', '-', no leading '/' and no '..'"
	// +optional
	Prefix string `json:"prefix,omitempty"`
	// Endpoint of an S3-compatible store (http:// or https://); unset: AWS.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://[^/?#&\\\\s]+/?$')",message="endpoint is a URL such as https://s3.example.com or http://minio.store:9000 (scheme, host and port only)"
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]*$`
	// +optional
	Region string `json:"region,omitempty"`
	// ForcePathStyle addresses the bucket in the path (most S3-compatible
	// stores need it) rather than in the host name.
	// +optional
	ForcePathStyle bool `json:"forcePathStyle,omitempty"`
	// CredentialsSecret names a Secret of the namespace with keys
	// accessKeyId and secretAccessKey; only the backup Jobs read it.
	CredentialsSecret SecretRef `json:"credentialsSecret"`
}

// SecretRef names a Secret in the object's namespace.
type SecretRef struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// Keys of a credentials Secret.
const (
	AccessKeyIDKey     = "accessKeyId"
	SecretAccessKeyKey = "secretAccessKey"
)

// PVCSource is a directory on a PersistentVolumeClaim of the namespace.
type PVCSource struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ClaimName string `json:"claimName"`
	// SubPath is a relative directory on the volume; unset: its root.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.contains('..')",message="subPath is a relative path on the volume, without '..'"
	// +optional
	SubPath string `json:"subPath,omitempty"`
}

// BootstrapSpec fills a new ensemble: its seed member (member 1) starts
// from the data, the others join it. Exactly one source.
// +kubebuilder:validation:XValidation:rule="has(self.fromBackup) != has(self.fromZooKeeper)",message="bootstrap takes exactly one of fromBackup or fromZooKeeper"
type BootstrapSpec struct {
	// +optional
	FromBackup *BootstrapFromBackup `json:"fromBackup,omitempty"`
	// +optional
	FromZooKeeper *BootstrapFromZooKeeper `json:"fromZooKeeper,omitempty"`
}

// BootstrapFromBackup restores a backup, at its zxid; its sessions are
// expired (their ephemeral nodes removed).
// +kubebuilder:validation:XValidation:rule="has(self.backupName) != has(self.location)",message="fromBackup takes exactly one of backupName (a ZKBackup of this namespace) or location (a backup's status.location)"
// +kubebuilder:validation:XValidation:rule="has(self.location) || (!has(self.credentialsSecret) && !has(self.pvc))",message="credentialsSecret and pvc go with location only: a ZKBackup's destination says how to read it"
// +kubebuilder:validation:XValidation:rule="!has(self.location) || !self.location.startsWith('s3://') || has(self.credentialsSecret)",message="an s3:// location needs credentialsSecret (keys accessKeyId, secretAccessKey)"
// +kubebuilder:validation:XValidation:rule="!has(self.location) || !self.location.startsWith('file://') || has(self.pvc)",message="a file:// location needs pvc: the claim the backup was written to, mounted where the backup Job mounted it"
type BootstrapFromBackup struct {
	// BackupName is a Succeeded ZKBackup of this namespace.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	BackupName string `json:"backupName,omitempty"`
	// Location is a backup's status.location (s3://... or file:///backup/...).
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('s3://') || self.startsWith('file:///')",message="location is a backup's status.location: s3://bucket/key?endpoint=... or file:///backup/..."
	// +optional
	Location string `json:"location,omitempty"`
	// +optional
	CredentialsSecret *SecretRef `json:"credentialsSecret,omitempty"`
	// +optional
	PVC *PVCSource `json:"pvc,omitempty"`
}

// BootstrapFromZooKeeper imports an Apache ZooKeeper 3.x data directory:
// from a PersistentVolumeClaim (the directory holding version-2/), or from
// a .tar or .tar.gz archive of one in an S3-compatible bucket.
// +kubebuilder:validation:XValidation:rule="has(self.pvc) != has(self.location)",message="fromZooKeeper takes exactly one of pvc (a claim holding the data directory) or location (an s3:// archive of it)"
// +kubebuilder:validation:XValidation:rule="has(self.location) == has(self.credentialsSecret)",message="an s3:// location needs credentialsSecret (keys accessKeyId, secretAccessKey), and credentialsSecret goes with location only"
type BootstrapFromZooKeeper struct {
	// +optional
	PVC *PVCSource `json:"pvc,omitempty"`
	// Location is the archive: s3://bucket/key.tar.gz?endpoint=...&region=...
	// (a .tar, .tar.gz or .tgz of the data directory).
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('s3://') && (self.split('?')[0].endsWith('.tar') || self.split('?')[0].endsWith('.tar.gz') || self.split('?')[0].endsWith('.tgz'))",message="location is an archive in a bucket: s3://bucket/key.tar.gz?endpoint=... (.tar, .tar.gz or .tgz)"
	// +optional
	Location string `json:"location,omitempty"`
	// +optional
	CredentialsSecret *SecretRef `json:"credentialsSecret,omitempty"`
}

// BootstrapStatus records what spec.bootstrap did.
type BootstrapStatus struct {
	// Phase: Pending (its source is not ready), Restoring, Restored, Failed.
	// +kubebuilder:validation:Enum=Pending;Restoring;Restored;Failed
	Phase string `json:"phase"`
	// Mode is what the seed member runs: restore (a backup) or import (a
	// ZooKeeper data directory).
	// +kubebuilder:validation:Enum=restore;import
	// +optional
	Mode string `json:"mode,omitempty"`
	// Location is the backup the seed member restores (restore only).
	// +optional
	Location string `json:"location,omitempty"`
	// CredentialsSecret and PVC are how the seed member reaches its source,
	// fixed once resolved: a ZKBackup deleted later changes nothing.
	// +optional
	CredentialsSecret string `json:"credentialsSecret,omitempty"`
	// +optional
	PVC *PVCSource `json:"pvc,omitempty"`
	// Zxid the ensemble started from, once Restored.
	// +optional
	Zxid string `json:"zxid,omitempty"`
	// Message says what happens, or why it failed.
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// ZKBackupSpec is one backup of an ensemble.
type ZKBackupSpec struct {
	// Ensemble is the ZKEnsemble of this namespace to back up.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a ZKBackup's ensemble cannot change: create another ZKBackup"
	Ensemble string `json:"ensemble"`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a ZKBackup's destination cannot change: create another ZKBackup"
	Destination BackupDestination `json:"destination"`
	// Retention is applied to the store after this backup (set on the
	// backups the schedule makes).
	// +optional
	Retention *BackupRetention `json:"retention,omitempty"`
}

// Phases of a ZKBackup.
const (
	BackupPending   = "Pending"
	BackupRunning   = "Running"
	BackupSucceeded = "Succeeded"
	BackupFailed    = "Failed"
)

// ZKBackupStatus is what the backup Job reported.
type ZKBackupStatus struct {
	// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed
	// +optional
	Phase string `json:"phase,omitempty"`
	// Member is the id of the member the backup was taken from.
	// +optional
	Member int32 `json:"member,omitempty"`
	// Zxid is the committed zxid the backup holds everything up to.
	// +optional
	Zxid string `json:"zxid,omitempty"`
	// Size of the archive in bytes.
	// +optional
	Size int64 `json:"size,omitempty"`
	// Location is where the archive is: what spec.bootstrap.fromBackup.location takes.
	// +optional
	Location string `json:"location,omitempty"`
	// +optional
	SHA256 string `json:"sha256,omitempty"`
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// Pruned are the backups retention deleted from the store after this one.
	// +optional
	Pruned []string `json:"pruned,omitempty"`
	// Conditions: Complete, Failed (reason and message say why).
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ZKBackup is a backup of a ZKEnsemble to object storage or a volume.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=zkb
// +kubebuilder:printcolumn:name="Ensemble",type=string,JSONPath=".spec.ensemble"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=".status.phase"
// +kubebuilder:printcolumn:name="Zxid",type=string,JSONPath=".status.zxid"
// +kubebuilder:printcolumn:name="Size",type=integer,JSONPath=".status.size"
// +kubebuilder:printcolumn:name="Completed",type=date,JSONPath=".status.completionTime"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type ZKBackup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ZKBackupSpec   `json:"spec,omitempty"`
	Status ZKBackupStatus `json:"status,omitempty"`
}

// ZKBackupList is a list of ZKBackups.
// +kubebuilder:object:root=true
type ZKBackupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ZKBackup `json:"items"`
}
