package socketio

import (
	"math"
	"unicode/utf8"
)

// Decode parses one encoded packet (an Engine.IO message without its leading
// '4'). maxAttachments bounds the attachment count of binary packets; a value
// <= 0 selects DefaultMaxAttachments.
//
// The returned Packet aliases b. Decode validates everything the peer
// controls, so the engine may trust the result:
//   - BINARY_EVENT/BINARY_ACK carry a count >= 1 followed by '-', and every
//     placeholder in the payload refers to a distinct announced attachment;
//   - the namespace, when present, starts with '/', is valid UTF-8 and has no
//     control characters; it ends at ',' or at the end of the packet;
//   - the ack id fits in MaxAckID; ACK/BINARY_ACK require one and only
//     EVENT/ACK types may carry one;
//   - the payload is strict JSON nested at most MaxDepth deep, with the
//     shape socket.io-parser requires: CONNECT an object or nothing,
//     DISCONNECT nothing, CONNECT_ERROR a string, an object or nothing, EVENT
//     a non-empty array starting with a non-reserved string or a number, ACK
//     an array.
//
// Where socket.io-parser is laxer than the protocol document, Decode follows
// the document or refuses input no conforming peer sends: EVENT and ACK
// payloads are mandatory, ACKs need an ack id, CONNECT, DISCONNECT and
// CONNECT_ERROR must not carry one, counts and ids are plain ASCII digits,
// and a placeholder's num must be a plain integer used only once (so that
// rewriting placeholders costs at most the attachments' size). Placeholders
// are checked
// here rather than after the attachments arrive, so a bad packet is refused
// before anything is buffered for it.
//
// Decode does not allocate.
func Decode(b []byte, maxAttachments int) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, ErrEmpty
	}
	if maxAttachments <= 0 {
		maxAttachments = DefaultMaxAttachments
	}
	p := Packet{Type: Type(b[0] - '0'), Namespace: RootNamespace}
	if !p.Type.Valid() {
		return Packet{}, ErrUnknownType
	}
	i := 1

	if p.Type.IsBinary() {
		n, next, err := parseAttachments(b, i, maxAttachments)
		if err != nil {
			return Packet{}, err
		}
		p.Attachments, i = n, next
	}

	if i < len(b) && b[i] == '/' {
		start := i
		for i < len(b) && b[i] != ',' {
			i++
		}
		nsp := b[start:i]
		if !validNamespaceBody(nsp[1:]) || !utf8.Valid(nsp) {
			return Packet{}, errBadNamespace
		}
		if len(nsp) > 1 {
			p.Namespace = nsp
		}
		if i < len(b) {
			i++ // the ','
		}
	}

	if i < len(b) && isDigit(b[i]) {
		var id uint64
		for ; i < len(b) && isDigit(b[i]); i++ {
			id = id*10 + uint64(b[i]-'0')
			if id > MaxAckID {
				return Packet{}, ErrAckID
			}
		}
		p.ID, p.HasID = id, true
	}

	if i < len(b) {
		p.Data = trimWS(b[i:])
		if len(p.Data) == 0 {
			return Packet{}, ErrJSON
		}
	}
	if err := checkPacket(&p); err != nil {
		return Packet{}, err
	}
	return p, nil
}

// parseAttachments parses the "<count>-" prefix of binary packets at i.
func parseAttachments(b []byte, i, max int) (n, next int, err error) {
	start := i
	tooMany := false
	for ; i < len(b) && isDigit(b[i]); i++ {
		if n > (math.MaxInt-9)/10 || n > max {
			tooMany = true
			continue
		}
		n = n*10 + int(b[i]-'0')
	}
	if i == start || i >= len(b) || b[i] != '-' {
		return 0, 0, ErrAttachmentCount
	}
	if tooMany || n > max {
		return 0, 0, ErrTooManyAttachments
	}
	if n < 1 {
		return 0, 0, ErrAttachmentCount
	}
	return n, i + 1, nil
}

// checkPacket enforces the per-type rules on the ack id and the payload.
func checkPacket(p *Packet) error {
	switch p.Type {
	case Connect, Disconnect, ConnectError:
		if p.HasID {
			return ErrUnexpectedAckID
		}
	case Ack, BinaryAck:
		if !p.HasID {
			return ErrMissingAckID
		}
	}

	d := p.Data
	if d == nil {
		switch p.Type {
		case Event, BinaryEvent, Ack, BinaryAck:
			return ErrPayload
		}
		return nil
	}
	switch p.Type {
	case Disconnect:
		return ErrPayload
	case Connect:
		if d[0] != '{' {
			return ErrPayload
		}
	case ConnectError:
		if d[0] != '{' && d[0] != '"' {
			return ErrPayload
		}
	case Event, BinaryEvent, Ack, BinaryAck:
		if d[0] != '[' {
			return ErrPayload
		}
	}

	s := scanner{data: d, natt: p.Attachments}
	end, err := s.value(0)
	if err != nil {
		return err
	}
	if end != len(d) {
		return ErrJSON
	}
	if p.Type == Event || p.Type == BinaryEvent {
		return checkEventName(d)
	}
	return nil
}

// checkEventName applies socket.io-parser's rule to the first element of a
// validated array: a string that is not reserved, or a number.
func checkEventName(d []byte) error {
	i := skipWS(d, 1)
	switch c := d[i]; {
	case c == '"':
		end, escaped, _ := scanString(d, i)
		if isReservedRaw(d[i+1:end-1], escaped) {
			return errReserved
		}
		return nil
	case c == '-' || isDigit(c):
		return nil
	}
	return ErrPayload
}

// isReservedRaw is IsReserved for the raw contents of a JSON string, so that
// escaped spellings such as "\u0063onnect" are caught too.
func isReservedRaw(raw []byte, escaped bool) bool {
	if !escaped {
		return isReservedBytes(raw)
	}
	if len(raw) > 6*maxReservedLen {
		return false
	}
	var buf [6 * maxReservedLen]byte
	return isReservedBytes(appendUnescaped(buf[:0], raw))
}
