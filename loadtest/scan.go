package loadtest

import (
	"bytes"
	"math"
)

// The receive path never decodes JSON: at hundreds of thousands of messages
// a second a decoder would cost the generator more CPU than the server
// spends. It recognises the event by the bytes it starts with and reads the
// send time by finding its key, which every payload of the bench carries.

const timeKey = `"t":`

// scanTime returns the integer after the first `"t":` in b: the send time,
// in Unix nanoseconds, of a bench payload. Callers pass the JSON from the
// event's first argument on (`,{"t":` or `[{"t":`), where the generator
// puts "t" first, so it looks at offset 2 before searching.
func scanTime(b []byte) (int64, bool) {
	i := 2
	if len(b) < i+len(timeKey) || string(b[i:i+len(timeKey)]) != timeKey {
		if i = bytes.Index(b, []byte(timeKey)); i < 0 {
			return 0, false
		}
	}
	b = b[i+len(timeKey):]
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return parseDigits(b)
}

// parseDigits parses the decimal digits at the start of b as a
// non-negative int64, failing on none or on overflow. Eighteen digits
// cannot overflow, so only a nineteenth is checked.
func parseDigits(b []byte) (int64, bool) {
	var v int64
	n := 0
	for ; n < len(b) && n < 18 && isDigit(b[n]); n++ {
		v = v*10 + int64(b[n]-'0')
	}
	if n == 18 && n < len(b) && isDigit(b[n]) {
		d := int64(b[n] - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
		n++
		if n < len(b) && isDigit(b[n]) {
			return 0, false
		}
	}
	return v, n > 0
}

// isEvent reports whether the JSON array data is an event named name, that
// is starts with `["name"` followed by `,` or `]`. Names in the bench are
// plain ASCII, so no escape can hide one.
func isEvent(data []byte, name string) bool {
	if len(data) < len(name)+4 || data[0] != '[' || data[1] != '"' {
		return false
	}
	rest := data[2:]
	if string(rest[:len(name)]) != name || rest[len(name)] != '"' {
		return false
	}
	c := rest[len(name)+1]
	return c == ',' || c == ']'
}

const sidKey = `"sid":"`

// scanSID returns the session id of an Engine.IO open packet's JSON.
func scanSID(b []byte) (string, bool) {
	i := bytes.Index(b, []byte(sidKey))
	if i < 0 {
		return "", false
	}
	b = b[i+len(sidKey):]
	j := bytes.IndexByte(b, '"')
	if j <= 0 {
		return "", false
	}
	return string(b[:j]), true
}

// scanInt returns the integer after key in b.
func scanInt(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	return parseDigits(bytes.TrimLeft(b[i+len(key):], " "))
}
