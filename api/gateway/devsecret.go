package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const devSecretFile = "dev-jwt-secret"

// DataDir resolves the node's data directory: the configured one, else
// $XDG_DATA_HOME/herald, else ~/.local/share/herald.
func DataDir(configured string, env func(string) string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	if x := env("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "herald"), nil
	}
	home := env("HOME")
	if home == "" {
		return "", errors.New("gateway: no data directory: set data_dir")
	}
	return filepath.Join(home, ".local", "share", "herald"), nil
}

// DevSecret returns the development JWT secret kept in dir, creating it on
// first use, so that `herald serve` works with no configuration and
// `herald token` signs tokens it accepts. The file is readable by its
// owner only.
func DevSecret(dir string) (secret []byte, path string, err error) {
	path = filepath.Join(dir, devSecretFile)
	data, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(data))
		if len(s) < 32 {
			return nil, path, fmt.Errorf("gateway: %s holds a secret shorter than 32 bytes", path)
		}
		return []byte(s), path, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, path, fmt.Errorf("gateway: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, path, fmt.Errorf("gateway: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, path, err
	}
	s := hex.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return DevSecret(dir) // another process created it first
	}
	if err != nil {
		return nil, path, fmt.Errorf("gateway: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, path, fmt.Errorf("gateway: %w", err)
	}
	return []byte(s), path, f.Close()
}
