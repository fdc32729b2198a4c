package socketio

import "bytes"

// Reassembler collects the attachments that follow a BINARY_EVENT or
// BINARY_ACK packet. It copies what it keeps, because the engine reuses its
// read buffers once a message has been handled. The zero value is ready to
// use; it is not safe for concurrent use.
type Reassembler struct {
	pkt     Packet
	atts    [][]byte
	want    int
	pending bool
}

// Start begins collecting attachments for p, discarding any packet in
// progress (the engine should treat a text packet arriving while Pending as
// a protocol error, as socket.io-parser does). p's namespace and payload are
// copied into one new allocation owned by the result. A p without
// attachments is complete at once.
func (r *Reassembler) Start(p Packet) {
	*r = Reassembler{}
	buf := make([]byte, 0, len(p.Namespace)+len(p.Data))
	if len(p.Namespace) == 1 && p.Namespace[0] == '/' {
		p.Namespace = RootNamespace
	} else {
		buf = append(buf, p.Namespace...)
		p.Namespace = buf[:len(p.Namespace):len(p.Namespace)]
	}
	if p.Data != nil {
		start := len(buf)
		buf = append(buf, p.Data...)
		p.Data = buf[start:]
	}
	r.pkt = p
	if p.Attachments > 0 {
		r.want = p.Attachments
		r.atts = make([][]byte, 0, p.Attachments)
		r.pending = true
	}
}

// Pending reports whether Start was called and attachments are still
// expected.
func (r *Reassembler) Pending() bool { return r.pending }

// Add copies the next attachment and reports whether it was the last one.
// An attachment that no packet announced is a protocol error
// (ErrUnexpectedBinary).
func (r *Reassembler) Add(attachment []byte) (done bool, err error) {
	if !r.pending {
		return false, ErrUnexpectedBinary
	}
	c := bytes.Clone(attachment)
	if c == nil {
		c = []byte{}
	}
	r.atts = append(r.atts, c)
	if len(r.atts) == r.want {
		r.pending = false
		return true, nil
	}
	return false, nil
}

// Packet returns the packet given to Start, with its slices now owned by the
// caller, and the attachments collected so far (all of them once Add has
// reported done), in placeholder order. Nothing returned is reused by later
// calls, so handlers may keep it.
func (r *Reassembler) Packet() (Packet, [][]byte) {
	return r.pkt, r.atts
}

// Reset drops the packet in progress, for instance when the connection
// closes mid-packet.
func (r *Reassembler) Reset() { *r = Reassembler{} }
