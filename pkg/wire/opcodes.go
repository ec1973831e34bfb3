package wire

// Opcodes (ZooDefs.OpCode).
const (
	OpNotification         int32 = 0
	OpCreate               int32 = 1
	OpDelete               int32 = 2
	OpExists               int32 = 3
	OpGetData              int32 = 4
	OpSetData              int32 = 5
	OpGetACL               int32 = 6
	OpSetACL               int32 = 7
	OpGetChildren          int32 = 8
	OpSync                 int32 = 9
	OpPing                 int32 = 11
	OpGetChildren2         int32 = 12
	OpCheck                int32 = 13
	OpMulti                int32 = 14
	OpCreate2              int32 = 15
	OpReconfig             int32 = 16
	OpCheckWatches         int32 = 17
	OpRemoveWatches        int32 = 18
	OpCreateContainer      int32 = 19
	OpDeleteContainer      int32 = 20
	OpCreateTTL            int32 = 21
	OpMultiRead            int32 = 22
	OpAuth                 int32 = 100
	OpSetWatches           int32 = 101
	OpSASL                 int32 = 102
	OpGetEphemerals        int32 = 103
	OpGetAllChildrenNumber int32 = 104
	OpSetWatches2          int32 = 105
	OpAddWatch             int32 = 106
	OpWhoAmI               int32 = 107
	OpCreateSession        int32 = -10
	OpCloseSession         int32 = -11
	OpError                int32 = -1
)

// Special xids (ClientCnxn). The server never special-cases by xid except
// when writing notifications and ping replies.
const (
	XidNotification int32 = -1
	XidPing         int32 = -2
	XidAuth         int32 = -4
	XidSetWatches   int32 = -8
)

// DefaultMaxBuffer is jute.maxbuffer's default (0xfffff).
const DefaultMaxBuffer = 0xfffff

// opNames are the short names ZooKeeper prints in `cons` (Request.op2String).
var opNames = map[int32]string{
	OpNotification: "NOTF", OpCreate: "CREA", OpDelete: "DELE", OpExists: "EXIS", OpGetData: "GETD",
	OpSetData: "SETD", OpGetACL: "GACL", OpSetACL: "SACL", OpGetChildren: "GETC", OpSync: "SYNC",
	OpPing: "PING", OpGetChildren2: "GETC", OpCheck: "CHEC", OpMulti: "MULT", OpCreate2: "CREA",
	OpReconfig: "RECO", OpCheckWatches: "CHKW", OpRemoveWatches: "REMW", OpCreateContainer: "CREA",
	OpDeleteContainer: "DELE", OpCreateTTL: "CREA", OpMultiRead: "MLTR", OpAuth: "AUTH",
	OpSetWatches: "SETW", OpSASL: "SASL", OpGetEphemerals: "GETE", OpGetAllChildrenNumber: "GETACN",
	OpSetWatches2: "STW2", OpAddWatch: "ADDW", OpWhoAmI: "HOMI", OpCreateSession: "SESS",
	OpCloseSession: "CLOS", OpError: "ERR",
}

// OpName returns ZooKeeper's short name for op, or "UNKNOWN".
func OpName(op int32) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	return "UNKNOWN"
}

// opLongNames are used in metrics labels.
var opLongNames = map[int32]string{
	OpCreate: "create", OpDelete: "delete", OpExists: "exists", OpGetData: "getData", OpSetData: "setData",
	OpGetACL: "getACL", OpSetACL: "setACL", OpGetChildren: "getChildren", OpSync: "sync", OpPing: "ping",
	OpGetChildren2: "getChildren2", OpCheck: "check", OpMulti: "multi", OpCreate2: "create2",
	OpReconfig: "reconfig", OpCheckWatches: "checkWatches", OpRemoveWatches: "removeWatches",
	OpCreateContainer: "createContainer", OpDeleteContainer: "deleteContainer", OpCreateTTL: "createTTL",
	OpMultiRead: "multiRead", OpAuth: "auth", OpSetWatches: "setWatches", OpSASL: "sasl",
	OpGetEphemerals: "getEphemerals", OpGetAllChildrenNumber: "getAllChildrenNumber",
	OpSetWatches2: "setWatches2", OpAddWatch: "addWatch", OpWhoAmI: "whoAmI",
	OpCreateSession: "createSession", OpCloseSession: "closeSession", OpError: "error",
}

