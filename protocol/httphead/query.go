package httphead

import "bytes"

// QueryValue returns the raw (still percent-encoded) value of the first
// parameter named key in a query string, and whether it was present.
func QueryValue(query []byte, key string) ([]byte, bool) {
	for len(query) > 0 {
		var pair []byte
		if i := bytes.IndexByte(query, '&'); i >= 0 {
			pair, query = query[:i], query[i+1:]
		} else {
			pair, query = query, nil
		}
		name, value := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			name, value = pair[:i], pair[i+1:]
		}
		if string(name) == key {
			return value, true
		}
	}
	return nil, false
}

// Unescape appends the percent-decoded form of s to dst, turning '+' into a
// space as HTML forms do. Malformed escapes are kept literally, as the
// reference server's query parser does.
func Unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}

// Values decodes a whole query string into a map of first values, for the
// handshake snapshot that outlives the request buffer.
func Values(query []byte) map[string]string {
	m := make(map[string]string)
	var scratch []byte
	for len(query) > 0 {
		var pair []byte
		if i := bytes.IndexByte(query, '&'); i >= 0 {
			pair, query = query[:i], query[i+1:]
		} else {
			pair, query = query, nil
		}
		if len(pair) == 0 {
			continue
		}
		name, value := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			name, value = pair[:i], pair[i+1:]
		}
		scratch = Unescape(scratch[:0], name)
		k := string(scratch)
		if _, dup := m[k]; dup {
			continue
		}
		scratch = Unescape(scratch[:0], value)
		m[k] = string(scratch)
	}
	return m
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
