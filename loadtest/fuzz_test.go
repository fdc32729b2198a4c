package loadtest

import (
	"bytes"
	"testing"
)

// FuzzParseFrame feeds arbitrary bytes to the frame parser and assembler as
// a stream: they must never panic, never claim more bytes than given, and
// return payloads that lie inside the input.
func FuzzParseFrame(f *testing.F) {
	f.Add(serverFrame(true, opText, []byte(`42["msg",{"t":1}]`)))
	f.Add(append(serverFrame(false, opText, []byte("4")), serverFrame(true, opContinuation, []byte("2"))...))
	f.Add(serverFrame(true, opPing, nil))
	f.Add([]byte{0x81, 126, 0, 200})
	f.Add([]byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var a assembler
		for len(b) > 0 {
			fr, n, err := parseFrame(b, 4096)
			if err != nil || n == 0 {
				return
			}
			if n > len(b) || len(fr.payload) > n {
				t.Fatalf("consumed %d of %d, payload %d", n, len(b), len(fr.payload))
			}
			if len(fr.payload) > 0 && !bytes.Contains(b[:n], fr.payload) {
				t.Fatal("payload outside the frame")
			}
			if fr.op <= opBinary {
				if _, _, _, err := a.add(fr, 4096); err != nil {
					return
				}
			}
			b = b[n:]
		}
	})
}

// FuzzPacket feeds arbitrary Engine.IO packets (or polling payloads) to the
// packet parsers and to a session in every state and role: nothing may
// panic, and parsed parts must lie inside the input.
func FuzzPacket(f *testing.F) {
	for _, s := range []string{
		`0{"sid":"a","pingInterval":25000}`, `40{"sid":"b"}`, `430[true]`, `42["msg",{"t":1764121000123456789,"p":"x"}]`,
		`431[{"t":5,"p":""}]`, "2", "2probe", "41", "44{}", `451-["msg",{"_placeholder":true,"num":0}]`,
		`42/admin,3["msg"]`, "0{}\x1e40\x1e2", `42["msg",{"t":99999999999999999999}]`,
	} {
		f.Add([]byte(s))
	}
	r := testRun(f, ModeFanout)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0 {
			if p, err := parseSocketIO(b[1:]); err == nil {
				if !bytes.HasSuffix(b, p.data) || (p.nsp != nil && !bytes.Contains(b, p.nsp)) {
					t.Fatalf("parts outside the input: %+v", p)
				}
			}
		}
		_, _ = scanTime(b)
		_ = isEvent(b, "msg")
		_, _ = scanSID(b)
		for _, st := range []state{stOpening, stConnecting, stJoining, stReady} {
			for _, rl := range []role{roleMember, roleChurn} {
				s := &session{run: r, shard: r.newShard(), state: st, role: rl, nextAck: 1}
				var o recorder
				_ = splitPayload(b, func(pkt []byte) error { return s.handle(&o, pkt, 0) })
			}
		}
		r.shards = r.shards[:0]
	})
}