// OpLongName returns the opcode's name as in ZooDefs.OpCode, or "unknown".
func OpLongName(op int32) string {
	if n, ok := opLongNames[op]; ok {
		return n
	}
	return "unknown"
}

// IsValidOp reports whether a client may send op (Request.isValid).
func IsValidOp(op int32) bool {
	switch op {
	case OpCreate, OpDelete, OpExists, OpGetData, OpSetData, OpGetACL, OpSetACL, OpGetChildren, OpSync,
		OpPing, OpGetChildren2, OpCheck, OpMulti, OpCreate2, OpReconfig, OpCheckWatches, OpRemoveWatches,
		OpCreateContainer, OpCreateTTL, OpMultiRead, OpAuth, OpSetWatches, OpSASL, OpGetEphemerals,
		OpGetAllChildrenNumber, OpSetWatches2, OpAddWatch, OpWhoAmI, OpCloseSession:
		return true
	}
	return false
}

// IsWriteOp reports whether op changes the tree or sessions and so goes through the log.
func IsWriteOp(op int32) bool {
	switch op {
	case OpCreate, OpDelete, OpSetData, OpSetACL, OpCheck, OpMulti, OpCreate2, OpReconfig,
		OpCreateContainer, OpDeleteContainer, OpCreateTTL, OpCreateSession, OpCloseSession:
		return true
	}
	return false
}

// Event types (Watcher.Event.EventType).
const (
	EventNone                   int32 = -1
	EventNodeCreated            int32 = 1
	EventNodeDeleted            int32 = 2
	EventNodeDataChanged        int32 = 3
	EventNodeChildrenChanged    int32 = 4
	EventDataWatchRemoved       int32 = 5
	EventChildWatchRemoved      int32 = 6
	EventPersistentWatchRemoved int32 = 7
)

// Keeper states (Watcher.Event.KeeperState).
const (
	StateUnknown           int32 = -1
	StateDisconnected      int32 = 0
	StateSyncConnected     int32 = 3
	StateAuthFailed        int32 = 4
	StateConnectedReadOnly int32 = 5
	StateSaslAuthenticated int32 = 6
	StateExpired           int32 = -112
	StateClosed            int32 = 7
)

// Watcher types for checkWatches/removeWatches.
const (
	WatcherChildren            int32 = 1
	WatcherData                int32 = 2
	WatcherAny                 int32 = 3
	WatcherPersistent          int32 = 4
	WatcherPersistentRecursive int32 = 5
)

// AddWatch modes.
const (
	AddWatchPersistent          int32 = 0
	AddWatchPersistentRecursive int32 = 1
)

// Permissions (ZooDefs.Perms).
const (
	PermRead   int32 = 1
	PermWrite  int32 = 2
	PermCreate int32 = 4
	PermDelete int32 = 8
	PermAdmin  int32 = 16
	PermAll    int32 = 31
)

// Create modes (CreateMode flags).
const (
	ModePersistent                  int32 = 0
	ModeEphemeral                   int32 = 1
	ModePersistentSequential        int32 = 2
	ModeEphemeralSequential         int32 = 3
	ModeContainer                   int32 = 4
	ModePersistentWithTTL           int32 = 5
	ModePersistentSequentialWithTTL int32 = 6
)

// ValidCreateMode reports whether flags is a known CreateMode.
func ValidCreateMode(flags int32) bool { return flags >= 0 && flags <= 6 }

// IsEphemeral reports whether mode creates an ephemeral node.
func IsEphemeral(mode int32) bool { return mode == ModeEphemeral || mode == ModeEphemeralSequential }

// IsSequential reports whether mode appends a sequence suffix.
func IsSequential(mode int32) bool {
	return mode == ModePersistentSequential || mode == ModeEphemeralSequential || mode == ModePersistentSequentialWithTTL
}

// IsContainer reports whether mode creates a container node.
func IsContainer(mode int32) bool { return mode == ModeContainer }

// IsTTL reports whether mode creates a TTL node.
func IsTTL(mode int32) bool {
	return mode == ModePersistentWithTTL || mode == ModePersistentSequentialWithTTL
}
