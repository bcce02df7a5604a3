package comm100api_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
)

// manualClock moves only when the test says: Sleep blocks until Advance
// has moved the clock past its end, so a test can hold a call waiting.
type manualClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers map[chan struct{}]time.Time
}

func newManualClock() *manualClock {
	return &manualClock{now: start, sleepers: map[chan struct{}]time.Time{}}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	ch := make(chan struct{})
	c.sleepers[ch] = c.now.Add(d)
	c.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.sleepers, ch)
		c.mu.Unlock()
		return ctx.Err()
	}
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for ch, until := range c.sleepers {
		if !until.After(c.now) {
			close(ch)
			delete(c.sleepers, ch)
		}
	}
}

func (c *manualClock) sleeping() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// waitSleepers polls until n calls sleep on the clock.
func (c *manualClock) waitSleepers(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.sleeping() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls wait on the clock, want %d", c.sleeping(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

var actionCtx = comm100api.WithClass(context.Background(), comm100api.ClassAction)

// TestBudgetRefusesRatherThanGoNegative: 2,000 actions at once on a budget
// of 20 calls per 5 minutes (a bucket of 1, a call every 15.8 s). One
// goes; the rest are refused at once (no call is free within the 5 s an
// action may wait), none is promised a call in the future, the bucket
// never reads below 0, and the clock did not move. The refusals are the
// budget's problem for one window, then it is fine again.
func TestBudgetRefusesRatherThanGoNegative(t *testing.T) {
	clock := comm100test.NewFakeClock(start)
	b := comm100api.NewBudget(20, 5*time.Minute, clock)
	var wg sync.WaitGroup
	errs := make(chan error, 2000)
	for range 2000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- b.Wait(actionCtx)
		}()
	}
	wg.Wait()
	close(errs)
	granted, refused := 0, 0
	for err := range errs {
		var be *comm100api.BudgetError
		switch {
		case err == nil:
			granted++
		case errors.As(err, &be) && errors.Is(err, comm100api.ErrBudgetExhausted):
			refused++
			if be.Next < 15*time.Second || be.Next > 16*time.Second || be.RetryAfter() != be.Next ||
				!strings.Contains(err.Error(), "no call free within 5s for an action") {
				t.Fatalf("refusal %v (next %v)", err, be.Next)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if granted != 1 || refused != 1999 || b.Refused() != 1999 {
		t.Errorf("granted %d, refused %d (counted %d); want 1 and 1999", granted, refused, b.Refused())
	}
	if left := b.Left(); left < 0 || left > 0.01 {
		t.Errorf("left %v, want 0", left)
	}
	if slept, _ := clock.Slept(); slept != 0 {
		t.Errorf("refused calls waited %v", slept)
	}
	if p := b.Problem(); !strings.Contains(p, "exhausted: 1999 calls refused") || !strings.Contains(p, "20 calls per 5m0s") {
		t.Errorf("problem %q", p)
	}
	// The bucket refills as before: one call 15.8 s later.
	clock.Advance(16 * time.Second)
	if err := b.Wait(actionCtx); err != nil {
		t.Errorf("after the refill: %v", err)
	}
	clock.Advance(5 * time.Minute)
	if p := b.Problem(); p != "" {
		t.Errorf("a window after the last refusal the budget still says %q", p)
	}
}

// TestBudgetPollsAndActionsTakeTurns: with the bucket empty after
// actions, a poll waits for the next call and an action asked meanwhile is
// refused at once rather than take it; after a poll, a waiting action goes
// before the next poll. Neither class can starve the other.
func TestBudgetPollsAndActionsTakeTurns(t *testing.T) {
	clock := newManualClock()
	b := comm100api.NewBudget(100, 5*time.Minute, clock) // a bucket of 5, a call every 3.16 s
	for i := range 5 {
		if err := b.Wait(actionCtx); err != nil {
			t.Fatalf("action %d of the burst: %v", i, err)
		}
	}
	polled := make(chan error, 1)
	go func() { polled <- b.Wait(context.Background()) }()
	clock.waitSleepers(t, 1)
	err := b.Wait(actionCtx)
	var be *comm100api.BudgetError
	if !errors.As(err, &be) || be.Class != comm100api.ClassAction || be.Next <= 5*time.Second {
		t.Fatalf("an action while a poll waits its turn: %v", err)
	}
	clock.Advance(3200 * time.Millisecond)
	if err := <-polled; err != nil {
		t.Fatalf("the poll: %v", err)
	}
	// Now an action waits; a poll asked after it lets it go first.
	acted := make(chan error, 1)
	go func() { acted <- b.Wait(actionCtx) }()
	clock.waitSleepers(t, 1)
	go func() { polled <- b.Wait(context.Background()) }()
	clock.waitSleepers(t, 2)
	clock.Advance(3200 * time.Millisecond)
	if err := <-acted; err != nil {
		t.Errorf("the action's turn: %v", err)
	}
	select {
	case err := <-polled:
		t.Fatalf("the poll went before the action's turn ended: %v", err)
	default:
	}
	clock.Advance(3200 * time.Millisecond)
	if err := <-polled; err != nil {
		t.Errorf("the second poll: %v", err)
	}
	if left := b.Left(); left < 0 {
		t.Errorf("left %v", left)
	}
}

// TestBudgetBoundsWaiters: at most MaxWaiters calls wait at once; the next
// is refused at once, saying so.
func TestBudgetBoundsWaiters(t *testing.T) {
	clock := newManualClock()
	b := comm100api.NewBudget(20, 5*time.Minute, clock)
	if err := b.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range comm100api.MaxWaiters {
		wg.Add(1)
		go func() { defer wg.Done(); _ = b.Wait(ctx) }()
	}
	clock.waitSleepers(t, comm100api.MaxWaiters)
	err := b.Wait(context.Background())
	var be *comm100api.BudgetError
	if !errors.As(err, &be) || !be.Queued || !strings.Contains(err.Error(), "64 calls already wait") {
		t.Errorf("call beyond the waiters: %v", err)
	}
	cancel()
	wg.Wait()
	if clock.sleeping() != 0 {
		t.Errorf("%d sleepers left", clock.sleeping())
	}
}
