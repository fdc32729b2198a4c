package engine

import (
	"testing"

	"github.com/heraldrt/herald/protocol/socketio"
)

func TestArgsString(t *testing.T) {
	t.Parallel()
	a := Args{raw: socketio.Args(`"room-1","caf\u00e9","a\"b","",1,null,"\u0000","é"`)}
	want := []struct {
		s  string
		ok bool
	}{{"room-1", true}, {"café", true}, {`a"b`, true}, {"", true}, {"", false}, {"", false}, {"\x00", true}, {"é", true}}
	for i, w := range want {
		if s, ok := a.String(i); s != w.s || ok != w.ok {
			t.Errorf("String(%d) = %q, %v; want %q, %v", i, s, ok, w.s, w.ok)
		}
	}
}

// FuzzPlainString checks the fast path against the decoder: whatever it
// accepts, the decoder reads the same.
func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`"room"`, `"a\"b"`, `""`, `"`, `"x`, `"é"`, `"\t"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, ok := plainString(raw)
		if !ok {
			return
		}
		var want string
		if err := socketio.DecodeArgs(raw, nil, &want); err != nil {
			t.Fatalf("plainString accepted %q, which does not decode: %v", raw, err)
		}
		if s != want {
			t.Fatalf("plainString(%q) = %q, the decoder reads %q", raw, s, want)
		}
	})
}
