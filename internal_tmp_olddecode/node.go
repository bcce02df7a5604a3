//go:build zzdiff

package olddecode

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// node is a JSON object with the dotted path that led to it, so that errors
// can name the field.
type node struct {
	path string
	m    map[string]json.RawMessage
}

// parseObject parses a whole body as one JSON object.
func parseObject(body []byte) (node, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return node{}, &Error{Msg: "not a JSON object: " + err.Error()}
	}
	if m == nil {
		return node{}, &Error{Msg: "expected a JSON object, got null"}
	}
	return node{m: m}, nil
}

func (n node) field(key string) string {
	if n.path == "" {
		return key
	}
	return n.path + "." + key
}

// raw returns the value at the first of keys that is present and not null.
func (n node) raw(keys ...string) (json.RawMessage, string, bool) {
	for _, k := range keys {
		v, ok := n.m[k]
		if !ok || isNull(v) {
			continue
		}
		return v, k, true
	}
	return nil, "", false
}

func (n node) has(key string) bool { _, _, ok := n.raw(key); return ok }

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// str reads a scalar as a string: strings as they are, numbers as written,
// booleans as "true"/"false". Absent and null read as "".
func (n node) str(keys ...string) (string, error) {
	v, k, ok := n.raw(keys...)
	if !ok {
		return "", nil
	}
	s, err := scalarString(v)
	if err != nil {
		return "", &Error{Field: n.field(k), Msg: err.Error()}
	}
	return s, nil
}

func scalarString(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{':
		return "", errString("expected a string or number, got an object")
	case '[':
		return "", errString("expected a string or number, got an array")
	default: // number, true, false
		return string(v), nil
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// integer reads a number or numeric string. Absent, null and "" read as 0.
func (n node) integer(keys ...string) (int, error) {
	s, err := n.str(keys...)
	if err != nil || s == "" {
		return 0, err
	}
	if i, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(f > math.MinInt && f < math.MaxInt) { // also NaN, ±Inf
		_, k, _ := n.raw(keys...)
		return 0, &Error{Field: n.field(k), Msg: "expected a number, got " + strconv.Quote(s)}
	}
	return int(f), nil
}

// boolean reads true/false, "true"/"false", 1/0.
func (n node) boolean(keys ...string) (bool, error) {
	s, err := n.str(keys...)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	}
	_, k, _ := n.raw(keys...)
	return false, &Error{Field: n.field(k), Msg: "expected a boolean, got " + strconv.Quote(s)}
}

// when reads a time in any of the forms ParseTime knows.
func (n node) when(keys ...string) (time.Time, error) {
	v, k, ok := n.raw(keys...)
	if !ok {
		return time.Time{}, nil
	}
	s, err := scalarString(v)
	if err != nil {
		return time.Time{}, &Error{Field: n.field(k), Msg: err.Error()}
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, &Error{Field: n.field(k), Msg: err.Error()}
	}
	return t, nil
}

// obj reads a nested object; absent or null gives an empty node and false.
func (n node) obj(keys ...string) (node, bool, error) {
	v, k, ok := n.raw(keys...)
	if !ok {
		return node{path: n.field(keys[0])}, false, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return node{}, false, &Error{Field: n.field(k), Msg: "expected an object"}
	}
	return node{path: n.field(k), m: m}, true, nil
}

// list reads an array of objects. A single object reads as a list of one
// (Comm100 sends attachment as either), an empty string as an empty list.
func (n node) list(keys ...string) ([]node, error) {
	v, k, ok := n.raw(keys...)
	if !ok {
		return nil, nil
	}
	v = bytes.TrimSpace(v)
	path := n.field(k)
	switch v[0] {
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, &Error{Field: path, Msg: "expected an object or array"}
		}
		return []node{{path: path, m: m}}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, &Error{Field: path, Msg: "expected an array"}
		}
		out := make([]node, 0, len(items))
		for i, it := range items {
			if isNull(it) {
				continue
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(it, &m); err != nil {
				return nil, &Error{Field: path + "[" + strconv.Itoa(i) + "]", Msg: "expected an object"}
			}
			out = append(out, node{path: path + "[" + strconv.Itoa(i) + "]", m: m})
		}
		return out, nil
	case '"':
		if s, _ := scalarString(v); strings.TrimSpace(s) == "" {
			return nil, nil
		}
	}
	return nil, &Error{Field: path, Msg: "expected an array"}
}

// strings reads an array of scalars as strings; a lone scalar is a list of one.
func (n node) strings(keys ...string) ([]string, error) {
	v, k, ok := n.raw(keys...)
	if !ok {
		return nil, nil
	}
	v = bytes.TrimSpace(v)
	if v[0] != '[' {
		s, err := scalarString(v)
		if err != nil {
			return nil, &Error{Field: n.field(k), Msg: err.Error()}
		}
		return []string{s}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, &Error{Field: n.field(k), Msg: "expected an array"}
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		if isNull(it) {
			continue
		}
		s, err := scalarString(it)
		if err != nil {
			return nil, &Error{Field: n.field(k) + "[" + strconv.Itoa(i) + "]", Msg: err.Error()}
		}
		out = append(out, s)
	}
	return out, nil
}

// collector keeps the first error of a run of reads, so decoders read a
// flat list of fields without an if after each.
type collector struct{ err error }

func (c *collector) s(n node, keys ...string) string {
	v, err := n.str(keys...)
	c.keep(err)
	return v
}

func (c *collector) i(n node, keys ...string) int {
	v, err := n.integer(keys...)
	c.keep(err)
	return v
}

func (c *collector) b(n node, keys ...string) bool {
	v, err := n.boolean(keys...)
	c.keep(err)
	return v
}

func (c *collector) t(n node, keys ...string) time.Time {
	v, err := n.when(keys...)
	c.keep(err)
	return v
}

func (c *collector) o(n node, keys ...string) (node, bool) {
	v, ok, err := n.obj(keys...)
	c.keep(err)
	return v, ok && err == nil
}

func (c *collector) l(n node, keys ...string) []node {
	v, err := n.list(keys...)
	c.keep(err)
	return v
}

func (c *collector) ss(n node, keys ...string) []string {
	v, err := n.strings(keys...)
	c.keep(err)
	return v
}

func (c *collector) keep(err error) {
	if c.err == nil && err != nil {
		c.err = err
	}
}
