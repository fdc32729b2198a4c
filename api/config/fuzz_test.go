package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds hostile files to Load: it must never panic, and whatever
// it accepts must validate and render.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("listen: 127.0.0.1:4000\n"))
	f.Add([]byte("engine:\n  ping_interval: 10s\n  transports: [websocket]\n"))
	f.Add([]byte("auth:\n  jwt:\n    secret: ${S}\n"))
	f.Add([]byte("api:\n  keys:\n    - {name: a, key: 0123456789abcdefgh, scopes: [emit]}\n"))
	f.Add([]byte("[1, 2"))
	f.Add([]byte("engine: {max_payload: lots}\n"))
	f.Add([]byte("&a [*a]"))
	if example, err := os.ReadFile(filepath.Join("..", "..", "herald.example.yaml")); err == nil {
		f.Add(example)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(Source{File: path, Env: []string{"S=" + "0123456789abcdef0123456789abcdef", "JWT_SECRET=", "PUSH_API_KEY=0123456789abcdefgh"}})
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Load accepted a config that does not validate: %v", err)
		}
		if _, err := cfg.Render(); err != nil {
			t.Fatalf("accepted config does not render: %v", err)
		}
	})
}
