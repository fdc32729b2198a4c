package push

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/engine"
)

// Query limits: a listing returns at most limit entries (default
// DefaultLimit, at most MaxLimit) and says how many there were in all.
const (
	DefaultLimit = 1000
	MaxLimit     = 10000
)

// fetchTimeout bounds FetchSockets, which a cluster adapter answers over
// the network.
const fetchTimeout = 10 * time.Second

// SocketInfo describes one socket in query answers.
type SocketInfo struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	// User is the socket's user id, "" when it has none.
	User string `json:"user"`
	// Rooms are the rooms it is in, its own id left out, sorted.
	Rooms []string `json:"rooms"`
	// Transport is "websocket" or "polling"; "" when the node holding the
	// socket did not say.
	Transport string `json:"transport"`
	// Address is the client's IP address as the node saw it.
	Address string `json:"address"`
	// ConnectedAt is when the client's connection opened (RFC 3339).
	ConnectedAt time.Time `json:"connected_at"`
}

func describe(nsp string, r *engine.RemoteSocket) SocketInfo {
	info := SocketInfo{ID: r.ID, Namespace: nsp, Transport: r.Transport, Rooms: []string{}}
	if u, ok := r.Data["user_id"].(string); ok {
		info.User = u
	}
	for _, room := range r.Rooms {
		if room != r.ID {
			info.Rooms = append(info.Rooms, room)
		}
	}
	slices.Sort(info.Rooms)
	if h := r.Handshake; h != nil {
		info.Address = h.Address
		info.ConnectedAt = h.Time.UTC()
	}
	return info
}

// query is a parsed query string: a fixed set of parameters, some
// repeatable; anything else is refused like an unknown body field.
type query struct {
	nsp   string
	sel   selection
	limit int
	pfx   string
}

// parseQuery reads the query string; allowed lists the parameters the
// route takes.
func parseQuery(ctx *fasthttp.RequestCtx, allowed ...string) (query, *Problem) {
	q := query{nsp: "/", limit: DefaultLimit}
	var prob *Problem
	seen := map[string]bool{}
	ctx.QueryArgs().VisitAll(func(k, v []byte) {
		if prob != nil {
			return
		}
		name, val := string(k), string(v)
		if !slices.Contains(allowed, name) {
			prob = newProblem(ProblemUnknownField, name, "unknown query parameter; known: "+strings.Join(allowed, ", "))
			return
		}
		repeatable := name == "room" || name == "user" || name == "socket"
		if seen[name] && !repeatable {
			prob = newProblem(ProblemDuplicateField, name, "the query parameter appears twice")
			return
		}
		seen[name] = true
		if val == "" {
			prob = newProblem(ProblemInvalidValue, name, "must not be empty")
			return
		}
		switch name {
		case "namespace":
			if val[0] != '/' {
				prob = newProblem(ProblemInvalidValue, name, `a namespace starts with "/"`)
			}
			q.nsp = val
		case "room":
			q.sel.rooms = append(q.sel.rooms, val)
		case "user":
			q.sel.users = append(q.sel.users, val)
		case "socket":
			q.sel.sockets = append(q.sel.sockets, val)
		case "prefix":
			q.pfx = val
		case "limit":
			n, err := strconv.Atoi(val)
			if err != nil {
				prob = newProblem(ProblemWrongType, name, "want an integer")
			} else if n < 1 || n > MaxLimit {
				prob = newProblem(ProblemInvalidValue, name, "must be between 1 and "+strconv.Itoa(MaxLimit))
			}
			q.limit = n
		}
	})
	q.sel.all = q.sel.empty()
	return q, prob
}

