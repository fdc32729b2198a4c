package httphead

import "testing"

// BUG: parseRequestLine cuts the query at the first '?' before it looks for
// the fragment, so in "/a#b?c=d" the "c=d" that belongs to the fragment is
// reported as the query, while Path correctly stops at '#'. Request.Query is
// documented as "Target after '?', without the fragment"; per RFC 3986 §3.5
// the fragment starts at the first '#', and a '?' after it is fragment data.
func TestFragmentEndsTarget(t *testing.T) {
	cases := []struct{ target, path, query string }{
		{"/a#b?c=d", "/a", ""},
		{"/socket.io/#?EIO=4&transport=polling", "/socket.io/", ""},
	}
	for _, c := range cases {
		r, _, err := parse(t, "GET "+c.target+" HTTP/1.1\r\n\r\n")
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Path) != c.path || string(r.Query) != c.query {
			t.Errorf("target %q: path %q query %q, want path %q query %q", c.target, r.Path, r.Query, c.path, c.query)
		}
	}
}
