package websocket

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// BUG: AppendClose cuts the reason at byte 123 even in the middle of a UTF-8
// sequence. RFC 6455 §5.5.1 requires the close reason to be UTF-8, and
// browsers fail the connection (1007) on an invalid one. The cut must back up
// to a rune boundary.
func TestAppendCloseKeepsRunesWhole(t *testing.T) {
	for _, reason := range []string{
		strings.Repeat("é", 62),         // 124 bytes: cut inside the 62nd é
		strings.Repeat("r", 122) + "€x", // cut after the first byte of €
		strings.Repeat("r", 121) + "😀",  // cut after two bytes of a 4-byte rune
	} {
		frame := AppendClose(nil, ws.StatusGoingAway, reason)
		body := frame[2:]
		if len(body) > 125 {
			t.Fatalf("body of %d bytes", len(body))
		}
		if r := body[2:]; !utf8.Valid(r) {
			t.Errorf("AppendClose(%d-byte reason) wrote a reason that is not UTF-8: ...% x", len(reason), r[len(r)-4:])
		} else if !strings.HasPrefix(reason, string(r)) {
			t.Errorf("reason %q is not a prefix of the input", r)
		}
	}
}

// BUG: ParseClose refuses 1012 (Service Restart), 1013 (Try Again Later) and
// 1014 (Bad Gateway). They are registered in the IANA WebSocket Close Code
// Number registry and may be sent in a close frame; the Autobahn test suite
// treats them as valid since crossbario/autobahn-testsuite#52 and #88/#89.
// A peer that sends them gets a protocol error instead of a clean close.
func TestParseCloseAcceptsRegisteredCodes(t *testing.T) {
	for _, code := range []ws.StatusCode{1012, 1013, 1014} {
		body := binary.BigEndian.AppendUint16(nil, uint16(code))
		if got, err := ParseClose(body); err != nil || got != code {
			t.Errorf("ParseClose(%d) = %d, %v; want %d, nil", code, got, err, code)
		}
	}
}
