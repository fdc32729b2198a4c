package websocket

import (
	"crypto/sha1"
	"encoding/base64"
)

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// ValidKey reports whether a Sec-WebSocket-Key value is the base64 encoding
// of 16 bytes, as RFC 6455 requires.
func ValidKey(key []byte) bool {
	if len(key) != 24 {
		return false
	}
	var raw [18]byte
	n, err := base64.StdEncoding.Decode(raw[:], key)
	return err == nil && n == 16
}

// AppendAccept appends the Sec-WebSocket-Accept value for key.
func AppendAccept(dst, key []byte) []byte {
	h := sha1.New()
	h.Write(key)
	h.Write([]byte(acceptGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.AppendEncode(dst, h.Sum(sum[:0]))
}
