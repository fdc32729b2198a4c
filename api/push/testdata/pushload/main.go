// Command pushload measures the push API of a running node: it connects
// -conns raw WebSocket clients (user u<i>, each in room "bench", with JWTs
// signed by -secret), and for every "note" event they receive whose data
// starts with {"t":<unix ns>, records the time since t. With -rate it
// sends those emits itself, stamped when sent, to the room or to user u0;
// without, it only holds the clients (for wrk, see ../../README.md).
//
// It lives under testdata so that `go build ./...` leaves it out; run it
// with `go run ./api/push/testdata/pushload`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/heraldrt/herald/api/auth"
)

func main() {
	var (
		sio      = flag.String("sio", "http://127.0.0.1:3100", "Socket.IO base URL")
		api      = flag.String("api", "http://127.0.0.1:3101", "push API base URL")
		key      = flag.String("key", "", "API key with the emit scope")
		secret   = flag.String("secret", "", "the node's auth.jwt.secret (HS256)")
		conns    = flag.Int("conns", 1000, "clients")
		rate     = flag.Float64("rate", 0, "emits per second to send; 0 only holds the clients")
		target   = flag.String("target", "room", `"room" (every client) or "user" (u0)`)
		duration = flag.Duration("duration", 20*time.Second, "how long to run")
		warmup   = flag.Duration("warmup", 2*time.Second, "deliveries before this are not recorded")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var h hist
	start := time.Now()
	for i := range *conns {
		c, err := dial(ctx, *sio, *secret, i)
		if err != nil {
			log.Fatalf("client %d: %v", i, err)
		}
		go c.read(&h)
	}
	fmt.Printf("%d clients ready in %v\n", *conns, time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	time.AfterFunc(*warmup, func() { h.on.Store(true) })
	if *rate > 0 {
		to := `{"rooms":["bench"]}`
		if *target == "user" {
			to = `{"users":["u0"]}`
		}
		sent, failed := send(ctx, *api+"/v1/emit", *key, to, *rate)
		fmt.Printf("sent %d emits, %d failed\n", sent, failed)
	} else {
		<-ctx.Done()
	}
	time.Sleep(500 * time.Millisecond) // the last deliveries
	h.print("HTTP request -> client receipt")
}

// hist collects latency samples.
type hist struct {
	on      atomic.Bool
	mu      sync.Mutex
	samples []time.Duration
}

func (h *hist) add(d time.Duration) {
	h.mu.Lock()
	h.samples = append(h.samples, d)
	h.mu.Unlock()
}

func (h *hist) print(label string) {
	h.mu.Lock()
	s := slices.Clone(h.samples)
	h.mu.Unlock()
	if len(s) == 0 {
		fmt.Printf("%s: no samples\n", label)
		return
	}
	slices.Sort(s)
	q := func(p float64) time.Duration {
		return s[min(len(s)-1, int(p*float64(len(s))))].Round(time.Microsecond)
	}
	fmt.Printf("%s: %d deliveries, p50 %v, p90 %v, p99 %v, max %v\n", label, len(s), q(.5), q(.9), q(.99), q(1))
}

// client is one raw WebSocket connection with a socket in "/".
type client struct {
	conn io.Writer
	r    *bufio.Reader
}

func dial(ctx context.Context, base, secret string, i int) (*client, error) {
	tok, err := auth.Sign(auth.SignConfig{Algorithm: "HS256", Secret: []byte(secret)},
		auth.Claims{Subject: "u" + strconv.Itoa(i), Rooms: []string{"bench"}, TTL: 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.Scheme, u.Path, u.RawQuery = "ws", "/socket.io/", "EIO=4&transport=websocket"
	conn, br, _, err := ws.Dial(ctx, u.String())
	if err != nil {
		return nil, err
	}
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	c := &client{conn: conn, r: bufio.NewReaderSize(r, 64<<10)}
	rw := struct {
		io.Reader
		io.Writer
	}{c.r, conn}
	if _, _, err := wsutil.ReadServerData(rw); err != nil {
		return nil, fmt.Errorf("open packet: %w", err)
	}
	if err := wsutil.WriteClientText(conn, []byte(`40{"token":"`+tok+`"}`)); err != nil {
		return nil, err
	}
	msg, _, err := wsutil.ReadServerData(rw)
	if err != nil || !bytes.HasPrefix(msg, []byte("40{")) {
		return nil, fmt.Errorf("connect answer %q: %v", msg, err)
	}
	return c, nil
}

// read records stamped notes and answers pings until the connection ends.
func (c *client) read(h *hist) {
	prefix := []byte(`42["note",{"t":`)
	buf := make([]byte, 64<<10)
	for {
		hd, err := ws.ReadHeader(c.r)
		if err != nil {
			return
		}
		n := int(hd.Length)
		if n > len(buf) {
			buf = make([]byte, n)
		}
		if _, err := io.ReadFull(c.r, buf[:n]); err != nil {
			return
		}
		now := time.Now().UnixNano()
		p := buf[:n]
		switch {
		case bytes.HasPrefix(p, prefix):
			j := len(prefix)
			k := j
			for k < len(p) && '0' <= p[k] && p[k] <= '9' {
				k++
			}
			if t, _ := strconv.ParseInt(string(p[j:k]), 10, 64); t > 0 && h.on.Load() {
				h.add(time.Duration(now - t))
			}
		case n == 1 && p[0] == '2':
			_ = wsutil.WriteClientText(c.conn, []byte("3"))
		}
	}
}

// send posts stamped emits at rate until ctx ends, 16 at most in flight.
func send(ctx context.Context, endpoint, key, targets string, rate float64) (sent, failed int64) {
	var ok, bad atomic.Int64
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return ok.Load(), bad.Load()
		case <-tick.C:
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			body := fmt.Sprintf(`{"event":"note","data":{"t":%d,"p":"a payload of about sixty bytes, as a chat message"},"targets":%s}`,
				time.Now().UnixNano(), targets)
			req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := hc.Do(req)
			if err != nil {
				bad.Add(1)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				bad.Add(1)
				return
			}
			ok.Add(1)
		}()
	}
}
