package httphead

import (
	"net/url"
	"reflect"
	"testing"
)

func TestQueryValue(t *testing.T) {
	const q = "EIO=4&transport=polling&t=N8hyd6w&sid=lv_VI97HAXpY6yYWAAAC"
	cases := []struct {
		query, key string
		want       string
		ok         bool
	}{
		{q, "EIO", "4", true},
		{q, "transport", "polling", true},
		{q, "sid", "lv_VI97HAXpY6yYWAAAC", true},
		{q, "t", "N8hyd6w", true},
		{q, "eio", "", false}, // case-sensitive
		{q, "ti", "", false},
		{q, "", "", false},
		{"", "a", "", false},
		{"a", "a", "", true},
		{"a=", "a", "", true},
		{"a=1&a=2", "a", "1", true},
		{"b=a=c", "b", "a=c", true},
		{"&&a=1&", "a", "1", true},
		{"x=1&&a", "a", "", true},
		{"%61=1", "a", "", false}, // names are compared raw
		{"%61=1", "%61", "1", true},
		{"a=%20+", "a", "%20+", true}, // values are returned raw
		{"a;b=1", "b", "", false},     // ';' is no separator
		{"ab=1&a=2", "a", "2", true},
		{"a=1#x", "a", "1#x", true},
	}
	for _, c := range cases {
		v, ok := QueryValue([]byte(c.query), c.key)
		if ok != c.ok || string(v) != c.want {
			t.Errorf("QueryValue(%q, %q) = %q, %v; want %q, %v", c.query, c.key, v, ok, c.want, c.ok)
		}
	}
	// The value aliases the query.
	query := []byte(q)
	v, _ := QueryValue(query, "sid")
	if &v[0] != &query[len(query)-len(v)] {
		t.Error("value does not alias the query")
	}
}

func TestUnescape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"a+b", "a b"},
		{"%20", " "},
		{"%41%42", "AB"},
		{"%4a%4A", "JJ"},
		{"%e2%82%ac", "€"},
		{"%E2%82%AC", "€"},
		{"%2B", "+"},
		{"%25", "%"},
		{"%2525", "%25"},
		{"%00", "\x00"},
		{"%ff", "\xff"},
		{"%", "%"},
		{"%4", "%4"},
		{"a%", "a%"},
		{"a%4", "a%4"},
		{"%zz", "%zz"},
		{"%4g", "%4g"},
		{"%g4", "%g4"},
		{"100%", "100%"},
		{"%%41", "%A"},
		{"%+", "% "},
		{"%41%", "A%"},
		{"a%41b", "aAb"},
		{"x%41", "xA"},
	}
	for _, c := range cases {
		got := Unescape(nil, []byte(c.in))
		if string(got) != c.want {
			t.Errorf("Unescape(%q) = %q, want %q", c.in, got, c.want)
		}
		// Agrees with net/url wherever net/url accepts the input.
		if u, err := url.QueryUnescape(c.in); err == nil && u != string(got) {
			t.Errorf("Unescape(%q) = %q, url.QueryUnescape %q", c.in, got, u)
		}
	}
	if got := Unescape([]byte("pre:"), []byte("a+%41")); string(got) != "pre:a A" {
		t.Errorf("Unescape appends: %q", got)
	}
}

func TestValues(t *testing.T) {
	cases := []struct {
		query string
		want  map[string]string
	}{
		{"", map[string]string{}},
		{"&&", map[string]string{}},
		{"EIO=4&transport=polling&t=N8hyd6w", map[string]string{"EIO": "4", "transport": "polling", "t": "N8hyd6w"}},
		{"a=1&a=2", map[string]string{"a": "1"}},
		{"a", map[string]string{"a": ""}},
		{"a=", map[string]string{"a": ""}},
		{"=x", map[string]string{"": "x"}},
		{"%61=%62", map[string]string{"a": "b"}},
		{"a=1&%61=2", map[string]string{"a": "1"}},
		{"a+b=c+d", map[string]string{"a b": "c d"}},
		{"token=a%3Db%26c", map[string]string{"token": "a=b&c"}},
		{"x=%zz&y=%", map[string]string{"x": "%zz", "y": "%"}},
		{"k=b=c", map[string]string{"k": "b=c"}},
		{"name=%E2%82%AC", map[string]string{"name": "€"}},
	}
	for _, c := range cases {
		got := Values([]byte(c.query))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Values(%q) = %v, want %v", c.query, got, c.want)
		}
		// First values agree with net/url for queries it accepts.
		if u, err := url.ParseQuery(c.query); err == nil {
			for k, vs := range u {
				if got[k] != vs[0] {
					t.Errorf("Values(%q)[%q] = %q, url.ParseQuery %q", c.query, k, got[k], vs[0])
				}
			}
			if len(u) != len(got) {
				t.Errorf("Values(%q) has %d keys, url.ParseQuery %d", c.query, len(got), len(u))
			}
		}
	}
	// The map does not alias the query.
	q := []byte("a=b")
	m := Values(q)
	q[2] = 'X'
	if m["a"] != "b" {
		t.Error("Values aliases its input")
	}
}

func TestHasToken(t *testing.T) {
	cases := []struct {
		v, token string
		want     bool
	}{
		{"close", "close", true},
		{"Close", "close", true},
		{"close", "CLOSE", true},
		{"keep-alive, Upgrade", "upgrade", true},
		{"keep-alive,Upgrade", "upgrade", true},
		{"  upgrade\t,x", "upgrade", true},
		{"a, b ,c", "b", true},
		{"a,,b", "b", true},
		{"", "close", false},
		{"closed", "close", false},
		{"xclose", "close", false},
		{"clos", "close", false},
		{"close;q=1", "close", false},
		{"\"close\"", "close", false},
		{"a b", "b", false},
		{"a,,", "", true},                              // an empty item matches the empty token
		{"\xe2\x84\xaaeep-alive", "keep-alive", false}, // no Unicode folding (KELVIN SIGN)
		{"permessage-deflate; client_max_window_bits", "permessage-deflate", false},
	}
	for _, c := range cases {
		if got := HasToken([]byte(c.v), c.token); got != c.want {
			t.Errorf("HasToken(%q, %q) = %v, want %v", c.v, c.token, got, c.want)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("instrumentation changes allocation counts")
	}
	var r Request
	polling := []byte(pollingHead)
	upgrade := []byte(upgradeHead)
	query := []byte("EIO=4&transport=polling&t=N8hyd6w&sid=lv_VI97HAXpY6yYWAAAC")
	conn := []byte("keep-alive, Upgrade")
	buf := make([]byte, 0, 128)
	cases := []struct {
		name string
		fn   func()
	}{
		{"ParsePolling", func() { _, _ = r.Parse(polling, 8192) }},
		{"ParseUpgrade", func() { _, _ = r.Parse(upgrade, 8192) }},
		{"ParseIncomplete", func() { _, _ = r.Parse(polling[:100], 8192) }},
		{"Header", func() { _ = r.Header("Sec-WebSocket-Key") }},
		{"HasHeaderToken", func() { _ = r.HasHeaderToken("Connection", "upgrade") }},
		{"QueryValue", func() { _, _ = QueryValue(query, "sid") }},
		{"Unescape", func() { buf = Unescape(buf[:0], []byte("a%20b+c")) }},
		{"HasToken", func() { _ = HasToken(conn, "upgrade") }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, c.fn); n != 0 {
			t.Errorf("%s: %v allocs, want 0", c.name, n)
		}
	}
}
