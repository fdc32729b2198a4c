package auth

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, room string
		want          bool
	}{
		{"lobby", "lobby", true},
		{"lobby", "lobby2", false},
		{"lobby", "Lobby", false},
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"**", "x", true},
		{"chat:*", "chat:", true},
		{"chat:*", "chat:lobby", true},
		{"chat:*", "chat:a:b/c", true},
		{"chat:*", "chat", false},
		{"chat:*", "dm:chat:x", false},
		{"*:admin", "org:admin", true},
		{"*:admin", "org:admin:x", false},
		{"*:admin", ":admin", true},
		{"org:*:room:*", "org:1:room:2", true},
		{"org:*:room:*", "org:1:x:room:", true},
		{"org:*:room:*", "org:1:rom:2", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "abcbc", true},
		{"a*b*c", "acb", false},
		{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"*a", "aaaa", true},
		{"*ab", "aab", true},
		{"?", "?", true},
		{"?", "a", false},
		{"a?c", "abc", false},
		{"[ab]", "a", false},
		{"[ab]", "[ab]", true},
		{`a\*`, `a\x`, true},
		{"é*", "é-room", true},
		{"\xff*", "\xff\x00", true},
		{"user:*", "user:\u00e9", true},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.room); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.room, got, c.want)
		}
		if got := matchRef(c.pattern, c.room); got != c.want {
			t.Errorf("reference Match(%q, %q) = %v, want %v", c.pattern, c.room, got, c.want)
		}
	}
}

func TestAllowed(t *testing.T) {
	cases := []struct {
		patterns []string
		room     string
		want     bool
	}{
		{nil, "x", false},
		{[]string{}, "", false},
		{[]string{""}, "", true},
		{[]string{"a", "b"}, "b", true},
		{[]string{"a", "b"}, "c", false},
		{[]string{"dm:*", "chat:*"}, "chat:x", true},
		{[]string{"*"}, "anything", true},
	}
	for _, c := range cases {
		if got := Allowed(c.patterns, c.room); got != c.want {
			t.Errorf("Allowed(%q, %q) = %v, want %v", c.patterns, c.room, got, c.want)
		}
	}
}

// matchRef is an obviously correct dynamic-programming matcher for
// differential testing.
func matchRef(pattern, room string) bool {
	// dp[j] reports whether pattern[:i] matches room[:j].
	dp := make([]bool, len(room)+1)
	dp[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(room)+1)
		if pattern[i] == '*' {
			next[0] = dp[0]
			for j := 1; j <= len(room); j++ {
				next[j] = dp[j] || next[j-1]
			}
		} else {
			for j := 1; j <= len(room); j++ {
				next[j] = dp[j-1] && room[j-1] == pattern[i]
			}
		}
		dp = next
	}
	return dp[len(room)]
}
