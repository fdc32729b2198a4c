package gateway

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// Route serves one path prefix of the operator HTTP server.
type Route struct {
	Prefix  string
	Handler fasthttp.RequestHandler
}

// handler routes the operator-facing HTTP server: health, metrics, and the
// routes added with WithRoutes, such as the push API.
func (g *Gateway) handler() fasthttp.RequestHandler {
	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(g.metrics.reg, promhttp.HandlerOpts{}))
	return func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		switch path {
		case "/healthz":
			jsonStatus(ctx, fasthttp.StatusOK, `{"status":"ok"}`)
			return
		case "/readyz":
			if g.ready.Load() {
				jsonStatus(ctx, fasthttp.StatusOK, `{"status":"ready"}`)
			} else {
				jsonStatus(ctx, fasthttp.StatusServiceUnavailable, `{"status":"draining"}`)
			}
			return
		case "/metrics":
			metrics(ctx)
			return
		}
		for _, r := range g.routes {
			if len(path) >= len(r.Prefix) && path[:len(r.Prefix)] == r.Prefix {
				r.Handler(ctx)
				return
			}
		}
		jsonStatus(ctx, fasthttp.StatusNotFound, `{"error":"not found"}`)
	}
}

// fasthttpLogger sends fasthttp's own messages, such as refused oversized
// bodies, to the node's logger instead of the standard library's.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug("api http: " + fmt.Sprintf(format, args...))
}

func jsonStatus(ctx *fasthttp.RequestCtx, status int, body string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(body)
}
