package auth

import "strings"

// Match reports whether room matches pattern. '*' matches any run of bytes,
// including none and including separators such as ':' and '/', so
// "chat:*" grants "chat:lobby" and "chat:a/b". Every other byte, '?'
// included, matches only itself, and comparison is byte-wise (no Unicode
// folding), so grants mean exactly what they say.
func Match(pattern, room string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == room
	}
	if !strings.HasPrefix(room, pattern[:star]) {
		return false
	}
	pattern, room = pattern[star:], room[star:]
	// Greedy scan that backtracks only to the latest '*': with '*' as the
	// sole wildcard this is correct and O(len(pattern)*len(room)) at worst.
	px, rx := 0, 0
	nextPx, nextRx := 0, 0
	for px < len(pattern) || rx < len(room) {
		if px < len(pattern) {
			c := pattern[px]
			if c == '*' {
				nextPx, nextRx = px, rx+1
				px++
				continue
			}
			if rx < len(room) && room[rx] == c {
				px++
				rx++
				continue
			}
		}
		if 0 < nextRx && nextRx <= len(room) {
			px, rx = nextPx, nextRx
			continue
		}
		return false
	}
	return true
}

// Allowed reports whether any of patterns matches room; it is how grants from
// Identity.Join and Identity.Publish are checked.
func Allowed(patterns []string, room string) bool {
	for _, p := range patterns {
		if Match(p, room) {
			return true
		}
	}
	return false
}
