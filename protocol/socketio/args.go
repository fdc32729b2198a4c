package socketio

import "iter"

// Args is the raw JSON of a list of arguments without the surrounding
// brackets: for ["ev",1,{"a":2}] the event's Args are `1,{"a":2}`. It is empty
// when there are none. Keeping arguments raw lets the engine decode each one
// straight into the handler's parameter type, or forward them untouched.
type Args []byte

// Each calls fn with the index and raw JSON of each top-level element, in
// order, until fn returns false. It does not allocate. Iteration also stops
// at the first malformed element, which cannot happen for Args obtained from
// a decoded Packet.
func (a Args) Each(fn func(i int, raw []byte) bool) {
	s := scanner{data: a}
	i := skipWS(a, 0)
	if i == len(a) {
		return
	}
	for n := 0; ; n++ {
		end, err := s.value(i)
		if err != nil || !fn(n, a[i:end]) {
			return
		}
		j := skipWS(a, end)
		if j == len(a) || a[j] != ',' {
			return
		}
		i = skipWS(a, j+1)
	}
}

// All returns an iterator over the index and raw JSON of each element, for
// range-over-func loops; it behaves like Each.
func (a Args) All() iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) { a.Each(yield) }
}

// Len returns the number of top-level elements.
func (a Args) Len() int {
	n := 0
	a.Each(func(int, []byte) bool { n++; return true })
	return n
}

// At returns the raw JSON of element i, or nil when there is no such element.
func (a Args) At(i int) []byte {
	var out []byte
	a.Each(func(n int, raw []byte) bool {
		if n == i {
			out = raw
			return false
		}
		return true
	})
	return out
}

// Valid reports whether a is a well-formed, possibly empty, comma-separated
// list of JSON values, for Args that did not come from Decode.
func (a Args) Valid() bool {
	if len(trimWS(a)) == 0 {
		return true
	}
	s := scanner{data: a}
	i := skipWS(a, 0)
	for {
		end, err := s.value(i)
		if err != nil {
			return false
		}
		j := skipWS(a, end)
		if j == len(a) {
			return true
		}
		if a[j] != ',' {
			return false
		}
		i = skipWS(a, j+1)
	}
}
