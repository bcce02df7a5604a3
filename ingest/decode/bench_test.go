package decode_test

import (
	"sync"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/decode"
)

// mix is 20,000 webhooks of the demo scenario (all three vendors, in the
// proportions of a day's traffic), normalised as the listener stores them.
var mix = sync.OnceValues(func() ([]decode.Input, error) {
	hooks, err := traffic.Scenario(1, time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC), 20_000, 1)
	if err != nil {
		return nil, err
	}
	out := make([]decode.Input, len(hooks))
	for i, w := range hooks {
		body, err := decode.Normalise(w.Body, "application/json")
		if err != nil {
			return nil, err
		}
		out[i] = decode.Input{Source: w.Source, Hint: w.Hint, Body: body, ReceivedAt: w.At}
	}
	return out, nil
})

// BenchmarkDecode decodes the scenario's webhooks as the listener does at
// ingest and the hub at replay (Decode of a normalised body).
func BenchmarkDecode(b *testing.B) {
	ins, err := mix()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n, bytes := 0, 0
	for b.Loop() {
		in := ins[n%len(ins)]
		if _, err := decode.Decode(in); err != nil {
			b.Fatal(err)
		}
		n++
		bytes += len(in.Body)
	}
	b.SetBytes(int64(bytes / max(n, 1)))
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkNormalise is the listener's first step on a body.
func BenchmarkNormalise(b *testing.B) {
	hooks, err := traffic.Scenario(1, time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC), 2_000, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := decode.Normalise(hooks[n%len(hooks)].Body, "application/json"); err != nil {
			b.Fatal(err)
		}
		n++
	}
}
