// Package enginetest is a small Socket.IO v5 client over WebSocket for
// tests and examples, in the spirit of net/http/httptest: blocking calls,
// a goroutine per connection, no reconnection. It is not for production.
package enginetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/heraldrt/herald/protocol/socketio"
)

// Client is one Engine.IO connection carrying sockets for namespaces.
type Client struct {
	conn net.Conn
	r    io.Reader
	wmu  sync.Mutex

	mu      sync.Mutex
	sockets map[string]*Socket
	connect map[string]chan connectResult
	closed  error
	done    chan struct{}
	re      socketio.Reassembler
}

type connectResult struct {
	sid string
	err error
}

// Dial opens a WebSocket connection to a Socket.IO server. rawURL is the
// server's base, such as "http://127.0.0.1:3000"; the path /socket.io/ is
// added unless the URL names one.
func Dial(ctx context.Context, rawURL string) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("enginetest: %w", err)
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	if u.Path == "" || u.Path == "/" {
		u.Path = "/socket.io/"
	}
	q := u.Query()
	q.Set("EIO", "4")
	q.Set("transport", "websocket")
	u.RawQuery = q.Encode()
	conn, br, _, err := ws.Dial(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("enginetest: dial: %w", err)
	}
	c := &Client{
		conn:    conn,
		r:       conn,
		sockets: make(map[string]*Socket),
		connect: make(map[string]chan connectResult),
		done:    make(chan struct{}),
	}
	if br != nil {
		c.r = io.MultiReader(br, conn)
	}
	open, err := c.read()
	if err != nil || len(open) == 0 || open[0] != '0' {
		conn.Close()
		return nil, fmt.Errorf("enginetest: no open packet: %v", err)
	}
	go c.loop()
	return c, nil
}

// Close closes the connection.
func (c *Client) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

func (c *Client) read() ([]byte, error) {
	msg, op, err := wsutil.ReadServerData(struct {
		io.Reader
		io.Writer
	}{c.r, c.conn})
	if err != nil {
		return nil, err
	}
	if op == ws.OpBinary {
		return append([]byte{'b'}, msg...), nil
	}
	return msg, nil
}

func (c *Client) write(op ws.OpCode, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return wsutil.WriteClientMessage(c.conn, op, b)
}

func (c *Client) send(text []byte, atts [][]byte) error {
	if err := c.write(ws.OpText, append([]byte{'4'}, text...)); err != nil {
		return err
	}
	for _, a := range atts {
		if err := c.write(ws.OpBinary, a); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) loop() {
	defer close(c.done)
	var err error
	for {
		var msg []byte
		if msg, err = c.read(); err != nil {
			break
		}
		if msg[0] == 'b' {
			if done, e := c.re.Add(msg[1:]); e == nil && done {
				p, atts := c.re.Packet()
				c.dispatch(p, atts)
			}
			continue
		}
		switch msg[0] {
		case '2':
			_ = c.write(ws.OpText, []byte("3"))
		case '4':
			p, e := socketio.Decode(msg[1:], 0)
			if e != nil {
				continue
			}
			if p.Attachments > 0 {
				c.re.Start(p)
				continue
			}
			c.re.Start(p) // copies the packet out of msg
			p, _ = c.re.Packet()
			c.dispatch(p, nil)
		}
	}
	c.mu.Lock()
	c.closed = err
	for _, ch := range c.connect {
		ch <- connectResult{err: fmt.Errorf("enginetest: connection closed: %w", err)}
	}
	for _, s := range c.sockets {
		s.closeWith(err)
	}
	c.mu.Unlock()
}

func (c *Client) dispatch(p socketio.Packet, atts [][]byte) {
	nsp := string(p.Namespace)
	c.mu.Lock()
	s := c.sockets[nsp]
	ch := c.connect[nsp]
	c.mu.Unlock()
	switch p.Type {
	case socketio.Connect, socketio.ConnectError:
		if ch == nil {
			return
		}
		c.mu.Lock()
		delete(c.connect, nsp)
		c.mu.Unlock()
		if p.Type == socketio.ConnectError {
			ch <- connectResult{err: &ConnectError{raw: append(json.RawMessage(nil), p.Data...)}}
			return
		}
		var body struct {
			SID string `json:"sid"`
		}
		_ = json.Unmarshal(p.Data, &body)
		ch <- connectResult{sid: body.SID}
	case socketio.Event, socketio.BinaryEvent:
		if s == nil {
			return
		}
		name, args, err := p.Event()
		if err != nil {
			return
		}
		e := Event{Name: name, Args: splitArgs(args, atts)}
		if p.HasID {
			id := p.ID
			e.ack = func(args ...any) error { return s.ack(id, args) }
		}
		s.events <- e
	case socketio.Ack, socketio.BinaryAck:
		if s == nil {
			return
		}
		args, err := p.AckArgs()
		if err != nil {
			return
		}
		s.resolve(p.ID, splitArgs(args, atts))
	case socketio.Disconnect:
		if s != nil {
			c.mu.Lock()
			delete(c.sockets, nsp)
			c.mu.Unlock()
			s.closeWith(ErrServerDisconnect)
		}
	}
}

// ErrServerDisconnect ends a socket that the server disconnected.
var ErrServerDisconnect = errors.New("enginetest: server namespace disconnect")

// ConnectError is the server's refusal of a CONNECT.
type ConnectError struct{ raw json.RawMessage }

func (e *ConnectError) Error() string { return "enginetest: connect_error " + string(e.raw) }

// Message is the refusal's message.
func (e *ConnectError) Message() string {
	var v struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(e.raw, &v)
	return v.Message
}

// Data is the refusal's data, as JSON.
func (e *ConnectError) Data() json.RawMessage {
	var v struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(e.raw, &v)
	return v.Data
}

// Connect joins namespace nsp with an auth payload (nil for none) and
// waits for the server's answer.
func (c *Client) Connect(ctx context.Context, nsp string, auth any) (*Socket, error) {
	ch := make(chan connectResult, 1)
	c.mu.Lock()
	if c.closed != nil {
		c.mu.Unlock()
		return nil, c.closed
	}
	c.connect[nsp] = ch
	c.mu.Unlock()
	pkt := socketio.AppendHeader(nil, socketio.Connect, nsp, 0, 0, false)
	if auth != nil {
		b, err := json.Marshal(auth)
		if err != nil {
			return nil, err
		}
		pkt = append(pkt, b...)
	}
	s := &Socket{c: c, nsp: nsp, events: make(chan Event, 1024), acks: make(map[uint64]chan Args), done: make(chan struct{})}
	c.mu.Lock()
	c.sockets[nsp] = s
	c.mu.Unlock()
	if err := c.send(pkt, nil); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.err != nil {
			c.mu.Lock()
			delete(c.sockets, nsp)
			c.mu.Unlock()
			return nil, r.err
		}
		s.ID = r.sid
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func splitArgs(raw socketio.Args, atts [][]byte) Args {
	var out Args
	raw.Each(func(_ int, a []byte) bool {
		out.Raw = append(out.Raw, append(json.RawMessage(nil), a...))
		return true
	})
	out.Attachments = atts
	return out
}
