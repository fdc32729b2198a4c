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
