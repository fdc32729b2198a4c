package eio

import (
	"net/http"
	"time"
)

// Cookie configures the cookie that carries the session id. The defaults
// match the reference server: name "io", path "/", HttpOnly, SameSite=Lax.
type Cookie struct {
	Name     string
	Path     string
	Domain   string
	MaxAge   time.Duration
	Secure   bool
	SameSite http.SameSite
	// NoHTTPOnly lets scripts read the cookie.
	NoHTTPOnly bool
}

// header renders the Set-Cookie header line for sid.
func (c *Cookie) header(sid string) []byte {
	hc := http.Cookie{
		Name:     c.Name,
		Value:    sid,
		Path:     c.Path,
		Domain:   c.Domain,
		Secure:   c.Secure,
		HttpOnly: !c.NoHTTPOnly,
		SameSite: c.SameSite,
		MaxAge:   int(c.MaxAge / time.Second),
	}
	if hc.Name == "" {
		hc.Name = "io"
	}
	if hc.Path == "" {
		hc.Path = "/"
	}
	if hc.SameSite == 0 {
		hc.SameSite = http.SameSiteLaxMode
	}
	return []byte("Set-Cookie: " + hc.String() + "\r\n")
}
