package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Set assigns a value given as text to the setting at a dotted path such
// as "engine.ping_interval". Lists take comma-separated values. Maps and
// lists of objects can only be set in the file.
func (c *Config) Set(path, value string) error {
	v, err := field(reflect.ValueOf(c).Elem(), path)
	if err != nil {
		return err
	}
	if d, ok := v.Addr().Interface().(*Duration); ok {
		return d.Set(strings.TrimSpace(value))
	}
	switch v.Kind() {
	case reflect.String:
		if value == "" && v.Type() == reflect.TypeOf(Secret("")) {
			// An empty variable, as a missing Kubernetes secret gives,
			// must not quietly turn signing or token checks off.
			return fmt.Errorf("%s is a secret and cannot be set empty; leave it out instead", path)
		}
		v.SetString(value)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil {
			return fmt.Errorf("want an integer, got %q", value)
		}
		v.SetInt(int64(n))
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", value)
		}
		v.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(value))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", value)
		}
		v.SetBool(b)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("%s is a list of objects: set it in the config file", path)
		}
		var items []string
		for _, s := range strings.Split(value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		v.Set(reflect.ValueOf(items).Convert(v.Type()))
	default:
		return fmt.Errorf("%s cannot be set from text: set it in the config file", path)
	}
	return nil
}

// field finds the struct field at path by yaml names.
func field(v reflect.Value, path string) (reflect.Value, error) {
	for _, name := range strings.Split(path, ".") {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, fmt.Errorf("no setting %q", path)
		}
		found := false
		for i := 0; i < v.NumField(); i++ {
			if yamlName(v.Type().Field(i)) == name {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return reflect.Value{}, fmt.Errorf("no setting %q", path)
		}
	}
	if v.Kind() == reflect.Struct && v.Type() != reflect.TypeOf(Duration(0)) {
		return reflect.Value{}, fmt.Errorf("%s is a section, not a setting", path)
	}
	return v, nil
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// Paths lists every setting that Set accepts, in schema order.
func Paths() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			p := prefix + yamlName(f)
			switch {
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, p+".")
			case f.Type.Kind() == reflect.Map,
				f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() != reflect.String:
				// file only
			default:
				out = append(out, p)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return out
}
