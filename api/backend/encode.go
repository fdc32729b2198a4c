package backend

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"

	"github.com/heraldrt/herald/protocol/socketio"
)

// appendKey appends ,"key": (the comma unless first).
func appendKey(dst []byte, key string, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...) // keys are constants that need no escaping
	return append(dst, '"', ':')
}

// appendSocket appends the members that name a socket in events and
// webhooks: socket_id, user_id and namespace (the comma unless first).
func appendSocket(dst []byte, socketID, userID, namespace string, first bool) []byte {
	dst = appendKey(dst, "socket_id", first)
	dst = socketio.AppendJSONString(dst, socketID)
	dst = appendKey(dst, "user_id", false)
	dst = socketio.AppendJSONString(dst, userID)
	dst = appendKey(dst, "namespace", false)
	return socketio.AppendJSONString(dst, namespace)
}

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendEvent appends the body of a forwarded event (see the package
// documentation). ev.Args must have passed validArgs.
func appendEvent(dst []byte, ev *Event) []byte {
	dst = append(dst, '{')
	dst = appendSocket(dst, ev.SocketID, ev.UserID, ev.Namespace, true)
	dst = appendKey(dst, "event", false)
	dst = socketio.AppendJSONString(dst, ev.Name)
	dst = appendKey(dst, "args", false)
	if len(ev.Args) == 0 {
		dst = append(dst, '[', ']')
	} else {
		dst = append(dst, ev.Args...)
	}
	if len(ev.Attachments) > 0 {
		dst = appendKey(dst, "attachments", false)
		dst = append(dst, '[')
		for i, a := range ev.Attachments {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, a)
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	}
	dst = appendKey(dst, "ack", false)
	dst = appendBool(dst, ev.WantsAck)
	return append(dst, '}')
}

// validArgs reports whether args is empty or a JSON array.
func validArgs(args []byte) bool {
	if len(args) == 0 {
		return true
	}
	i := 0
	for i < len(args) && isSpace(args[i]) {
		i++
	}
	return i < len(args) && args[i] == '[' && json.Valid(args)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// appendHook appends the body of a lifecycle webhook; data is h.Data
// already encoded, or nil.
func appendHook(dst []byte, h *Hook, data []byte) []byte {
	dst = append(dst, '{')
	dst = appendKey(dst, "id", true)
	dst = socketio.AppendJSONString(dst, h.ID)
	dst = appendKey(dst, "type", false)
	dst = socketio.AppendJSONString(dst, h.Type)
	dst = appendKey(dst, "time", false)
	dst = append(dst, '"')
	dst = h.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	dst = appendSocket(dst, h.SocketID, h.UserID, h.Namespace, false)
	if h.Reason != "" {
		dst = appendKey(dst, "reason", false)
		dst = socketio.AppendJSONString(dst, h.Reason)
	}
	if len(data) > 0 {
		dst = appendKey(dst, "data", false)
		dst = append(dst, data...)
	}
	return append(dst, '}')
}

// appendStringsMap appends m as a JSON object of string arrays, keys
// sorted so that equal requests give equal bodies.
func appendStringsMap(dst []byte, m map[string][]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = socketio.AppendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendStrings(dst, m[k])
	}
	return append(dst, '}')
}

func appendStrings(dst []byte, vs []string) []byte {
	dst = append(dst, '[')
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = socketio.AppendJSONString(dst, v)
	}
	return append(dst, ']')
}

// headerSafe marks the bytes kept as they are in an X-Herald-Event value:
// RFC 3986 unreserved and sub-delims, ':', '@' and '/'. Everything else,
// '%' included, is percent-encoded, so that a client-chosen event name can
// neither inject header lines nor be read two ways; decodeURIComponent
// reverses it.
var headerSafe = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~!$&'()*+,;=:@/" {
		t[c] = true
	}
	return t
}()

// appendHeaderValue appends s percent-encoded by headerSafe.
func appendHeaderValue(dst []byte, s string) []byte {
	const upperHex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if headerSafe[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
		}
	}
	return dst
}

// headerNeedsEscape reports whether s differs from its percent-encoding.
func headerNeedsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if !headerSafe[s[i]] {
			return true
		}
	}
	return false
}
