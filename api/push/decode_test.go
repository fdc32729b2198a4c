package push

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPacketCopiesDataAsSentWithPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		body, data string
		atts       []string
	}{
		{`{"event":"e","targets":{"all":true}}`, `["e"]`, nil},
		{`{"event":"e","data":null,"targets":{"all":true}}`, `["e",null]`, nil},
		{`{"event":"e","data": {"a" : [1, 2]} ,"targets":{"all":true}}`, `["e",{"a" : [1, 2]}]`, nil},
		{`{"event":"caf\u00e9","args":[ 1 , "x" ],"targets":{"all":true}}`, `["caf\u00e9",1 , "x"]`, nil},
		{`{"event":"e","args":[],"targets":{"all":true}}`, `["e"]`, nil},
		{`{"event":"e","args":null,"data":1,"targets":{"all":true}}`, `["e",1]`, nil},
		{`{"event":"f","args":[{"$binary":"aGk="},{"k":[{"$binary" : "" }]}],"targets":{"all":true}}`,
			`["f",{"_placeholder":true,"num":0},{"k":[{"_placeholder":true,"num":1}]}]`, []string{"hi", ""}},
		{`{"event":"f","data":{"$binary":"\/w=="},"targets":{"all":true}}`, `["f",{"_placeholder":true,"num":0}]`, []string{"\xff"}},
	} {
		e, p := decodeEmit([]byte(tc.body))
		if p != nil {
			t.Fatalf("%s: %v", tc.body, p)
		}
		pk := e.packet("/")
		if string(pk.Data) != tc.data {
			t.Errorf("%s: packet %s, want %s", tc.body, pk.Data, tc.data)
		}
		if len(pk.Attachments) != len(tc.atts) {
			t.Fatalf("%s: %d attachments, want %d", tc.body, len(pk.Attachments), len(tc.atts))
		}
		for i, a := range tc.atts {
			if string(pk.Attachments[i]) != a {
				t.Errorf("%s: attachment %d is %q, want %q", tc.body, i, pk.Attachments[i], a)
			}
		}
	}
}

func TestDataAliasesTheBody(t *testing.T) {
	body := []byte(`{"event":"e","data":{"big":"` + strings.Repeat("x", 1000) + `"},"targets":{"all":true}}`)
	e, p := decodeEmit(body)
	if p != nil {
		t.Fatal(p)
	}
	// The decoder keeps a slice of the body, so that building the packet
	// is the only copy of the data.
	start := bytes.Index(body, []byte(`{"big"`))
	if &e.args.raw[0] != &body[start] {
		t.Fatal("the data was copied while decoding")
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = decodeEmit(body) }); allocs > 6 {
		t.Errorf("decoding an emit allocates %v times, want at most 6", allocs)
	}
}

func TestDecodeOptions(t *testing.T) {
	e, p := decodeEmit([]byte(`{"namespace":"/n","event":"e","targets":{"rooms":["r"],"users":["u"],"sockets":["s"]},"except":{"rooms":["x"],"users":["y"],"sockets":["z"]},"volatile":true,"ack_timeout_ms":250}`))
	if p != nil {
		t.Fatal(p)
	}
	if e.nsp != "/n" || !e.volatile || e.ack != 250*time.Millisecond ||
		strings.Join(e.to.rooms, ",") != "r" || strings.Join(e.to.users, ",") != "u" || strings.Join(e.to.sockets, ",") != "s" ||
		strings.Join(e.except.rooms, ",") != "x" || strings.Join(e.except.users, ",") != "y" || strings.Join(e.except.sockets, ",") != "z" {
		t.Fatalf("decoded %+v", e)
	}
	e, _ = decodeEmit([]byte(`{"event":"e","targets":{"all":true}}`))
	if e.nsp != "/" || e.volatile || e.ack != 0 || !e.to.all {
		t.Fatalf("defaults %+v", e)
	}
}

func TestAckValues(t *testing.T) {
	e, p := decodeEmit([]byte(`{"event":"e","args":[{"a":1},{"b":{"$binary":"aGk="}}],"targets":{"all":true}}`))
	if p != nil {
		t.Fatal(p)
	}
	vals, err := e.args.values()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := vals[1].(map[string]any)["b"].([]byte)
	if len(vals) != 2 || string(b) != "hi" {
		t.Fatalf("values %#v", vals)
	}
	e, _ = decodeEmit([]byte(`{"event":"e","args":[1,"x"],"targets":{"all":true}}`))
	vals, _ = e.args.values()
	if len(vals) != 2 || string(vals[0].(json.RawMessage)) != "1" || string(vals[1].(json.RawMessage)) != `"x"` {
		t.Fatalf("raw values %#v", vals)
	}
}

func TestMatchRefusesBadEscapes(t *testing.T) {
	a, err := New(testAPIConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/users/%zz", "/v1/users/%", "v1/stats", ""} {
		if r, _, allow := a.match([]byte("GET"), []byte(path)); r != nil || allow != nil {
			t.Errorf("%q matched %v %v", path, r, allow)
		}
	}
	r, p, _ := a.match([]byte("GET"), []byte("/v1/users/a%2Fb"))
	if r == nil || p.get(0) != "a/b" {
		t.Fatalf("encoded slash: %v %q", r, p.get(0))
	}
}

func TestSignKnownVector(t *testing.T) {
	// HMAC-SHA256("secret", "POST\n/v1/emit\n1700000000\n{}"), computed
	// independently with: printf 'POST\n/v1/emit\n1700000000\n{}' |
	// openssl dgst -sha256 -hmac secret
	const want = "58c348bcd876eaf3c5d5b4bdd95f6ea0bed145b7bf8346df9d1db39f96689d87"
	if got := Sign([]byte("secret"), "POST", "/v1/emit", 1700000000, []byte("{}")); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}
