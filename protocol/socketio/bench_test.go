package socketio

import (
	"testing"
)

var (
	benchEvent  = []byte(`2/chat,12["message",{"user":"alice","text":"hello, world","ts":1700000000,"tags":["a","b"]},42,true]`)
	benchArgs   = Args(`{"user":"alice","text":"hello, world","ts":1700000000,"tags":["a","b"]},42,true`)
	benchBinary = []byte(`51-/chat,["upload",{"name":"f.bin","data":{"_placeholder":true,"num":0}}]`)
)

type benchMsg struct {
	User string   `json:"user"`
	Text string   `json:"text"`
	TS   int64    `json:"ts"`
	Tags []string `json:"tags"`
}

func BenchmarkDecodeEvent(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	for b.Loop() {
		if _, err := Decode(benchEvent, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBinaryEvent(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBinary)))
	for b.Loop() {
		if _, err := Decode(benchBinary, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEventName(b *testing.B) {
	p, err := Decode(benchEvent, 0)
	if err != nil {
		b.Fatal(err)
	}
	handlers := map[string]int{"message": 1}
	b.Run("Bytes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			name, _, err := p.EventBytes()
			if err != nil || handlers[string(name)] != 1 {
				b.Fatal(err)
			}
		}
	})
	b.Run("String", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := p.Event(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkArgsEach(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchArgs)))
	for b.Loop() {
		n := 0
		benchArgs.Each(func(int, []byte) bool { n++; return true })
		if n != 3 {
			b.Fatal(n)
		}
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = AppendEvent(buf[:0], "/chat", 12, true, "message", benchArgs)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendAck(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = AppendAck(buf[:0], "/chat", 12, benchArgs)
	}
}

func BenchmarkEncodeEventGo(b *testing.B) {
	cases := []struct {
		name string
		args []any
	}{
		{"Scalars", []any{"alice", "hello, world", true}},
		{"Struct", []any{benchMsg{User: "alice", Text: "hello, world", TS: 1700000000, Tags: []string{"a", "b"}}, 42}},
		{"Map", []any{map[string]any{"user": "alice", "text": "hello, world", "ts": 1700000000, "tags": []any{"a", "b"}}}},
		{"Binary", []any{"f.bin", []byte("0123456789abcdef")}},
		{"NestedBinary", []any{map[string]any{"name": "f.bin", "data": []byte("0123456789abcdef")}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := EncodeEvent("/chat", 12, true, "message", c.args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeArgs(b *testing.B) {
	args := []any{benchMsg{User: "alice", Text: "hello, world", TS: 1700000000, Tags: []string{"a", "b"}}, 42}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, _, err = EncodeArgs(buf[:0], args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeArgs(b *testing.B) {
	raw := Args(benchArgs).At(0)
	b.Run("Struct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m benchMsg
			if err := DecodeArgs(raw, nil, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("BinaryAny", func(b *testing.B) {
		raw := []byte(`{"name":"f.bin","data":{"_placeholder":true,"num":0}}`)
		atts := [][]byte{[]byte("0123456789abcdef")}
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := DecodeArgs(raw, atts, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkReplacePlaceholders(b *testing.B) {
	raw := []byte(`{"name":"f.bin","data":{"_placeholder":true,"num":0}}`)
	atts := [][]byte{[]byte("0123456789abcdef")}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = ReplacePlaceholders(buf[:0], raw, atts); err != nil {
			b.Fatal(err)
		}
	}
}
