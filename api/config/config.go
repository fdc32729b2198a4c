// Package config holds the configuration of a Herald node: its schema and
// defaults, loading from a YAML file, HERALD_* environment variables and
// command-line settings, validation, and a redacted rendering for
// `herald config print`.
//
// Precedence, lowest first: defaults, the file, the environment, flags.
package config

import "time"

// Config is the whole configuration of a node. Field names in YAML, in
// environment variables (HERALD_ plus the path in capitals, joined by
// underscores) and in --set paths (dotted) follow the yaml tags.
type Config struct {
	// Listen is the Socket.IO address browsers connect to.
	Listen string `yaml:"listen"`
	// APIListen serves the push API, /metrics, /healthz, /readyz and the
	// dashboard.
	APIListen string `yaml:"api_listen"`
	// Path is where Socket.IO is served.
	Path string `yaml:"path"`
	// Namespaces clients may connect to.
	Namespaces []string `yaml:"namespaces"`
	// DataDir keeps the node's local state: the development JWT secret.
	// Empty means $XDG_DATA_HOME/herald, or ~/.local/share/herald.
	DataDir string `yaml:"data_dir"`

	Engine   Engine   `yaml:"engine"`
	Auth     Auth     `yaml:"auth"`
	Rooms    Rooms    `yaml:"rooms"`
	Events   Events   `yaml:"events"`
	Backend  Backend  `yaml:"backend"`
	Webhooks Webhooks `yaml:"webhooks"`
	Limits   Limits   `yaml:"limits"`
	API      API      `yaml:"api"`
	Log      Log      `yaml:"log"`

	// ShutdownTimeout bounds a graceful shutdown: sockets are told the
	// server is shutting down and queued output drains until then.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// Engine configures Engine.IO and the Socket.IO runtime.
type Engine struct {
	PingInterval   Duration `yaml:"ping_interval"`
	PingTimeout    Duration `yaml:"ping_timeout"`
	UpgradeTimeout Duration `yaml:"upgrade_timeout"`
	ConnectTimeout Duration `yaml:"connect_timeout"`
	// MaxPayload bounds a message and a polling body, in bytes.
	MaxPayload int `yaml:"max_payload"`
	// Transports clients may use: polling, websocket.
	Transports []string `yaml:"transports"`
	// Loops is the number of event loops; 0 means one per CPU.
	Loops int `yaml:"loops"`
	// MaxOutboundBytes bounds a connection's unsent output; a client that
	// lets more pile up is disconnected as a slow consumer.
	MaxOutboundBytes int `yaml:"max_outbound_bytes"`
	// MaxAckBytes bounds the client answers one emit with acks keeps.
	MaxAckBytes int `yaml:"max_ack_bytes"`
	// Workers run event handlers; 0 picks a default.
	Workers int `yaml:"workers"`
	// CORS for browsers on other origins using the polling transport.
	CORS CORS `yaml:"cors"`
	// Cookie sends the session id in an "io" cookie, for sticky sessions.
	Cookie bool `yaml:"cookie"`
}

// CORS lists the allowed origins; "*" allows any.
type CORS struct {
	Origins     []string `yaml:"origins"`
	Credentials bool     `yaml:"credentials"`
}

// Auth modes.
const (
	AuthJWT       = "jwt"
	AuthHook      = "hook"
	AuthAnonymous = "anonymous"
)

// Auth says how connecting clients prove who they are.
type Auth struct {
	// Mode is jwt (the default), hook (the backend decides), or anonymous
	// (development only: every client is let in under a random user id).
	Mode string `yaml:"mode"`
	JWT  JWT    `yaml:"jwt"`
	Hook Hook   `yaml:"hook"`
}

// JWT configures token verification.
type JWT struct {
	// Algorithms allowed; default HS256.
	Algorithms []string `yaml:"algorithms"`
	// Secret is the HMAC key for HS256/384/512.
	Secret Secret `yaml:"secret"`
	// PublicKeys are PEM files for RS256, ES256 and EdDSA.
	PublicKeys []KeyFile `yaml:"public_keys"`
	// JWKSURL is fetched for keys by kid.
	JWKSURL string `yaml:"jwks_url"`
	// Issuer and Audience, when set, must match the token.
	Issuer   string   `yaml:"issuer"`
	Audience []string `yaml:"audience"`
	// Leeway tolerates clock skew on exp and nbf.
	Leeway Duration `yaml:"leeway"`
	// PrivateKeyFile lets `herald token` mint RS256, ES256 and EdDSA test
	// tokens; HS* tokens use Secret.
	PrivateKeyFile string `yaml:"private_key_file"`
}

// KeyFile names a PEM public key and the kid it answers to.
type KeyFile struct {
	ID   string `yaml:"id"`
	File string `yaml:"file"`
}

// Hook asks the backend who a connecting client is, instead of a JWT.
type Hook struct {
	URL     string            `yaml:"url"`
	Timeout Duration          `yaml:"timeout"`
	Headers map[string]Secret `yaml:"headers"`
}

// Rooms grants room rights beyond those in tokens.
type Rooms struct {
	// UserPrefix names each user's room: UserPrefix + user id.
	UserPrefix string `yaml:"user_prefix"`
	// Join lists room patterns any authenticated socket may join; '*'
	// matches any run of characters.
	Join []string `yaml:"join"`
	// Publish lists room patterns any authenticated socket may publish to.
	Publish []string `yaml:"publish"`
}

// Events names the built-in room operations clients can emit.
type Events struct {
	Join    string `yaml:"join"`
	Leave   string `yaml:"leave"`
	Publish string `yaml:"publish"`
}

// Backend receives forwarded client events.
type Backend struct {
	URL string `yaml:"url"`
	// Forward lists the event names or patterns sent to URL.
	Forward     []string          `yaml:"forward"`
	Timeout     Duration          `yaml:"timeout"`
	MaxInFlight int               `yaml:"max_in_flight"`
	Headers     map[string]Secret `yaml:"headers"`
	Breaker     Breaker           `yaml:"breaker"`
}

// Breaker stops calls to a failing backend for a while.
type Breaker struct {
	Failures int      `yaml:"failures"`
	Cooldown Duration `yaml:"cooldown"`
}

// Webhooks receive connect and disconnect events.
type Webhooks struct {
	URL         string   `yaml:"url"`
	Events      []string `yaml:"events"`
	Timeout     Duration `yaml:"timeout"`
	MaxAttempts int      `yaml:"max_attempts"`
	QueueSize   int      `yaml:"queue_size"`
	// Secret signs each delivery (HMAC-SHA256) when set.
	Secret Secret `yaml:"secret"`
}

// Limits protect the node from abusive clients.
type Limits struct {
	// EventRate is the sustained events per second one socket may send,
	// EventBurst the bucket size; excess events get an error ack.
	EventRate  float64 `yaml:"event_rate"`
	EventBurst int     `yaml:"event_burst"`
	// MaxViolations disconnects a socket after that many refused events
	// within a minute.
	MaxViolations int `yaml:"max_violations"`
	// ConnRatePerIP and ConnBurstPerIP bound new connections per client
	// address.
	ConnRatePerIP  float64 `yaml:"conn_rate_per_ip"`
	ConnBurstPerIP int     `yaml:"conn_burst_per_ip"`
	// MaxConnections bounds the node's open connections.
	MaxConnections int `yaml:"max_connections"`
	// MaxRooms bounds the rooms a socket may be in, its own and its
	// user's included, when it asks to join one; MaxRoomName bounds the
	// length in bytes of a room name a client sends. A joined room lives
	// as long as the socket, so both bound what one client can hold.
	MaxRooms    int `yaml:"max_rooms"`
	MaxRoomName int `yaml:"max_room_name"`
}

// API configures the push API.
type API struct {
	Keys    []APIKey `yaml:"keys"`
	Signing Signing  `yaml:"signing"`
	// Rate and Burst limit each key's requests.
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
	// MaxBody bounds a request body in bytes.
	MaxBody int  `yaml:"max_body"`
	CORS    CORS `yaml:"cors"`
}

// APIKey is one backend credential with its scopes: emit, read, admin.
type APIKey struct {
	Name   string   `yaml:"name"`
	Key    Secret   `yaml:"key"`
	Scopes []string `yaml:"scopes"`
}

// Signing requires an HMAC-SHA256 signature on push API requests.
type Signing struct {
	Secret Secret   `yaml:"secret"`
	Window Duration `yaml:"window"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// Default returns the embedded default: one node, in memory, listening on
// loopback, JWT with HS256 (a secret must be configured to connect).
func Default() Config {
	return Config{
		Listen:     "127.0.0.1:3000",
		APIListen:  "127.0.0.1:3001",
		Path:       "/socket.io/",
		Namespaces: []string{"/"},
		Engine: Engine{
			PingInterval:     Duration(25 * time.Second),
			PingTimeout:      Duration(20 * time.Second),
			UpgradeTimeout:   Duration(10 * time.Second),
			ConnectTimeout:   Duration(45 * time.Second),
			MaxPayload:       1e6,
			Transports:       []string{"polling", "websocket"},
			MaxOutboundBytes: 4 << 20,
			MaxAckBytes:      16 << 20,
		},
		Auth: Auth{
			Mode: AuthJWT,
			JWT:  JWT{Algorithms: []string{"HS256"}, Leeway: Duration(30 * time.Second)},
			Hook: Hook{Timeout: Duration(5 * time.Second)},
		},
		Rooms:  Rooms{UserPrefix: "user:"},
		Events: Events{Join: "room:join", Leave: "room:leave", Publish: "room:publish"},
		Backend: Backend{
			Timeout:     Duration(5 * time.Second),
			MaxInFlight: 1024,
			Breaker:     Breaker{Failures: 5, Cooldown: Duration(10 * time.Second)},
		},
		Webhooks: Webhooks{
			Events:      []string{"connect", "disconnect"},
			Timeout:     Duration(5 * time.Second),
			MaxAttempts: 8,
			QueueSize:   10000,
		},
		Limits: Limits{
			EventRate:      50,
			EventBurst:     100,
			MaxViolations:  100,
			ConnRatePerIP:  20,
			ConnBurstPerIP: 50,
			MaxConnections: 100000,
			MaxRooms:       100,
			MaxRoomName:    256,
		},
		API: API{
			Signing: Signing{Window: Duration(5 * time.Minute)},
			Rate:    1000,
			Burst:   2000,
			MaxBody: 1 << 20,
		},
		Log:             Log{Level: "info", Format: "text"},
		ShutdownTimeout: Duration(10 * time.Second),
	}
}
