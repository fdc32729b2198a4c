package socketio

import (
	"errors"
	"slices"
	"testing"
)

func TestEvent(t *testing.T) {
	tests := []struct {
		in   string
		name string
		args string
		list []string
	}{
		{`2["foo"]`, "foo", "", nil},
		{`2["foo",1]`, "foo", "1", []string{"1"}},
		{`2["ev",1,{"a":2}]`, "ev", `1,{"a":2}`, []string{"1", `{"a":2}`}},
		{`2/admin,7[ "ev" , "x" , [1,2] ]`, "ev", `"x" , [1,2]`, []string{`"x"`, `[1,2]`}},
		{`2["a\"b\\c\u00e9\ud83d\ude00\n"]`, "a\"b\\c\u00e9\U0001F600\n", "", nil},
		{`2["\ud800x"]`, "\uFFFDx", "", nil},
		{`2[42,"a"]`, "42", `"a"`, []string{`"a"`}},
		{`2[-1.5e3]`, "-1.5e3", "", nil},
		{`2[""]`, "", "", nil},
		{`2["日本語",null,true,false,"x,y]"]`, "日本語", `null,true,false,"x,y]"`, []string{"null", "true", "false", `"x,y]"`}},
		{`51-["up",{"_placeholder":true,"num":0}]`, "up", `{"_placeholder":true,"num":0}`, []string{`{"_placeholder":true,"num":0}`}},
	}
	for _, tt := range tests {
		p, err := Decode([]byte(tt.in), 0)
		if err != nil {
			t.Fatalf("Decode(%q): %v", tt.in, err)
		}
		name, args, err := p.Event()
		if err != nil || name != tt.name || string(args) != tt.args {
			t.Errorf("Event(%q) = %q, %q, %v; want %q, %q", tt.in, name, args, err, tt.name, tt.args)
		}
		nb, args2, err := p.EventBytes()
		if err != nil || string(nb) != tt.name || string(args2) != tt.args {
			t.Errorf("EventBytes(%q) = %q, %q, %v", tt.in, nb, args2, err)
		}
		var got []string
		for i, raw := range args.All() {
			if i != len(got) {
				t.Errorf("index %d out of order", i)
			}
			got = append(got, string(raw))
		}
		if !slices.Equal(got, tt.list) {
			t.Errorf("Args(%q) elements %q, want %q", tt.in, got, tt.list)
		}
		if args.Len() != len(tt.list) {
			t.Errorf("Args(%q).Len() = %d, want %d", tt.in, args.Len(), len(tt.list))
		}
		for i, w := range tt.list {
			if g := args.At(i); string(g) != w {
				t.Errorf("Args(%q).At(%d) = %q, want %q", tt.in, i, g, w)
			}
		}
		if args.At(len(tt.list)) != nil || args.At(-1) != nil {
			t.Errorf("Args(%q).At out of range is not nil", tt.in)
		}
		if !args.Valid() {
			t.Errorf("Args(%q) not Valid", tt.in)
		}
	}
}

func TestEventNameAliasesInput(t *testing.T) {
	in := []byte(`2["hello",1]`)
	p, _ := Decode(in, 0)
	nb, _, _ := p.EventBytes()
	name, _, _ := p.Event()
	copy(in, `2["HELLO",1]`)
	if string(nb) != "HELLO" {
		t.Errorf("EventBytes should alias the input, got %q", nb)
	}
	if name != "hello" {
		t.Errorf("Event must not alias the input, got %q", name)
	}
}

func TestAckArgs(t *testing.T) {
	tests := []struct{ in, args string }{
		{`312[]`, ""},
		{`312[ ]`, ""},
		{`3/admin,13["bar"]`, `"bar"`},
		{`31[1, {"a":[2]} ,"x"]`, `1, {"a":[2]} ,"x"`},
		{`61-15["bar",{"_placeholder":true,"num":0}]`, `"bar",{"_placeholder":true,"num":0}`},
	}
	for _, tt := range tests {
		p, err := Decode([]byte(tt.in), 0)
		if err != nil {
			t.Fatalf("Decode(%q): %v", tt.in, err)
		}
		args, err := p.AckArgs()
		if err != nil || string(args) != tt.args {
			t.Errorf("AckArgs(%q) = %q, %v; want %q", tt.in, args, err, tt.args)
		}
	}
}

func TestAccessorsOnWrongOrHandBuiltPackets(t *testing.T) {
	if _, _, err := (Packet{Type: Ack, Data: []byte(`["a"]`)}).Event(); !errors.Is(err, ErrWrongType) {
		t.Errorf("Event on ACK: %v", err)
	}
	if _, err := (Packet{Type: Event, Data: []byte(`["a"]`)}).AckArgs(); !errors.Is(err, ErrWrongType) {
		t.Errorf("AckArgs on EVENT: %v", err)
	}
	for _, d := range []string{``, `[`, `]`, `[]`, `[ ]`, `["a"`, `["a]`, `["]`, `[true]`, `["a",]`, `["a" "b"]`, `["\x"]`, `[-]`, `{"a":1}`} {
		p := Packet{Type: Event, Data: []byte(d)}
		if _, _, err := p.EventBytes(); err == nil {
			t.Errorf("EventBytes on data %q succeeded", d)
		}
	}
	for _, d := range []string{``, `[`, `{}`, `"a"`} {
		p := Packet{Type: Ack, Data: []byte(d)}
		if _, err := p.AckArgs(); err == nil {
			t.Errorf("AckArgs on data %q succeeded", d)
		}
	}
}

func TestArgsMalformed(t *testing.T) {
	for _, a := range []string{`1,`, `,1`, `1 2`, `[1`, `"a`, `1,,2`} {
		if Args(a).Valid() {
			t.Errorf("Args(%q).Valid() = true", a)
		}
	}
	for _, a := range []string{``, ` `, `1`, ` 1 , 2 `, `{"a":[1,"]"]}`} {
		if !Args(a).Valid() {
			t.Errorf("Args(%q).Valid() = false", a)
		}
	}
	// Each stops at the first malformed element without panicking.
	var got []string
	Args(`1,"a",x,3`).Each(func(_ int, raw []byte) bool { got = append(got, string(raw)); return true })
	if !slices.Equal(got, []string{"1", `"a"`}) {
		t.Errorf("Each over malformed args: %q", got)
	}
	// Early stop.
	n := 0
	Args(`1,2,3`).Each(func(int, []byte) bool { n++; return false })
	if n != 1 {
		t.Errorf("Each did not stop: %d calls", n)
	}
}

func TestIsReserved(t *testing.T) {
	for _, n := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if !IsReserved(n) {
			t.Errorf("IsReserved(%q) = false", n)
		}
	}
	for _, n := range []string{"", "Connect", "connected", "message", "error", "newlistener"} {
		if IsReserved(n) {
			t.Errorf("IsReserved(%q) = true", n)
		}
	}
}
