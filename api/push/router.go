package push

import (
	"bytes"
	"net/url"
	"slices"
	"strings"

	"github.com/valyala/fasthttp"
)

// Prefix is where the push API is mounted on the operator port.
const Prefix = "/v1"

// route is one endpoint: a method, a path pattern whose {name} segments
// are parameters, the scope a key needs, and the handler.
type route struct {
	method  string
	pattern string
	scope   Scope // "" for a public route
	body    bool  // reads a JSON body
	handle  func(ctx *fasthttp.RequestCtx, n *node, p params)
	segs    []string
}

// params holds a route's path parameters, decoded, in pattern order. It
// is passed by value so that routing allocates nothing.
type params struct {
	vals [2]string
	n    int
}

func (p params) get(i int) string { return p.vals[i] }

// RouteInfo describes an endpoint, for documentation and tests.
type RouteInfo struct {
	Method  string
	Pattern string
	Scope   Scope
}

// Routes lists the API's endpoints: the route table the router serves,
// which the OpenAPI document must match.
func (a *API) Routes() []RouteInfo {
	out := make([]RouteInfo, len(a.routes))
	for i, r := range a.routes {
		out[i] = RouteInfo{Method: r.method, Pattern: r.pattern, Scope: r.scope}
	}
	return out
}

func compile(rs []route) []route {
	for i := range rs {
		rs[i].segs = strings.Split(strings.TrimPrefix(rs[i].pattern, "/"), "/")
	}
	return rs
}

// match finds the route for a method and a raw (undecoded) path. When
// the path exists under other methods only, it returns those in allow.
// Matching the raw path keeps an encoded "/" inside a parameter, such as
// a user id, from splitting it.
func (a *API) match(method, path []byte) (r *route, p params, allow []string) {
	if len(path) == 0 || path[0] != '/' {
		return nil, p, nil
	}
	rest := path[1:]
	for i := range a.routes {
		rt := &a.routes[i]
		got, ok := matchSegs(rt.segs, rest)
		if !ok {
			continue
		}
		if rt.method == string(method) {
			return rt, got, nil
		}
		if !slices.Contains(allow, rt.method) {
			allow = append(allow, rt.method)
		}
	}
	slices.Sort(allow)
	return nil, p, allow
}

func matchSegs(segs []string, path []byte) (params, bool) {
	var p params
	for i, s := range segs {
		var part []byte
		j := bytes.IndexByte(path, '/')
		if j < 0 {
			part, path = path, nil
		} else {
			part, path = path[:j], path[j+1:]
		}
		last := i == len(segs)-1
		if last != (j < 0) {
			return p, false
		}
		if len(s) > 1 && s[0] == '{' && s[len(s)-1] == '}' {
			v, err := url.PathUnescape(string(part))
			if err != nil || v == "" || p.n == len(p.vals) {
				return p, false
			}
			p.vals[p.n] = v
			p.n++
			continue
		}
		if s != string(part) {
			return p, false
		}
	}
	return p, true
}
