package socketio

// EventBytes returns the event name and the remaining arguments of an EVENT
// or BINARY_EVENT packet without allocating, unless the name contains JSON
// escapes. The name aliases p.Data in the common case, so copy it (or use
// Event) before the input buffer is reused; a map lookup with
// m[string(name)] does not allocate.
//
// A numeric event name, which socket.io-parser accepts, is returned as its
// raw JSON text.
func (p Packet) EventBytes() (name []byte, args Args, err error) {
	raw, escaped, args, err := p.eventParts()
	if escaped {
		raw = appendUnescaped(make([]byte, 0, len(raw)), raw)
	}
	return raw, args, err
}

// Event is EventBytes with the name copied into a string, which the caller
// may keep after the input buffer is reused. It allocates the name once.
func (p Packet) Event() (name string, args Args, err error) {
	raw, escaped, args, err := p.eventParts()
	if err != nil {
		return "", nil, err
	}
	if escaped {
		var buf [64]byte
		return string(appendUnescaped(buf[:0], raw)), args, nil
	}
	return string(raw), args, nil
}

// eventParts splits an event payload into the raw name (without quotes,
// escapes unresolved) and the remaining arguments.
func (p Packet) eventParts() (name []byte, escaped bool, args Args, err error) {
	if p.Type != Event && p.Type != BinaryEvent {
		return nil, false, nil, ErrWrongType
	}
	d := p.Data
	if len(d) < 2 || d[0] != '[' || d[len(d)-1] != ']' {
		return nil, false, nil, ErrPayload
	}
	i := skipWS(d, 1)
	if i >= len(d)-1 {
		return nil, false, nil, ErrPayload
	}
	var end int
	switch c := d[i]; {
	case c == '"':
		if end, escaped, err = scanString(d, i); err != nil {
			return nil, false, nil, err
		}
		name = d[i+1 : end-1]
	case c == '-' || isDigit(c):
		if end, err = scanNumber(d, i); err != nil {
			return nil, false, nil, err
		}
		name = d[i:end]
	default:
		return nil, false, nil, ErrPayload
	}
	if end > len(d)-1 {
		return nil, false, nil, ErrPayload
	}
	if args, err = restOfArray(d, end); err != nil {
		return nil, false, nil, err
	}
	return name, escaped, args, nil
}

// AckArgs returns the arguments of an ACK or BINARY_ACK packet. It does not
// allocate.
func (p Packet) AckArgs() (Args, error) {
	if p.Type != Ack && p.Type != BinaryAck {
		return nil, ErrWrongType
	}
	d := p.Data
	if len(d) < 2 || d[0] != '[' || d[len(d)-1] != ']' {
		return nil, ErrPayload
	}
	return Args(trimWS(d[1 : len(d)-1])), nil
}

// restOfArray returns the elements after the one ending at i in the array d,
// whose last byte is its closing ']'.
func restOfArray(d []byte, i int) (Args, error) {
	j := skipWS(d, i)
	last := len(d) - 1
	if j == last {
		return nil, nil
	}
	if d[j] != ',' {
		return nil, ErrPayload
	}
	rest := trimWS(d[j+1 : last])
	if len(rest) == 0 {
		return nil, ErrPayload
	}
	return Args(rest), nil
}
