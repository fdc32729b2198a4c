// Command herald runs a Herald node and its tools.
//
//	herald serve [flags]          run a node (the default: alone, in memory)
//	herald config print [flags]   show the effective configuration, secrets redacted
//	herald token --sub ID [flags] mint a test JWT the node accepts
//	herald version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/api/push"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "herald:", err)
		}
		os.Exit(2)
	}
}

const usage = `Usage: herald <command> [flags]

Commands:
  serve          run a node (with no configuration: alone, in memory, on 127.0.0.1)
  config print   show the effective configuration, secrets redacted
  token          mint a test JWT the node accepts
  version        print the version

Run "herald <command> -h" for a command's flags.
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "config":
		if len(args) < 2 || args[1] != "print" {
			return errors.New(`usage: herald config print [flags]`)
		}
		return printConfig(args[2:], stdout, stderr)
	case "token":
		return token(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "herald", version)
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// configFlags are the flags every command takes to find its configuration.
type configFlags struct {
	file string
	sets []string
}

func (c *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.file, "config", "", "YAML config file (default $HERALD_CONFIG)")
	fs.Func("set", "set one setting, path=value, e.g. engine.ping_interval=10s (repeatable)", func(s string) error {
		c.sets = append(c.sets, s)
		return nil
	})
	shortcut := func(name, path, help string) {
		fs.Func(name, help+" (sets "+path+")", func(s string) error {
			c.sets = append(c.sets, path+"="+s)
			return nil
		})
	}
	shortcut("listen", "listen", "Socket.IO address")
	shortcut("api-listen", "api_listen", "push API, metrics and health address")
	shortcut("log-level", "log.level", "debug, info, warn or error")
	fs.BoolFunc("anonymous", "let anyone connect, for development (sets auth.mode=anonymous)", func(string) error {
		c.sets = append(c.sets, "auth.mode=anonymous")
		return nil
	})
}

func (c *configFlags) load() (config.Config, error) {
	return config.Load(config.Source{File: c.file, Env: os.Environ(), Sets: c.sets})
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func serve(args []string, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	var cf configFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	api, err := push.New(cfg.API, push.WithLogger(gateway.NewLogger(cfg.Log)))
	if err != nil {
		return err
	}
	g, err := gateway.New(cfg, gateway.WithRoutes(api.Route()), gateway.WithHTTPErrorHandler(push.ErrorHandler))
	if err != nil {
		return err
	}
	api.Bind(g)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return g.Run(ctx)
}

func printConfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("config print", stderr)
	var cf configFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	out, err := cfg.Render()
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

func token(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", stderr)
	var cf configFlags
	cf.register(fs)
	sub := fs.String("sub", "", "user id (the sub claim); required")
	rooms := fs.String("rooms", "", "comma-separated rooms joined at connect")
	join := fs.String("join", "", "comma-separated room patterns the user may join")
	publish := fs.String("publish", "", "comma-separated room patterns the user may publish to")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	kid := fs.String("kid", "", "key id for the kid header")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sub == "" {
		return errors.New("token: --sub is required")
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	sc, err := signConfig(cfg, *kid)
	if err != nil {
		return err
	}
	claims := auth.Claims{
		Subject: *sub, Rooms: list(*rooms), Join: list(*join), Publish: list(*publish),
		Issuer: cfg.Auth.JWT.Issuer, Audience: cfg.Auth.JWT.Audience, TTL: *ttl,
	}
	tok, err := auth.Sign(sc, claims)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// signConfig signs with the node's key: the configured secret, the
// development secret, or the configured private key.
func signConfig(cfg config.Config, kid string) (auth.SignConfig, error) {
	j := cfg.Auth.JWT
	if cfg.Auth.Mode != config.AuthJWT {
		return auth.SignConfig{}, fmt.Errorf("token: auth.mode is %s, not jwt", cfg.Auth.Mode)
	}
	alg := j.Algorithms[0]
	sc := auth.SignConfig{Algorithm: alg, KeyID: kid}
	if strings.HasPrefix(alg, "HS") {
		sc.Secret = []byte(j.Secret.Reveal())
		if len(sc.Secret) == 0 {
			dir, err := gateway.DataDir(cfg.DataDir, os.Getenv)
			if err != nil {
				return sc, err
			}
			if sc.Secret, _, err = gateway.DevSecret(dir); err != nil {
				return sc, err
			}
		}
		return sc, nil
	}
	if j.PrivateKeyFile == "" {
		return sc, fmt.Errorf("token: %s needs auth.jwt.private_key_file", alg)
	}
	pem, err := os.ReadFile(j.PrivateKeyFile)
	if err != nil {
		return sc, fmt.Errorf("token: %w", err)
	}
	sc.PrivateKeyPEM = pem
	return sc, nil
}

func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
