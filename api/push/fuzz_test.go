package push

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// emitSeeds are the fuzz seeds: valid emits of every shape, and near
// misses. testdata/fuzz/FuzzDecodeEmit holds more.
var emitSeeds = []string{
	`{"event":"e","targets":{"all":true}}`,
	`{"namespace":"/chat","event":"msg","data":{"text":"hi","n":[1,2.5e3,-0,true,null]},"targets":{"rooms":["a"],"users":["u"],"sockets":["s"]},"except":{"rooms":["b"]},"volatile":true,"ack_timeout_ms":100}`,
	`{"event":"f","args":[{"$binary":"aGk="},{"x":{"$binary":""}}],"targets":{"users":["u"]}}`,
	`{"event":"\u00e9\/","data":"\ud83d\ude00","targets":{"all":true}}`,
	`{"event":"e","data":[{"_placeholder":true,"num":0}],"targets":{"all":true}}`,
	`{"event":"e","data":{"$binary":"aGk=","x":1},"targets":{"all":true}}`,
	`{"event":"e","targets":{"all":true},"event":"f"}`,
	`{"event":"e","data":[[[[[[[[]]]]]]]],"targets":{"all":true}}`,
	` { "event" : "e" , "targets" : { "all" : true } } `,
	`{"event":"e","data":01,"targets":{"all":true}}`,
	`{"event":"e","data":"\x","targets":{"all":true}}`,
	`{"event":"disconnect","targets":{"all":true}}`,
	`[]`,
	``,
}

// FuzzDecodeEmit checks the request decoder against encoding/json: it
// never panics, accepts only valid JSON, refuses valid JSON only for what
// it means (never as malformed), and every accepted emit yields a packet
// that is valid JSON holding the event name and the data as sent.
func FuzzDecodeEmit(f *testing.F) {
	for _, s := range emitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, p := decodeEmit(body)
		valid := json.Valid(body) && utf8.Valid(body)
		if p != nil {
			if valid && p.Type == ProblemInvalidJSON {
				t.Fatalf("valid JSON refused as malformed: %v", p)
			}
			if p.Status != 400 || p.Title == "" {
				t.Fatalf("problem %+v", p)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid JSON accepted: %q", body)
		}
		pk := e.packet(e.nsp)
		var arr []json.RawMessage
		if err := json.Unmarshal(pk.Data, &arr); err != nil {
			t.Fatalf("packet %s is not a JSON array: %v", pk.Data, err)
		}
		var name string
		if err := json.Unmarshal(arr[0], &name); err != nil || name != e.event {
			t.Fatalf("packet %s names %q, want %q", pk.Data, name, e.event)
		}
		if len(arr)-1 != e.args.n {
			t.Fatalf("packet %s has %d arguments, want %d", pk.Data, len(arr)-1, e.args.n)
		}
		if len(pk.Attachments) != len(e.args.bins) {
			t.Fatalf("%d attachments for %d $binary objects", len(pk.Attachments), len(e.args.bins))
		}
		if _, err := e.args.values(); err != nil {
			t.Fatalf("ack values of %s: %v", pk.Data, err)
		}
	})
}
