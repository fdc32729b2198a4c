package socketio

import (
	"bytes"
	"crypto/rand"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unsafe"
)

// Binary extraction for Go values.
//
// sonic (like encoding/json) offers no hook to encode []byte differently, and
// replicating its struct-field rules to emit placeholders ourselves would be
// fragile. Instead, values holding []byte are shallow-copied along the paths
// that lead to them, each slice replaced by a 16-byte marker: a per-process
// random prefix plus the marker's index. sonic encodes the copy, each marker
// appears as a unique base64 string, and substitute swaps those strings for
// placeholders numbered in output order. Fields sonic omits simply never
// produce their marker, so omission rules stay sonic's.

const (
	markerPrefixLen = 12
	markerLen       = markerPrefixLen + 4
	marker64Len     = (markerLen + 2) / 3 * 4 // 24 base64 characters
)

var (
	markerPrefix [markerPrefixLen]byte
	// markerNeedle is '"' and the base64 of markerPrefix; markerPrefixLen is
	// a multiple of 3, so every marker's base64 starts with it.
	markerNeedle []byte
)

func init() {
	for {
		rand.Read(markerPrefix[:])
		s := base64.StdEncoding.EncodeToString(markerPrefix[:])
		if !strings.ContainsAny(s, "+/") { // never escaped by any encoder
			markerNeedle = []byte(`"` + s)
			return
		}
	}
}

// marker collects the slices replaced while copying a value.
type marker struct {
	slices [][]byte
}

func (m *marker) newMarker(b []byte) []byte {
	mk := make([]byte, markerLen)
	copy(mk, markerPrefix[:])
	binary.BigEndian.PutUint32(mk[markerPrefixLen:], uint32(len(m.slices)))
	m.slices = append(m.slices, b)
	return mk
}

// substitute appends src (sonic output) to dst, replacing marker strings by
// placeholders and appending their slices to atts in output order.
func (m *marker) substitute(dst, src []byte, atts [][]byte) ([]byte, [][]byte) {
	for {
		k := bytes.Index(src, markerNeedle)
		if k < 0 {
			return appendHTMLSafe(dst, src), atts
		}
		end := k + 1 + marker64Len
		var raw [markerLen + 2]byte
		idx := -1
		if end < len(src) && src[end] == '"' {
			if n, err := base64.StdEncoding.Decode(raw[:], src[k+1:end]); err == nil && n == markerLen {
				if i := int(binary.BigEndian.Uint32(raw[markerPrefixLen:])); i < len(m.slices) {
					idx = i
				}
			}
		}
		if idx < 0 { // not ours after all; keep it
			dst = appendHTMLSafe(dst, src[:k+1])
			src = src[k+1:]
			continue
		}
		dst = appendHTMLSafe(dst, src[:k])
		dst = appendPlaceholder(dst, len(atts))
		atts = append(atts, m.slices[idx])
		src = src[end+1:]
	}
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether values of type t encode themselves, which hides
// their contents from binary extraction just as from encoding/json.
func marshals(t reflect.Type) bool {
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) {
		return true
	}
	if t.Kind() != reflect.Pointer {
		p := reflect.PointerTo(t)
		return p.Implements(jsonMarshalerType) || p.Implements(textMarshalerType)
	}
	return false
}

// isByteSlice reports whether encoding/json encodes t as base64.
func isByteSlice(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && !marshals(t.Elem())
}

var mayHoldCache sync.Map // reflect.Type -> bool

// mayHoldBinary reports whether a value of type t can contain a []byte that
// extraction must find. It is what keeps the walk off values that cannot
// hold any, at the cost of one cached computation per type.
func mayHoldBinary(t reflect.Type) bool {
	if v, ok := mayHoldCache.Load(t); ok {
		return v.(bool)
	}
	r := computeMayHold(t, map[reflect.Type]bool{})
	mayHoldCache.Store(t, r)
	return r
}

func computeMayHold(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if t.Kind() == reflect.Interface {
		return true
	}
	if marshals(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Array, reflect.Map:
		return computeMayHold(t.Elem(), visiting)
	case reflect.Slice:
		return isByteSlice(t) || computeMayHold(t.Elem(), visiting)
	case reflect.Struct:
		if visiting[t] {
			return false // the outer frame explores this type's fields
		}
		visiting[t] = true
		for _, f := range fieldsOf(t) {
			if computeMayHold(t.Field(f.index).Type, visiting) {
				return true
			}
		}
	}
	return false
}

// field is a struct field encoding/json may encode.
type field struct {
	index     int
	exported  bool // unexported embedded structs are encoded too
	omitEmpty bool
}

var fieldsCache sync.Map // reflect.Type -> []field

func fieldsOf(t reflect.Type) []field {
	if v, ok := fieldsCache.Load(t); ok {
		return v.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		if !sf.IsExported() {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if !sf.Anonymous || ft.Kind() != reflect.Struct {
				continue
			}
		}
		_, opts, _ := strings.Cut(tag, ",")
		f := field{index: i, exported: sf.IsExported()}
		for opts != "" {
			var o string
			o, opts, _ = strings.Cut(opts, ",")
			f.omitEmpty = f.omitEmpty || o == "omitempty"
		}
		fs = append(fs, f)
	}
	fieldsCache.Store(t, fs)
	return fs
}

