package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Source names where a configuration comes from.
type Source struct {
	// File is a YAML file; empty means none.
	File string
	// Env is the environment, as os.Environ gives it.
	Env []string
	// Sets are path=value assignments from flags, applied last.
	Sets []string
}

// EnvPrefix starts every environment variable Herald reads.
const EnvPrefix = "HERALD_"

// envConfigFile names the config file when --config is not given.
const envConfigFile = EnvPrefix + "CONFIG"

// Load builds the effective configuration from defaults, the file, the
// environment and the sets, and validates it. Errors name the offending
// key.
func Load(src Source) (Config, error) {
	cfg := Default()
	env := envMap(src.Env)
	file := src.File
	if file == "" {
		file = env[envConfigFile]
	}
	referenced := map[string]bool{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if referenced, err = decode(&cfg, data, env); err != nil {
			return cfg, fmt.Errorf("config: %s: %w", file, err)
		}
	}
	if err := applyEnv(&cfg, env, referenced); err != nil {
		return cfg, err
	}
	for _, s := range src.Sets {
		path, value, ok := strings.Cut(s, "=")
		if !ok {
			return cfg, fmt.Errorf("config: --set %q: want path=value", s)
		}
		if err := cfg.Set(strings.TrimSpace(path), value); err != nil {
			return cfg, fmt.Errorf("config: --set %s: %w", path, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// decode reads YAML strictly: unknown keys and wrong types are errors with
// line numbers and key paths. ${VAR} in values (not in comments) is
// replaced from the environment, so that secrets need not live in the
// file; an unset variable is an error. It returns the variables used.
func decode(cfg *Config, data []byte, env map[string]string) (map[string]bool, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	used := map[string]bool{}
	// An empty variable is refused like an unset one: a secret that
	// expands to nothing would silently turn a protection off.
	var missing []string
	expand(&doc, func(name string) string {
		v := env[name]
		if v == "" {
			missing = append(missing, name)
		}
		used[name] = true
		return v
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("unset or empty environment variables: %s", strings.Join(missing, ", "))
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, withKeys(err, &doc)
	}
	return used, nil
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} in every scalar value of the tree.
func expand(n *yaml.Node, lookup func(string) string) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		n.Value = varRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			return lookup(ref[2 : len(ref)-1])
		})
		// Resolve the type again from the replaced text, so that ${PORT}
		// can fill a number; string settings accept any scalar. A value
		// that reads as null stays a string: it is what the variable says.
		n.Tag, n.Style = "", 0
		switch n.Value {
		case "~", "null", "Null", "NULL":
			n.Tag = "!!str"
		}
	}
	for _, c := range n.Content {
		expand(c, lookup)
	}
}

// withKeys adds the key path to each "line N:" of a YAML type error, since
// the line of a re-encoded document is not the line of the file.
func withKeys(err error, doc *yaml.Node) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var buf bytes.Buffer
	_ = yaml.NewEncoder(&buf).Encode(doc)
	var encoded yaml.Node
	_ = yaml.Unmarshal(buf.Bytes(), &encoded)
	paths := map[int]string{}
	lineOf := map[string]int{}
	index(&encoded, "", paths, nil)
	index(doc, "", nil, lineOf)
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		var line int
		if _, err := fmt.Sscanf(m, "line %d:", &line); err == nil {
			if p, ok := paths[line]; ok {
				rest := m[strings.Index(m, ":")+1:]
				m = fmt.Sprintf("%s (line %d):%s", p, lineOf[p], rest)
			}
		}
		msgs[i] = m
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// index maps value lines to key paths and key paths to lines.
func index(n *yaml.Node, prefix string, paths map[int]string, lines map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			index(c, prefix, paths, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			p := key.Value
			if prefix != "" {
				p = prefix + "." + key.Value
			}
			if paths != nil {
				paths[val.Line] = p
			}
			if lines != nil {
				lines[p] = val.Line
			}
			index(val, p, paths, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			if paths != nil {
				paths[c.Line] = p
			}
			if lines != nil {
				lines[p] = c.Line
			}
			index(c, p, paths, lines)
		}
	}
}

// serviceLink matches the variables Kubernetes sets for a Service named
// herald (HERALD_SERVICE_HOST, HERALD_PORT_3000_TCP_ADDR, ...), which are
// not settings and must not stop a pod from starting.
var serviceLink = regexp.MustCompile(`^HERALD_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$`)

// applyEnv applies every HERALD_* variable; an unknown one is an error, so
// that a misspelt setting is not silently ignored. Variables the file
// referenced as ${VAR} are not settings, nor are Kubernetes service links.
func applyEnv(cfg *Config, env map[string]string, referenced map[string]bool) error {
	paths := envPaths()
	for name, value := range env {
		if !strings.HasPrefix(name, EnvPrefix) || name == envConfigFile || referenced[name] {
			continue
		}
		path, ok := paths[name]
		if !ok && serviceLink.MatchString(name) {
			continue
		}
		if !ok {
			return fmt.Errorf("config: environment variable %s: no such setting", name)
		}
		if err := cfg.Set(path, value); err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
	}
	return nil
}

// EnvName is the environment variable that sets path.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

func envPaths() map[string]string {
	m := make(map[string]string)
	for _, p := range Paths() {
		m[EnvName(p)] = p
	}
	return m
}
