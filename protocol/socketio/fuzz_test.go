package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

var decodeSeeds = []string{
	`0`, `0/admin,`, `0/admin,{"token":"123"}`, `1`, `1/admin,`, `2["foo"]`, `2/admin,13["foo",1,{"a":[true,null]}]`,
	`2[1,"a"]`, `2["\u0063onnect"]`, `312[]`, `3/admin,13["bar"]`, `4{"message":"Not authorized"}`, `4"x"`,
	`51-["baz",{"_placeholder":true,"num":0}]`, `52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
	`61-15["bar",{"_placeholder":true,"num":0}]`, `5`, `50-`, `511-["a"]`, `29007199254740992["x"]`, "2[\"a\xff\"]",
}

// FuzzDecode checks that Decode never panics, that whatever it accepts
// survives a re-encode, and that the accessors agree with it.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte(`53-["a",{"_placeholder":true,"num":2}]`), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, max uint8) {
		p, err := Decode(data, int(max))
		if err != nil {
			if !errors.Is(err, ErrParse) {
				t.Fatalf("Decode(%q): error %v does not wrap ErrParse", data, err)
			}
			return
		}
		enc := AppendHeader(nil, p.Type, string(p.Namespace), p.Attachments, p.ID, p.HasID)
		enc = append(enc, p.Data...)
		q, err := Decode(enc, int(max))
		if err != nil {
			t.Fatalf("Decode(%q) ok but re-encoded %q fails: %v", data, enc, err)
		}
		if q.Type != p.Type || !bytes.Equal(q.Namespace, p.Namespace) || q.ID != p.ID || q.HasID != p.HasID ||
			q.Attachments != p.Attachments || !bytes.Equal(q.Data, p.Data) || (q.Data == nil) != (p.Data == nil) {
			t.Fatalf("round trip of %q via %q: %+v != %+v", data, enc, q, p)
		}
		if ValidateNamespace(string(p.Namespace)) != nil {
			t.Fatalf("Decode(%q) accepted namespace %q that encoders refuse", data, p.Namespace)
		}
		if p.Data != nil && !json.Valid(p.Data) {
			t.Fatalf("Decode(%q) accepted JSON that encoding/json rejects", data)
		}
		if p.Type.IsBinary() {
			atts := make([][]byte, p.Attachments)
			if _, err := ReplacePlaceholders(nil, p.Data, atts); err != nil {
				t.Fatalf("Decode(%q) accepted placeholders that ReplacePlaceholders refuses: %v", data, err)
			}
		}
		switch p.Type {
		case Event, BinaryEvent:
			name, args, err := p.EventBytes()
			if err != nil {
				t.Fatalf("EventBytes(%q): %v", data, err)
			}
			if !args.Valid() {
				t.Fatalf("EventBytes(%q) args %q not valid", data, args)
			}
			if utf8.Valid(name) && !IsReserved(string(name)) {
				again := AppendBinaryEvent(nil, string(p.Namespace), p.Attachments, p.ID, p.HasID, string(name), args)
				r, err := Decode(again, int(max))
				if err != nil {
					t.Fatalf("AppendEvent of %q, %q: %q: %v", name, args, again, err)
				}
				n2, a2, err := r.EventBytes()
				if err != nil || !bytes.Equal(n2, name) || !bytes.Equal(a2, args) {
					t.Fatalf("event round trip %q -> %q: %q %q %v", data, again, n2, a2, err)
				}
			}
			args.Each(func(int, []byte) bool { return true })
		case Ack, BinaryAck:
			args, err := p.AckArgs()
			if err != nil || !args.Valid() {
				t.Fatalf("AckArgs(%q) = %q, %v", data, args, err)
			}
		}
	})
}

// FuzzReassemble drives the binary path end to end with hostile headers and
// attachments.
func FuzzReassemble(f *testing.F) {
	f.Add([]byte(`51-["baz",{"_placeholder":true,"num":0}]`), []byte{1, 2, 3, 4}, []byte{})
	f.Add([]byte(`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), []byte{1, 2}, []byte{3, 4})
	f.Add([]byte(`61-15[{"a":[{"_placeholder":true,"num":0}]}]`), []byte("x"), []byte("y"))
	f.Add([]byte(`2["a"]`), []byte{1}, []byte{2})
	f.Fuzz(func(t *testing.T, header, a0, a1 []byte) {
		p, err := Decode(header, 2)
		if err != nil {
			return
		}
		var r Reassembler
		r.Start(p)
		for _, a := range [][]byte{a0, a1} {
			pending := r.Pending()
			done, err := r.Add(a)
			if pending == (err != nil) {
				t.Fatalf("Add: pending=%v err=%v", pending, err)
			}
			if done && r.Pending() {
				t.Fatal("done but pending")
			}
		}
		if r.Pending() {
			return
		}
		q, atts := r.Packet()
		if len(atts) != p.Attachments {
			t.Fatalf("%d attachments, want %d", len(atts), p.Attachments)
		}
		var args Args
		switch q.Type {
		case Event, BinaryEvent:
			_, args, err = q.Event()
		case Ack, BinaryAck:
			args, err = q.AckArgs()
		default:
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		args.Each(func(_ int, raw []byte) bool {
			out, err := ReplacePlaceholders(nil, raw, atts)
			if err != nil {
				t.Fatalf("ReplacePlaceholders(%q): %v", raw, err)
			}
			if !json.Valid(out) {
				t.Fatalf("ReplacePlaceholders produced invalid JSON %q", out)
			}
			var v any
			if err := DecodeArgs(raw, atts, &v); err != nil {
				t.Fatalf("DecodeArgs(%q): %v", raw, err)
			}
			return true
		})
	})
}

