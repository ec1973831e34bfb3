package podlayout

// BackupResult is the one JSON line `zkensemble-server backup` prints, and
// writes to its container's termination log, when a backup succeeds; the
// operator reads it back from a backup Job's pod.
type BackupResult struct {
	Name      string   `json:"name"`
	Location  string   `json:"location"`
	Zxid      string   `json:"zxid"`
	Size      int64    `json:"size"`
	SHA256    string   `json:"sha256"`
	Started   string   `json:"started"`
	Completed string   `json:"completed"`
	Pruned    []string `json:"pruned"`
}
