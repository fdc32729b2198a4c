package websocket

import (
	"crypto/sha1"
	"encoding/base64"
	"testing"
)

func TestAppendAccept(t *testing.T) {
	cases := []struct{ key, want string }{
		// RFC 6455 §1.3 and §4.2.2.
		{"dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
		{"AAAAAAAAAAAAAAAAAAAAAA==", acceptOf("AAAAAAAAAAAAAAAAAAAAAA==")},
		{"x3JJHMbDL1EzLkh9GBhXDw==", acceptOf("x3JJHMbDL1EzLkh9GBhXDw==")},
	}
	for _, c := range cases {
		got := AppendAccept([]byte("Sec-WebSocket-Accept: "), []byte(c.key))
		if string(got) != "Sec-WebSocket-Accept: "+c.want {
			t.Errorf("AppendAccept(%q) = %q, want %q", c.key, got, c.want)
		}
	}
	if got := AppendAccept(nil, []byte("dGhlIHNhbXBsZSBub25jZQ==")); len(got) != 28 {
		t.Errorf("accept value of %d bytes, want 28", len(got))
	}
}

func acceptOf(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestValidKey(t *testing.T) {
	cases := []struct {
		key  string
		want bool
	}{
		{"dGhlIHNhbXBsZSBub25jZQ==", true},
		{"AAAAAAAAAAAAAAAAAAAAAA==", true},
		{"/////////////////////w==", true},
		{"+++++++++++++++++++++w==", true},
		{"", false},
		{"dGhlIHNhbXBsZSBub25jZQ=", false},   // 23 bytes
		{"dGhlIHNhbXBsZSBub25jZQ===", false}, // 25 bytes
		{"dGhlIHNhbXBsZSBub25jZQ", false},    // unpadded
		{"dGhlIHNhbXBsZSBub25jZQAA", false},  // 18 bytes
		{"dGhlIHNhbXBsZSBub25jZ===", false},  // bad padding
		{"dGhlIHNhbXBsZSBub25jZQ-_", false},  // URL alphabet
		{"dGhlIHNhbXBsZSBub25jZ-_==", false},
		{"dGhlIHNhbXBsZSBub25j ZQ=", false},
		{"dGhlIHNhbXBsZSBub25jZQ\r\n", false},
		{"dGhlIHNhbXBsZSBub25\njZQ==", false},
		{"the sample nonce!!!!!!!!", false}, // 24 bytes, not base64
		{"MDEyMzQ1Njc4OWFiY2RlZg==", true},  // "0123456789abcdef"
	}
	for _, c := range cases {
		if got := ValidKey([]byte(c.key)); got != c.want {
			t.Errorf("ValidKey(%q) = %v, want %v", c.key, got, c.want)
		}
	}
	// Every 16-byte value encodes to a valid key.
	for i := range 256 {
		var raw [16]byte
		for j := range raw {
			raw[j] = byte(i * (j + 1))
		}
		if k := base64.StdEncoding.EncodeToString(raw[:]); !ValidKey([]byte(k)) {
			t.Errorf("ValidKey(%q) = false", k)
		}
	}
}
