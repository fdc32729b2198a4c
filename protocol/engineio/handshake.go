package engineio

import "strconv"

// Handshake is the content of the open packet the server sends first.
type Handshake struct {
	SID          string
	Upgrades     []string
	PingInterval int // milliseconds
	PingTimeout  int // milliseconds
	MaxPayload   int // bytes
}

// AppendOpen appends the open packet ("0" followed by the handshake JSON) with
// fields in the order the reference server writes them.
func AppendOpen(dst []byte, h Handshake) []byte {
	dst = append(dst, Open.Char())
	dst = append(dst, `{"sid":`...)
	dst = strconv.AppendQuote(dst, h.SID)
	dst = append(dst, `,"upgrades":[`...)
	for i, u := range h.Upgrades {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendQuote(dst, u)
	}
	dst = append(dst, `],"pingInterval":`...)
	dst = strconv.AppendInt(dst, int64(h.PingInterval), 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, int64(h.PingTimeout), 10)
	dst = append(dst, `,"maxPayload":`...)
	dst = strconv.AppendInt(dst, int64(h.MaxPayload), 10)
	return append(dst, '}')
}
