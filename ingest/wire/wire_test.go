package wire

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

type inner struct {
	At    time.Time `json:"at"`
	Ratio float64   `json:"ratio"`
	Note  string    `json:"note"`
}

type outer struct {
	Name   string            `json:"name"`
	Items  []inner           `json:"items"`
	ByKey  map[string]*inner `json:"by_key"`
	Any    any               `json:"any"`
	Raw    json.RawMessage   `json:"raw,omitempty"`
	hidden int
}

// badTimes are times encoding/json refuses.
func badTimes() []time.Time {
	return []time.Time{
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC).In(time.FixedZone("", 14*3600)), // year 10000 in its zone
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).In(time.FixedZone("", -3600)),         // year -1
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 24*3600)),                 // +24:00
	}
}

// TestMarshalReplacesWhatJSONCannotCarry: each bad time, a NaN and a bad
// raw payload are replaced in the output (zero time, 0, omitted), the
// rest is as json.Marshal makes it, each fix names its path, and the
// value given is left as it was.
func TestMarshalReplacesWhatJSONCannotCarry(t *testing.T) {
	good := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, bad := range badTimes() {
		if _, err := json.Marshal(bad); err == nil {
			t.Fatalf("%v: json.Marshal takes it; the test needs a time it refuses", bad)
		}
		shared := &inner{At: bad, Note: "shared"}
		v := outer{Name: "x", Items: []inner{{At: good, Note: "a"}, {At: bad, Ratio: math.NaN(), Note: "b"}},
			ByKey: map[string]*inner{"k": shared, "ok": {At: good}}, Any: inner{At: bad}, Raw: json.RawMessage(`{"a":`), hidden: 7}
		b, fixes, err := Marshal(v)
		if err != nil {
			t.Fatalf("%v: %v", bad, err)
		}
		var got struct {
			Items []inner          `json:"items"`
			ByKey map[string]inner `json:"by_key"`
			Any   inner            `json:"any"`
			Raw   *json.RawMessage `json:"raw"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !got.Items[0].At.Equal(good) || !got.Items[1].At.IsZero() || got.Items[1].Ratio != 0 || got.Items[1].Note != "b" ||
			!got.ByKey["k"].At.IsZero() || got.ByKey["k"].Note != "shared" || !got.ByKey["ok"].At.Equal(good) ||
			!got.Any.At.IsZero() || got.Raw != nil {
			t.Errorf("%v: encoded %s", bad, b)
		}
		paths := map[string]string{}
		for _, f := range fixes {
			paths[f.Path] = f.Reason
		}
		want := map[string]string{".Items[1].At": ReasonTime, ".Items[1].Ratio": ReasonFloat, `.ByKey["k"].At`: ReasonTime,
			".Any.At": ReasonTime, ".Raw": ReasonPayload}
		if len(paths) != len(want) {
			t.Errorf("%v: fixes %+v, want %v", bad, fixes, want)
		}
		for p, r := range want {
			if paths[p] != r {
				t.Errorf("%v: fix at %s is %q, want %q (all: %+v)", bad, p, paths[p], r, fixes)
			}
		}
		if !v.Items[1].At.Equal(bad) || !shared.At.Equal(bad) || !math.IsNaN(v.Items[1].Ratio) || v.hidden != 7 {
			t.Errorf("%v: the value given was changed", bad)
		}
	}
}

// TestMarshalCleanIsJSONMarshal: with nothing to replace, Marshal is
// json.Marshal and reports nothing.
func TestMarshalCleanIsJSONMarshal(t *testing.T) {
	v := outer{Name: "<a>", Items: []inner{{At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 14*3600))}}}
	b, fixes, err := Marshal(v)
	want, _ := json.Marshal(v)
	if err != nil || len(fixes) != 0 || !bytes.Equal(b, want) {
		t.Errorf("Marshal = %s, %v, %v; want %s", b, fixes, err, want)
	}
	if _, _, err := Marshal(map[bool]func(){}); err == nil {
		t.Error("Marshal of a type JSON cannot encode at all: no error")
	}
}

// TestDepth: depth counts nesting, not brackets inside strings.
func TestDepth(t *testing.T) {
	for raw, want := range map[string]int{`1`: 0, `{}`: 1, `[[1],[2,[3]]]`: 3, `{"a":"[[[[\"]]"}`: 1, `"\\"`: 0} {
		if got := Depth([]byte(raw)); got != want {
			t.Errorf("Depth(%s) = %d, want %d", raw, got, want)
		}
	}
	deep := []byte(strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth))
	if Fits(deep, 1) || !Fits(deep, 0) || !Fits([]byte(`[[1]]`), MaxDepth-2) {
		t.Error("Fits: wrong about the envelope")
	}
	var s string
	if err := json.Unmarshal(AsString(deep), &s); err != nil || s != string(deep) {
		t.Errorf("AsString does not round trip: %v", err)
	}
}

// TestGuardCountsAndLogsOncePerMinute: every fix is counted by part and
// reason; the log has one line per part per minute.
func TestGuardCountsAndLogsOncePerMinute(t *testing.T) {
	var logs bytes.Buffer
	counts := map[string]int{}
	g := NewGuard(slog.New(slog.NewTextHandler(&logs, nil)), func(part, reason string, n int) { counts[part+"/"+reason] += n })
	v := []inner{{At: badTimes()[0]}, {At: badTimes()[2], Ratio: math.Inf(1)}}
	for range 3 {
		if _, err := g.Marshal("board", v); err != nil {
			t.Fatal(err)
		}
	}
	if counts["board/time"] != 6 || counts["board/float"] != 3 || len(counts) != 2 {
		t.Errorf("counts %v", counts)
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 {
		t.Errorf("log has %d mentions, want one line:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "first_path=[0].At") {
		t.Errorf("log does not name the path:\n%s", logs.String())
	}
	var nilGuard *Guard
	if _, err := nilGuard.Marshal("x", v); err != nil {
		t.Errorf("nil guard: %v", err)
	}
}
