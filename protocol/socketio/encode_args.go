package socketio

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"sync"

	"github.com/bytedance/sonic/encoder"
)

// sonicOpts is sonic.ConfigStd's encoder configuration minus EscapeHTML,
// which appendHTMLSafe applies instead: sonic's own pass would allocate a
// second buffer and, with EncodeInto, escape everything already in it.
const sonicOpts = encoder.SortMapKeys | encoder.CompactMarshaler | encoder.ValidateString | encoder.NoEncoderNewline

// maxEncodeDepth bounds the walk over Go values looking for []byte, so that
// cyclic values fail instead of recursing forever (encoding/json starts
// checking for cycles at the same depth).
const maxEncodeDepth = 1000

var errValueTooDeep = errors.New("socketio: value nested too deep or cyclic")

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooledScratch keeps one huge argument from pinning memory in the pool.
const maxPooledScratch = 64 << 10

// EncodeArgs appends args to dst as comma-separated JSON (the Args form) and
// extracts binary data: every non-nil []byte reachable the way encoding/json
// walks values (top level, slices, arrays, maps, pointers, interfaces,
// exported and embedded struct fields) becomes a placeholder
// {"_placeholder":true,"num":i} and attachments[i] is that slice, uncopied.
// Types T for which T or *T implements json.Marshaler or
// encoding.TextMarshaler (such as json.RawMessage) are never searched, so
// that user marshalers only ever see the caller's data; []byte inside them
// stays base64. A zero-length []byte field tagged omitempty stays omitted.
//
// Values are encoded by sonic with encoding/json's conventions (sorted map
// keys, HTML-safe escaping). The non-binary path allocates only what sonic
// does; values holding []byte are copied with the slices swapped for
// markers, which costs allocations proportional to the containers involved.
func EncodeArgs(dst []byte, args []any) (out []byte, attachments [][]byte, err error) {
	for i, a := range args {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, attachments, err = appendArg(dst, a, attachments); err != nil {
			return dst, nil, err
		}
	}
	return dst, attachments, nil
}

func appendArg(dst []byte, a any, atts [][]byte) ([]byte, [][]byte, error) {
	switch v := a.(type) {
	case nil:
		return append(dst, "null"...), atts, nil
	case string:
		return AppendQuoted(dst, v), atts, nil
	case bool:
		return strconv.AppendBool(dst, v), atts, nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), atts, nil
	case int64:
		return strconv.AppendInt(dst, v, 10), atts, nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), atts, nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), atts, nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), atts, nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), atts, nil
	case []byte:
		if v == nil {
			return append(dst, "null"...), atts, nil
		}
		return appendPlaceholder(dst, len(atts)), append(atts, v), nil
	}
	if !hasBinary(a, 0) {
		d, err := appendSonic(dst, a)
		return d, atts, err
	}
	var m marker
	v, _, err := m.walk(reflect.ValueOf(a), false, 0)
	if err != nil {
		return dst, atts, err
	}
	bp := getScratch()
	if err = encoder.EncodeInto(bp, v.Interface(), sonicOpts); err == nil {
		dst, atts = m.substitute(dst, trimNewline(*bp), atts)
	}
	putScratch(bp)
	return dst, atts, err
}

// appendSonic appends the JSON encoding of v.
func appendSonic(dst []byte, v any) ([]byte, error) {
	bp := getScratch()
	err := encoder.EncodeInto(bp, v, sonicOpts)
	if err == nil {
		dst = appendHTMLSafe(dst, trimNewline(*bp))
	}
	putScratch(bp)
	return dst, err
}

// getScratch returns an empty pooled buffer; passing the pooled pointer
// itself to sonic keeps the slice header off the heap.
func getScratch() *[]byte {
	bp := scratchPool.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

func putScratch(bp *[]byte) {
	if cap(*bp) <= maxPooledScratch {
		scratchPool.Put(bp)
	}
}

// trimNewline drops the newline sonic's encoding/json fallback (used on
// platforms without its JIT) may add.
func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

func appendPlaceholder(dst []byte, num int) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(num), 10)
	return append(dst, '}')
}

// hasBinary reports whether a holds a []byte that EncodeArgs must extract.
// Common dynamic containers are checked without reflection.
func hasBinary(a any, depth int) bool {
	if depth > maxEncodeDepth {
		return true // let the marker walk report the error
	}
	switch v := a.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16,
		uint32, uint64, float32, float64, json.Number, json.RawMessage:
		return false
	case []byte:
		return v != nil
	case []any:
		for _, e := range v {
			if hasBinary(e, depth+1) {
				return true
			}
		}
		return false
	case map[string]any:
		for _, e := range v {
			if hasBinary(e, depth+1) {
				return true
			}
		}
		return false
	}
	return reflectHasBinary(reflect.ValueOf(a), false, depth)
}
