package backend

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// stdString is encoding/json's rendering of s without HTML escaping.
func stdString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quote " and \ backslash`, "tab\tnl\ncr\r", "\b\f", "\x00\x01\x1f\x7f",
		"<html> & 'x'", "héllo wörld ✓ 🎉", "\u2028\u2029", "bad \xff utf8 \xc3", "\xed\xa0\x80",
		"/chat:room@host", strings.Repeat("é", 100),
	}
	for _, s := range cases {
		got := string(appendString(nil, s))
		if want := stdString(s); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\x00\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendString(nil, s)), stdString(s); got != want {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendEventShape(t *testing.T) {
	ev := Event{
		SocketID:    "sock\"1",
		UserID:      "user-1",
		Namespace:   "/chat",
		Name:        "message\n",
		Args:        json.RawMessage(`[{"text":"hi"},{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`),
		Attachments: [][]byte{{0, 1, 2}, {0xff}},
		WantsAck:    true,
	}
	want := `{"socket_id":"sock\"1","user_id":"user-1","namespace":"/chat","event":"message\n",` +
		`"args":[{"text":"hi"},{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}],` +
		`"attachments":["AAEC","/w=="],"ack":true}`
	if got := string(appendEvent(nil, &ev)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	ev = Event{SocketID: "s", Namespace: "/", Name: "ping"}
	want = `{"socket_id":"s","user_id":"","namespace":"/","event":"ping","args":[],"ack":false}`
	if got := string(appendEvent(nil, &ev)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestValidArgs(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "[]": true, " [1,\"a\"] ": true, `[{"a":[1]}]`: true,
		"{}": false, "1": false, "[": false, "[1,]": false, "   ": false, "[1] [2]": false, `"x"`: false,
	} {
		if got := validArgs([]byte(s)); got != want {
			t.Errorf("validArgs(%q) = %v", s, got)
		}
	}
}

func TestAppendHookShape(t *testing.T) {
	h := Hook{
		Type: HookDisconnect, ID: "d1", SocketID: "s1", UserID: "u1", Namespace: "/", Reason: "transport close",
		Time: time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.FixedZone("x", 3600)),
	}
	want := `{"id":"d1","type":"disconnect","time":"2025-03-04T04:06:07.008Z","socket_id":"s1","user_id":"u1",` +
		`"namespace":"/","reason":"transport close","data":{"k":1}}`
	if got := string(appendHook(nil, &h, []byte(`{"k":1}`))); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	h.Reason = ""
	want = `{"id":"d1","type":"disconnect","time":"2025-03-04T04:06:07.008Z","socket_id":"s1","user_id":"u1","namespace":"/"}`
	if got := string(appendHook(nil, &h, nil)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestHeaderValueEscaping(t *testing.T) {
	for _, name := range []string{"chat:message", "a b", "x\r\nInjected: 1", "100%", "ünï", "a/b@c;d=e", "\x00\x7f"} {
		v := string(appendHeaderValue(nil, name))
		if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			t.Errorf("%q -> %q holds unsafe bytes", name, v)
		}
		back, err := url.PathUnescape(v)
		if err != nil || back != name {
			t.Errorf("%q -> %q -> %q, %v", name, v, back, err)
		}
		if headerNeedsEscape(name) != (v != name) {
			t.Errorf("headerNeedsEscape(%q) disagrees with %q", name, v)
		}
	}
}

func TestAttachmentsAreStdBase64(t *testing.T) {
	att := []byte{0xfb, 0xff, 0xfe, 0x00}
	ev := Event{Args: json.RawMessage(`[{"_placeholder":true,"num":0}]`), Attachments: [][]byte{att}}
	var body struct{ Attachments []string }
	if err := json.Unmarshal(appendEvent(nil, &ev), &body); err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(body.Attachments[0])
	if err != nil || !bytes.Equal(got, att) {
		t.Fatalf("attachment %q: %v", body.Attachments[0], err)
	}
}
