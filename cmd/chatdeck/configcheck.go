package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The checks of one layer of configuration (the file, the environment):
// every key known, every value of its key's type, a duration with its
// unit. mapstructure, which koanf decodes with, would take an unknown key
// in silence and a bare number as nanoseconds.

// keyKinds maps every configuration key ("alerts.bell") to the type of its
// field in Config. Keys under a map field ("keys") are free: prefix "keys.".
func keyKinds() (kinds map[string]reflect.Type, free []string) {
	kinds = map[string]reflect.Type{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("koanf")
			if tag == "" {
				continue
			}
			switch f.Type.Kind() {
			case reflect.Struct:
				walk(f.Type, prefix+tag+".")
			case reflect.Map:
				free = append(free, prefix+tag+".")
			default:
				kinds[prefix+tag] = f.Type
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return kinds, free
}

var durationType = reflect.TypeOf(time.Duration(0))

// checkValue says what is wrong with v for a key of type t, or "".
func checkValue(t reflect.Type, v any) string {
	s, isString := v.(string)
	switch {
	case t == durationType:
		if !isString {
			if n, ok := v.(int64); ok && n == 0 {
				return ""
			}
			return fmt.Sprintf("a duration needs a unit, e.g. \"%vs\"", v)
		}
		if _, err := time.ParseDuration(strings.TrimSpace(s)); err != nil {
			if _, numErr := strconv.ParseFloat(strings.TrimSpace(s), 64); numErr == nil {
				return fmt.Sprintf("a duration needs a unit, e.g. \"%ss\"", strings.TrimSpace(s))
			}
			return "not a duration (e.g. \"45s\", \"5m\", \"1h30m\")"
		}
	case t.Kind() == reflect.Bool:
		if _, ok := v.(bool); ok {
			return ""
		}
		if _, err := strconv.ParseBool(strings.TrimSpace(s)); !isString || err != nil {
			return "not a boolean (true or false)"
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		switch n := v.(type) {
		case int64:
			return ""
		case float64:
			if n == float64(int64(n)) {
				return ""
			}
		case string:
			if _, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64); err == nil {
				return ""
			}
		}
		return "not a whole number"
	case t.Kind() == reflect.Float64:
		switch n := v.(type) {
		case int64, float64:
			return ""
		case string:
			if _, err := strconv.ParseFloat(strings.TrimSpace(n), 64); err == nil {
				return ""
			}
		}
		return "not a number"
	case t.Kind() == reflect.String:
		switch v.(type) {
		case string, int64, float64:
			return "" // site_id = 10100116 means the string
		}
		return "not a string"
	}
	return ""
}

// checkFile checks the keys and values a config file set. values is what
// koanf read from it, flattened ("comm100.api" = ...).
func checkFile(path string, values map[string]any) error {
	kinds, free := keyKinds()
	text, _ := os.ReadFile(path)
	lines := keyLines(text)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return lines[keys[i]] < lines[keys[j]] || lines[keys[i]] == lines[keys[j]] && keys[i] < keys[j]
	})
	at := func(k string) string {
		if n := lines[k]; n > 0 {
			return fmt.Sprintf("%s:%d", path, n)
		}
		return path
	}
	// Every mistake at once, in file order: fixing one to learn of the
	// next is a round trip per line.
	var errs []error
	for _, k := range keys {
		t, known := kinds[k]
		if !known {
			if hasPrefix(k, free) {
				continue
			}
			known := make([]string, 0, len(kinds))
			for name := range kinds {
				known = append(known, name)
			}
			errs = append(errs, fmt.Errorf("config: %s: unknown key %q%s", at(k), k, didYouMean(k, known)))
			continue
		}
		if why := checkValue(t, values[k]); why != "" {
			errs = append(errs, fmt.Errorf("config: %s: %s = %s: %s", at(k), k, show(values[k]), why))
		}
	}
	return errors.Join(errs...)
}

// checkEnv checks the values the environment set: name is the variable's
// name, key the setting's.
func checkEnv(name, key, value string) error {
	kinds, _ := keyKinds()
	if t, ok := kinds[key]; ok {
		if why := checkValue(t, value); why != "" {
			return fmt.Errorf("%s=%s (%s): %s", name, value, key, why)
		}
	}
	return nil
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

func hasPrefix(k string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// keyLines finds the line each key of a TOML file is set on: "name =" lines,
// under the [table] headers before them. Good enough to point at a typo in
// the flat files chatdeck reads; a key it cannot place gets no line.
func keyLines(text []byte) map[string]int {
	out := map[string]int{}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#':
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			table = strings.Trim(strings.TrimSpace(strings.Trim(line, "[]")), `"`) + "."
		default:
			name, _, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			k := table + strings.Trim(strings.TrimSpace(name), `"`)
			if _, seen := out[k]; !seen {
				out[k] = n
			}
		}
	}
	return out
}

// didYouMean is ` (did you mean "x"?)` for the known key nearest k, or ""
// when none is near.
func didYouMean(k string, known []string) string {
	best, bestD := "", len(k)/2+2
	sort.Strings(known)
	for _, c := range known {
		if d := editDistance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
