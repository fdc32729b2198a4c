package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Mode is a scenario of BENCH_PROTOCOL.md.
type Mode string

// The scenarios.
const (
	// ModeIdle opens connections and holds them: server bytes per connection.
	ModeIdle Mode = "idle"
	// ModeFanout has one member publish to a room every member receives.
	ModeFanout Mode = "fanout"
	// ModePush is fanout with messages sent through POST /broadcast.
	ModePush Mode = "push"
	// ModeEcho has every connection emit "echo" with an ack in a closed loop.
	ModeEcho Mode = "echo"
	// ModeChurn connects and disconnects sockets while others receive fanout.
	ModeChurn Mode = "churn"
)

// Transports.
const (
	TransportWebSocket = "websocket"
	TransportPolling   = "polling"
)

// Config describes one run. The zero value of every field but Mode and
// Conns takes the default documented on it.
type Config struct {
	Mode Mode
	// URL is the server's base URL, default http://127.0.0.1:3100.
	URL string
	// Path is the Engine.IO path, default /socket.io/.
	Path string
	// BroadcastURL is where ModePush POSTs, default
	// http://127.0.0.1:3101/broadcast.
	BroadcastURL string
	// Transport is "websocket" (default) or "polling".
	Transport string
	// Conns is the number of connections (members, in fanout).
	Conns int
	// Rate is messages per second published (default 20), or churn
	// operations per second in ModeChurn's churn (see ChurnRate).
	Rate float64
	// Messages is the number of messages to publish; 0 means Rate × Duration.
	Messages int
	// Duration is how long the scenario's measured phase lasts: publishing
	// when Messages is 0, the echo loop, the idle hold. Default 10 s.
	Duration time.Duration
	// Payload is the size in bytes of each {"t","p"} payload, default 64.
	Payload int
	// ServerPID is the server's process, for its CPU and RSS; 0 skips them.
	ServerPID int
	// Ramp is connections opened per second, default 1000.
	Ramp float64
	// ChurnRate is connect+disconnect operations per second in ModeChurn,
	// default 50.
	ChurnRate float64
	// Room is the room fanout members join, default "bench".
	Room string
	// Drain bounds the wait for deliveries after the last publish, default
	// 30 s; the wait also ends after DrainIdle without a delivery (5 s).
	Drain     time.Duration
	DrainIdle time.Duration
	// ConnectTimeout bounds the wait for every connection to be ready
	// beyond the ramp's own time, default 30 s.
	ConnectTimeout time.Duration
	// RSSEvery is the interval of server RSS samples during the measured
	// phase, default 10 s.
	RSSEvery time.Duration
	// Loops is the number of event loops of the client, default GOMAXPROCS.
	Loops int
	// Name and Scenario label the result (server name, scenario name).
	Name, Scenario string
	// Progress receives one line a second; nil for none.
	Progress io.Writer
}

// withDefaults validates c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	switch c.Mode {
	case ModeIdle, ModeFanout, ModePush, ModeEcho, ModeChurn:
	default:
		return c, fmt.Errorf("unknown mode %q (want idle, fanout, push, echo or churn)", c.Mode)
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defStr := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	defStr(&c.URL, "http://127.0.0.1:3100")
	defStr(&c.Path, "/socket.io/")
	defStr(&c.BroadcastURL, "http://127.0.0.1:3101/broadcast")
	defStr(&c.Transport, TransportWebSocket)
	defStr(&c.Room, "bench")
	def(&c.Rate, 20)
	def(&c.Ramp, 1000)
	def(&c.ChurnRate, 50)
	defDur(&c.Duration, 10*time.Second)
	defDur(&c.Drain, 30*time.Second)
	defDur(&c.DrainIdle, 5*time.Second)
	defDur(&c.ConnectTimeout, 30*time.Second)
	defDur(&c.RSSEvery, 10*time.Second)
	if c.Payload == 0 {
		c.Payload = 64
	}
	if c.Messages == 0 {
		c.Messages = int(c.Rate * c.Duration.Seconds())
	}
	if !strings.HasPrefix(c.Path, "/") {
		c.Path = "/" + c.Path
	}
	if !strings.HasSuffix(c.Path, "/") {
		c.Path += "/"
	}
	var errs []error
	if c.Conns <= 0 {
		errs = append(errs, fmt.Errorf("conns must be positive, got %d", c.Conns))
	}
	if c.Transport != TransportWebSocket && c.Transport != TransportPolling {
		errs = append(errs, fmt.Errorf("unknown transport %q (want websocket or polling)", c.Transport))
	}
	if c.Rate < 0 || c.Ramp < 0 || c.ChurnRate < 0 || c.Messages < 0 || c.Payload < 0 || c.Duration < 0 {
		errs = append(errs, errors.New("rates, counts, sizes and durations must not be negative"))
	}
	if c.Mode == ModeFanout || c.Mode == ModePush || c.Mode == ModeChurn {
		if c.Messages == 0 {
			errs = append(errs, errors.New("nothing to publish: set messages, or rate and duration"))
		}
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "ws") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url %q must be http://host:port", c.URL))
	}
	return c, errors.Join(errs...)
}

// hostPort is the server's address for dialing.
func (c Config) hostPort() string {
	u, _ := url.Parse(c.URL)
	if u.Port() == "" {
		return u.Host + ":80"
	}
	return u.Host
}

// pollingURL is the Engine.IO polling endpoint without a session id.
func (c Config) pollingURL() string {
	u, _ := url.Parse(c.URL)
	return "http://" + u.Host + c.Path + "?EIO=4&transport=polling"
}
