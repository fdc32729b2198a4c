package push

import (
	"strings"

	"github.com/heraldrt/herald/api/config"
	"github.com/valyala/fasthttp"
)

// cors answers browsers calling the API from other origins. It is off
// unless api.cors.origins lists some: the push API is meant for backends,
// and a browser holding an API key is usually a mistake.
type cors struct {
	any         bool
	origins     map[string]bool
	credentials bool
}

// corsAllowHeaders are the request headers a browser may send.
const corsAllowHeaders = "Authorization, Content-Type, " + HeaderTimestamp + ", " + HeaderSignature

// corsMaxAge lets browsers cache a preflight for ten minutes.
const corsMaxAge = "600"

func newCORS(c config.CORS) *cors {
	if len(c.Origins) == 0 {
		return nil
	}
	x := &cors{origins: make(map[string]bool), credentials: c.Credentials}
	for _, o := range c.Origins {
		if o == "*" {
			x.any = true
			continue
		}
		x.origins[strings.TrimSuffix(o, "/")] = true
	}
	return x
}

// allowed reports whether origin may call the API.
func (c *cors) allowed(origin []byte) bool {
	return c != nil && len(origin) > 0 && (c.any || c.origins[string(origin)])
}

// vary marks every response as depending on Origin when the answer does,
// so that a shared cache does not hand one origin's answer to another.
func (c *cors) vary(ctx *fasthttp.RequestCtx) {
	if c != nil && (!c.any || c.credentials) {
		ctx.Response.Header.Set("Vary", "Origin")
	}
}

// headers adds the CORS headers of an actual response for an allowed
// origin. With credentials, the origin is echoed, since "*" is refused
// with credentials by browsers.
func (c *cors) headers(ctx *fasthttp.RequestCtx, origin []byte) {
	h := &ctx.Response.Header
	if c.any && !c.credentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.SetBytesV("Access-Control-Allow-Origin", origin)
	}
	if c.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Expose-Headers", "Retry-After")
}

// preflight answers an OPTIONS preflight for a path served under allow.
func (c *cors) preflight(ctx *fasthttp.RequestCtx, origin []byte, allow []string) {
	c.headers(ctx, origin)
	h := &ctx.Response.Header
	h.Set("Access-Control-Allow-Methods", strings.Join(allow, ", "))
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}
