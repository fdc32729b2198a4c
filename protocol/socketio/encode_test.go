package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/bytedance/sonic"
)

func TestAppendHeader(t *testing.T) {
	tests := []struct {
		t     Type
		nsp   string
		att   int
		id    uint64
		hasID bool
		want  string
	}{
		{Connect, "", 0, 0, false, "0"},
		{Connect, "/", 0, 0, false, "0"},
		{Connect, "/admin", 0, 0, false, "0/admin,"},
		{Disconnect, "/admin", 0, 0, false, "1/admin,"},
		{Event, "/", 3, 12, true, "212"}, // attachments ignored for non-binary types
		{Event, "/", 0, 0, true, "20"},
		{Ack, "/admin", 0, 13, true, "3/admin,13"},
		{ConnectError, "", 0, 0, false, "4"},
		{BinaryEvent, "/", 1, 0, false, "51-"},
		{BinaryEvent, "/admin", 2, 0, false, "52-/admin,"},
		{BinaryAck, "/", 1, 15, true, "61-15"},
		{BinaryAck, "/x", 10, MaxAckID, true, "610-/x,9007199254740991"},
	}
	for _, tt := range tests {
		if got := string(AppendHeader(nil, tt.t, tt.nsp, tt.att, tt.id, tt.hasID)); got != tt.want {
			t.Errorf("AppendHeader(%v,%q,%d,%d,%v) = %q, want %q", tt.t, tt.nsp, tt.att, tt.id, tt.hasID, got, tt.want)
		}
	}
}

