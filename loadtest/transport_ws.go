package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/heraldrt/herald/protocol/websocket"
)

// maxFrame bounds a server frame, as Engine.IO's default maxHttpBufferSize
// bounds packets (1e6 bytes); a bigger one means the server is broken.
const maxFrame = 1 << 20

// maxResponseHead bounds the HTTP upgrade response head.
const maxResponseHead = 16 << 10

var (
	errUpgradeStatus = errors.New("websocket upgrade refused")
	errUpgradeAccept = errors.New("websocket upgrade: wrong Sec-WebSocket-Accept")
	errUpgradeHead   = errors.New("websocket upgrade: response head too large")
	errWSClose       = errors.New("server sent a websocket close frame")
)

// wsTransport runs websocket connections on gnet's client event loops: one
// loop per core serves every connection, reading with epoll, and parsing
// frames in place in the loop's read buffer. No goroutine exists per
// connection, so the generator's cost per message is a read system call
// and a few hundred nanoseconds of scanning, and it stays well below the
// server's.
type wsTransport struct {
	gnet.BuiltinEventEngine
	run  *run
	cli  *gnet.Client
	addr string
	// request is the HTTP upgrade request, the same for every connection:
	// the key is random per run, which servers treat as opaque, so that
	// the expected accept value is computed once.
	request []byte
	accept  []byte

	mu     sync.Mutex
	shards map[gnet.EventLoop]*shard
}

// wsConn is one websocket connection: its session and the gnet connection,
// set on the loop when it opens.
type wsConn struct {
	session
	t   *wsTransport
	gc  gnet.Conn
	asm assembler
}

func newWSTransport(r *run) (*wsTransport, error) {
	var key [16]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, fmt.Errorf("websocket key: %w", err)
	}
	k := base64.StdEncoding.EncodeToString(key[:])
	t := &wsTransport{
		run:    r,
		addr:   r.cfg.hostPort(),
		accept: websocket.AppendAccept(nil, []byte(k)),
		shards: make(map[gnet.EventLoop]*shard),
	}
	t.request = fmt.Appendf(nil, "GET %s?EIO=4&transport=websocket HTTP/1.1\r\n"+
		"Host: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", r.cfg.Path, t.addr, k)
	loops := r.cfg.Loops
	if loops <= 0 {
		loops = runtime.GOMAXPROCS(0)
	}
	cli, err := gnet.NewClient(t,
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(loops),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(quietLogger{}),
	)
	if err != nil {
		return nil, fmt.Errorf("gnet client: %w", err)
	}
	if err := cli.Start(); err != nil {
		return nil, fmt.Errorf("start gnet client: %w", err)
	}
	t.cli = cli
	return t, nil
}

// dialTimeout bounds a TCP connect: a server whose accept queue is full
// drops SYNs, and the kernel's retries would otherwise take minutes.
const dialTimeout = 10 * time.Second

// dial connects with the standard dialer, then hands the socket to gnet,
// which takes a duplicate of its descriptor and closes the original.
func (t *wsTransport) dial(ctx context.Context, rl role) (conn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.addr, err)
	}
	c := &wsConn{session: session{run: t.run, role: rl}, t: t}
	if _, err := t.cli.EnrollContext(nc, c); err != nil {
		return nil, fmt.Errorf("enroll %s: %w", t.addr, err)
	}
	return c, nil
}

func (t *wsTransport) stop() error {
	if err := t.cli.Stop(); err != nil {
		return fmt.Errorf("stop gnet client: %w", err)
	}
	return nil
}

// shardOf returns the statistics shard of an event loop.
func (t *wsTransport) shardOf(el gnet.EventLoop) *shard {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.shards[el]
	if s == nil {
		s = t.run.newShard()
		t.shards[el] = s
	}
	return s
}

// OnOpen sends the upgrade request as soon as TCP is up.
func (t *wsTransport) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	c := gc.Context().(*wsConn)
	c.gc = gc
	c.shard = t.shardOf(gc.EventLoop())
	t.run.conns.open.Add(1)
	return t.request, gnet.None
}

