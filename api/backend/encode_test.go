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
