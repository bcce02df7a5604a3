// Package wire keeps what chatdeck sends (the board, the stream's messages,
// the events pages, checkpoints) encodable and decodable by chatdeck's own
// client, whatever one event put on the board: a value JSON cannot hold (a
// time outside years 0–9999 or with a zone offset of 24 hours or more, a
// NaN) is replaced in a copy, and a payload nested deeper than the client
// decodes is sent as a string. Each replacement is reported, for the log
// and the metrics.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// MaxDepth is the deepest nesting chatdeck's client decodes: the limit of
// encoding/json's scanner, which the stream client and Go callers of the
// JSON API use. Everything chatdeck sends stays within it.
const MaxDepth = 10000

// Reasons a value was replaced.
const (
	ReasonTime    = "time"    // a time JSON cannot encode: the zero time
	ReasonFloat   = "float"   // NaN or an infinity: 0
	ReasonPayload = "payload" // a raw payload that is not JSON: null
	ReasonDepth   = "depth"   // a payload nested too deep: sent as a string
)

// Fix is one value replaced so that the whole could be encoded.
type Fix struct {
	Path   string // where, by Go field names: ".Chats[3].Visitor.FirstVisit"
	Reason string // one of the Reason constants
	Detail string // what was wrong with it
}

// Marshal is json.Marshal, except that when v holds values JSON cannot
// encode it encodes a copy of v with those values replaced (see Sanitise),
// and says which. v itself is never changed. The common case costs one
// json.Marshal: the copy is made only after that failed.
func Marshal(v any) ([]byte, []Fix, error) {
	b, err := json.Marshal(v)
	if err == nil {
		return b, nil, nil
	}
	clean, fixes := Sanitise(v)
	if len(fixes) == 0 {
		return nil, nil, err
	}
	b, err = json.Marshal(clean)
	if err != nil {
		return nil, fixes, fmt.Errorf("wire: encoding after %d replacements: %w", len(fixes), err)
	}
	return b, fixes, nil
}

// Encode writes v to w as one line of JSON (HTML characters unescaped),
// with the replacements of Marshal. Nothing is written when v cannot be
// encoded at all.
func Encode(w io.Writer, v any) ([]Fix, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var fixes []Fix
	if err := enc.Encode(v); err != nil {
		var clean any
		clean, fixes = Sanitise(v)
		if len(fixes) == 0 {
			return nil, err
		}
		buf.Reset()
		if err := enc.Encode(clean); err != nil {
			return fixes, fmt.Errorf("wire: encoding after %d replacements: %w", len(fixes), err)
		}
	}
	_, err := w.Write(buf.Bytes())
	return fixes, err
}

// Depth returns how deeply raw, valid JSON, nests objects and arrays: 0
// for a scalar, 1 for {} or [1].
func Depth(raw []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// Fits reports whether raw, placed envelope levels deep in a message,
// keeps the message within MaxDepth.
func Fits(raw []byte, envelope int) bool {
	limit := MaxDepth - envelope
	// Each level takes at least one byte: short payloads need no scan.
	return len(raw) <= limit || Depth(raw) <= limit
}

// AsString returns raw's text as a JSON string: the same bytes, one level
// deep, for a client to parse with a decoder of its own.
func AsString(raw []byte) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(string(raw)) // a string always encodes
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Guard reports the replacements made by the encodings it does: each is
// counted (by part and reason) and logged, at most once a minute per part
// so that a bad value that stays on the board does not flood the log.
// The zero Guard and a nil *Guard encode and report nothing.
type Guard struct {
	log   *slog.Logger
	count func(part, reason string, n int)

	mu     sync.Mutex
	logged map[string]time.Time
	quiet  map[string]int // fixes not logged since, by part
}

// NewGuard returns a guard that logs to log (if not nil) and counts with
// count (if not nil).
func NewGuard(log *slog.Logger, count func(part, reason string, n int)) *Guard {
	return &Guard{log: log, count: count, logged: map[string]time.Time{}, quiet: map[string]int{}}
}

// logEvery is how often a guard logs the replacements of one part.
const logEvery = time.Minute

// Marshal is Marshal, reporting the replacements under part.
func (g *Guard) Marshal(part string, v any) ([]byte, error) {
	b, fixes, err := Marshal(v)
	g.Report(part, fixes)
	return b, err
}

// Encode is Encode, reporting the replacements under part.
func (g *Guard) Encode(part string, w io.Writer, v any) error {
	fixes, err := Encode(w, v)
	g.Report(part, fixes)
	return err
}

// Report counts and logs replacements made in part ("board", "snapshot",
// "event", "checkpoint", "events", ...).
func (g *Guard) Report(part string, fixes []Fix) {
	if g == nil || len(fixes) == 0 {
		return
	}
	if g.count != nil {
		by := map[string]int{}
		for _, f := range fixes {
			by[f.Reason]++
		}
		for reason, n := range by {
			g.count(part, reason, n)
		}
	}
	if g.log == nil {
		return
	}
	g.mu.Lock()
	if g.logged == nil {
		g.logged, g.quiet = map[string]time.Time{}, map[string]int{}
	}
	now := time.Now()
	if last, ok := g.logged[part]; ok && now.Sub(last) < logEvery {
		g.quiet[part] += len(fixes)
		g.mu.Unlock()
		return
	}
	g.logged[part] = now
	since := g.quiet[part]
	delete(g.quiet, part)
	g.mu.Unlock()
	first := fixes[0]
	g.log.Warn("wire: values JSON cannot carry were replaced", "part", part, "replaced", len(fixes),
		"first_path", first.Path, "first_reason", first.Reason, "first_detail", first.Detail,
		"replaced_unlogged_before", since)
}
