package engine

import (
	"sync"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// pendingAck waits for the client's answer to one emit. It lives in the
// socket's ack table on the home loop.
type pendingAck struct {
	fn     AckFunc
	direct bool // fn only hands off, so it may run on the loop
	bc     *AckCollector
	timer  eio.Timer
}

// addAck registers a wait for ack id. Home loop only.
func (s *Socket) addAck(id uint64, a *pendingAck, timeout time.Duration) {
	if s.acks == nil {
		s.acks = make(map[uint64]*pendingAck)
	}
	s.acks[id] = a
	if timeout > 0 {
		s.sess.Loop().Schedule(&a.timer, timeout, func() {
			if s.acks[id] == a {
				delete(s.acks, id)
				s.ns.srv.resolve(a, Args{}, ErrAckTimeout)
			}
		})
	}
}

// onAck resolves the wait for id with the client's arguments. Unknown ids
// are ignored, as the reference does. Home loop only.
func (s *Socket) onAck(id uint64, args Args) {
	a := s.acks[id]
	if a == nil {
		return
	}
	delete(s.acks, id)
	s.sess.Loop().Cancel(&a.timer)
	if a.bc != nil {
		a.bc.add(args)
		return
	}
	s.ns.srv.resolve(a, args, nil)
}

// dropAck forgets the wait for id without calling it. Home loop only.
func (s *Socket) dropAck(id uint64) {
	if a := s.acks[id]; a != nil {
		delete(s.acks, id)
		s.sess.Loop().Cancel(&a.timer)
	}
}

// failAcks ends every wait when the socket disconnects. Home loop only.
func (s *Socket) failAcks() {
	for id, a := range s.acks {
		delete(s.acks, id)
		s.sess.Loop().Cancel(&a.timer)
		if a.fn != nil {
			s.ns.srv.resolve(a, Args{}, ErrDisconnected)
		}
	}
	s.acks = nil
}

// resolve calls a's function: on the loop when it only hands off, else on
// a worker, since user code may block.
func (srv *Server) resolve(a *pendingAck, args Args, err error) {
	if a.fn == nil {
		return
	}
	if a.direct || srv.cfg.InlineHandlers {
		a.fn(args, err)
		return
	}
	q := &serial{w: srv.pool}
	q.do(func() { a.fn(args, err) }, 0)
}

// AckCollector gathers the acknowledgements of one broadcast, from this
// node and, through a cluster adapter, from others.
type AckCollector struct {
	mu        sync.Mutex
	expected  int
	pending   int // sources (loops, nodes) that have not reported a count
	responses []Args
	done      chan struct{}
	closed    bool
	// timeout, when set, also bounds each recipient's wait entry, so that
	// clients that never answer do not keep entries forever.
	timeout time.Duration
	// maxBytes, when set, bounds the answers kept; later ones are
	// counted in dropped, so that the broadcast still completes.
	maxBytes, bytes, dropped int
}

// NewAckCollector expects counts from sources reporters.
func NewAckCollector(sources int) *AckCollector {
	return &AckCollector{pending: sources, done: make(chan struct{})}
}

// AddSources announces more reporters of counts, such as remote nodes.
func (c *AckCollector) AddSources(n int) {
	c.mu.Lock()
	c.pending += n
	c.mu.Unlock()
}

// Count reports how many clients one source sent the packet to.
func (c *AckCollector) Count(n int) {
	c.mu.Lock()
	c.expected += n
	c.pending--
	c.check()
	c.mu.Unlock()
}

// Add records one client's answer.
func (c *AckCollector) Add(args Args) { c.add(args) }

func (c *AckCollector) add(args Args) {
	c.mu.Lock()
	n := 0
	if c.maxBytes > 0 {
		n = args.Size()
	}
	if c.maxBytes > 0 && c.bytes+n > c.maxBytes {
		c.dropped++
	} else {
		c.responses = append(c.responses, args)
		c.bytes += n
	}
	c.check()
	c.mu.Unlock()
}

func (c *AckCollector) check() {
	if !c.closed && c.pending <= 0 && len(c.responses)+c.dropped >= c.expected {
		c.closed = true
		close(c.done)
	}
}

// Wait blocks until every expected answer came, or until timeout (when
// positive) or done; it returns what arrived.
func (c *AckCollector) Wait(timeout time.Duration, done <-chan struct{}) ([]Args, error) {
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-c.done:
	case <-expire:
	case <-done:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]Args(nil), c.responses...)
	switch {
	case !c.closed:
		return out, &AckTimeoutError{Expected: c.expected, Responses: out, Dropped: c.dropped}
	case c.dropped > 0:
		return out, &AckLimitError{Expected: c.expected, Responses: out, Dropped: c.dropped}
	}
	return out, nil
}