// OnTraffic parses whatever the loop read: every complete frame is handled
// where it lies, and a partial one stays in gnet's buffer for next time.
func (t *wsTransport) OnTraffic(gc gnet.Conn) gnet.Action {
	c := gc.Context().(*wsConn)
	buf, _ := gc.Peek(-1)
	n, err := c.consume(buf)
	_, _ = gc.Discard(n)
	if err != nil {
		t.run.fail(&c.session, err)
		return gnet.Close
	}
	if c.state == stClosing {
		return gnet.Close
	}
	return gnet.None
}

func (t *wsTransport) OnClose(gc gnet.Conn, err error) gnet.Action {
	c := gc.Context().(*wsConn)
	t.run.conns.open.Add(-1)
	t.run.fail(&c.session, err)
	return gnet.None
}

// consume handles the upgrade response and then frames, returning how many
// bytes of buf it used.
func (c *wsConn) consume(buf []byte) (int, error) {
	n := 0
	if c.state == stUpgrading {
		end := bytes.Index(buf, []byte("\r\n\r\n"))
		if end < 0 {
			if len(buf) > maxResponseHead {
				return 0, errUpgradeHead
			}
			return 0, nil
		}
		if err := checkUpgrade(buf[:end], c.t.accept); err != nil {
			return 0, err
		}
		n = end + 4
		c.state = stOpening
	}
	// One clock read for everything this read brought: the frames arrived
	// together.
	now := time.Now().UnixNano()
	for c.state < stClosing {
		f, m, err := parseFrame(buf[n:], maxFrame)
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
		if err := c.frame(f, now); err != nil {
			return n, err
		}
	}
	return n, nil
}

// frame handles one frame: control frames here, messages in the session.
func (c *wsConn) frame(f frame, now int64) error {
	switch f.op {
	case opPing:
		return c.sendFrame(opPong, f.payload)
	case opPong:
		return nil
	case opClose:
		_ = c.sendFrame(opClose, f.payload[:min(len(f.payload), 2)])
		return errWSClose
	}
	op, msg, done, err := c.asm.add(f, maxFrame)
	if err != nil || !done || op == opBinary {
		// Binary frames carry attachments, which the bench never sends.
		return err
	}
	return c.handle(c, msg, now)
}

// sendFrame writes one masked frame from the loop's scratch buffer.
func (c *wsConn) sendFrame(op byte, p []byte) error {
	fr := appendFrame(c.shard.frame[:0], op, p)
	c.shard.frame = fr[:0]
	if _, err := c.gc.Write(fr); err != nil {
		return fmt.Errorf("websocket write: %w", err)
	}
	return nil
}

func (c *wsConn) scratch() []byte { return c.shard.pkt[:0] }

func (c *wsConn) send(pkt []byte) error {
	c.shard.pkt = pkt[:0]
	return c.sendFrame(opText, pkt)
}

// close is called by the session on the loop; gnet closes asynchronously,
// after this turn's writes.
func (c *wsConn) close() { _ = c.gc.Close() }

func (c *wsConn) shutdown() { _ = c.gc.Close() }

func (c *wsConn) exec(f func(s *session, o out) error) error {
	return c.gc.EventLoop().Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		if c.state >= stClosing {
			return nil
		}
		if err := f(&c.session, c); err != nil {
			c.run.fail(&c.session, err)
			_ = c.gc.Close()
		}
		return nil
	}))
}

// checkUpgrade verifies the upgrade response head (without its final
// CRLFCRLF): status 101 and the accept value for the run's key.
func checkUpgrade(head, accept []byte) error {
	status, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 101")) {
		return fmt.Errorf("%w: %q", errUpgradeStatus, status)
	}
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("Sec-WebSocket-Accept")) {
			if !bytes.Equal(bytes.TrimSpace(value), accept) {
				return errUpgradeAccept
			}
			return nil
		}
	}
	return errUpgradeAccept
}

// quietLogger keeps gnet's informational logging off the progress output;
// its warnings and errors are rare and still worth seeing.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gnet: warning: "+f+"\n", a...)
}
func (quietLogger) Errorf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gnet: error: "+f+"\n", a...)
}
func (quietLogger) Fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gnet: fatal: "+f+"\n", a...)
}
