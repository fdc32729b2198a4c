package push_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/push"
)

type socketList struct {
	Sockets []push.SocketInfo
	Total   int
}

func ids(ss []push.SocketInfo) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func TestQuerySockets(t *testing.T) {
	n := startNode(t, nil)
	before := time.Now().Add(-time.Second)
	a := n.connect(t, "a", "/", "red", "blue")
	b := n.connect(t, "b", "/", "red")
	c := n.connect(t, "c", "/")
	o := n.connect(t, "a", "/other")

	var l socketList
	n.mustGet(t, "/v1/sockets", keyRead, &l)
	if l.Total != 3 || !slices.Equal(ids(l.Sockets), sorted(a.s.ID, b.s.ID, c.s.ID)) {
		t.Fatalf("all of /: %+v", l)
	}
	// Oldest first.
	if l.Sockets[0].ID != a.s.ID || l.Sockets[2].ID != c.s.ID {
		t.Fatalf("not oldest first: %v", ids(l.Sockets))
	}
	s := l.Sockets[0]
	if s.User != "a" || s.Namespace != "/" || s.Transport != "websocket" || s.Address != "127.0.0.1" ||
		!slices.Equal(s.Rooms, []string{"blue", "red", "user:a"}) ||
		s.ConnectedAt.Before(before) || s.ConnectedAt.After(time.Now()) {
		t.Fatalf("socket a described as %+v", s)
	}
	n.mustGet(t, "/v1/sockets?room=red", keyRead, &l)
	if !slices.Equal(ids(l.Sockets), sorted(a.s.ID, b.s.ID)) {
		t.Fatalf("room red: %v", ids(l.Sockets))
	}
	n.mustGet(t, "/v1/sockets?room=blue&user=c&socket="+b.s.ID, keyRead, &l)
	if !slices.Equal(ids(l.Sockets), sorted(a.s.ID, b.s.ID, c.s.ID)) {
		t.Fatalf("union: %v", ids(l.Sockets))
	}
	n.mustGet(t, "/v1/sockets?namespace=/other", keyRead, &l)
	if !slices.Equal(ids(l.Sockets), []string{o.s.ID}) || l.Sockets[0].Namespace != "/other" {
		t.Fatalf("/other: %+v", l)
	}
	n.mustGet(t, "/v1/sockets?limit=2", keyRead, &l)
	if len(l.Sockets) != 2 || l.Total != 3 {
		t.Fatalf("limit 2: %d sockets, total %d", len(l.Sockets), l.Total)
	}
	n.mustGet(t, "/v1/sockets?user=nobody", keyRead, &l)
	if l.Sockets == nil || len(l.Sockets) != 0 || l.Total != 0 {
		t.Fatalf("nobody: %+v, want an empty list", l)
	}
	for _, q := range []struct{ query, field string }{
		{"?foo=1", "foo"},
		{"?limit=0", "limit"},
		{"?limit=x", "limit"},
		{"?room=", "room"},
		{"?namespace=/&namespace=/", "namespace"},
		{"?namespace=nope", "namespace"},
	} {
		r := n.request(t, http.MethodGet, "/v1/sockets"+q.query, keyRead, nil)
		if r.status != 400 || r.problem(t).Field != q.field {
			t.Fatalf("%s: status %d %s, want 400 naming %s", q.query, r.status, r.body, q.field)
		}
	}
	r := n.request(t, http.MethodGet, "/v1/sockets?namespace=/nope", keyRead, nil)
	if r.status != 404 || r.problem(t).Type != push.ProblemNamespaceNotFound {
		t.Fatalf("unknown namespace: %d %s", r.status, r.body)
	}
}

func TestQueryRooms(t *testing.T) {
	n := startNode(t, nil)
	n.connect(t, "a", "/", "chat:1", "chat:2")
	n.connect(t, "b", "/", "chat:1")
	n.connect(t, "c", "/other", "chat:9")
	var l struct {
		Rooms []push.RoomInfo
		Total int
	}
	n.mustGet(t, "/v1/rooms?prefix=chat:", keyRead, &l)
	want := []push.RoomInfo{{Name: "chat:1", Sockets: 2}, {Name: "chat:2", Sockets: 1}}
	if !slices.Equal(l.Rooms, want) || l.Total != 2 {
		t.Fatalf("rooms %+v, want %+v", l, want)
	}
	n.mustGet(t, "/v1/rooms", keyRead, &l)
	if l.Total != 4 { // chat:1, chat:2, user:a, user:b
		t.Fatalf("all rooms of /: %+v", l)
	}
	n.mustGet(t, "/v1/rooms?limit=1", keyRead, &l)
	if len(l.Rooms) != 1 || l.Rooms[0].Name != "chat:1" || l.Total != 4 {
		t.Fatalf("limit 1: %+v", l)
	}
	n.mustGet(t, "/v1/rooms?namespace=/other&prefix=chat", keyRead, &l)
	if !slices.Equal(l.Rooms, []push.RoomInfo{{Name: "chat:9", Sockets: 1}}) {
		t.Fatalf("/other: %+v", l)
	}
}

func TestQueryUser(t *testing.T) {
	n := startNode(t, nil)
	a1 := n.connect(t, "a/b c", "/")
	a2 := n.connect(t, "a/b c", "/")
	n.connect(t, "a", "/")
	var u struct {
		User    string
		Online  bool
		Sockets []push.SocketInfo
	}
	// The id is percent-encoded in the path; an encoded "/" stays in it.
	n.mustGet(t, "/v1/users/a%2Fb%20c", keyRead, &u)
	if u.User != "a/b c" || !u.Online || !slices.Equal(ids(u.Sockets), sorted(a1.s.ID, a2.s.ID)) {
		t.Fatalf("user a/b c: %+v", u)
	}
	n.mustGet(t, "/v1/users/zed", keyRead, &u)
	if u.User != "zed" || u.Online || u.Sockets == nil || len(u.Sockets) != 0 {
		t.Fatalf("offline user: %+v", u)
	}
	n.mustGet(t, "/v1/users/a?namespace=/other", keyRead, &u)
	if u.Online {
		t.Fatalf("a is not in /other: %+v", u)
	}
}

func TestStats(t *testing.T) {
	n := startNode(t, nil)
	n.connect(t, "a", "/", "r")
	c := n.connect(t, "b", "/")
	if _, err := c.c.Connect(t.Context(), "/other", map[string]string{"token": token(t, "b")}); err != nil {
		t.Fatal(err)
	}
	var s push.Stats
	n.mustGet(t, "/v1/stats", keyRead, &s)
	want := []push.NamespaceStats{{Name: "/", Sockets: 2, Rooms: 3}, {Name: "/other", Sockets: 1, Rooms: 1}}
	if s.Connections != 2 || s.Sessions != 2 || s.Sockets != 3 || s.SlowConsumers != 0 || !slices.Equal(s.Namespaces, want) {
		t.Fatalf("stats %+v, want 2 connections and sessions, 3 sockets, namespaces %+v", s, want)
	}
}
