package comm100api

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// Clock is the time source the client waits on: real in production, a
// controllable one in tests.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx ends (returning ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx ends.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The API's documented limit: 300 calls per 5 minutes per IP address, for
// every call together.
const (
	DocumentedLimit  = 300
	DocumentedWindow = 5 * time.Minute
)

// Budget caps the calls chatdeck makes to the API: at most Calls in any
// window of Per, whoever makes them (polls and actions share it). It is a
// token bucket whose burst plus refill over Per equals Calls, so no window
// of Per can see more.
type Budget struct {
	lim   *rate.Limiter
	clock Clock
	calls int
	per   time.Duration
}

// DefaultBudget is half the documented limit: 150 calls per 5 minutes.
func DefaultBudget(clock Clock) *Budget { return NewBudget(DocumentedLimit/2, DocumentedWindow, clock) }

// NewBudget returns a budget of calls per window. A nil clock is the wall
// clock.
func NewBudget(calls int, per time.Duration, clock Clock) *Budget {
	if clock == nil {
		clock = RealClock{}
	}
	if calls < 1 {
		calls = 1
	}
	if per <= 0 {
		per = DocumentedWindow
	}
	burst := min(max(calls/20, 1), 10)
	refill := rate.Limit(float64(calls-burst) / per.Seconds())
	if calls == burst {
		refill = rate.Limit(float64(calls) / per.Seconds())
		burst = 1
	}
	lim := rate.NewLimiter(refill, burst)
	// Start full: the first calls go at once.
	return &Budget{lim: lim, clock: clock, calls: calls, per: per}
}

// Wait blocks until one call fits the budget, or ctx ends.
func (b *Budget) Wait(ctx context.Context) error {
	now := b.clock.Now()
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return fmt.Errorf("comm100 API budget: a call can never fit")
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := b.clock.Sleep(ctx, d); err != nil {
			r.CancelAt(b.clock.Now())
			return fmt.Errorf("comm100 API budget: %w", err)
		}
	}
	return nil
}

// Left is how many calls could be made right now without waiting.
func (b *Budget) Left() float64 { return b.lim.TokensAt(b.clock.Now()) }

// Limit returns the budget: calls per window.
func (b *Budget) Limit() (calls int, per time.Duration) { return b.calls, b.per }

// String describes the budget, e.g. "150 calls per 5m0s".
func (b *Budget) String() string { return fmt.Sprintf("%d calls per %s", b.calls, b.per) }
