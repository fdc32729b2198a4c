package socketio

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// jsonEscapes tells, for each ASCII byte, how a JSON string holds it: 0 as
// it is, 'u' as \u00XX, or any other letter c as the two bytes \c.
type jsonEscapes [utf8.RuneSelf]byte

// controlEscapes escapes '"', '\\' and the control bytes, all of them as
// \u00XX until the caller gives some a short form.
func controlEscapes() (t jsonEscapes) {
	for c := range 0x20 {
		t[c] = 'u'
	}
	t['"'], t['\\'] = '"', '\\'
	return t
}

// htmlSafeEscapes is the escaping of sonic.ConfigStd, which the encoder
// follows for the strings it writes itself: '<', '>' and '&' escaped so
// that output is safe to embed in HTML, and only \n, \r and \t short.
var htmlSafeEscapes = func() jsonEscapes {
	t := controlEscapes()
	t['\n'], t['\r'], t['\t'] = 'n', 'r', 't'
	t['<'], t['>'], t['&'] = 'u', 'u', 'u'
	return t
}()

// plainEscapes is the escaping of encoding/json without HTML escaping:
// '<', '>' and '&' as they are, and \b, \f, \n, \r and \t short.
var plainEscapes = func() jsonEscapes {
	t := controlEscapes()
	t['\b'], t['\f'], t['\n'], t['\r'], t['\t'] = 'b', 'f', 'n', 'r', 't'
	return t
}()

// AppendJSONString appends s to dst as a JSON string, byte for byte as
// encoding/json's Encoder writes it with SetEscapeHTML(false): '<', '>'
// and '&' stay as they are, invalid UTF-8 becomes U+FFFD, and U+2028 and
// U+2029 are escaped, so that any JSON or JavaScript parser reads the
// string the same way. It is for JSON that goes anywhere but into HTML;
// the Socket.IO encoder itself escapes strings HTML-safe, as
// sonic.ConfigStd does.
func AppendJSONString(dst []byte, s string) []byte {
	return appendJSONString(dst, s, &plainEscapes)
}

// AppendQuoted appends s as a JSON string escaped as sonic.ConfigStd
// does, as the Socket.IO encoder writes every string: HTML-safe, invalid
// UTF-8 as U+FFFD, U+2028/U+2029 escaped for JavaScript.
func AppendQuoted(dst []byte, s string) []byte {
	return appendJSONString(dst, s, &htmlSafeEscapes)
}

func appendJSONString(dst []byte, s string, esc *jsonEscapes) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			e := esc[c]
			if e == 0 {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			if e == 'u' {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				dst = append(dst, '\\', e)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendHTMLSafe appends JSON text, escaping '<', '>', '&', U+2028 and U+2029.
// Outside strings those bytes cannot occur in valid JSON, so a byte-level
// rewrite is exact. It gives sonic output the escaping of sonic.ConfigStd
// without sonic's extra buffer.
func appendHTMLSafe(dst, src []byte) []byte {
	start := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			start = i + 1
		case c == 0xe2 && i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xa8:
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[src[i+2]&0xf])
			i += 2
			start = i + 1
		}
	}
	return append(dst, src[start:]...)
}
