package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// pollShards is the number of statistics shards polling connections are
// spread over, to keep their atomic adds from contending.
const pollShards = 8

var (
	errPollStatus = errors.New("polling request failed")
	errNoOpen     = errors.New("polling handshake: no open packet")
)

// pollingTransport runs Engine.IO long-polling over net/http. Unlike the
// websocket transport it spends goroutines per connection (a GET loop and a
// POST loop), as polling costs one HTTP exchange per batch of packets and
// the server's side of that exchange dominates; it exists to measure the
// polling path, not to hold the largest counts.
type pollingTransport struct {
	run    *run
	hc     *http.Client
	base   string
	shards [pollShards]*shard
	next   atomic.Uint32
	wg     sync.WaitGroup
}

// pollConn is one polling connection. mu serialises its session (packets
// from the GET loop, exec from drivers) and guards its outbound queue.
type pollConn struct {
	session
	t      *pollingTransport
	url    string // base URL with the sid
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	buf     []byte // scratch for building packets
	pending []byte // queued packets, separated by 0x1e
	wake    chan struct{}
}

func newPollingTransport(r *run) *pollingTransport {
	t := &pollingTransport{
		run:  r,
		base: r.cfg.pollingURL(),
		hc: &http.Client{
			// A long-poll lasts up to the ping interval (25 s by default).
			Timeout: 60 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        0,
				MaxIdleConnsPerHost: 2*r.cfg.Conns + 64,
				IdleConnTimeout:     90 * time.Second,
				DisableCompression:  true,
			},
		},
	}
	for i := range t.shards {
		t.shards[i] = r.newShard()
	}
	return t
}

// dial performs the Engine.IO handshake, then starts the connection's GET
// and POST loops.
func (t *pollingTransport) dial(ctx context.Context, rl role) (conn, error) {
	c := &pollConn{
		session: session{run: t.run, role: rl, state: stOpening},
		t:       t,
		wake:    make(chan struct{}, 1),
	}
	c.shard = t.shards[t.next.Add(1)%pollShards]
	body, err := t.get(ctx, t.base)
	if err != nil {
		return nil, fmt.Errorf("polling handshake: %w", err)
	}
	first, _, _ := bytes.Cut(body, []byte{pollingSeparator})
	if len(first) == 0 || first[0] != eioOpen {
		return nil, errNoOpen
	}
	sid, ok := scanSID(first)
	if !ok {
		return nil, fmt.Errorf("%w: no sid in %q", errNoOpen, first)
	}
	c.url = t.base + "&sid=" + sid
	c.ctx, c.cancel = context.WithCancel(context.Background())
	t.run.conns.open.Add(1)
	now := time.Now().UnixNano()
	c.mu.Lock()
	err = splitPayload(body, func(pkt []byte) error { return c.handle(c, pkt, now) })
	c.mu.Unlock()
	t.wg.Add(2)
	go c.pollLoop()
	go c.postLoop()
	if err != nil {
		c.finish(err)
	}
	return c, nil
}

func (t *pollingTransport) stop() error {
	t.wg.Wait()
	t.hc.CloseIdleConnections()
	return nil
}

// get performs a GET and returns its body.
func (t *pollingTransport) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return t.do(req)
}

func (t *pollingTransport) do(req *http.Request) ([]byte, error) {
	resp, err := t.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// A payload is bounded as a WebSocket frame is: more is a broken server.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFrame+1))
	if err != nil {
		return nil, fmt.Errorf("%s body: %w", req.Method, err)
	}
	if len(body) > maxFrame {
		return nil, fmt.Errorf("%s body over %d bytes", req.Method, maxFrame)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s %s: %.200s", errPollStatus, req.Method, resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// pollLoop long-polls until the connection closes, handing each packet to
// the session.
func (c *pollConn) pollLoop() {
	defer c.t.wg.Done()
	for c.ctx.Err() == nil {
		body, err := c.t.get(c.ctx, c.url)
		if err != nil {
			c.finish(err)
			return
		}
		now := time.Now().UnixNano()
		c.mu.Lock()
		if c.state < stClosing {
			err = splitPayload(body, func(pkt []byte) error { return c.handle(c, pkt, now) })
		}
		closing := c.state >= stClosing
		c.mu.Unlock()
		if err != nil || closing {
			c.finish(err)
			return
		}
	}
}

// postLoop sends queued packets, one POST at a time as Engine.IO requires.
func (c *pollConn) postLoop() {
	defer c.t.wg.Done()
	var body []byte
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		}
		c.mu.Lock()
		body, c.pending = c.pending, body[:0]
		c.mu.Unlock()
		if len(body) == 0 {
			continue
		}
		req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, c.url, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
			_, err = c.t.do(req)
		}
		if err != nil {
			c.finish(err)
			return
		}
	}
}

// finish accounts for the end of the connection and stops its loops.
func (c *pollConn) finish(err error) {
	c.mu.Lock()
	if c.ctx.Err() != nil {
		c.mu.Unlock()
		return
	}
	if err != nil {
		c.run.fail(&c.session, err)
	}
	c.state = stClosing
	c.cancel()
	c.mu.Unlock()
	c.run.conns.open.Add(-1)
}

func (c *pollConn) scratch() []byte { return c.buf[:0] }

// send queues a packet for the POST loop; called with mu held.
func (c *pollConn) send(pkt []byte) error {
	c.buf = pkt[:0]
	if len(c.pending) > 0 {
		c.pending = append(c.pending, pollingSeparator)
	}
	c.pending = append(c.pending, pkt...)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// close, called by the session with mu held, tells the server the session
// ends and stops the loops once that is sent.
func (c *pollConn) close() {
	pending := c.pending
	if len(pending) > 0 {
		pending = append(pending, pollingSeparator)
	}
	pending = append(pending, pktClose...)
	c.pending = nil
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(pending)); err == nil {
			_, _ = c.t.do(req)
		}
		c.finish(nil)
	}()
}

func (c *pollConn) exec(f func(s *session, o out) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state >= stClosing {
		return nil
	}
	if err := f(&c.session, c); err != nil {
		c.run.fail(&c.session, err)
		c.state = stClosing
		go c.finish(nil)
	}
	return nil
}

func (c *pollConn) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state >= stClosing {
		return
	}
	c.state = stClosing
	c.close()
}
