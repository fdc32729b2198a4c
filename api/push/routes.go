package push

import (
	_ "embed"

	"github.com/valyala/fasthttp"
)

// table is the route table: every endpoint, the scope it needs, and its
// handler. The OpenAPI document describes exactly these routes, a test
// checks both ways, and README.md documents them.
func (a *API) table() []route {
	const get, post = fasthttp.MethodGet, fasthttp.MethodPost
	return []route{
		{method: get, pattern: "/v1/openapi.json", handle: a.handleOpenAPI},
		{method: post, pattern: "/v1/emit", scope: ScopeEmit, body: true, handle: a.handleEmit},
		{method: post, pattern: "/v1/batch", scope: ScopeEmit, body: true, handle: a.handleBatch},
		{method: post, pattern: "/v1/sockets/join", scope: ScopeAdmin, body: true, handle: a.handleJoin},
		{method: post, pattern: "/v1/sockets/leave", scope: ScopeAdmin, body: true, handle: a.handleLeave},
		{method: post, pattern: "/v1/sockets/disconnect", scope: ScopeAdmin, body: true, handle: a.handleDisconnect},
		{method: get, pattern: "/v1/sockets", scope: ScopeRead, handle: a.handleSockets},
		{method: get, pattern: "/v1/rooms", scope: ScopeRead, handle: a.handleRooms},
		{method: get, pattern: "/v1/users/{id}", scope: ScopeRead, handle: a.handleUser},
		{method: get, pattern: "/v1/stats", scope: ScopeRead, handle: a.handleStats},
	}
}

// openAPI is the OpenAPI 3.1 description of the API, served as is. It is
// public: it holds no secret, and clients generate code from it.
//
//go:embed openapi.json
var openAPI string

// OpenAPI returns the OpenAPI 3.1 document the API serves.
func OpenAPI() []byte { return []byte(openAPI) }

func (a *API) handleOpenAPI(ctx *fasthttp.RequestCtx, _ *node, _ params) {
	ctx.SetContentType("application/json")
	ctx.SetBodyString(openAPI)
}
