package loadtest

import (
	"bytes"
	"errors"
	"fmt"
)

// Engine.IO v4 packet types, the first byte of every packet.
const (
	eioOpen    = '0'
	eioClose   = '1'
	eioPing    = '2'
	eioPong    = '3'
	eioMessage = '4'
	eioUpgrade = '5'
	eioNoop    = '6'
)

// Socket.IO v5 packet types, the first byte of an Engine.IO message.
const (
	sioConnect      = '0'
	sioDisconnect   = '1'
	sioEvent        = '2'
	sioAck          = '3'
	sioConnectError = '4'
	sioBinaryEvent  = '5'
	sioBinaryAck    = '6'
)

// pollingSeparator separates packets in an Engine.IO v4 polling payload.
const pollingSeparator = 0x1e

var (
	errEmptyPacket = errors.New("empty packet")
	errPacketType  = errors.New("unknown packet type")
	errAckID       = errors.New("malformed ack id")
	errAttachments = errors.New("malformed attachment count")
)

// sioPacket is a Socket.IO packet as the client sees it. Its slices alias
// the parsed buffer.
type sioPacket struct {
	typ byte
	// nsp is the namespace, empty for the main namespace "/".
	nsp []byte
	// ack is the ack id, or -1 when the packet has none.
	ack int64
	// data is the JSON payload, possibly empty.
	data []byte
}

// parseSocketIO parses the Socket.IO packet carried by an Engine.IO message:
// type, attachment count for binary types, namespace, ack id, then JSON
// data. The JSON itself is left unparsed: the receive path only scans it.
func parseSocketIO(b []byte) (sioPacket, error) {
	p := sioPacket{ack: -1}
	if len(b) == 0 {
		return p, errEmptyPacket
	}
	p.typ = b[0]
	if p.typ < sioConnect || p.typ > sioBinaryAck {
		return p, fmt.Errorf("socket.io: %w %q", errPacketType, p.typ)
	}
	b = b[1:]
	if p.typ == sioBinaryEvent || p.typ == sioBinaryAck {
		i := 0
		for i < len(b) && i < 10 && isDigit(b[i]) {
			i++
		}
		if i == 0 || i >= len(b) || b[i] != '-' {
			return p, fmt.Errorf("socket.io: %w", errAttachments)
		}
		b = b[i+1:]
	}
	if len(b) > 0 && b[0] == '/' {
		end := bytes.IndexByte(b, ',')
		if end < 0 {
			p.nsp, b = b, nil
		} else {
			p.nsp, b = b[:end], b[end+1:]
		}
		if len(p.nsp) == 1 {
			p.nsp = nil
		}
	}
	if len(b) > 0 && isDigit(b[0]) {
		var id int64
		i := 0
		for ; i < len(b) && isDigit(b[i]); i++ {
			if i == 18 {
				return p, fmt.Errorf("socket.io: %w", errAckID)
			}
			id = id*10 + int64(b[i]-'0')
		}
		p.ack, b = id, b[i:]
	}
	p.data = b
	return p, nil
}

// splitPayload calls fn for each packet of an Engine.IO v4 polling payload,
// stopping at the first error.
func splitPayload(b []byte, fn func(pkt []byte) error) error {
	for len(b) > 0 {
		i := bytes.IndexByte(b, pollingSeparator)
		if i < 0 {
			return fn(b)
		}
		if err := fn(b[:i]); err != nil {
			return err
		}
		b = b[i+1:]
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
