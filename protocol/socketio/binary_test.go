package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sendAndReceive pushes an encoded packet and its attachments through Decode
// and a Reassembler, as an engine would, reusing a single read buffer.
func sendAndReceive(t *testing.T, text []byte, atts [][]byte) (Packet, [][]byte) {
	t.Helper()
	buf := make([]byte, 0, 1024)
	buf = append(buf[:0], text...)
	p, err := Decode(buf, 0)
	if err != nil {
		t.Fatalf("Decode(%s): %v", text, err)
	}
	if !p.Type.IsBinary() {
		if len(atts) != 0 {
			t.Fatalf("text packet %s with %d attachments", text, len(atts))
		}
		return p, nil
	}
	var r Reassembler
	r.Start(p)
	for i, a := range atts {
		buf = append(buf[:0], a...)
		done, err := r.Add(buf)
		if err != nil {
			t.Fatal(err)
		}
		if done != (i == len(atts)-1) {
			t.Fatalf("Add %d: done=%v", i, done)
		}
	}
	clear(buf[:cap(buf)]) // the engine reuses its buffer
	return r.Packet()
}

type Inner struct {
	Blob []byte `json:"blob"`
	N    int    `json:"n"`
}

type hidden struct {
	Deep []byte
}

type Blob []byte

type rich struct {
	Title    string            `json:"title"`
	Data     []byte            `json:"data"`
	Ptr      *Inner            `json:"ptr"`
	List     []Inner           `json:"list"`
	Map      map[string][]byte `json:"map"`
	Any      any               `json:"any"`
	Raw      json.RawMessage   `json:"raw"`
	Fixed    [3]byte           `json:"fixed"`
	Named    Blob              `json:"named"`
	Empty    []byte            `json:"empty"`
	Omitted  []byte            `json:"omitted,omitempty"`
	Nil      []byte            `json:"nil"`
	Skipped  []byte            `json:"-"`
	private  []byte
	hidden            // unexported embedded: its exported fields are encoded
	PtrSlice []*Inner `json:"ptrs"`
}

type richOut struct {
	Title    string            `json:"title"`
	Data     []byte            `json:"data"`
	Ptr      *Inner            `json:"ptr"`
	List     []Inner           `json:"list"`
	Map      map[string][]byte `json:"map"`
	Any      any               `json:"any"`
	Raw      json.RawMessage   `json:"raw"`
	Fixed    [3]byte           `json:"fixed"`
	Named    Blob              `json:"named"`
	Empty    []byte            `json:"empty"`
	Omitted  []byte            `json:"omitted,omitempty"`
	Nil      []byte            `json:"nil"`
	Deep     []byte
	PtrSlice []*Inner `json:"ptrs"`
}

