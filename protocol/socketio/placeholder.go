package socketio

import (
	"fmt"

	"github.com/bytedance/sonic"
)

// ReplacePlaceholders appends raw (one JSON value) to dst with every binary
// placeholder {"_placeholder":true,"num":i} replaced by attachments[i] as a
// base64 JSON string, which is how encoding/json and sonic represent []byte;
// values can then be unmarshaled into structs with []byte fields. As in
// socket.io-parser, a placeholder whose num is missing or out of range is an
// error (ErrPlaceholder) and unused attachments are not. So is a num used
// twice, which bounds the output by the size of the attachments.
//
// Placeholders only mean something in binary packets, so with no
// attachments raw is validated and appended unchanged. Allocation is limited
// to growing dst.
func ReplacePlaceholders(dst, raw []byte, attachments [][]byte) ([]byte, error) {
	s := scanner{data: raw, natt: len(attachments), atts: attachments, rewrite: true, out: dst}
	if err := s.whole(); err != nil {
		return dst, err
	}
	return append(s.out, raw[s.copied:]...), nil
}

// DecodeArgs unmarshals one argument (an element of Args) into v using
// sonic with encoding/json semantics, restoring binary attachments.
//
// When v is *any, *[]any or *map[string]any, placeholders become []byte
// values aliasing attachments. For other targets they become base64 strings
// first (see ReplacePlaceholders), which suits []byte fields; an `any` field
// inside a struct therefore receives a string. With no attachments,
// placeholder-shaped objects are ordinary data, as in non-binary packets.
//
// raw is validated first, bounding nesting by MaxDepth. DecodeArgs allocates
// what sonic does, plus the rewritten text when there are attachments.
func DecodeArgs(raw []byte, attachments [][]byte, v any) error {
	switch p := v.(type) {
	case *any, *[]any, *map[string]any:
		s := scanner{data: raw, natt: len(attachments)}
		if err := s.whole(); err != nil {
			return err
		}
		if err := sonic.ConfigStd.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("socketio: decode args: %w", err)
		}
		if !s.hasHole {
			return nil
		}
		switch p := p.(type) {
		case *any:
			r, err := restoreBinary(*p, attachments, 0)
			*p = r
			return err
		case *[]any:
			for i := range *p {
				r, err := restoreBinary((*p)[i], attachments, 0)
				if err != nil {
					return err
				}
				(*p)[i] = r
			}
		case *map[string]any:
			r, err := restoreBinary(*p, attachments, 0)
			if err != nil {
				return err
			}
			m, ok := r.(map[string]any)
			if !ok {
				return fmt.Errorf("socketio: decode args: cannot store binary attachment in %T", v)
			}
			*p = m
		}
		return nil
	}

	text := raw
	if len(attachments) > 0 {
		var err error
		if text, err = ReplacePlaceholders(make([]byte, 0, len(raw)+64), raw, attachments); err != nil {
			return err
		}
	} else if err := validJSON(raw); err != nil {
		return err
	}
	if err := sonic.ConfigStd.Unmarshal(text, v); err != nil {
		return fmt.Errorf("socketio: decode args: %w", err)
	}
	return nil
}

// restoreBinary replaces decoded placeholder objects in a tree produced by
// unmarshaling into any. The tree was validated by the scanner, which bounds
// its depth and checked every placeholder; the checks are repeated because
// the tree, not the text, is what the caller receives.
func restoreBinary(v any, atts [][]byte, depth int) (any, error) {
	if depth > MaxDepth {
		return v, ErrTooDeep
	}
	switch t := v.(type) {
	case map[string]any:
		if ph, _ := t["_placeholder"].(bool); ph {
			n, ok := t["num"].(float64)
			if !ok || n < 0 || n >= float64(len(atts)) || n != float64(int(n)) {
				return v, ErrPlaceholder
			}
			return atts[int(n)], nil
		}
		for k, e := range t {
			r, err := restoreBinary(e, atts, depth+1)
			if err != nil {
				return v, err
			}
			t[k] = r
		}
	case []any:
		for i, e := range t {
			r, err := restoreBinary(e, atts, depth+1)
			if err != nil {
				return v, err
			}
			t[i] = r
		}
	}
	return v, nil
}
