package engineio

import (
	"encoding/json"
	"testing"
)

// BUG: AppendOpen quotes strings with strconv.AppendQuote, which writes Go
// string literals, not JSON strings. Control characters come out as \x00 or
// \a, DEL as \x7f, invalid UTF-8 as \xff and non-printable runes beyond the
// BMP as \U000e0001: none of these are JSON escapes, so the client's
// JSON.parse of the open packet throws. The SIDs the engine generates today
// are URL-safe base64, so this is latent, but Handshake takes any string
// (and any upgrade names).
func TestAppendOpenWritesJSONStrings(t *testing.T) {
	for _, sid := range []string{"\x00", "\x1f", "\a", "\x7f", "\xff", "\U000e0001", "tab\there"} {
		b := AppendOpen(nil, Handshake{SID: sid, Upgrades: []string{"websocket"}})
		var got openJSON
		if err := json.Unmarshal(b[1:], &got); err != nil {
			t.Errorf("SID %q: AppendOpen wrote %s, which is not JSON: %v", sid, b[1:], err)
			continue
		}
		if got.SID != sid && sid != "\xff" {
			t.Errorf("SID %q decodes as %q", sid, got.SID)
		}
	}
}
