package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

var payloadSeeds = []string{
	"4hello\x1e2\x1e4world",
	"4hello\x1ebAQIDBA==",
	"2probe",
	"b",
	"bAQ==\x1ebAg==\x1e4x",
	"\x1e",
	"4a\x1e",
	"9",
	"bAQ",
	`0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
}

func FuzzDecodePayload(f *testing.F) {
	for _, s := range payloadSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := bytes.Clone(body)
		var (
			seen   []Packet // as delivered, aliasing body or scratch
			copies []Packet // deep copies taken in the callback
		)
		_, err := DecodePayload(body, nil, func(p Packet) error {
			if !p.Type.Valid() {
				t.Fatalf("invalid type %d delivered", p.Type)
			}
			if p.Binary && p.Type != Message {
				t.Fatalf("binary packet of type %v", p.Type)
			}
			seen = append(seen, p)
			copies = append(copies, Packet{p.Type, bytes.Clone(p.Data), p.Binary})
			return nil
		})
		if !bytes.Equal(body, orig) {
			t.Fatalf("DecodePayload modified its input")
		}
		// Decoding later packets must not overwrite earlier ones.
		for i := range seen {
			if !bytes.Equal(seen[i].Data, copies[i].Data) {
				t.Fatalf("packet %d data changed from %q to %q during decoding", i, copies[i].Data, seen[i].Data)
			}
		}
		// Same result as splitting by hand and decoding each part.
		parts := bytes.Split(body, []byte{Separator})
		var wantErr error
		var want []Packet
		if len(body) == 0 {
			wantErr = ErrEmpty
		} else {
			for _, part := range parts {
				_, p, err := DecodeText(nil, part)
				if err != nil {
					wantErr = err
					break
				}
				want = append(want, p)
			}
		}
		if err != wantErr {
			t.Fatalf("err = %v, want %v", err, wantErr)
		}
		if !equalPackets(copies, want) {
			t.Fatalf("packets %v, want %v", copies, want)
		}
		if err != nil {
			if !errors.Is(err, ErrParse) {
				t.Fatalf("error %v does not wrap ErrParse", err)
			}
			return
		}

		var enc []byte
		for _, p := range copies {
			if p.Binary {
				enc = AppendPayloadBinary(enc, p.Data)
			} else {
				enc = AppendPayloadText(enc, p.Type, p.Data)
			}
		}
		var again []Packet
		_, err = DecodePayload(enc, nil, func(p Packet) error {
			again = append(again, Packet{p.Type, bytes.Clone(p.Data), p.Binary})
			return nil
		})
		if err != nil {
			t.Fatalf("re-encoded payload %q: %v", enc, err)
		}
		if !equalPackets(again, copies) {
			t.Fatalf("round trip of %q via %q: %v, want %v", body, enc, again, copies)
		}
	})
}

func FuzzDecodeText(f *testing.F) {
	for _, s := range []string{"4hello", "2probe", "5", "bAQIDBA==", "b", "b!", "", "7", "bAQ\nIDBA=="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		scratch := make([]byte, 3, 8)
		copy(scratch, "pre")
		scratch, p, err := DecodeText(scratch, in)
		if !bytes.Equal(in, orig) {
			t.Fatalf("DecodeText modified its input")
		}
		if len(scratch) < 3 || string(scratch[:3]) != "pre" {
			t.Fatalf("scratch prefix lost: %q", scratch)
		}
		if err != nil {
			switch err {
			case ErrEmpty, ErrUnknownType, ErrBase64:
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		var enc []byte
		if len(in) > 0 && in[0] == 'b' {
			raw, derr := base64.StdEncoding.DecodeString(string(in[1:]))
			if derr != nil || !bytes.Equal(raw, p.Data) || !p.Binary || p.Type != Message {
				t.Fatalf("binary %q: got %+v, base64 %x %v", in, p, raw, derr)
			}
			if len(p.Data) > 0 && &p.Data[0] != &scratch[3] {
				t.Fatalf("binary data not in scratch after its prefix")
			}
			enc = AppendPayloadBinary(nil, p.Data)
		} else {
			if p.Binary || p.Type != Type(in[0]-'0') || len(p.Data) != len(in)-1 {
				t.Fatalf("text %q: got %+v", in, p)
			}
			if len(p.Data) > 0 && &p.Data[0] != &in[1] {
				t.Fatalf("text data does not alias input")
			}
			enc = AppendText(nil, p.Type, p.Data)
		}
		_, q, err := DecodeText(nil, enc)
		if err != nil || !equalPackets([]Packet{q}, []Packet{p}) {
			t.Fatalf("round trip via %q: %+v, %v; want %+v", enc, q, err, p)
		}
	})
}

func equalPackets(a, b []Packet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Binary != b[i].Binary || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}
