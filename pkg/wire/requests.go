package wire

// CreateRequest is the body of create, create2 and createContainer.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
}

func (r *CreateRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	encodeACLs(e, r.ACL)
	e.WriteInt32(r.Flags)
}

func (r *CreateRequest) Decode(d *Decoder) error {
	r.Path, r.Data = d.str(), d.buffer()
	r.ACL = decodeACLs(d)
	r.Flags = d.i32()
	return d.done()
}

// CreateTTLRequest is the body of createTTL.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
	TTL   int64
}

func (r *CreateTTLRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	encodeACLs(e, r.ACL)
	e.WriteInt32(r.Flags)
	e.WriteInt64(r.TTL)
}

func (r *CreateTTLRequest) Decode(d *Decoder) error {
	r.Path, r.Data = d.str(), d.buffer()
	r.ACL = decodeACLs(d)
	r.Flags, r.TTL = d.i32(), d.i64()
	return d.done()
}

// DeleteRequest is the body of delete.
type DeleteRequest struct {
	Path    string
	Version int32
}

func (r *DeleteRequest) Encode(e *Encoder) { e.WriteString(r.Path); e.WriteInt32(r.Version) }
func (r *DeleteRequest) Decode(d *Decoder) error {
	r.Path, r.Version = d.str(), d.i32()
	return d.done()
}

// CheckVersionRequest is the body of check (inside multi).
type CheckVersionRequest struct {
	Path    string
	Version int32
}

func (r *CheckVersionRequest) Encode(e *Encoder) { e.WriteString(r.Path); e.WriteInt32(r.Version) }
func (r *CheckVersionRequest) Decode(d *Decoder) error {
	r.Path, r.Version = d.str(), d.i32()
	return d.done()
}

// PathWatchRequest is the shape shared by exists, getData, getChildren and getChildren2.
type PathWatchRequest struct {
	Path  string
	Watch bool
}

func (r *PathWatchRequest) Encode(e *Encoder) { e.WriteString(r.Path); e.WriteBool(r.Watch) }
func (r *PathWatchRequest) Decode(d *Decoder) error {
	r.Path, r.Watch = d.str(), d.boolean()
	return d.done()
}

// The read requests with a watch flag all share one shape.
type (
	ExistsRequest       = PathWatchRequest
	GetDataRequest      = PathWatchRequest
	GetChildrenRequest  = PathWatchRequest
	GetChildren2Request = PathWatchRequest
)

// PathRequest is the shape shared by getACL, sync, getEphemerals and getAllChildrenNumber.
type PathRequest struct {
	Path string
}

func (r *PathRequest) Encode(e *Encoder) { e.WriteString(r.Path) }
func (r *PathRequest) Decode(d *Decoder) error {
	r.Path = d.str()
	return d.done()
}

type (
	GetACLRequest               = PathRequest
	SyncRequest                 = PathRequest
	SyncResponse                = PathRequest
	GetEphemeralsRequest        = PathRequest
	GetAllChildrenNumberRequest = PathRequest
	CreateResponse              = PathRequest
)

// SetDataRequest is the body of setData.
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

func (r *SetDataRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	e.WriteInt32(r.Version)
}

func (r *SetDataRequest) Decode(d *Decoder) error {
	r.Path, r.Data, r.Version = d.str(), d.buffer(), d.i32()
	return d.done()
}

// SetACLRequest is the body of setACL.
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

func (r *SetACLRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	encodeACLs(e, r.ACL)
	e.WriteInt32(r.Version)
}

func (r *SetACLRequest) Decode(d *Decoder) error {
	r.Path = d.str()
	r.ACL = decodeACLs(d)
	r.Version = d.i32()
	return d.done()
}

// ReconfigRequest is the body of reconfig.
type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

// Encode writes empty fields as null: ZooKeeper tells incremental from
// non-incremental reconfig by newMembers being null, as clients send it.
func (r *ReconfigRequest) Encode(e *Encoder) {
	for _, s := range []string{r.JoiningServers, r.LeavingServers, r.NewMembers} {
		if s == "" {
			e.WriteInt32(-1)
		} else {
			e.WriteString(s)
		}
	}
	e.WriteInt64(r.CurConfigID)
}

func (r *ReconfigRequest) Decode(d *Decoder) error {
	r.JoiningServers, r.LeavingServers, r.NewMembers, r.CurConfigID = d.str(), d.str(), d.str(), d.i64()
	return d.done()
}

// WatchesRequest is the shape of checkWatches and removeWatches.
type WatchesRequest struct {
	Path string
	Type int32
}

func (r *WatchesRequest) Encode(e *Encoder) { e.WriteString(r.Path); e.WriteInt32(r.Type) }
func (r *WatchesRequest) Decode(d *Decoder) error {
	r.Path, r.Type = d.str(), d.i32()
	return d.done()
}

type (
	CheckWatchesRequest  = WatchesRequest
	RemoveWatchesRequest = WatchesRequest
)

// AddWatchRequest is the body of addWatch.
type AddWatchRequest struct {
	Path string
	Mode int32
}

func (r *AddWatchRequest) Encode(e *Encoder) { e.WriteString(r.Path); e.WriteInt32(r.Mode) }
func (r *AddWatchRequest) Decode(d *Decoder) error {
	r.Path, r.Mode = d.str(), d.i32()
	return d.done()
}

// AuthPacket is the body of setAuth (op 100).
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

func (r *AuthPacket) Encode(e *Encoder) {
	e.WriteInt32(r.Type)
	e.WriteString(r.Scheme)
	e.WriteBuffer(r.Auth)
}

func (r *AuthPacket) Decode(d *Decoder) error {
	r.Type, r.Scheme, r.Auth = d.i32(), d.str(), d.buffer()
	return d.done()
}

// SetWatches is the body of setWatches (op 101).
type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

func (r *SetWatches) Encode(e *Encoder) {
	e.WriteInt64(r.RelativeZxid)
	e.WriteStringVector(r.DataWatches)
	e.WriteStringVector(r.ExistWatches)
	e.WriteStringVector(r.ChildWatches)
}

func (r *SetWatches) Decode(d *Decoder) error {
	r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches = d.i64(), d.strs(), d.strs(), d.strs()
	return d.done()
}

// SetWatches2 is the body of setWatches2 (op 105), which adds persistent watches.
type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

func (r *SetWatches2) Encode(e *Encoder) {
	e.WriteInt64(r.RelativeZxid)
	e.WriteStringVector(r.DataWatches)
	e.WriteStringVector(r.ExistWatches)
	e.WriteStringVector(r.ChildWatches)
	e.WriteStringVector(r.PersistentWatches)
	e.WriteStringVector(r.PersistentRecursiveWatches)
}

func (r *SetWatches2) Decode(d *Decoder) error {
	r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches = d.i64(), d.strs(), d.strs(), d.strs()
	r.PersistentWatches, r.PersistentRecursiveWatches = d.strs(), d.strs()
	return d.done()
}

// SASLRequest carries a SASL token (op 102, request and response).
type SASLRequest struct {
	Token []byte
}

func (r *SASLRequest) Encode(e *Encoder) { e.WriteBuffer(r.Token) }
func (r *SASLRequest) Decode(d *Decoder) error {
	r.Token = d.buffer()
	return d.done()
}

// EmptyRecord is a request or reply without a body (ping, closeSession, whoAmI requests).
type EmptyRecord struct{}

func (EmptyRecord) Encode(*Encoder)       {}
func (EmptyRecord) Decode(*Decoder) error { return nil }
