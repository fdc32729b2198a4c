package push

import (
	"encoding/json"
	"strconv"

	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/protocol/socketio"
)

// packet builds the emit's Socket.IO packet, ["event", args...], for
// namespace nsp. This is the one copy of the event data on its way to the
// clients: the body's bytes go into the packet as they are (the decoder
// validated them), each $binary object replaced by an attachment
// placeholder. The engine encodes the packet once for every recipient.
func (e *emitReq) packet(nsp string) *engine.Packet {
	a := &e.args
	b := make([]byte, 0, 3+len(e.eventLit)+len(a.raw)+len(a.bins)*len(`{"_placeholder":true,"num":99}`))
	b = append(b, '[')
	b = append(b, e.eventLit...)
	if a.n > 0 {
		b = append(b, ',')
		b = a.appendPlaceheld(b)
	}
	b = append(b, ']')
	return &engine.Packet{Namespace: nsp, Data: b, Attachments: a.atts}
}

// appendPlaceheld appends the arguments with each $binary object replaced
// by its placeholder.
func (a *args) appendPlaceheld(dst []byte) []byte {
	prev := 0
	for i, r := range a.bins {
		dst = append(dst, a.raw[prev:r.start]...)
		dst = appendPlaceholder(dst, i)
		prev = r.end
	}
	return append(dst, a.raw[prev:]...)
}

func appendPlaceholder(dst []byte, num int) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(num), 10)
	return append(dst, '}')
}

// values returns the arguments as values for BroadcastOperator.EmitWithAck,
// which builds the packet itself: raw JSON as json.RawMessage, which the
// engine keeps as it is, or, when the data carries binary, Go values with
// []byte in place of each $binary object, which the engine turns back into
// attachments.
func (a *args) values() ([]any, error) {
	if a.n == 0 {
		return nil, nil
	}
	out := make([]any, 0, a.n)
	if len(a.bins) == 0 {
		socketio.Args(a.raw).Each(func(_ int, raw []byte) bool {
			out = append(out, json.RawMessage(raw))
			return true
		})
		return out, nil
	}
	held := socketio.Args(a.appendPlaceheld(nil))
	var err error
	held.Each(func(_ int, raw []byte) bool {
		var v any
		if err = socketio.DecodeArgs(raw, a.atts, &v); err != nil {
			return false
		}
		out = append(out, v)
		return true
	})
	return out, err
}

// noticePacket builds the event that tells sockets why they are being
// disconnected: [DisconnectEvent, {"reason": reason}].
func noticePacket(nsp, reason string) (*engine.Packet, error) {
	body, err := json.Marshal(struct {
		Reason string `json:"reason"`
	}{reason})
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(DisconnectEvent)+len(body)+8)
	b = append(b, `["`+DisconnectEvent+`",`...)
	b = append(b, body...)
	b = append(b, ']')
	return &engine.Packet{Namespace: nsp, Data: b}, nil
}
