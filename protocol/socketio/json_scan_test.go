package socketio

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidJSON(t *testing.T) {
	valid := []string{
		`0`, `-0`, `1`, `-1`, `12.5`, `1e10`, `1E+2`, `1e-2`, `-0.0e0`, `123456789012345678901234567890`,
		`true`, `false`, `null`, `""`, `"a"`, `"\"\\\/\b\f\n\r\t\u0000\uFFFF\uD83D\uDE00"`,
		`"\ud800"`, // lone surrogates are grammatical (RFC 8259 section 8.2)
		`"é日本😀"`, "\"\xef\xbf\xbd\"", `[]`, `{}`, `[1,"a",null,{"b":[true]}]`,
		" \t\r\n[ 1 , 2 ] \n", `{"a":{"b":{"c":[]}}}`, `{"":0}`, `{"a":1,"a":2}`,
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
	}
	for _, v := range valid {
		if err := validJSON([]byte(v)); err != nil {
			t.Errorf("validJSON(%q) = %v", v, err)
		}
		if !json.Valid([]byte(v)) {
			t.Errorf("test bug: encoding/json rejects %q", v)
		}
	}
	invalid := []string{
		``, ` `, `[`, `]`, `{`, `}`, `[1,]`, `[,1]`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{1:2}`,
		`01`, `-`, `-01`, `1.`, `.1`, `1e`, `1e+`, `+1`, `0x1`, `1_000`, `NaN`, `-Infinity`,
		`tru`, `nulll`, `True`, `"`, `"\"`, `"\a"`, `"\u"`, `"\u123"`, `"\u12G4"`, "\"\x00\"", "\"\t\"",
		"\"\xff\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\"", `'a'`, `[1 2]`, `{"a" 1}`, `1 2`, `[]]`, `[][]`,
		"\x00", "\ufeff1", "\v1", `/**/1`, `[1]//`,
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	}
	for _, v := range invalid {
		if err := validJSON([]byte(v)); !errors.Is(err, ErrJSON) || !errors.Is(err, ErrParse) {
			t.Errorf("validJSON(%q) = %v, want ErrJSON", v, err)
		}
	}
}

func TestScannerNeverReadsPastInput(t *testing.T) {
	// Every prefix of a valid document is either valid or an error, never a panic.
	doc := `{"a":[1,-2.5e+3,true,false,null,"x\u00e9\n",{"_placeholder":true,"num":0}],"b":{}}`
	for i := range len(doc) + 1 {
		_ = validJSON([]byte(doc[:i]))
		s := scanner{data: []byte(doc[:i]), natt: 1, rewrite: true, atts: [][]byte{{1}}}
		_ = s.whole()
	}
}

func TestStringEquals(t *testing.T) {
	tests := []struct {
		raw  string
		want string
		eq   bool
	}{
		{`_placeholder`, "_placeholder", true},
		{`\u005fplaceholder`, "_placeholder", true},
		{`\u005Fplac\u0065holder`, "_placeholder", true},
		{`_placeholde`, "_placeholder", false},
		{`n\u0075m`, "num", true},
		{`n\u0075mm`, "num", false},
		{`\n`, "\n", true},
	}
	for _, tt := range tests {
		escaped := strings.Contains(tt.raw, `\`)
		if got := stringEquals([]byte(tt.raw), escaped, tt.want); got != tt.eq {
			t.Errorf("stringEquals(%q, %q) = %v", tt.raw, tt.want, got)
		}
	}
}

func TestAppendUnescapedMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`plain`, `a\"b`, `\\\/\b\f\n\r\t`, `\u00e9\u65e5`, `\uD83D\uDE00`, `\ud83d`, `\ude00`,
		`\ud83dx`, `\ud83d\u0041`, `\udc00\ud800`, `\ud800\ud800\udc00`, `é\u0000`,
	} {
		var want string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
			t.Fatal(err)
		}
		if got := string(appendUnescaped(nil, []byte(s))); got != want {
			t.Errorf("appendUnescaped(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestAppendQuotedMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `q"b\s`, "<script>&amp;</script>", "tab\tnl\ncr\r", "\x00\x01\x1f\x7f",
		"é日本😀", "\u2028\u2029", "bad\xffutf8\xc3", "\b\f",
	} {
		got := AppendQuoted(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("AppendQuoted(%q) = %s: invalid JSON: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if !utf8.ValidString(s) {
			// encoding/json replaces each invalid byte.
			want = string([]rune(s))
		}
		if back != want {
			t.Errorf("AppendQuoted(%q) round-trips to %q", s, back)
		}
		if strings.ContainsAny(string(got), "<>&\u2028\u2029") {
			t.Errorf("AppendQuoted(%q) = %s is not HTML-safe", s, got)
		}
		if err := validJSON(got); err != nil {
			t.Errorf("AppendQuoted(%q) = %s rejected by scanner: %v", s, got, err)
		}
	}
}

func TestAppendHTMLSafe(t *testing.T) {
	in := "{\"a\":\"<b>&\u2028\u2029\xe2\x80\"}"
	got := string(appendHTMLSafe(nil, []byte(in)))
	want := `{"a":"\u003cb\u003e\u0026\u2028\u2029` + "\xe2\x80" + `"}`
	if got != want {
		t.Errorf("appendHTMLSafe = %q, want %q", got, want)
	}
}
