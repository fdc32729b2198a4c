package httphead

import (
	"bytes"
	"testing"
)

// FuzzQuery checks the query helpers on hostile strings: no panic, every
// raw value QueryValue finds lies within the query, and Values holds the
// unescaped first value of every key QueryValue can find.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"EIO=4&transport=polling&sid=abc",
		"a=1&a=2&b",
		"%zz=%41&+=+",
		"k=%E2%82%AC&&=x",
		"t=N1a2B3c",
	} {
		f.Add([]byte(s), "sid")
	}
	f.Fuzz(func(t *testing.T, query []byte, key string) {
		raw, ok := QueryValue(query, key)
		if ok && len(raw) > 0 && !bytes.Contains(query, raw) {
			t.Fatalf("value %q not in query %q", raw, query)
		}
		vals := Values(query)
		if !ok || key == "" || bytes.ContainsAny([]byte(key), "%+") {
			return
		}
		if got, found := vals[key]; !found || got != string(Unescape(nil, raw)) {
			t.Fatalf("Values[%q] = %q (%v), QueryValue gives %q", key, got, found, raw)
		}
	})
}
