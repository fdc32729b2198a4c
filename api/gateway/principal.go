package gateway

import (
	"sync"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/ratelimit"
	"github.com/heraldrt/herald/engine"
)

// principal is who a socket is and what it may do, established by the
// connect middleware and kept as the socket's context.
type principal struct {
	userID  string
	rooms   []string // joined at connect
	join    []string // patterns it may join later
	publish []string // patterns it may publish to

	events *ratelimit.Bucket // nil when event limits are off

	mu         sync.Mutex
	violations []time.Time // refused events in the last minute
}

func principalOf(s *engine.Socket) *principal {
	p, _ := s.Context().(*principal)
	return p
}

func (p *principal) canJoin(room string) bool    { return auth.Allowed(p.join, room) }
func (p *principal) canPublish(room string) bool { return auth.Allowed(p.publish, room) }

// violation records a refused event and reports how many happened within
// the last minute.
func (p *principal) violation(now time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	cut := 0
	for cut < len(p.violations) && now.Sub(p.violations[cut]) > time.Minute {
		cut++
	}
	p.violations = append(p.violations[cut:], now)
	return len(p.violations)
}
