package actions

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Default bounds of a Gate.
const (
	DefaultPerClient = 4
	DefaultTotal     = 16
)

// ErrBusy is the condition of an action refused because too many are in
// flight; the wrapped error says which bound.
var ErrBusy = errors.New("busy")

// BusyError is an action the Gate refused. errors.Is matches it with ErrBusy.
type BusyError struct {
	// Client is true when the client's own bound was reached, false when
	// the server's was.
	Client           bool
	PerClient, Total int
}

func (e *BusyError) Error() string {
	who := fmt.Sprintf("the server already has %d actions in flight", e.Total)
	if e.Client {
		who = fmt.Sprintf("this client already has %d actions in flight", e.PerClient)
	}
	return fmt.Sprintf("%v: %s (at most %d per client and %d in all): try again in a moment", ErrBusy, who, e.PerClient, e.Total)
}

// Is matches ErrBusy.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// RetryAfter is when to try again: an action takes about a second.
func (e *BusyError) RetryAfter() time.Duration { return time.Second }

// Gate bounds the actions in flight, per client (a stream connection, an
// HTTP client's address) and in all, so that no client can make the
// server hold more than a few calls to the vendor at once. Whatever is
// beyond is refused at once, not queued. It is safe for concurrent use and
// shared by every route that performs actions.
type Gate struct {
	perClient, total int

	mu       sync.Mutex
	inFlight map[string]int
	all      int
	refused  uint64
}

// NewGate returns a gate of perClient actions per client and total in
// all; a bound below 1 takes its default.
func NewGate(perClient, total int) *Gate {
	if perClient < 1 {
		perClient = DefaultPerClient
	}
	if total < 1 {
		total = DefaultTotal
	}
	return &Gate{perClient: perClient, total: total, inFlight: map[string]int{}}
}

// Enter admits one action of client, or refuses it at once with a
// *BusyError. done gives the place back; call it once, when the action
// has ended.
func (g *Gate) Enter(client string) (done func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.inFlight[client]
	if n >= g.perClient || g.all >= g.total {
		g.refused++
		return nil, &BusyError{Client: n >= g.perClient, PerClient: g.perClient, Total: g.total}
	}
	g.inFlight[client] = n + 1
	g.all++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.all--
			if g.inFlight[client]--; g.inFlight[client] <= 0 {
				delete(g.inFlight, client)
			}
		})
	}, nil
}

// InFlight is how many actions are in flight.
func (g *Gate) InFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.all
}

// Refused is how many actions the gate has refused.
func (g *Gate) Refused() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused
}

// Limits returns the bounds: per client, and in all.
func (g *Gate) Limits() (perClient, total int) { return g.perClient, g.total }