func TestBinaryRoundTripStruct(t *testing.T) {
	in := rich{
		Title:    "t",
		Data:     []byte{1, 2, 3},
		Ptr:      &Inner{Blob: []byte{4}, N: 1},
		List:     []Inner{{Blob: []byte{5}}, {N: 2}},
		Map:      map[string][]byte{"b": {7}, "a": {6}},
		Any:      []byte{8},
		Raw:      json.RawMessage(`{"keep":"raw"}`),
		Fixed:    [3]byte{9, 9, 9},
		Named:    Blob{10},
		Empty:    []byte{},
		Skipped:  []byte{11},
		private:  []byte{12},
		hidden:   hidden{Deep: []byte{13}},
		PtrSlice: []*Inner{nil, {Blob: []byte{14}}},
	}
	before := in
	text, atts, err := EncodeEvent("/up", 3, true, "upload", []any{in, "tail"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(text, []byte("5")) {
		t.Fatalf("not a BINARY_EVENT: %s", text)
	}
	// Placeholders appear in output order: map keys sorted, promoted fields
	// at the position of their embedded struct.
	wantAtts := [][]byte{{1, 2, 3}, {4}, {5}, {6}, {7}, {8}, {10}, {}, {13}, {14}}
	if !reflect.DeepEqual(atts, wantAtts) {
		t.Errorf("attachments %v, want %v\ntext: %s", atts, wantAtts, text)
	}
	if strings.Contains(string(text), string(markerNeedle[1:])) {
		t.Errorf("marker leaked into %s", text)
	}
	if !strings.Contains(string(text), `"raw":{"keep":"raw"}`) || !strings.Contains(string(text), `"fixed":[9,9,9]`) ||
		!strings.Contains(string(text), `"nil":null`) || strings.Contains(string(text), "omitted") {
		t.Errorf("non-binary fields not encoded as encoding/json would: %s", text)
	}
	if !reflect.DeepEqual(in, before) || in.Data[0] != 1 || in.Ptr.Blob[0] != 4 || in.Map["a"][0] != 6 {
		t.Error("EncodeEvent modified its argument")
	}

	p, got := sendAndReceive(t, text, atts)
	name, args, err := p.Event()
	if err != nil || name != "upload" || p.ID != 3 || string(p.Namespace) != "/up" {
		t.Fatalf("Event() = %q %v; packet %+v", name, err, p)
	}
	var out richOut
	if err := DecodeArgs(args.At(0), got, &out); err != nil {
		t.Fatal(err)
	}
	want := richOut{
		Title: "t", Data: []byte{1, 2, 3}, Ptr: &Inner{Blob: []byte{4}, N: 1},
		List: []Inner{{Blob: []byte{5}}, {N: 2}}, Map: map[string][]byte{"a": {6}, "b": {7}},
		Any: "CA==", Raw: json.RawMessage(`{"keep":"raw"}`), Fixed: [3]byte{9, 9, 9}, Named: Blob{10},
		Empty: []byte{}, Deep: []byte{13}, PtrSlice: []*Inner{nil, {Blob: []byte{14}}},
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", out, want)
	}
	var tail string
	if err := DecodeArgs(args.At(1), got, &tail); err != nil || tail != "tail" {
		t.Errorf("tail = %q, %v", tail, err)
	}
}

func TestBinaryRoundTripDynamic(t *testing.T) {
	args := []any{
		[]byte{1},
		map[string]any{"b": []any{[]byte{3}, "x", map[string]any{"c": []byte{4}}}, "a": []byte{2}},
		[]any{nil, []byte(nil), []byte{5}},
		"plain",
	}
	text, atts, err := EncodeEvent("/", 0, false, "ev", args)
	if err != nil {
		t.Fatal(err)
	}
	wantText := `55-["ev",{"_placeholder":true,"num":0},{"a":{"_placeholder":true,"num":1},"b":[{"_placeholder":true,"num":2},"x",{"c":{"_placeholder":true,"num":3}}]},[null,null,{"_placeholder":true,"num":4}],"plain"]`
	if string(text) != wantText {
		t.Errorf("text\n%s\nwant\n%s", text, wantText)
	}
	if !reflect.DeepEqual(atts, [][]byte{{1}, {2}, {3}, {4}, {5}}) {
		t.Errorf("attachments %v", atts)
	}

	p, got := sendAndReceive(t, text, atts)
	_, a, err := p.Event()
	if err != nil {
		t.Fatal(err)
	}
	var decoded []any
	a.Each(func(i int, raw []byte) bool {
		var v any
		if err := DecodeArgs(raw, got, &v); err != nil {
			t.Fatalf("arg %d: %v", i, err)
		}
		decoded = append(decoded, v)
		return true
	})
	want := []any{
		[]byte{1},
		map[string]any{"a": []byte{2}, "b": []any{[]byte{3}, "x", map[string]any{"c": []byte{4}}}},
		[]any{nil, nil, []byte{5}},
		"plain",
	}
	if !reflect.DeepEqual(decoded, want) {
		t.Errorf("decoded %#v\nwant %#v", decoded, want)
	}

	// The same through *[]any over the whole ack-style array and *map[string]any.
	var list []any
	if err := DecodeArgs([]byte(`[{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}}]`), [][]byte{{9}, {8}}, &list); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(list, []any{[]byte{8}, map[string]any{"x": []byte{9}}}) {
		t.Errorf("*[]any: %#v", list)
	}
	var m map[string]any
	if err := DecodeArgs([]byte(`{"k":[{"_placeholder":true,"num":0}]}`), [][]byte{{7}}, &m); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, map[string]any{"k": []any{[]byte{7}}}) {
		t.Errorf("*map[string]any: %#v", m)
	}
	if err := DecodeArgs([]byte(`{"_placeholder":true,"num":0}`), [][]byte{{7}}, &m); err == nil {
		t.Error("top-level placeholder stored into a map")
	}
}

func TestBinaryAckRoundTrip(t *testing.T) {
	text, atts, err := EncodeAck("/admin", 1, []any{[]byte{1, 2, 3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `61-/admin,1[{"_placeholder":true,"num":0}]`; string(text) != want {
		t.Errorf("EncodeAck = %s, want %s", text, want)
	}
	p, got := sendAndReceive(t, text, atts)
	args, err := p.AckArgs()
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	if err := DecodeArgs(args.At(0), got, &b); err != nil || !bytes.Equal(b, []byte{1, 2, 3, 4}) {
		t.Errorf("ack arg %v, %v", b, err)
	}
}

type selfMarshal struct{ B []byte }

func (s selfMarshal) MarshalJSON() ([]byte, error) { return []byte(`"custom"`), nil }

type textMarshal struct{ B []byte }

func (s *textMarshal) MarshalText() ([]byte, error) { return []byte("text"), nil }

type node struct {
	Next *node
	B    []byte
}

func TestEncodeArgsEdgeCases(t *testing.T) {
	out, atts, err := EncodeArgs(nil, []any{selfMarshal{B: []byte{1}}, &textMarshal{B: []byte{2}}, textMarshal{B: []byte{3}}})
	if err != nil {
		t.Fatal(err)
	}
	// A value whose pointer type marshals itself is encoded field by field
	// when not addressable (as in encoding/json), but is never searched for
	// binary so that a marker can never reach user code: its []byte stays
	// base64.
	if string(out) != `"custom","text",{"B":"Aw=="}` || atts != nil {
		t.Errorf("marshalers: %s %v", out, atts)
	}

	n := &node{B: nil}
	n.Next = n
	if _, _, err := EncodeArgs(nil, []any{n}); err == nil {
		t.Error("cyclic value encoded without error")
	}
	n.B = []byte{1}
	if _, _, err := EncodeArgs(nil, []any{n}); err == nil {
		t.Error("cyclic value with binary encoded without error")
	}

	// A string that merely looks like a marker stays a string.
	fake := `"` + string(markerNeedle[1:]) + `AAAAAAAA"`
	out, atts, err = EncodeArgs(nil, []any{map[string]any{"s": fake[1 : len(fake)-1], "b": []byte{1}}})
	if err != nil || len(atts) != 1 || !strings.Contains(string(out), fake) {
		t.Errorf("fake marker: %s %v %v", out, atts, err)
	}

	// Shared slices produce one attachment per occurrence.
	shared := []byte{1}
	out, atts, err = EncodeArgs(nil, []any{[]any{shared, shared}, struct{ A, B *[]byte }{&shared, &shared}})
	if err != nil || len(atts) != 4 {
		t.Errorf("shared: %s %v %v", out, atts, err)
	}
	if want := `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}],{"A":{"_placeholder":true,"num":2},"B":{"_placeholder":true,"num":3}}`; string(out) != want {
		t.Errorf("shared: %s", out)
	}

	// Arrays of slices and maps of structs are copied, not modified.
	arr := [2][]byte{{1}, {2}}
	ms := map[int]Inner{2: {Blob: []byte{2}}, 1: {Blob: []byte{1}}}
	out, atts, err = EncodeArgs(nil, []any{arr, ms})
	if err != nil || !reflect.DeepEqual(atts, [][]byte{{1}, {2}, {1}, {2}}) {
		t.Errorf("array/map: %s %v %v", out, atts, err)
	}
	if arr[0][0] != 1 || ms[1].Blob[0] != 1 {
		t.Error("argument modified")
	}
}

func TestReplacePlaceholders(t *testing.T) {
	atts := [][]byte{{0xff, 0x00}, []byte("hi")}
	tests := []struct{ in, want string }{
		{`{"_placeholder":true,"num":0}`, `"/wA="`},
		{` [1, {"_placeholder":true,"num":1}, "x"] `, ` [1, "aGk=", "x"] `},
		{`{"a":{"b":[{"num":1,"_placeholder":true}]}}`, `{"a":{"b":["aGk="]}}`},
		{`{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":1}}`, `"/wA="`},
		{`[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`, `["aGk=","/wA="]`},
		{`{"_placeholder":false,"num":0}`, `{"_placeholder":false,"num":0}`},
		{`{"_placeholder":"true","num":0}`, `{"_placeholder":"true","num":0}`},
		{`{"\u005fplaceholder":true,"n\u0075m":1}`, `"aGk="`},
		{`[]`, `[]`},
	}
	for _, tt := range tests {
		got, err := ReplacePlaceholders([]byte("pre:"), []byte(tt.in), atts)
		if err != nil || string(got) != "pre:"+tt.want {
			t.Errorf("ReplacePlaceholders(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{
		`{"_placeholder":true,"num":2}`, `{"_placeholder":true}`, `{"_placeholder":true,"num":-0}`,
		`{"_placeholder":true,"num":1e0}`, `[{"_placeholder":true,"num":null}]`, `{"_placeholder":true,"num":0`,
		`[{"_placeholder":true,"num":1},{"_placeholder":true,"num":1}]`,
	} {
		got, err := ReplacePlaceholders([]byte("pre:"), []byte(in), atts)
		if err == nil || !errors.Is(err, ErrParse) || string(got) != "pre:" {
			t.Errorf("ReplacePlaceholders(%s) = %s, %v; want error", in, got, err)
		}
	}
	// Without attachments placeholders are ordinary data.
	in := `{"_placeholder":true,"num":7}`
	if got, err := ReplacePlaceholders(nil, []byte(in), nil); err != nil || string(got) != in {
		t.Errorf("no attachments: %s %v", got, err)
	}
	if _, err := ReplacePlaceholders(nil, []byte(`[1,]`), nil); !errors.Is(err, ErrJSON) {
		t.Errorf("invalid JSON without attachments: %v", err)
	}
}

func TestPlaceholderManyAttachments(t *testing.T) {
	// Beyond 256 attachments the used-set moves to the heap; behaviour is the same.
	atts := make([][]byte, 300)
	var sb strings.Builder
	sb.WriteString("[")
	for i := range atts {
		atts[i] = []byte{byte(i)}
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"_placeholder":true,"num":%d}`, len(atts)-1-i)
	}
	sb.WriteString("]")
	in := "5300-" + `["a",` + sb.String()[1:]
	if _, err := Decode([]byte(in), 300); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	var v []any
	if err := DecodeArgs([]byte(sb.String()), atts, &v); err != nil || len(v) != 300 || v[0].([]byte)[0] != byte(299%256) {
		t.Fatalf("DecodeArgs: %v", err)
	}
	dup := strings.Replace(sb.String(), `"num":0}`, `"num":1}`, 1)
	if _, err := ReplacePlaceholders(nil, []byte(dup), atts); !errors.Is(err, ErrPlaceholder) {
		t.Errorf("duplicate beyond 256: %v", err)
	}
}

func TestDecodeArgsErrors(t *testing.T) {
	var v any
	if err := DecodeArgs([]byte(`{"_placeholder":true,"num":3}`), [][]byte{{1}}, &v); !errors.Is(err, ErrPlaceholder) {
		t.Errorf("*any out of range: %v", err)
	}
	var s struct{ B []byte }
	if err := DecodeArgs([]byte(`{"B":{"_placeholder":true,"num":3}}`), [][]byte{{1}}, &s); !errors.Is(err, ErrPlaceholder) {
		t.Errorf("struct out of range: %v", err)
	}
	if err := DecodeArgs([]byte(`[1,]`), nil, &v); !errors.Is(err, ErrJSON) {
		t.Errorf("invalid JSON: %v", err)
	}
	if err := DecodeArgs([]byte(strings.Repeat("[", MaxDepth+1)+strings.Repeat("]", MaxDepth+1)), nil, &s); !errors.Is(err, ErrTooDeep) {
		t.Errorf("too deep: %v", err)
	}
	if err := DecodeArgs([]byte(`"str"`), nil, &s); err == nil || errors.Is(err, ErrParse) {
		t.Errorf("type mismatch: %v", err)
	}
	// Non-binary packets: placeholder-shaped objects stay objects.
	if err := DecodeArgs([]byte(`{"_placeholder":true,"num":0}`), nil, &v); err != nil {
		t.Fatal(err)
	}
	if _, ok := v.(map[string]any); !ok {
		t.Errorf("placeholder without attachments decoded as %T", v)
	}
}

func TestReassembler(t *testing.T) {
	var r Reassembler
	if r.Pending() {
		t.Fatal("zero Reassembler pending")
	}
	if _, err := r.Add([]byte{1}); !errors.Is(err, ErrUnexpectedBinary) || !errors.Is(err, ErrParse) {
		t.Errorf("Add without Start: %v", err)
	}

	in := []byte(`52-/admin,7["ev",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`)
	p, err := Decode(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Start(p)
	copy(in, bytes.Repeat([]byte{'X'}, len(in))) // input buffer reused
	if !r.Pending() {
		t.Fatal("not pending after Start")
	}
	a := []byte{1, 2}
	if done, err := r.Add(a); done || err != nil {
		t.Fatal(done, err)
	}
	a[0] = 9 // attachment buffer reused
	if done, err := r.Add(nil); !done || err != nil {
		t.Fatal(done, err)
	}
	if r.Pending() {
		t.Error("pending after last attachment")
	}
	if _, err := r.Add([]byte{3}); !errors.Is(err, ErrUnexpectedBinary) {
		t.Errorf("extra attachment: %v", err)
	}
	got, atts := r.Packet()
	if got.Type != BinaryEvent || string(got.Namespace) != "/admin" || got.ID != 7 ||
		string(got.Data) != `["ev",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]` {
		t.Errorf("packet %+v", got)
	}
	if !reflect.DeepEqual(atts, [][]byte{{1, 2}, {}}) {
		t.Errorf("attachments %v", atts)
	}

	// A later Start does not disturb what was returned.
	p2, _ := Decode([]byte(`61-1[{"_placeholder":true,"num":0}]`), 0)
	r.Start(p2)
	if string(got.Data) != `["ev",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]` || atts[0][0] != 1 {
		t.Error("earlier result was reused")
	}
	got2, _ := r.Packet()
	if &got2.Namespace[0] != &RootNamespace[0] {
		t.Error("root namespace copied")
	}
	r.Reset()
	if r.Pending() {
		t.Error("pending after Reset")
	}

	// A packet without attachments is complete at once.
	p3, _ := Decode([]byte(`2["x"]`), 0)
	r.Start(p3)
	if r.Pending() {
		t.Error("text packet pending")
	}
	if got3, atts3 := r.Packet(); string(got3.Data) != `["x"]` || len(atts3) != 0 {
		t.Errorf("text packet: %+v %v", got3, atts3)
	}
}

func TestEncodeConcurrent(t *testing.T) {
	type T struct {
		A []byte
		B map[string]any
	}
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				v := T{A: []byte{byte(g)}, B: map[string]any{"x": []byte{byte(i)}, "s": "str"}}
				text, atts, err := EncodeEvent("/", uint64(i), true, "ev", []any{v, i})
				if err != nil || len(atts) != 2 || atts[0][0] != byte(g) || atts[1][0] != byte(i) {
					t.Errorf("goroutine %d: %s %v %v", g, text, atts, err)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
