package comm100api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
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

// CallClass says whose call it is, for how long it may wait for the
// budget and whose turn it is when polls and actions both wait.
type CallClass int

const (
	// ClassPoll is the poller and anything not marked otherwise: it may
	// wait for a call up to a minute.
	ClassPoll CallClass = iota
	// ClassAction is a supervisor's action (a status change, a tag): it
	// waits for a call at most 5 s.
	ClassAction
)

func (c CallClass) String() string {
	if c == ClassAction {
		return "an action"
	}
	return "a poll"
}

type classKey struct{}

// WithClass marks the calls made with ctx as of class c.
func WithClass(ctx context.Context, c CallClass) context.Context {
	return context.WithValue(ctx, classKey{}, c)
}

func classOf(ctx context.Context) CallClass {
	c, _ := ctx.Value(classKey{}).(CallClass)
	return c
}

// Default waits and bounds of a Budget.
const (
	// DefaultActionWait is how long an action's call may wait for the
	// budget: a few seconds, so that a supervisor is told soon, and two
	// refills of the default budget, so that an action fits even while
	// polls take their turns.
	DefaultActionWait = 5 * time.Second
	// DefaultPollWait is how long a poll's call may wait (at least two
	// calls' refill, so that the smallest budget still polls).
	DefaultPollWait = time.Minute
	// MaxWaiters bounds the calls waiting for the budget at once; more are
	// refused at once.
	MaxWaiters = 64
)

// ErrBudgetExhausted is the condition of a call the budget refused: no
// call was free within the wait its class allows.
var ErrBudgetExhausted = errors.New("comm100 API call budget exhausted")

// BudgetError is a call the budget refused. errors.Is matches it with
// ErrBudgetExhausted.
type BudgetError struct {
	Class  CallClass
	Waited time.Duration // the wait the class allows
	Next   time.Duration // when a call of the class may be free
	Budget string        // e.g. "150 calls per 5m0s"
	Queued bool          // refused because MaxWaiters calls were waiting
}

func (e *BudgetError) Error() string {
	if e.Queued {
		return fmt.Sprintf("%v: %d calls already wait for it (%s)", ErrBudgetExhausted, MaxWaiters, e.Budget)
	}
	return fmt.Sprintf("%v: no call free within %v for %v (the next in %v; %s)",
		ErrBudgetExhausted, e.Waited, e.Class, e.Next.Round(100*time.Millisecond), e.Budget)
}

// Is matches ErrBudgetExhausted.
func (e *BudgetError) Is(target error) bool { return target == ErrBudgetExhausted }

// RetryAfter is when to try again.
func (e *BudgetError) RetryAfter() time.Duration { return max(e.Next, time.Second) }

// Budget caps the calls chatdeck makes to the API: at most Calls in any
// window of Per, whoever makes them (polls and actions share it). It is a
// token bucket whose burst plus refill over Per equals Calls, so no window
// of Per can see more.
//
// A call takes a token that is there: the bucket never goes below empty,
// nor is a call promised a token in the future, so a flood of calls cannot
// queue the poller behind it. A call that finds no token waits for one up
// to its class's wait (see SetWaits) and is refused with a BudgetError
// beyond it; at most MaxWaiters wait at once. When polls and actions both
// wait they take turns, so neither starves the other: however many
// actions are asked for, a poll's call waits at most about two refills
// (and a poll interval too short for the budget leaves actions half).
type Budget struct {
	lim   *rate.Limiter
	clock Clock
	calls int
	per   time.Duration

	mu          sync.Mutex
	last        time.Time // the latest time read: the limiter never sees time go back
	actionWait  time.Duration
	pollWait    time.Duration
	waiters     int
	waiting     [2]int    // by class
	lastGranted CallClass // whose turn it is not, when both wait
	refused     uint64
	spellStart  time.Time // the first refusal since the budget was last fine
	spellCount  uint64
	lastRefused time.Time
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
	b := &Budget{lim: lim, clock: clock, calls: calls, per: per, actionWait: DefaultActionWait}
	b.pollWait = max(DefaultPollWait, 2*b.tokenTime(1))
	return b
}

