package engineio

import (
	"bytes"
	"encoding/base64"
)

// Separator delimits packets in an HTTP long-polling payload.
const Separator = '\x1e'

// DecodePayload splits a long-polling request body into packets and calls fn
// for each, in order. Binary packets ('b' + base64) are decoded into scratch,
// which is grown as needed and returned so that callers can reuse it; text
// packets alias body. Decoding stops at the first error, either from the
// payload or from fn.
func DecodePayload(body, scratch []byte, fn func(Packet) error) ([]byte, error) {
	if len(body) == 0 {
		return scratch, ErrEmpty
	}
	for more := true; more; {
		part := body
		if i := bytes.IndexByte(body, Separator); i >= 0 {
			part, body = body[:i], body[i+1:]
		} else {
			more = false
		}
		var (
			p   Packet
			err error
		)
		scratch, p, err = DecodeText(scratch, part)
		if err != nil {
			return scratch, err
		}
		if err := fn(p); err != nil {
			return scratch, err
		}
	}
	return scratch, nil
}

func decodeBase64(scratch, src []byte) ([]byte, Packet, error) {
	n := base64.StdEncoding.DecodedLen(len(src))
	start := len(scratch)
	if cap(scratch)-start < n {
		grown := make([]byte, start, start+n+len(src))
		copy(grown, scratch)
		scratch = grown
	}
	dst := scratch[start : start+n]
	m, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return scratch, Packet{}, ErrBase64
	}
	scratch = scratch[:start+m]
	return scratch, BinaryMessage(scratch[start : start+m : start+m]), nil
}

// AppendPayloadText appends one text packet to a polling payload, with the
// separator first unless dst is empty.
func AppendPayloadText(dst []byte, t Type, data []byte) []byte {
	if len(dst) > 0 {
		dst = append(dst, Separator)
	}
	return AppendText(dst, t, data)
}

// AppendPayloadBinary appends one binary message to a polling payload as 'b'
// followed by its standard base64 encoding.
func AppendPayloadBinary(dst []byte, data []byte) []byte {
	if len(dst) > 0 {
		dst = append(dst, Separator)
	}
	dst = append(dst, 'b')
	return base64.StdEncoding.AppendEncode(dst, data)
}

// PayloadBinaryLen is the length AppendPayloadBinary adds for n bytes of data,
// separator excluded.
func PayloadBinaryLen(n int) int { return 1 + base64.StdEncoding.EncodedLen(n) }
