package config

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// Render returns the configuration as YAML with every secret redacted, for
// `herald config print`.
func (c *Config) Render() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
