package wire

// Record is a Jute record.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder) error
}

// Id is an authentication identity (scheme, id).
type Id struct {
	Scheme string
	ID     string
}

func (r *Id) Encode(e *Encoder) { e.WriteString(r.Scheme); e.WriteString(r.ID) }
func (r *Id) Decode(d *Decoder) error {
	r.Scheme, r.ID = d.str(), d.str()
	return d.done()
}

// ACL grants Perms to ID.
type ACL struct {
	Perms int32
	ID    Id
}

func (r *ACL) Encode(e *Encoder) { e.WriteInt32(r.Perms); r.ID.Encode(e) }
func (r *ACL) Decode(d *Decoder) error {
	r.Perms = d.i32()
	r.ID.Scheme, r.ID.ID = d.str(), d.str()
	return d.done()
}

func encodeACLs(e *Encoder, acl []ACL) {
	if acl == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(acl)))
	for i := range acl {
		acl[i].Encode(e)
	}
}

func decodeACLs(d *Decoder) []ACL {
	if d.err != nil {
		return nil
	}
	n, err := d.readCount(12)
	if err != nil {
		d.err = err
		return nil
	}
	if n < 0 {
		return nil
	}
	acl := make([]ACL, n)
	for i := range acl {
		acl[i].Perms = d.i32()
		acl[i].ID.Scheme, acl[i].ID.ID = d.str(), d.str()
	}
	return acl
}

// Stat is a znode's metadata (68 bytes on the wire).
type Stat struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	DataLength     int32
	NumChildren    int32
	Pzxid          int64
}

func (r *Stat) Encode(e *Encoder) {
	e.WriteInt64(r.Czxid)
	e.WriteInt64(r.Mzxid)
	e.WriteInt64(r.Ctime)
	e.WriteInt64(r.Mtime)
	e.WriteInt32(r.Version)
	e.WriteInt32(r.Cversion)
	e.WriteInt32(r.Aversion)
	e.WriteInt64(r.EphemeralOwner)
	e.WriteInt32(r.DataLength)
	e.WriteInt32(r.NumChildren)
	e.WriteInt64(r.Pzxid)
}

func (r *Stat) Decode(d *Decoder) error {
	r.decode(d)
	return d.done()
}

func (r *Stat) decode(d *Decoder) {
	r.Czxid, r.Mzxid, r.Ctime, r.Mtime = d.i64(), d.i64(), d.i64(), d.i64()
	r.Version, r.Cversion, r.Aversion = d.i32(), d.i32(), d.i32()
	r.EphemeralOwner = d.i64()
	r.DataLength, r.NumChildren = d.i32(), d.i32()
	r.Pzxid = d.i64()
}

// RequestHeader precedes every client request after the handshake.
type RequestHeader struct {
	Xid  int32
	Type int32
}

func (r *RequestHeader) Encode(e *Encoder) { e.WriteInt32(r.Xid); e.WriteInt32(r.Type) }
func (r *RequestHeader) Decode(d *Decoder) error {
	r.Xid, r.Type = d.i32(), d.i32()
	return d.done()
}

// ReplyHeader precedes every server frame after the handshake.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  int32
}

func (r *ReplyHeader) Encode(e *Encoder) {
	e.WriteInt32(r.Xid)
	e.WriteInt64(r.Zxid)
	e.WriteInt32(r.Err)
}
func (r *ReplyHeader) Decode(d *Decoder) error {
	r.Xid, r.Zxid, r.Err = d.i32(), d.i64(), d.i32()
	return d.done()
}

// ConnectRequest is the first frame of a session connection. The trailing
// readOnly byte is optional on the wire: HasReadOnly records whether it was
// there, and Encode writes it only when HasReadOnly is set.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

func (r *ConnectRequest) Encode(e *Encoder) {
	e.WriteInt32(r.ProtocolVersion)
	e.WriteInt64(r.LastZxidSeen)
	e.WriteInt32(r.TimeOut)
	e.WriteInt64(r.SessionID)
	e.WriteBuffer(r.Passwd)
	if r.HasReadOnly {
		e.WriteBool(r.ReadOnly)
	}
}

func (r *ConnectRequest) Decode(d *Decoder) error {
	r.ProtocolVersion, r.LastZxidSeen, r.TimeOut, r.SessionID = d.i32(), d.i64(), d.i32(), d.i64()
	r.Passwd = d.buffer()
	if err := d.done(); err != nil {
		return err
	}
	r.HasReadOnly = d.Remaining() > 0
	if r.HasReadOnly {
		r.ReadOnly = d.boolean()
	}
	return d.done()
}

// ConnectResponse answers a ConnectRequest; readOnly follows the same rule.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

func (r *ConnectResponse) Encode(e *Encoder) {
	e.WriteInt32(r.ProtocolVersion)
	e.WriteInt32(r.TimeOut)
	e.WriteInt64(r.SessionID)
	e.WriteBuffer(r.Passwd)
	if r.HasReadOnly {
		e.WriteBool(r.ReadOnly)
	}
}

func (r *ConnectResponse) Decode(d *Decoder) error {
	r.ProtocolVersion, r.TimeOut, r.SessionID = d.i32(), d.i32(), d.i64()
	r.Passwd = d.buffer()
	if err := d.done(); err != nil {
		return err
	}
	r.HasReadOnly = d.Remaining() > 0
	if r.HasReadOnly {
		r.ReadOnly = d.boolean()
	}
	return d.done()
}

// WatcherEvent is the body of a notification (xid -1).
type WatcherEvent struct {
	Type  int32
	State int32
	Path  string
}

func (r *WatcherEvent) Encode(e *Encoder) {
	e.WriteInt32(r.Type)
	e.WriteInt32(r.State)
	e.WriteString(r.Path)
}
func (r *WatcherEvent) Decode(d *Decoder) error {
	r.Type, r.State, r.Path = d.i32(), d.i32(), d.str()
	return d.done()
}
