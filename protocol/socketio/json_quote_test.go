package socketio

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bytedance/sonic"
)

// stdString is encoding/json's rendering of s without HTML escaping.
func stdString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

var quoteCases = []string{
	"", "plain", `quote " and \ backslash`, "tab\tnl\ncr\r", "\b\f", "\x00\x01\x1f\x7f",
	"<html> & 'x'", "héllo wörld ✓ 🎉", "\u2028\u2029", "bad \xff utf8 \xc3", "\xed\xa0\x80",
	"/chat:room@host", strings.Repeat("é", 100),
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range quoteCases {
		if got, want := string(AppendJSONString(nil, s)), stdString(s); got != want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendQuotedMatchesSonic(t *testing.T) {
	for _, s := range quoteCases {
		want, err := sonic.ConfigStd.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendQuoted(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendQuoted(%q) = %s, want %s", s, got, want)
		}
	}
}

// FuzzAppendJSONString checks both escapings against their references:
// AppendJSONString against encoding/json without HTML escaping, and the
// encoder's appendQuoted against sonic.ConfigStd.
func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"b\\c\x00\u2028\xff<&>")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendJSONString(nil, s)), stdString(s); got != want {
			t.Fatalf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
		want, err := sonic.ConfigStd.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendQuoted(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendQuoted(%q) = %s, want %s", s, got, want)
		}
	})
}