// SetWaits sets how long an action's call and a poll's call may wait for
// the budget (zero keeps the current one). Call it before the budget is
// used.
func (b *Budget) SetWaits(action, poll time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if action > 0 {
		b.actionWait = action
	}
	if poll > 0 {
		b.pollWait = poll
	}
}

// tokenTime is how long the bucket takes to refill n tokens.
func (b *Budget) tokenTime(n float64) time.Duration {
	d := time.Duration(math.Ceil(n / float64(b.lim.Limit()) * float64(time.Second)))
	return max(d, time.Millisecond)
}

// nowLocked reads the clock, never going back.
func (b *Budget) nowLocked() time.Time {
	now := b.clock.Now()
	if now.Before(b.last) {
		return b.last
	}
	b.last = now
	return now
}

// Wait takes one call from the budget, waiting for a free one up to the
// wait of the class ctx is marked with (WithClass), or until ctx ends. A
// call refused for want of budget is a *BudgetError.
func (b *Budget) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("comm100 API budget: %w", err)
	}
	class := classOf(ctx)
	b.mu.Lock()
	maxWait := b.pollWait
	if class == ClassAction {
		maxWait = b.actionWait
	}
	start := b.nowLocked()
	other := ClassAction
	if class == ClassAction {
		other = ClassPoll
	}
	waiting := false
	leave := func() {
		if waiting {
			b.waiters--
			b.waiting[class]--
		}
	}
	for {
		now := b.nowLocked()
		tokens := b.lim.TokensAt(now)
		ahead := 0 // a call of the other class to let go first: its turn
		if b.lastGranted == class && b.waiting[other] > 0 {
			ahead = 1
		}
		if tokens >= float64(1+ahead) && b.lim.AllowN(now, 1) {
			leave()
			b.lastGranted = class
			b.mu.Unlock()
			return nil
		}
		need := b.tokenTime(float64(1+ahead) - tokens)
		if now.Add(need).After(start.Add(maxWait)) || !waiting && b.waiters >= MaxWaiters {
			queued := !waiting && b.waiters >= MaxWaiters
			leave()
			b.refuseLocked(now)
			b.mu.Unlock()
			return &BudgetError{Class: class, Waited: maxWait, Next: need, Budget: b.String(), Queued: queued}
		}
		if !waiting {
			waiting = true
			b.waiters++
			b.waiting[class]++
		}
		b.mu.Unlock()
		err := b.clock.Sleep(ctx, need)
		b.mu.Lock()
		if err != nil {
			leave()
			b.mu.Unlock()
			return fmt.Errorf("comm100 API budget: %w", err)
		}
	}
}

func (b *Budget) refuseLocked(now time.Time) {
	b.refused++
	if b.lastRefused.IsZero() || now.Sub(b.lastRefused) >= b.per {
		b.spellStart, b.spellCount = now, 0
	}
	b.spellCount++
	b.lastRefused = now
}

// Left is how many calls could be made right now without waiting; never
// below 0.
func (b *Budget) Left() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(0, b.lim.TokensAt(b.nowLocked()))
}

// Refused is how many calls the budget has refused.
func (b *Budget) Refused() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refused
}

// Problem says why the budget is exhausted: it refused a call within the
// last window (Per). It is "" when it has not.
func (b *Budget) Problem() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.nowLocked()
	if b.lastRefused.IsZero() || now.Sub(b.lastRefused) >= b.per {
		return ""
	}
	return fmt.Sprintf("exhausted: %d calls refused since %s (the last %v ago): more is asked than the budget of %s allows; "+
		"polls and actions take turns, and a call is refused when none is free within its wait",
		b.spellCount, b.spellStart.UTC().Format(time.RFC3339), now.Sub(b.lastRefused).Round(time.Second), b.String())
}

// Limit returns the budget: calls per window.
func (b *Budget) Limit() (calls int, per time.Duration) { return b.calls, b.per }

// String describes the budget, e.g. "150 calls per 5m0s".
func (b *Budget) String() string { return fmt.Sprintf("%d calls per %s", b.calls, b.per) }
