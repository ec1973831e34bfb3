package wire

import "fmt"

// ErrCode is a ZooKeeper error code (KeeperException.Code). It implements
// error so client code can return it and callers can compare with errors.Is.
type ErrCode int32

const (
	ErrOK                       ErrCode = 0
	ErrSystemError              ErrCode = -1
	ErrRuntimeInconsistency     ErrCode = -2
	ErrDataInconsistency        ErrCode = -3
	ErrConnectionLoss           ErrCode = -4
	ErrMarshallingError         ErrCode = -5
	ErrUnimplemented            ErrCode = -6
	ErrOperationTimeout         ErrCode = -7
	ErrBadArguments             ErrCode = -8
	ErrUnknownSession           ErrCode = -12
	ErrNewConfigNoQuorum        ErrCode = -13
	ErrReconfigInProgress       ErrCode = -14
	ErrAPIError                 ErrCode = -100
	ErrNoNode                   ErrCode = -101
	ErrNoAuth                   ErrCode = -102
	ErrBadVersion               ErrCode = -103
	ErrNoChildrenForEphemerals  ErrCode = -108
	ErrNodeExists               ErrCode = -110
	ErrNotEmpty                 ErrCode = -111
	ErrSessionExpired           ErrCode = -112
	ErrInvalidCallback          ErrCode = -113
	ErrInvalidACL               ErrCode = -114
	ErrAuthFailed               ErrCode = -115
	ErrSessionMoved             ErrCode = -118
	ErrNotReadOnly              ErrCode = -119
	ErrEphemeralOnLocalSession  ErrCode = -120
	ErrNoWatcher                ErrCode = -121
	ErrRequestTimeout           ErrCode = -122
	ErrReconfigDisabled         ErrCode = -123
	ErrSessionClosedRequireSASL ErrCode = -124
	ErrQuotaExceeded            ErrCode = -125
	ErrThrottledOp              ErrCode = -127
)

var errText = map[ErrCode]string{
	ErrOK:                       "ok",
	ErrSystemError:              "system error",
	ErrRuntimeInconsistency:     "runtime inconsistency",
	ErrDataInconsistency:        "data inconsistency",
	ErrConnectionLoss:           "connection loss",
	ErrMarshallingError:         "marshalling error",
	ErrUnimplemented:            "unimplemented",
	ErrOperationTimeout:         "operation timeout",
	ErrBadArguments:             "bad arguments",
	ErrUnknownSession:           "unknown session",
	ErrNewConfigNoQuorum:        "no quorum of new config is connected and up-to-date with the leader of last commmitted config - try invoking reconfiguration after new servers are connected and synced",
	ErrReconfigInProgress:       "another reconfiguration is in progress -- concurrent reconfigs not supported (yet)",
	ErrAPIError:                 "api error",
	ErrNoNode:                   "no node",
	ErrNoAuth:                   "not authenticated",
	ErrBadVersion:               "bad version",
	ErrNoChildrenForEphemerals:  "no children for ephemerals",
	ErrNodeExists:               "node exists",
	ErrNotEmpty:                 "directory not empty",
	ErrSessionExpired:           "session expired",
	ErrInvalidCallback:          "invalid callback",
	ErrInvalidACL:               "invalid ACL",
	ErrAuthFailed:               "authentication failed",
	ErrSessionMoved:             "session moved",
	ErrNotReadOnly:              "not a read-only call",
	ErrEphemeralOnLocalSession:  "ephemeral node on local session",
	ErrNoWatcher:                "no watcher",
	ErrRequestTimeout:           "request timeout",
	ErrReconfigDisabled:         "reconfig is disabled",
	ErrSessionClosedRequireSASL: "session closed because client failed to authenticate",
	ErrQuotaExceeded:            "quota has exceeded",
	ErrThrottledOp:              "op throttled due to high load",
}

func (c ErrCode) Error() string {
	if s, ok := errText[c]; ok {
		return "zk: " + s
	}
	return fmt.Sprintf("zk: unknown error %d", int32(c))
}

// Err returns nil for ErrOK and c otherwise.
func (c ErrCode) Err() error {
	if c == ErrOK {
		return nil
	}
	return c
}
