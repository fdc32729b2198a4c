package socketio

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

type wantPacket struct {
	typ   Type
	nsp   string
	id    uint64
	hasID bool
	att   int
	data  string // "" means absent
}

func checkPacketEq(t *testing.T, in string, got Packet, want wantPacket) {
	t.Helper()
	if got.Type != want.typ || string(got.Namespace) != want.nsp || got.ID != want.id ||
		got.HasID != want.hasID || got.Attachments != want.att || string(got.Data) != want.data ||
		(want.data == "") != (got.Data == nil) {
		t.Errorf("Decode(%q) = {%v %q id=%d/%v att=%d data=%q}, want {%v %q id=%d/%v att=%d data=%q}",
			in, got.Type, got.Namespace, got.ID, got.HasID, got.Attachments, got.Data,
			want.typ, want.nsp, want.id, want.hasID, want.att, want.data)
	}
}

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		in   string
		want wantPacket
	}{
		// CONNECT
		{`0`, wantPacket{typ: Connect, nsp: "/"}},
		{`0/admin,`, wantPacket{typ: Connect, nsp: "/admin"}},
		{`0/admin`, wantPacket{typ: Connect, nsp: "/admin"}}, // socket.io-parser accepts a missing final ','
		{`0/,`, wantPacket{typ: Connect, nsp: "/"}},
		{`0{"token":"123"}`, wantPacket{typ: Connect, nsp: "/", data: `{"token":"123"}`}},
		{`0/admin,{"token":"123"}`, wantPacket{typ: Connect, nsp: "/admin", data: `{"token":"123"}`}},
		{`0/admin, {"a":1} `, wantPacket{typ: Connect, nsp: "/admin", data: `{"a":1}`}},
		{`0/ünï-cödé,{}`, wantPacket{typ: Connect, nsp: "/ünï-cödé", data: `{}`}},
		// DISCONNECT
		{`1`, wantPacket{typ: Disconnect, nsp: "/"}},
		{`1/admin,`, wantPacket{typ: Disconnect, nsp: "/admin"}},
		// EVENT
		{`2["foo"]`, wantPacket{typ: Event, nsp: "/", data: `["foo"]`}},
		{`2/admin,["bar"]`, wantPacket{typ: Event, nsp: "/admin", data: `["bar"]`}},
		{`212["foo"]`, wantPacket{typ: Event, nsp: "/", id: 12, hasID: true, data: `["foo"]`}},
		{`2/admin,13["foo",1,{"a":[true,null]}]`, wantPacket{typ: Event, nsp: "/admin", id: 13, hasID: true, data: `["foo",1,{"a":[true,null]}]`}},
		{`20["x"]`, wantPacket{typ: Event, nsp: "/", id: 0, hasID: true, data: `["x"]`}},
		{`2007["x"]`, wantPacket{typ: Event, nsp: "/", id: 7, hasID: true, data: `["x"]`}},
		{`29007199254740991["x"]`, wantPacket{typ: Event, nsp: "/", id: MaxAckID, hasID: true, data: `["x"]`}},
		{`2[1,"a",{}]`, wantPacket{typ: Event, nsp: "/", data: `[1,"a",{}]`}}, // numeric event name
		{`2[-1.5e3]`, wantPacket{typ: Event, nsp: "/", data: `[-1.5e3]`}},
		{`2[""]`, wantPacket{typ: Event, nsp: "/", data: `[""]`}},
		{`2["connected"]`, wantPacket{typ: Event, nsp: "/", data: `["connected"]`}},
		{"2 [ \"a\" , 1 ]\n", wantPacket{typ: Event, nsp: "/", data: `[ "a" , 1 ]`}},
		{`2["\u00e9v\n"]`, wantPacket{typ: Event, nsp: "/", data: `["\u00e9v\n"]`}},
		// placeholders are ordinary data in non-binary packets
		{`2["a",{"_placeholder":true,"num":5}]`, wantPacket{typ: Event, nsp: "/", data: `["a",{"_placeholder":true,"num":5}]`}},
		// ACK
		{`312[]`, wantPacket{typ: Ack, nsp: "/", id: 12, hasID: true, data: `[]`}},
		{`3/admin,13["bar"]`, wantPacket{typ: Ack, nsp: "/admin", id: 13, hasID: true, data: `["bar"]`}},
		{`3123["a",1,{}]`, wantPacket{typ: Ack, nsp: "/", id: 123, hasID: true, data: `["a",1,{}]`}},
		// CONNECT_ERROR
		{`4{"message":"Not authorized"}`, wantPacket{typ: ConnectError, nsp: "/", data: `{"message":"Not authorized"}`}},
		{`4"Unauthorized"`, wantPacket{typ: ConnectError, nsp: "/", data: `"Unauthorized"`}},
		{`4/admin,{"message":"x","data":{"a":1}}`, wantPacket{typ: ConnectError, nsp: "/admin", data: `{"message":"x","data":{"a":1}}`}},
		{`4`, wantPacket{typ: ConnectError, nsp: "/"}},
		// BINARY_EVENT
		{`51-["baz",{"_placeholder":true,"num":0}]`, wantPacket{typ: BinaryEvent, nsp: "/", att: 1, data: `["baz",{"_placeholder":true,"num":0}]`}},
		{`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, wantPacket{typ: BinaryEvent, nsp: "/admin", att: 2, data: `["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`}},
		{`51-14["foo",{"_placeholder":true,"num":0}]`, wantPacket{typ: BinaryEvent, nsp: "/", id: 14, hasID: true, att: 1, data: `["foo",{"_placeholder":true,"num":0}]`}},
		{`51-["hello"]`, wantPacket{typ: BinaryEvent, nsp: "/", att: 1, data: `["hello"]`}}, // unused attachments are allowed
		{`510-["a"]`, wantPacket{typ: BinaryEvent, nsp: "/", att: 10, data: `["a"]`}},
		{`501-["a"]`, wantPacket{typ: BinaryEvent, nsp: "/", att: 1, data: `["a"]`}},
		{`51-["a",{"num":0,"_placeholder":true}]`, wantPacket{typ: BinaryEvent, nsp: "/", att: 1, data: `["a",{"num":0,"_placeholder":true}]`}},
		{`51-["a",{"_placeholder":false,"num":9}]`, wantPacket{typ: BinaryEvent, nsp: "/", att: 1, data: `["a",{"_placeholder":false,"num":9}]`}},
		{`51-["a",{"_placeholder":true,"num":9,"_placeholder":false}]`, wantPacket{typ: BinaryEvent, nsp: "/", att: 1, data: `["a",{"_placeholder":true,"num":9,"_placeholder":false}]`}},
		// BINARY_ACK
		{`61-15["bar",{"_placeholder":true,"num":0}]`, wantPacket{typ: BinaryAck, nsp: "/", id: 15, hasID: true, att: 1, data: `["bar",{"_placeholder":true,"num":0}]`}},
		{`61-/admin,1[{"_placeholder":true,"num":0}]`, wantPacket{typ: BinaryAck, nsp: "/admin", id: 1, hasID: true, att: 1, data: `[{"_placeholder":true,"num":0}]`}},
	}
	for _, tt := range tests {
		p, err := Decode([]byte(tt.in), 0)
		if err != nil {
			t.Errorf("Decode(%q): %v", tt.in, err)
			continue
		}
		checkPacketEq(t, tt.in, p, tt.want)
	}
}

func TestDecodeRootNamespaceIsShared(t *testing.T) {
	for _, in := range []string{`0`, `2["a"]`, `0/,{}`} {
		p, err := Decode([]byte(in), 0)
		if err != nil {
			t.Fatal(err)
		}
		if &p.Namespace[0] != &RootNamespace[0] {
			t.Errorf("Decode(%q): root namespace is not the shared RootNamespace slice", in)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	tooDeep := "[" + deep + "]"
	tests := []struct {
		in   string
		max  int
		want error
	}{
		{"", 0, ErrEmpty},
		// unknown type
		{"7", 0, ErrUnknownType},
		{"999", 0, ErrUnknownType},
		{"a", 0, ErrUnknownType},
		{"/", 0, ErrUnknownType},
		{"\x00", 0, ErrUnknownType},
		// attachment count
		{"5", 0, ErrAttachmentCount},
		{"51", 0, ErrAttachmentCount},
		{"50-", 0, ErrAttachmentCount},
		{"50-[\"a\"]", 0, ErrAttachmentCount},
		{"5a-", 0, ErrAttachmentCount},
		{"51.23-", 0, ErrAttachmentCount},
		{"5-[\"a\"]", 0, ErrAttachmentCount},
		{"5-1-[\"a\"]", 0, ErrAttachmentCount},
		{"6", 0, ErrAttachmentCount},
		{"61[\"a\"]", 0, ErrAttachmentCount},
		{"511-[\"a\"]", 0, ErrTooManyAttachments},
		{"53-[\"hello\"]", 2, ErrTooManyAttachments},
		{"599999999999999999999999999999-[\"a\"]", 0, ErrTooManyAttachments},
		{"599999999999999999999999999999", 0, ErrAttachmentCount},
		// namespace
		{"0/a\x01b,", 0, ErrNamespace},
		{"0/a\x7f,", 0, ErrNamespace},
		{"0/a\nb,{}", 0, ErrNamespace},
		{"0/\xff,", 0, ErrNamespace},
		{"0/\xc3,", 0, ErrNamespace},
		// ack id
		{`29007199254740992["x"]`, 0, ErrAckID},
		{`2999999999999999999999999999["x"]`, 0, ErrAckID},
		{`3["a"]`, 0, ErrMissingAckID},
		{`3/admin,[]`, 0, ErrMissingAckID},
		{`61-[{"_placeholder":true,"num":0}]`, 0, ErrMissingAckID},
		{`05{}`, 0, ErrUnexpectedAckID},
		{`15`, 0, ErrUnexpectedAckID},
		{`442["some","data"`, 0, ErrUnexpectedAckID},
		{`212x`, 0, ErrPayload},
		{`2/admin,12x["a"]`, 0, ErrPayload},
		// payload shape (socket.io-parser's "invalid payload" cases)
		{`0/admin,"invalid"`, 0, ErrPayload},
		{`0[]`, 0, ErrPayload},
		{`1/admin,{}`, 0, ErrPayload},
		{`1{}`, 0, ErrPayload},
		{`2/admin,"invalid`, 0, ErrPayload},
		{`2/admin,{}`, 0, ErrPayload},
		{`2[{"toString":"foo"}]`, 0, ErrPayload},
		{`2[true,"foo"]`, 0, ErrPayload},
		{`2[null,"bar"]`, 0, ErrPayload},
		{`2[["a"]]`, 0, ErrPayload},
		{`2[]`, 0, ErrPayload},
		{`2[ ]`, 0, ErrPayload},
		{`2`, 0, ErrPayload},
		{`2/admin,`, 0, ErrPayload},
		{`212`, 0, ErrPayload},
		{`312`, 0, ErrPayload},
		{`312{}`, 0, ErrPayload},
		{`312"a"`, 0, ErrPayload},
		{`4[]`, 0, ErrPayload},
		{`41`, 0, ErrUnexpectedAckID},
		{`4true`, 0, ErrPayload},
		{`51-`, 0, ErrPayload},
		{`51-{}`, 0, ErrPayload},
		// reserved names
		{`2["connect"]`, 0, ErrReservedEvent},
		{`2["disconnect","123"]`, 0, ErrReservedEvent},
		{`2["connect_error"]`, 0, ErrReservedEvent},
		{`2["disconnecting"]`, 0, ErrReservedEvent},
		{`2["newListener"]`, 0, ErrReservedEvent},
		{`2["removeListener"]`, 0, ErrReservedEvent},
		{`2["\u0063onnect"]`, 0, ErrReservedEvent},
		{`2[ "disconnect" ]`, 0, ErrReservedEvent},
		{`51-["connect",{"_placeholder":true,"num":0}]`, 0, ErrReservedEvent},
		// invalid JSON and trailing garbage
		{`2["a"]x`, 0, ErrJSON},
		{`2["a"]]`, 0, ErrJSON},
		{`2["a"]["b"]`, 0, ErrJSON},
		{`2["a",]`, 0, ErrJSON},
		{`2["a",,1]`, 0, ErrJSON},
		{`2["a" 1]`, 0, ErrJSON},
		{`2["a`, 0, ErrJSON},
		{`2["a\"]`, 0, ErrJSON},
		{`2["a\x"]`, 0, ErrJSON},
		{`2["a\u12"]`, 0, ErrJSON},
		{`2["a\u12g4"]`, 0, ErrJSON},
		{"2[\"a\x01\"]", 0, ErrJSON},
		{"2[\"a\x1f\"]", 0, ErrJSON},
		{"2[\"a\xff\"]", 0, ErrJSON},
		{"2[\"a\xed\xa0\x80\"]", 0, ErrJSON}, // UTF-8 encoded surrogate
		{"2[\"a\xc0\xaf\"]", 0, ErrJSON},     // overlong
		{`2["a",01]`, 0, ErrJSON},
		{`2["a",1.]`, 0, ErrJSON},
		{`2["a",.5]`, 0, ErrJSON},
		{`2["a",1e]`, 0, ErrJSON},
		{`2["a",1e+]`, 0, ErrJSON},
		{`2["a",-]`, 0, ErrJSON},
		{`2["a",+1]`, 0, ErrJSON},
		{`2["a",0x10]`, 0, ErrJSON},
		{`2["a",NaN]`, 0, ErrJSON},
		{`2["a",Infinity]`, 0, ErrJSON},
		{`2["a",tru]`, 0, ErrJSON},
		{`2["a",True]`, 0, ErrJSON},
		{`2["a",nul]`, 0, ErrJSON},
		{`2["a",{a:1}]`, 0, ErrJSON},
		{`2["a",{"a"}]`, 0, ErrJSON},
		{`2["a",{"a":}]`, 0, ErrJSON},
		{`2["a",{"a":1,}]`, 0, ErrJSON},
		{`2["a",{"a":1 "b":2}]`, 0, ErrJSON},
		{`2["a",{'a':1}]`, 0, ErrJSON},
		{`2["a"/*c*/]`, 0, ErrJSON},
		{"2[\"a\",\v1]", 0, ErrJSON},
		{"2[\"a\"]\x00", 0, ErrJSON},
		{`2/admin, `, 0, ErrJSON},
		{`0 `, 0, ErrJSON},
		{`0{"a":1}}`, 0, ErrJSON},
		{`4"abc`, 0, ErrJSON},
		{`2["a",` + tooDeep + `]`, 0, ErrTooDeep},
		{`0{"a":` + strings.Repeat(`{"a":`, MaxDepth) + `1` + strings.Repeat("}", MaxDepth) + `}`, 0, ErrTooDeep},
		// placeholders in binary packets
		{`51-["a",{"_placeholder":true,"num":1}]`, 0, ErrPlaceholder},
		{`51-["a",{"_placeholder":true}]`, 0, ErrPlaceholder},
		{`51-["a",{"_placeholder":true,"num":-1}]`, 0, ErrPlaceholder},
		{`51-["a",{"_placeholder":true,"num":0.5}]`, 0, ErrPlaceholder},
		{`51-["a",{"_placeholder":true,"num":"0"}]`, 0, ErrPlaceholder},
		{`51-["a",{"_placeholder":true,"num":99999999999999999999999}]`, 0, ErrPlaceholder},
		{`51-["a",{"\u005fplaceholder":true,"num":3}]`, 0, ErrPlaceholder},
		{`51-["a",{"_placeholder":false,"_placeholder":true,"num":3}]`, 0, ErrPlaceholder},
		{`62-1[[{"x":{"_placeholder":true,"num":2}}]]`, 0, ErrPlaceholder},
		{`62-1[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`, 0, ErrPlaceholder},
		{`51-["a",{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":0}}]`, 0, ErrPlaceholder},
	}
	for _, tt := range tests {
		p, err := Decode([]byte(tt.in), tt.max)
		if !errors.Is(err, tt.want) || !errors.Is(err, ErrParse) {
			t.Errorf("Decode(%q) = %+v, %v; want error %v wrapping ErrParse", tt.in, p, err, tt.want)
		}
		if err != nil && (p.Namespace != nil || p.Data != nil || p.Type != 0) {
			t.Errorf("Decode(%q) returned a non-zero packet with error %v", tt.in, err)
		}
	}

	// The depth bound itself is allowed.
	if _, err := Decode([]byte(`2["a",`+deep[1:len(deep)-1]+`]`), 0); err != nil {
		t.Errorf("nesting of exactly MaxDepth: %v", err)
	}
}

func TestDecodeMaxAttachments(t *testing.T) {
	in := []byte(`53-["hello",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]`)
	if _, err := Decode(in, 2); !errors.Is(err, ErrTooManyAttachments) {
		t.Errorf("max 2: %v", err)
	}
	if _, err := Decode(in, 3); err != nil {
		t.Errorf("max 3: %v", err)
	}
	big := []byte(`5100-["a"]`)
	if _, err := Decode(big, 0); !errors.Is(err, ErrTooManyAttachments) {
		t.Errorf("default bound: %v", err)
	}
	if p, err := Decode(big, 100); err != nil || p.Attachments != 100 {
		t.Errorf("max 100: %+v %v", p, err)
	}
}

// TestProtocolExamples decodes the examples of the Socket.IO v5 protocol
// document, as they appear after the Engine.IO "4" prefix.
func TestProtocolExamples(t *testing.T) {
	tests := []struct {
		in   string
		want wantPacket
		args []string // event/ack arguments after the name
	}{
		{`0`, wantPacket{typ: Connect, nsp: "/"}, nil},
		{`0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}`, wantPacket{typ: Connect, nsp: "/admin", data: `{"sid":"oSO0OpakMV_3jnilAAAA"}`}, nil},
		{`4{"message":"Not authorized"}`, wantPacket{typ: ConnectError, nsp: "/", data: `{"message":"Not authorized"}`}, nil},
		{`2["foo"]`, wantPacket{typ: Event, nsp: "/", data: `["foo"]`}, []string{}},
		{`2/admin,["bar"]`, wantPacket{typ: Event, nsp: "/admin", data: `["bar"]`}, []string{}},
		{`51-["baz",{"_placeholder":true,"num":0}]`, wantPacket{typ: BinaryEvent, nsp: "/", att: 1, data: `["baz",{"_placeholder":true,"num":0}]`}, []string{`{"_placeholder":true,"num":0}`}},
		{`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, wantPacket{typ: BinaryEvent, nsp: "/admin", att: 2, data: `["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`}, []string{`{"_placeholder":true,"num":0}`, `{"_placeholder":true,"num":1}`}},
		{`212["foo"]`, wantPacket{typ: Event, nsp: "/", id: 12, hasID: true, data: `["foo"]`}, []string{}},
		{`3/admin,13["bar"]`, wantPacket{typ: Ack, nsp: "/admin", id: 13, hasID: true, data: `["bar"]`}, []string{`"bar"`}},
		{`61-15["bar",{"_placeholder":true,"num":0}]`, wantPacket{typ: BinaryAck, nsp: "/", id: 15, hasID: true, att: 1, data: `["bar",{"_placeholder":true,"num":0}]`}, []string{`"bar"`, `{"_placeholder":true,"num":0}`}},
		{`1`, wantPacket{typ: Disconnect, nsp: "/"}, nil},
		{`1/admin,`, wantPacket{typ: Disconnect, nsp: "/admin"}, nil},
		// sample session
		{`0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, wantPacket{typ: Connect, nsp: "/", data: `{"sid":"wZX3oN0bSVIhsaknAAAI"}`}, nil},
		{`2["hey","Jude"]`, wantPacket{typ: Event, nsp: "/", data: `["hey","Jude"]`}, []string{`"Jude"`}},
		{`2["hello"]`, wantPacket{typ: Event, nsp: "/", data: `["hello"]`}, []string{}},
		{`0/admin,`, wantPacket{typ: Connect, nsp: "/admin"}, nil},
		{`0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}`, wantPacket{typ: Connect, nsp: "/admin", data: `{"sid":"-G5j-67EZFp-q59rADQM"}`}, nil},
		{`2/admin,1["tellme"]`, wantPacket{typ: Event, nsp: "/admin", id: 1, hasID: true, data: `["tellme"]`}, []string{}},
		{`61-/admin,1[{"_placeholder":true,"num":0}]`, wantPacket{typ: BinaryAck, nsp: "/admin", id: 1, hasID: true, att: 1, data: `[{"_placeholder":true,"num":0}]`}, []string{`{"_placeholder":true,"num":0}`}},
	}
	for _, tt := range tests {
		p, err := Decode([]byte(tt.in), 0)
		if err != nil {
			t.Errorf("Decode(%q): %v", tt.in, err)
			continue
		}
		checkPacketEq(t, tt.in, p, tt.want)

		var args Args
		switch p.Type {
		case Event, BinaryEvent:
			_, args, err = p.Event()
		case Ack, BinaryAck:
			args, err = p.AckArgs()
		default:
			continue
		}
		if err != nil {
			t.Errorf("%q: args: %v", tt.in, err)
			continue
		}
		var got []string
		args.Each(func(_ int, raw []byte) bool { got = append(got, string(raw)); return true })
		if strings.Join(got, "|") != strings.Join(tt.args, "|") {
			t.Errorf("%q: args %q, want %q", tt.in, got, tt.args)
		}

		// Re-encoding yields the document's text.
		enc := AppendHeader(nil, p.Type, string(p.Namespace), p.Attachments, p.ID, p.HasID)
		enc = append(enc, p.Data...)
		if !bytes.Equal(enc, []byte(tt.in)) {
			t.Errorf("re-encoded %q as %q", tt.in, enc)
		}
	}
}

func TestErrorsWrapParse(t *testing.T) {
	for _, err := range []error{ErrEmpty, ErrUnknownType, ErrAttachmentCount, ErrTooManyAttachments,
		ErrAckID, ErrMissingAckID, ErrUnexpectedAckID, ErrJSON, ErrTooDeep, ErrPayload,
		ErrPlaceholder, ErrUnexpectedBinary, errBadNamespace, errReserved} {
		if !errors.Is(err, ErrParse) {
			t.Errorf("%v does not wrap ErrParse", err)
		}
	}
	for _, err := range []error{ErrNamespace, ErrReservedEvent, ErrWrongType} {
		if errors.Is(err, ErrParse) {
			t.Errorf("%v wraps ErrParse but reports caller misuse", err)
		}
	}
	if !errors.Is(errReserved, ErrPayload) || !errors.Is(ErrTooDeep, ErrJSON) || !errors.Is(ErrMissingAckID, ErrAckID) {
		t.Error("specific errors must wrap their general kind")
	}
}

func TestTypeString(t *testing.T) {
	want := []string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}
	for i, w := range want {
		if got := Type(i).String(); got != w {
			t.Errorf("Type(%d).String() = %q, want %q", i, got, w)
		}
	}
	if got := Type(9).String(); got != "Type(9)" {
		t.Errorf("Type(9).String() = %q", got)
	}
	if Type(7).Valid() || !BinaryAck.Valid() || !BinaryEvent.IsBinary() || Event.IsBinary() {
		t.Error("Valid/IsBinary")
	}
}
