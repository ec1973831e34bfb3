package podlayout

import "strings"

// Names in a member pod that the operator renders and users' pod settings
// (spec.pod) may not take: a sidecar, volume, mount or variable of the same
// name or over the same path would replace or shadow the server's.
const (
	ServerContainer            = "server"
	VolumePermissionsContainer = "volume-permissions"

	VolumeData       = "data"
	VolumeDataLog    = "datalog"
	VolumeConfig     = "config"
	VolumeTLS        = "tls"
	VolumeSASLUsers  = "sasl-users"
	VolumeClientTLS  = "client-tls"
	EnvPodNamespace  = "POD_NAMESPACE"
	HostnameTopology = "kubernetes.io/hostname"
)

// DataLogDir is where a member's own transaction-log volume is mounted
// (spec.storage.dataLog): zoo.cfg's dataLogDir, the Raft WAL's directory.
const DataLogDir = "/datalog"

// ReservedContainers are the container names of a member pod.
func ReservedContainers() []string { return []string{ServerContainer, VolumePermissionsContainer} }

// ReservedVolumes are the volume names of a member pod.
func ReservedVolumes() []string {
	return []string{VolumeData, VolumeDataLog, VolumeConfig, VolumeTLS, VolumeSASLUsers, VolumeClientTLS}
}

// ReservedEnv are the variables the server container gets from the operator.
func ReservedEnv() []string { return []string{EnvPodNamespace, EnvSuperDigest} }

// ReservedPaths are the server container's mounts: none may be mounted over
// or under.
func ReservedPaths() []string { return []string{DataDir, DataLogDir, ConfigDir} }

// ReservedPorts are the ports the server listens on (a sidecar shares them).
func ReservedPorts() []int32 {
	return []int32{ClientPort, SecureClientPort, QuorumPort, ElectionPort, AdminPort, ProbePort}
}

// OverReservedPath reports whether mounting at path would shadow one of
// the server's mounts (the same path or under it).
func OverReservedPath(path string) bool {
	path = strings.TrimRight(path, "/")
	for _, p := range ReservedPaths() {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}