// fieldValue returns field f of struct v. For unexported embedded fields it
// sidesteps reflect's read-only flag, which requires v to be addressable; the
// walk only reads through it or writes to its own copies.
func fieldValue(v reflect.Value, f field) reflect.Value {
	fv := v.Field(f.index)
	if f.exported {
		return fv
	}
	return reflect.NewAt(fv.Type(), unsafe.Pointer(fv.UnsafeAddr())).Elem()
}

// addressable returns struct v, copied if fieldValue needs an address for
// one of its fields fs.
func addressable(v reflect.Value, fs []field) reflect.Value {
	if v.CanAddr() {
		return v
	}
	for _, f := range fs {
		if !f.exported {
			tmp := reflect.New(v.Type()).Elem()
			tmp.Set(v)
			return tmp
		}
	}
	return v
}

// reflectHasBinary is hasBinary for values without a fast path.
func reflectHasBinary(v reflect.Value, omitEmpty bool, depth int) bool {
	if depth > maxEncodeDepth {
		return true
	}
	if !v.IsValid() || !mayHoldBinary(v.Type()) {
		return false
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		return !v.IsNil() && reflectHasBinary(v.Elem(), false, depth+1)
	case reflect.Slice:
		if isByteSlice(v.Type()) {
			return !v.IsNil() && !(omitEmpty && v.Len() == 0)
		}
		for i := range v.Len() {
			if reflectHasBinary(v.Index(i), false, depth+1) {
				return true
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			if reflectHasBinary(v.Index(i), false, depth+1) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if reflectHasBinary(it.Value(), false, depth+1) {
				return true
			}
		}
	case reflect.Struct:
		fs := fieldsOf(v.Type())
		v = addressable(v, fs)
		for _, f := range fs {
			if reflectHasBinary(fieldValue(v, f), f.omitEmpty, depth+1) {
				return true
			}
		}
	}
	return false
}

// walk returns v, or a copy of v with its []byte values replaced by markers
// when it holds any (changed reports which). Values it is given are never
// read-only, so copies can be made with Set.
func (m *marker) walk(v reflect.Value, omitEmpty bool, depth int) (out reflect.Value, changed bool, err error) {
	if depth > maxEncodeDepth {
		return v, false, errValueTooDeep
	}
	if !v.IsValid() {
		return v, false, nil
	}
	t := v.Type()
	if !mayHoldBinary(t) {
		return v, false, nil
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return v, false, nil
		}
		e, ch, err := m.walk(v.Elem(), false, depth+1)
		if !ch || err != nil {
			return v, false, err
		}
		out = reflect.New(t).Elem()
		out.Set(e)
		return out, true, nil

	case reflect.Pointer:
		if v.IsNil() {
			return v, false, nil
		}
		e, ch, err := m.walk(v.Elem(), false, depth+1)
		if !ch || err != nil {
			return v, false, err
		}
		out = reflect.New(t.Elem())
		out.Elem().Set(e)
		return out, true, nil

	case reflect.Slice:
		if isByteSlice(t) {
			if v.IsNil() || (omitEmpty && v.Len() == 0) {
				return v, false, nil
			}
			out = reflect.New(t).Elem()
			out.SetBytes(m.newMarker(v.Bytes()))
			return out, true, nil
		}
		for i := range v.Len() {
			e, ch, err := m.walk(v.Index(i), false, depth+1)
			if err != nil {
				return v, false, err
			}
			if ch {
				if !out.IsValid() {
					out = reflect.MakeSlice(t, v.Len(), v.Len())
					reflect.Copy(out, v)
				}
				out.Index(i).Set(e)
			}
		}
		return m.result(v, out)

	case reflect.Array:
		for i := range v.Len() {
			e, ch, err := m.walk(v.Index(i), false, depth+1)
			if err != nil {
				return v, false, err
			}
			if ch {
				if !out.IsValid() {
					out = reflect.New(t).Elem()
					out.Set(v)
				}
				out.Index(i).Set(e)
			}
		}
		return m.result(v, out)

	case reflect.Map:
		type entry struct{ k, v reflect.Value }
		var changes []entry
		it := v.MapRange()
		for it.Next() {
			e, ch, err := m.walk(it.Value(), false, depth+1)
			if err != nil {
				return v, false, err
			}
			if ch {
				changes = append(changes, entry{it.Key(), e})
			}
		}
		if len(changes) == 0 {
			return v, false, nil
		}
		out = reflect.MakeMapWithSize(t, v.Len())
		it.Reset(v)
		for it.Next() {
			out.SetMapIndex(it.Key(), it.Value())
		}
		for _, c := range changes {
			out.SetMapIndex(c.k, c.v)
		}
		return out, true, nil

	case reflect.Struct:
		fs := fieldsOf(t)
		base := addressable(v, fs)
		for _, f := range fs {
			e, ch, err := m.walk(fieldValue(base, f), f.omitEmpty, depth+1)
			if err != nil {
				return v, false, err
			}
			if ch {
				if !out.IsValid() {
					out = reflect.New(t).Elem()
					out.Set(base)
				}
				fieldValue(out, f).Set(e)
			}
		}
		return m.result(v, out)
	}
	return v, false, nil
}

func (m *marker) result(v, out reflect.Value) (reflect.Value, bool, error) {
	if out.IsValid() {
		return out, true, nil
	}
	return v, false, nil
}
