package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzMarshal: whatever the time (any instant, any zone offset) and float,
// Marshal's output is JSON, is json.Marshal's where that succeeds, and a
// replaced value is reported.
func FuzzMarshal(f *testing.F) {
	f.Add(int64(253402300799), int64(0), int32(14*3600), uint64(0))   // 9999-12-31T23:59:59Z, +14:00
	f.Add(int64(-62167219200), int64(0), int32(-3600), uint64(0))     // year 0, -01:00
	f.Add(int64(1767323045), int64(5), int32(24*3600), uint64(1<<63)) // +24:00, -0.0
	f.Add(int64(1767323045), int64(0), int32(0), math.Float64bits(math.NaN()))
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int32, bits uint64) {
		v := struct {
			At  time.Time
			Ptr *time.Time
			F   float64
			M   map[string][]time.Time
		}{At: time.Unix(sec, nsec).In(time.FixedZone("z", int(offset)))}
		v.Ptr, v.F, v.M = &v.At, math.Float64frombits(bits), map[string][]time.Time{"k": {v.At}}
		got, fixes, err := Marshal(v)
		if err != nil || !json.Valid(got) {
			t.Fatalf("Marshal: %v: %s", err, got)
		}
		want, werr := json.Marshal(v)
		switch {
		case werr == nil && (len(fixes) != 0 || !bytes.Equal(got, want)):
			t.Fatalf("json.Marshal takes it, yet Marshal replaced %+v", fixes)
		case werr != nil && len(fixes) == 0:
			t.Fatalf("json.Marshal refuses it (%v), yet nothing was replaced", werr)
		}
	})
}

// FuzzDepth: Fits agrees with encoding/json's own limit on the payload
// inside an envelope, for any valid JSON.
func FuzzDepth(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"[{"}]}`), 1)
	f.Add([]byte(`"\\\"[["`), 2)
	f.Fuzz(func(t *testing.T, raw []byte, envelope int) {
		if !json.Valid(raw) || envelope < 0 || envelope > 100 {
			return
		}
		// Make the envelope what leaves the payload at the edge: the
		// limit minus the payload's depth, give or take envelope % 3.
		env := max(MaxDepth-Depth(raw)-1+envelope%3, 0)
		msg := strings.Repeat("[", env) + string(raw) + strings.Repeat("]", env)
		var x any
		decodes := json.Unmarshal([]byte(msg), &x) == nil
		if Fits(raw, env) != decodes {
			t.Fatalf("Fits(%q, %d) = %v, decodes %v", raw, env, Fits(raw, env), decodes)
		}
	})
}
