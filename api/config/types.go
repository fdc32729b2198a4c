package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as "25s", "1m30s" or "250ms".
type Duration time.Duration

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("want a duration such as 10s: %w", err)
	}
	return d.Set(s)
}

// Set parses s, as environment variables and flags give it.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as 10s, got %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Secret is a string that is never printed.
type Secret string

// MarshalYAML redacts the value, so that printing a config never leaks it.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return "<redacted>", nil
}

// String redacts too, for log lines and %v.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }
