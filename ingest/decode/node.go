package decode

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// node is a JSON object with the path that led to it, so that errors can
// name the field.
type node struct {
	p *pathPart // nil at the root
	m object
	a *arena // where the objects under this one are split into
}

// pathPart is one step of a node's path: a key, and an index when the node
// is an item of the array under that key (idx -1 otherwise). The dotted
// path ("visitor.id", "transcript[3].text") is built only for an error
// message, so that decoding a valid payload allocates no path strings.
type pathPart struct {
	parent *pathPart
	key    string
	idx    int
}

// String is the dotted path, "" at the root.
func (p *pathPart) String() string {
	if p == nil {
		return ""
	}
	s := p.parent.String()
	if p.key != "" {
		if s != "" {
			s += "."
		}
		s += p.key
	}
	if p.idx >= 0 {
		s += "[" + strconv.Itoa(p.idx) + "]"
	}
	return s
}

// pathChunk is the most path parts an arena allocates at a time (it starts
// with 8, and doubles).
const pathChunk = 32

// arena holds the members of every object split from one body, so that
// splitting the nested objects of a payload costs a few allocations, not
// one or two per object.
type arena struct {
	members []member
	parts   []pathPart // filled up to its capacity, then replaced: parts handed out never move
}

// part returns a new path part, from the arena when there is one.
func (a *arena) part(parent *pathPart, key string, idx int) *pathPart {
	if a == nil {
		return &pathPart{parent: parent, key: key, idx: idx}
	}
	if len(a.parts) == cap(a.parts) {
		a.parts = make([]pathPart, 0, min(max(2*cap(a.parts), 8), pathChunk))
	}
	a.parts = append(a.parts, pathPart{parent: parent, key: key, idx: idx})
	return &a.parts[len(a.parts)-1]
}

// newArena returns an arena for a body of n bytes.
func newArena(n int) *arena { return &arena{members: make([]member, 0, n/32+8)} }

// split splits the JSON object v into the arena; ok is false if v is not an
// object.
func (a *arena) split(v []byte) (object, bool) {
	if a == nil {
		return splitObject(v)
	}
	start := len(a.members)
	var ok bool
	a.members, ok = appendMembers(a.members, v)
	if !ok {
		a.members = a.members[:start]
		return nil, false
	}
	// Capped, so that appending to the arena never writes into it.
	return object(a.members[start:len(a.members):len(a.members)]), true
}

// object is a JSON object's members in the order they came. A lookup scans
// them (from the last, which wins when a key repeats, as in encoding/json):
// for objects of tens of keys that is cheaper than building a map, and it
// allocates nothing per key.
type object []member

type member struct {
	k []byte // unquoted
	v json.RawMessage
}

// get returns the value of key k.
func (o object) get(k string) (json.RawMessage, bool) {
	for i := len(o) - 1; i >= 0; i-- {
		if string(o[i].k) == k {
			return o[i].v, true
		}
	}
	return nil, false
}

// objectOf turns a map from encoding/json into an object.
func objectOf(m map[string]json.RawMessage) object {
	o := make(object, 0, len(m))
	for k, v := range m {
		o = append(o, member{k: []byte(k), v: v})
	}
	return o
}

// parseObject parses a whole body as one JSON object.
func parseObject(body []byte) (node, error) {
	if valid(body) {
		// Checked once here: the nested objects, arrays and strings are
		// then split without checking them again.
		a := newArena(len(body))
		if m, ok := a.split(body); ok {
			return node{m: m, a: a}, nil
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return node{}, &Error{Msg: "not a JSON object: " + err.Error()}
	}
	if m == nil {
		return node{}, &Error{Msg: "expected a JSON object, got null"}
	}
	return node{m: objectOf(m)}, nil
}

// The splitters below read JSON already known to be valid (parseObject
// checks the whole body once): they find where values start and end, and
// leave decoding to the readers of node. What they return matches
// encoding/json's unmarshalling into map[string]json.RawMessage and
// []json.RawMessage (keys unquoted, the last of repeated keys winning, each
// value without the space around it), without copying the values.

// splitObject splits a JSON object into its members. ok is false if v is
// not an object.
func splitObject(v []byte) (object, bool) {
	m, ok := appendMembers(nil, v)
	if ok && m == nil {
		m = object{}
	}
	return m, ok
}

// appendMembers appends the members of the JSON object v to m.
func appendMembers(m object, v []byte) (object, bool) {
	i := skipSpace(v, 0)
	if i >= len(v) || v[i] != '{' {
		return m, false
	}
	i = skipSpace(v, i+1)
	if i < len(v) && v[i] == '}' {
		return m, true
	}
	for i < len(v) {
		end := skipString(v, i)
		k := jsonKey(v[i:end])
		i = skipSpace(v, end)
		i = skipSpace(v, i+1) // the ':'
		end = skipValue(v, i)
		m = append(m, member{k: k, v: v[i:end:end]})
		i = skipSpace(v, end)
		if i >= len(v) || v[i] == '}' {
			break
		}
		i = skipSpace(v, i+1) // the ','
	}
	return m, true
}

// splitArray splits a JSON array into its elements. ok is false if v is
// not an array.
func splitArray(v []byte) ([]json.RawMessage, bool) {
	i := skipSpace(v, 0)
	if i >= len(v) || v[i] != '[' {
		return nil, false
	}
	var out []json.RawMessage
	i = skipSpace(v, i+1)
	if i < len(v) && v[i] == ']' {
		return []json.RawMessage{}, true
	}
	for i < len(v) {
		end := skipValue(v, i)
		out = append(out, v[i:end:end])
		i = skipSpace(v, end)
		if i >= len(v) || v[i] == ']' {
			break
		}
		i = skipSpace(v, i+1) // the ','
	}
	return out, true
}

func skipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the end of the string that starts at v[i] (a quote).
func skipString(v []byte, i int) int {
	for i++; i < len(v); {
		q := bytes.IndexByte(v[i:], '"')
		if q < 0 {
			return len(v)
		}
		i += q
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		n := 0
		for j := i - 1; j >= 0 && v[j] == '\\'; j-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
	return len(v)
}

// skipValue returns the end of the value that starts at v[i].
func skipValue(v []byte, i int) int {
	if i >= len(v) {
		return i
	}
	switch v[i] {
	case '"':
		return skipString(v, i)
	case '{', '[':
		depth := 0
		for ; i < len(v); i++ {
			switch v[i] {
			case '"':
				i = skipString(v, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(v)
	}
	for i < len(v) {
		switch v[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// jsonKey unquotes an object key (q, with its quotes) as encoding/json does.
func jsonKey(q []byte) []byte {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return inner
	}
	var s string
	_ = json.Unmarshal(q, &s)
	return []byte(s)
}

func (n node) field(key string) string {
	base := n.p.String()
	if base == "" {
		return key
	}
	return base + "." + key
}

// raw returns the value at the first of keys that is present and not null.
func (n node) raw(keys ...string) (json.RawMessage, string, bool) {
	for _, k := range keys {
		v, ok := n.m.get(k)
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
		if len(v) >= 2 {
			if inner := v[1 : len(v)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
				return string(inner), nil // nothing to unquote
			}
		}
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
		return node{p: n.a.part(n.p, keys[0], -1)}, false, nil
	}
	m, isObj := n.a.split(v)
	if !isObj {
		return node{}, false, &Error{Field: n.field(k), Msg: "expected an object"}
	}
	return node{p: n.a.part(n.p, k, -1), m: m, a: n.a}, true, nil
}

// list reads an array of objects. A single object reads as a list of one
// (Comm100 sends attachment as either), an empty string as an empty list.
func (n node) list(keys ...string) ([]node, error) {
	v, k, ok := n.raw(keys...)
	if !ok {
		return nil, nil
	}
	v = bytes.TrimSpace(v)
	switch v[0] {
	case '{':
		m, _ := n.a.split(v)
		return []node{{p: n.a.part(n.p, k, -1), m: m, a: n.a}}, nil
	case '[':
		items, _ := splitArray(v)
		out := make([]node, 0, len(items))
		for i, it := range items {
			if isNull(it) {
				continue
			}
			m, isObj := n.a.split(it)
			if !isObj {
				return nil, &Error{Field: (&pathPart{parent: n.p, key: k, idx: i}).String(), Msg: "expected an object"}
			}
			out = append(out, node{p: n.a.part(n.p, k, i), m: m, a: n.a})
		}
		return out, nil
	case '"':
		if s, _ := scalarString(v); strings.TrimSpace(s) == "" {
			return nil, nil
		}
	}
	return nil, &Error{Field: n.field(k), Msg: "expected an array"}
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
	items, _ := splitArray(v)
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

// collector reads a run of fields without an if after each. A field that
// cannot be read (a wrong type, a time that cannot be real) reads as its
// zero value and leaves a note; err keeps the first wrong type, for the
// decoders of polled answers, which refuse a malformed answer whole rather
// than apply part of it. Webhook decoders keep the event and its notes.
type collector struct {
	// now is the payload's receipt: a time more than a day after it is
	// not real. Zero skips that check.
	now   time.Time
	err   error
	notes []string
}

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
	if v.IsZero() {
		return v
	}
	if why := unreal(v, c.now); why != "" {
		_, k, _ := n.raw(keys...)
		c.note(n.field(k) + ": " + v.Format(time.RFC3339) + " " + why + ": dropped")
		return time.Time{}
	}
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
	if err == nil {
		return
	}
	if c.err == nil {
		c.err = err
	}
	c.note(err.Error())
}

// maxNotes bounds the notes one event keeps: a payload of a thousand bad
// fields says so in a few.
const maxNotes = 8

func (c *collector) note(s string) {
	switch {
	case len(c.notes) < maxNotes:
		c.notes = append(c.notes, s)
	case len(c.notes) == maxNotes:
		c.notes = append(c.notes, "and more")
	}
}
