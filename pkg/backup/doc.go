// Package backup is the data plane of backups: the archive a member's
// backup endpoint streams (GET /v1/backup), the object store backups are
// kept in, retention, and the restore of an archive into a fresh data
// directory (pkg/seed).
//
// An archive is a POSIX tar (ustar) of two files, in this order:
// manifest.json (Manifest: ensemble id, zxid, Raft index, format version,
// server version, creation time, the snapshot's size and SHA-256) and
// snapshot (the state machine's snapshot bytes, what
// sessionserver.Server.Snapshot returns). `tar tvf` lists it and `tar xf`
// unpacks it. A reader checks the layout, the sizes and the checksum, and
// refuses a truncated or altered archive with an error that says so.
//
// Backups are stored through gocloud.dev/blob: s3:// (s3blob; the AWS SDK's
// standard credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, files,
// roles) and file:// (fileblob; a mounted volume), each under the name
// <ensemble>-<UTC time>-<zxid hex> (Name). Retention deletes only the
// backups of one ensemble, never the newest.
//
// Files: manifest.go (Manifest, Zxid), archive.go (Write, Open), names.go
// (Name, ParseName), store.go (Store), storeerr.go (what an object store's
// refusal means), retention.go (Retention), endpoint.go (the member's
// handler), restore.go (archive → data directory).
package backup