// fetch returns the sockets a selection stands for, from every node.
func (n *node) fetch(ctx context.Context, t target) ([]SocketInfo, error) {
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	rs, err := t.operator().FetchSockets(fctx)
	if err != nil {
		return nil, fmt.Errorf("push: fetch sockets: %w", err)
	}
	out := make([]SocketInfo, len(rs))
	for i, r := range rs {
		out[i] = describe(t.ns.Name(), r)
	}
	slices.SortFunc(out, func(a, b SocketInfo) int {
		return cmp.Or(a.ConnectedAt.Compare(b.ConnectedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// handleSockets serves GET /v1/sockets?namespace=&room=&user=&socket=&limit=:
// the sockets in any of the rooms, of the users or with the ids (every
// socket of the namespace when none is given), oldest first.
func (a *API) handleSockets(ctx *fasthttp.RequestCtx, n *node, _ params) {
	q, prob := parseQuery(ctx, "namespace", "room", "user", "socket", "limit")
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	t, prob := n.resolve(q.nsp, &q.sel, &selection{}, false, "namespace")
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	socks, err := n.fetch(ctx, t)
	if err != nil {
		a.fail(ctx, err)
		return
	}
	total := len(socks)
	a.writeValue(ctx, struct {
		Sockets []SocketInfo `json:"sockets"`
		Total   int          `json:"total"`
	}{socks[:min(total, q.limit)], total})
}

// RoomInfo is a room and its member count on this node.
type RoomInfo struct {
	Name    string `json:"name"`
	Sockets int    `json:"sockets"`
}

// handleRooms serves GET /v1/rooms?namespace=&prefix=&limit=: the rooms of
// the namespace on this node with their member counts, sorted by name.
// Sockets' own rooms are not listed; user rooms are.
func (a *API) handleRooms(ctx *fasthttp.RequestCtx, n *node, _ params) {
	q, prob := parseQuery(ctx, "namespace", "prefix", "limit")
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	ns := n.namespace(q.nsp)
	if ns == nil {
		writeProblem(ctx, newProblem(ProblemNamespaceNotFound, "namespace", "no namespace "+strconv.Quote(q.nsp)+" on this node"))
		return
	}
	rooms := make([]RoomInfo, 0)
	for name, count := range ns.Rooms() {
		if strings.HasPrefix(name, q.pfx) {
			rooms = append(rooms, RoomInfo{name, count})
		}
	}
	slices.SortFunc(rooms, func(a, b RoomInfo) int { return strings.Compare(a.Name, b.Name) })
	total := len(rooms)
	a.writeValue(ctx, struct {
		Rooms []RoomInfo `json:"rooms"`
		Total int        `json:"total"`
	}{rooms[:min(total, q.limit)], total})
}

// handleUser serves GET /v1/users/{id}?namespace=: whether the user has a
// socket connected, on any node, and those sockets.
func (a *API) handleUser(ctx *fasthttp.RequestCtx, n *node, p params) {
	q, prob := parseQuery(ctx, "namespace")
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	user := p.get(0)
	t, prob := n.resolve(q.nsp, &selection{users: []string{user}}, &selection{}, false, "namespace")
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	socks, err := n.fetch(ctx, t)
	if err != nil {
		a.fail(ctx, err)
		return
	}
	a.writeValue(ctx, struct {
		User    string       `json:"user"`
		Online  bool         `json:"online"`
		Sockets []SocketInfo `json:"sockets"`
	}{user, len(socks) > 0, socks})
}

// Stats are a node's counters.
type Stats struct {
	// Connections are open TCP connections on the Socket.IO port.
	Connections int64 `json:"connections"`
	// Sessions are open Engine.IO sessions.
	Sessions int64 `json:"sessions"`
	// Sockets are connected sockets, every namespace.
	Sockets int `json:"sockets"`
	// SlowConsumers counts connections dropped because output piled up.
	SlowConsumers int64 `json:"slow_consumers"`
	// Refused counts connections refused by the connection limit.
	Refused    int64            `json:"refused"`
	Namespaces []NamespaceStats `json:"namespaces"`
}

// NamespaceStats are one namespace's counters on this node.
type NamespaceStats struct {
	Name    string `json:"name"`
	Sockets int    `json:"sockets"`
	Rooms   int    `json:"rooms"`
}

// handleStats serves GET /v1/stats: this node's counters.
func (a *API) handleStats(ctx *fasthttp.RequestCtx, n *node, _ params) {
	if _, prob := parseQuery(ctx); prob != nil {
		writeProblem(ctx, prob)
		return
	}
	s := Stats{Sessions: n.srv.Engine().SessionCount(), Namespaces: []NamespaceStats{}}
	if r := n.srv.Reactor(); r != nil {
		s.Connections, s.SlowConsumers, s.Refused = r.ConnCount(), r.SlowConsumers(), r.Refused()
	}
	for _, ns := range n.srv.Namespaces() {
		st := NamespaceStats{Name: ns.Name(), Sockets: ns.SocketCount(), Rooms: len(ns.Rooms())}
		s.Sockets += st.Sockets
		s.Namespaces = append(s.Namespaces, st)
	}
	slices.SortFunc(s.Namespaces, func(a, b NamespaceStats) int { return strings.Compare(a.Name, b.Name) })
	a.writeValue(ctx, s)
}
