package eio

import (
	"slices"
	"strconv"
	"strings"
)

// CORS configures cross-origin access to the polling transport.
type CORS struct {
	// Origins lists the allowed origins; "*" allows any. With Credentials
	// set, "*" reflects the request's origin instead, since browsers refuse
	// a wildcard with credentials.
	Origins []string
	// AllowOrigin, when set, decides instead of Origins.
	AllowOrigin func(origin string) bool
	// Credentials allows cookies and authorization headers.
	Credentials bool
	// Headers lists extra request headers allowed in preflight; by default
	// the ones the preflight asks for are reflected.
	Headers []string
	// MaxAge caches preflight answers for this many seconds when positive.
	MaxAge int
}

func (c *CORS) allowed(origin []byte) bool {
	if c.AllowOrigin != nil {
		return c.AllowOrigin(string(origin))
	}
	return slices.Contains(c.Origins, "*") || slices.Contains(c.Origins, string(origin))
}

// appendHeaders appends the CORS response headers for a request from origin.
// preflight adds the method and header grants an OPTIONS answer needs.
func (c *CORS) appendHeaders(dst, origin, reqHeaders []byte, preflight bool) []byte {
	if len(origin) == 0 || !c.allowed(origin) {
		return dst
	}
	dst = append(dst, "Access-Control-Allow-Origin: "...)
	if slices.Contains(c.Origins, "*") && !c.Credentials && c.AllowOrigin == nil {
		dst = append(dst, '*')
	} else {
		dst = append(dst, origin...)
	}
	dst = append(dst, "\r\nVary: Origin\r\n"...)
	if c.Credentials {
		dst = append(dst, "Access-Control-Allow-Credentials: true\r\n"...)
	}
	if !preflight {
		return dst
	}
	dst = append(dst, "Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE\r\n"...)
	switch {
	case len(c.Headers) > 0:
		dst = append(dst, "Access-Control-Allow-Headers: "...)
		dst = append(dst, strings.Join(c.Headers, ",")...)
		dst = append(dst, "\r\n"...)
	case len(reqHeaders) > 0:
		dst = append(dst, "Access-Control-Allow-Headers: "...)
		dst = append(dst, reqHeaders...)
		dst = append(dst, "\r\n"...)
	}
	if c.MaxAge > 0 {
		dst = append(dst, "Access-Control-Max-Age: "...)
		dst = strconv.AppendInt(dst, int64(c.MaxAge), 10)
		dst = append(dst, "\r\n"...)
	}
	return dst
}
