package comm100test

import (
	"context"
	"sync"
	"time"
)

// FakeClock is a controllable clock for tests and fast demos: Sleep moves
// it forward at once instead of waiting, so a test can run minutes of
// budget and backoff in microseconds. Pass its Now to Options.Now so the
// server's rate limit runs on the same time. It satisfies the comm100api
// client's Clock interface.
type FakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
	naps  int
}

// NewFakeClock returns a clock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d (unless ctx has ended) and returns at once.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
		c.slept += d
		c.naps++
	}
	return nil
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Slept returns the total time Sleep advanced the clock, and how many
// sleeps did.
func (c *FakeClock) Slept() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept, c.naps
}
