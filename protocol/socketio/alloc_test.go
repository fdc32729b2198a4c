package socketio

import "testing"

// TestZeroAllocs pins the allocation-free paths the engine relies on.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("instrumentation changes allocation counts")
	}
	p, _ := Decode(benchEvent, 0)
	ack, _ := Decode([]byte(`3/chat,12["ok",{"a":1}]`), 0)
	bad := []byte(`2["a",]`)
	buf := make([]byte, 0, 512)
	raw := []byte(`{"name":"f.bin","data":{"_placeholder":true,"num":0}}`)
	atts := [][]byte{[]byte("0123456789abcdef")}
	cases := []struct {
		name string
		fn   func()
	}{
		{"Decode", func() { _, _ = Decode(benchEvent, 0) }},
		{"DecodeBinary", func() { _, _ = Decode(benchBinary, 0) }},
		{"DecodeError", func() { _, _ = Decode(bad, 0) }},
		{"EventBytes", func() { _, _, _ = p.EventBytes() }},
		{"AckArgs", func() { _, _ = ack.AckArgs() }},
		{"ArgsEach", func() { benchArgs.Each(func(int, []byte) bool { return true }) }},
		{"ArgsLen", func() { _ = benchArgs.Len() }},
		{"ArgsAt", func() { _ = benchArgs.At(2) }},
		{"ArgsAll", func() {
			for range benchArgs.All() {
			}
		}},
		{"AppendHeader", func() { buf = AppendHeader(buf[:0], BinaryAck, "/chat", 3, 99, true) }},
		{"AppendEvent", func() { buf = AppendEvent(buf[:0], "/chat", 12, true, "message", benchArgs) }},
		{"AppendAck", func() { buf = AppendAck(buf[:0], "/chat", 12, benchArgs) }},
		{"ReplacePlaceholders", func() { buf, _ = ReplacePlaceholders(buf[:0], raw, atts) }},
		{"IsReserved", func() { _ = IsReserved("disconnect") }},
		{"ValidateNamespace", func() { _ = ValidateNamespace("/chat") }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, c.fn); n != 0 {
			t.Errorf("%s: %v allocs, want 0", c.name, n)
		}
	}
}