func TestAppendEventAndAck(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{string(AppendEvent(nil, "/", 0, false, "foo", nil)), `2["foo"]`},
		{string(AppendEvent(nil, "", 12, true, "foo", nil)), `212["foo"]`},
		{string(AppendEvent(nil, "/admin", 0, false, "bar", Args(`1,{"a":2}`))), `2/admin,["bar",1,{"a":2}]`},
		{string(AppendEvent([]byte("4"), "/", 0, false, "hey", Args(`"Jude"`))), `42["hey","Jude"]`},
		{string(AppendEvent(nil, "/", 0, false, "q\"<\n>\u2028", nil)), `2["q\"\u003c\n\u003e\u2028"]`},
		{string(AppendBinaryEvent(nil, "/admin", 2, 0, false, "baz", Args(`{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}`))),
			`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
		{string(AppendAck(nil, "/", 12, nil)), `312[]`},
		{string(AppendAck(nil, "/admin", 13, Args(`"bar"`))), `3/admin,13["bar"]`},
		{string(AppendBinaryAck(nil, "/", 1, 15, Args(`"bar",{"_placeholder":true,"num":0}`))), `61-15["bar",{"_placeholder":true,"num":0}]`},
		{string(AppendBinaryAck(nil, "/", 0, 15, Args(`1`))), `315[1]`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

func TestAppendEventRoundTrip(t *testing.T) {
	names := []string{"", "foo", "q\"\\/", "<&>", "\x00\x1f\x7f", "日本😀", "\u2028", "connected"}
	for _, name := range names {
		for _, args := range []Args{nil, Args(`1`), Args(`"a",{"b":[null]}`)} {
			b := AppendEvent(nil, "/nsp", 5, true, name, args)
			p, err := Decode(b, 0)
			if err != nil {
				t.Fatalf("Decode(%q): %v", b, err)
			}
			n, a, err := p.Event()
			if err != nil || n != name || !bytes.Equal(a, args) || p.ID != 5 || string(p.Namespace) != "/nsp" {
				t.Errorf("round trip of %q %q via %q = %q %q %v", name, args, b, n, a, err)
			}
		}
	}
}

func TestValidateNamespace(t *testing.T) {
	for _, n := range []string{"", "/", "/admin", "/a/b", "/日本"} {
		if err := ValidateNamespace(n); err != nil {
			t.Errorf("ValidateNamespace(%q) = %v", n, err)
		}
	}
	for _, n := range []string{"admin", "/a,b", "/a\nb", "/\xff", ","} {
		if err := ValidateNamespace(n); !errors.Is(err, ErrNamespace) {
			t.Errorf("ValidateNamespace(%q) = %v", n, err)
		}
	}
}

func TestEncodeEventRefuses(t *testing.T) {
	if _, _, err := EncodeEvent("/", 0, false, "disconnect", nil); !errors.Is(err, ErrReservedEvent) {
		t.Errorf("reserved: %v", err)
	}
	if _, _, err := EncodeEvent("/a,b", 0, false, "x", nil); !errors.Is(err, ErrNamespace) {
		t.Errorf("namespace: %v", err)
	}
	if _, _, err := EncodeAck("a", 1, nil); !errors.Is(err, ErrNamespace) {
		t.Errorf("ack namespace: %v", err)
	}
	if _, _, err := EncodeEvent("/", 0, false, "x", []any{math.NaN()}); err == nil {
		t.Error("NaN encoded without error")
	}
	if _, _, err := EncodeEvent("/", 0, false, "x", []any{make(chan int)}); err == nil {
		t.Error("chan encoded without error")
	}
}

type plain struct {
	Name  string            `json:"name"`
	Count int               `json:"count,omitempty"`
	Tags  []string          `json:"tags"`
	Meta  map[string]string `json:"meta"`
	Skip  string            `json:"-"`
	Raw   json.RawMessage   `json:"raw"`
	Fixed [2]byte           `json:"fixed"`
}

func TestEncodeArgsMatchesSonicStd(t *testing.T) {
	args := []any{
		"hello <b>&</b>", 42, -1.5, true, false, nil, uint64(math.MaxUint64),
		map[string]any{"z": 1, "a": []any{"x", 2.5, nil}, "m": map[string]any{"k": "\u2028"}},
		[]any{}, map[string]any{}, []int{1, 2}, []string(nil),
		plain{Name: "n", Tags: []string{"t"}, Meta: map[string]string{"b": "2", "a": "1"}, Raw: json.RawMessage(`{"x": [1, 2]}`), Fixed: [2]byte{1, 2}},
		&plain{Name: "<p>"},
		json.RawMessage(`[1, "a"]`),
		json.Number("12.50"),
		"é日本😀 \u2029",
	}
	got, atts, err := EncodeArgs(nil, args)
	if err != nil {
		t.Fatal(err)
	}
	if atts != nil {
		t.Errorf("unexpected attachments %q", atts)
	}
	var want []byte
	for i, a := range args {
		b, err := sonic.ConfigStd.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			want = append(want, ',')
		}
		want = append(want, b...)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("EncodeArgs =\n%s\nsonic.ConfigStd =\n%s", got, want)
	}
	if !Args(got).Valid() {
		t.Errorf("EncodeArgs output is not valid Args: %s", got)
	}
}

func TestEncodeEventText(t *testing.T) {
	text, atts, err := EncodeEvent("/admin", 7, true, "ev", []any{"a", 1, map[string]int{"b": 2}})
	if err != nil || atts != nil {
		t.Fatal(err, atts)
	}
	if want := `2/admin,7["ev","a",1,{"b":2}]`; string(text) != want {
		t.Errorf("EncodeEvent = %s, want %s", text, want)
	}
	text, _, _ = EncodeEvent("", 0, false, "ev", nil)
	if want := `2["ev"]`; string(text) != want {
		t.Errorf("EncodeEvent = %s, want %s", text, want)
	}
	text, _, _ = EncodeAck("/", 3, nil)
	if want := `33[]`; string(text) != want {
		t.Errorf("EncodeAck = %s, want %s", text, want)
	}
	text, _, _ = EncodeAck("/x", 3, []any{"ok", nil})
	if want := `3/x,3["ok",null]`; string(text) != want {
		t.Errorf("EncodeAck = %s, want %s", text, want)
	}
}
