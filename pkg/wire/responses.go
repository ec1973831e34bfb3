package wire

// Create2Response answers create2, createContainer and createTTL.
type Create2Response struct {
	Path string
	Stat Stat
}

func (r *Create2Response) Encode(e *Encoder) { e.WriteString(r.Path); r.Stat.Encode(e) }
func (r *Create2Response) Decode(d *Decoder) error {
	r.Path = d.str()
	r.Stat.decode(d)
	return d.done()
}

// StatResponse is the shape of exists, setData and setACL replies.
type StatResponse struct {
	Stat Stat
}

func (r *StatResponse) Encode(e *Encoder) { r.Stat.Encode(e) }
func (r *StatResponse) Decode(d *Decoder) error {
	r.Stat.decode(d)
	return d.done()
}

type (
	ExistsResponse  = StatResponse
	SetDataResponse = StatResponse
	SetACLResponse  = StatResponse
)

// GetDataResponse answers getData (and reconfig, with the new configuration).
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

func (r *GetDataResponse) Encode(e *Encoder) { e.WriteBuffer(r.Data); r.Stat.Encode(e) }
func (r *GetDataResponse) Decode(d *Decoder) error {
	r.Data = d.buffer()
	r.Stat.decode(d)
	return d.done()
}

// GetACLResponse answers getACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

func (r *GetACLResponse) Encode(e *Encoder) { encodeACLs(e, r.ACL); r.Stat.Encode(e) }
func (r *GetACLResponse) Decode(d *Decoder) error {
	r.ACL = decodeACLs(d)
	r.Stat.decode(d)
	return d.done()
}

// GetChildrenResponse answers getChildren.
type GetChildrenResponse struct {
	Children []string
}

func (r *GetChildrenResponse) Encode(e *Encoder) { e.WriteStringVector(r.Children) }
func (r *GetChildrenResponse) Decode(d *Decoder) error {
	r.Children = d.strs()
	return d.done()
}

// GetChildren2Response answers getChildren2.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

func (r *GetChildren2Response) Encode(e *Encoder) { e.WriteStringVector(r.Children); r.Stat.Encode(e) }
func (r *GetChildren2Response) Decode(d *Decoder) error {
	r.Children = d.strs()
	r.Stat.decode(d)
	return d.done()
}

// GetEphemeralsResponse answers getEphemerals.
type GetEphemeralsResponse struct {
	Ephemerals []string
}

func (r *GetEphemeralsResponse) Encode(e *Encoder) { e.WriteStringVector(r.Ephemerals) }
func (r *GetEphemeralsResponse) Decode(d *Decoder) error {
	r.Ephemerals = d.strs()
	return d.done()
}

// GetAllChildrenNumberResponse answers getAllChildrenNumber.
type GetAllChildrenNumberResponse struct {
	TotalNumber int32
}

func (r *GetAllChildrenNumberResponse) Encode(e *Encoder) { e.WriteInt32(r.TotalNumber) }
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) error {
	r.TotalNumber = d.i32()
	return d.done()
}

// ErrorResponse is the body of a multi error result and of addWatch's reply.
type ErrorResponse struct {
	Err int32
}

func (r *ErrorResponse) Encode(e *Encoder) { e.WriteInt32(r.Err) }
func (r *ErrorResponse) Decode(d *Decoder) error {
	r.Err = d.i32()
	return d.done()
}

// ClientInfo is one identity in a whoAmI reply.
type ClientInfo struct {
	AuthScheme string
	User       string
}

// WhoAmIResponse answers whoAmI.
type WhoAmIResponse struct {
	ClientInfo []ClientInfo
}

func (r *WhoAmIResponse) Encode(e *Encoder) {
	if r.ClientInfo == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(r.ClientInfo)))
	for _, c := range r.ClientInfo {
		e.WriteString(c.AuthScheme)
		e.WriteString(c.User)
	}
}

func (r *WhoAmIResponse) Decode(d *Decoder) error {
	n, err := d.readCount(8)
	if err != nil {
		return err
	}
	if n < 0 {
		r.ClientInfo = nil
		return nil
	}
	r.ClientInfo = make([]ClientInfo, n)
	for i := range r.ClientInfo {
		r.ClientInfo[i].AuthScheme, r.ClientInfo[i].User = d.str(), d.str()
	}
	return d.done()
}
