package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the node's Prometheus collectors, in a registry of its own.
type metrics struct {
	reg          *prometheus.Registry
	authFailures *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	forwarded    *prometheus.CounterVec
	published    prometheus.Counter
	connects     prometheus.Counter
	disconnects  *prometheus.CounterVec
}

func newMetrics(g *Gateway) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_auth_failures_total", Help: "Connections refused by authentication, by code.",
		}, []string{"code"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_rate_limited_total", Help: "Requests refused by a rate limit, by kind.",
		}, []string{"kind"}),
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_forwarded_events_total", Help: "Client events forwarded to the backend, by result.",
		}, []string{"result"}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_client_publishes_total", Help: "Successful built-in publishes by clients.",
		}),
		connects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_socket_connects_total", Help: "Sockets connected.",
		}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_socket_disconnects_total", Help: "Sockets disconnected, by reason.",
		}, []string{"reason"}),
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.authFailures, m.rateLimited, m.forwarded, m.published, m.connects, m.disconnects,
		gauge("herald_connections", "Open TCP connections on the Socket.IO port.", func() float64 {
			if r := g.io.Reactor(); r != nil {
				return float64(r.ConnCount())
			}
			return 0
		}),
		gauge("herald_sessions", "Open Engine.IO sessions.", func() float64 {
			return float64(g.io.Engine().SessionCount())
		}),
		gauge("herald_sockets", "Connected sockets, all namespaces.", func() float64 {
			n := 0
			for _, ns := range g.io.Namespaces() {
				n += ns.SocketCount()
			}
			return float64(n)
		}),
		counter("herald_slow_consumers_total", "Connections dropped because their output piled up.", func() float64 {
			if r := g.io.Reactor(); r != nil {
				return float64(r.SlowConsumers())
			}
			return 0
		}),
		counter("herald_writev_total", "writev system calls, to see batching.", func() float64 {
			if r := g.io.Reactor(); r != nil {
				return float64(r.Writes())
			}
			return 0
		}),
	)
	return m
}