// FuzzJSONScan compares the scanner with encoding/json, which is the
// reference for grammar (it does not check UTF-8 or bound depth as tightly).
func FuzzJSONScan(f *testing.F) {
	for _, s := range []string{`0`, `-1.5e+3`, `"a\u00e9\ud83d\ude00"`, `[1,{"a":[true,false,null]}]`, `{"_placeholder":true,"num":0}`,
		`[01]`, `"\x"`, `{"a":1,}`, " [ ] ", "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := validJSON(data)
		if errors.Is(err, ErrTooDeep) {
			return
		}
		std := json.Valid(data)
		if err == nil && !std {
			t.Fatalf("scanner accepts %q, encoding/json rejects it", data)
		}
		if err != nil && std && utf8.Valid(data) {
			t.Fatalf("scanner rejects valid %q: %v", data, err)
		}
		if err != nil {
			return
		}
		// Rewriting with an attachment keeps the text valid JSON.
		if out, err := ReplacePlaceholders(nil, data, [][]byte{{0xde, 0xad}}); err == nil {
			if verr := validJSON(out); verr != nil {
				t.Fatalf("ReplacePlaceholders(%q) = %q: %v", data, out, verr)
			}
		} else if !errors.Is(err, ErrPlaceholder) {
			t.Fatalf("ReplacePlaceholders(%q): %v", data, err)
		}
		// As an argument list of one, it splits into exactly one element.
		if n := Args(data).Len(); n != 1 {
			t.Fatalf("Args(%q).Len() = %d", data, n)
		}
	})
}

// FuzzEventRoundTrip checks that every event AppendEvent can be asked to
// build decodes back to the same name and arguments.
func FuzzEventRoundTrip(f *testing.F) {
	f.Add("/admin", "message", uint64(12), []byte(`1,{"a":"b"}`))
	f.Add("", "q\"<\u2028\xff", uint64(0), []byte(``))
	f.Fuzz(func(t *testing.T, nsp, name string, id uint64, args []byte) {
		if ValidateNamespace(nsp) != nil || IsReserved(name) || id > MaxAckID || !Args(args).Valid() {
			return
		}
		args = trimWS(args)
		b := AppendEvent(nil, nsp, id, true, name, args)
		p, err := Decode(b, 0)
		if errors.Is(err, ErrTooDeep) || errors.Is(err, ErrReservedEvent) {
			return // too deep once wrapped, or a name that becomes reserved once made valid UTF-8
		}
		if err != nil {
			t.Fatalf("Decode(%q): %v", b, err)
		}
		n, a, err := p.Event()
		if err != nil || n != string([]rune(name)) || !bytes.Equal(a, args) || p.ID != id {
			t.Fatalf("round trip of %q %q via %q: %q %q %v", name, args, b, n, a, err)
		}
	})
}

// FuzzUnquote checks Unquote against the arguments decoder: they accept
// the same strings and read them the same (the decoder also takes null
// for a string, which is no string).
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"room"`, `"a\"b"`, `""`, `"`, `"x`, `"é"`, `"\t"`, `"\ud800"`, `"\u00e9"`, `0"`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(trimWS(raw)) != len(raw) {
			return // the decoder skips what Args elements never have
		}
		s, ok := Unquote(raw)
		var want string
		err := DecodeArgs(raw, nil, &want)
		if ok != (err == nil && len(raw) > 0 && raw[0] == '"') {
			t.Fatalf("Unquote(%q) ok=%v, the decoder says %v", raw, ok, err)
		}
		if s != want {
			t.Fatalf("Unquote(%q) = %q, the decoder reads %q", raw, s, want)
		}
	})
}
