package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/cluster"
	"github.com/chatdeck/chatdeck/ingest/cluster/clustertest"
)

var quiet = slog.New(slog.DiscardHandler)

// nodeActions is a node's own actions: the outcome names the node.
type nodeActions struct{ node int64 }

func (a nodeActions) SetAgentStatus(_ context.Context, agent, status string) (actions.Outcome, error) {
	switch agent {
	case "nobody":
		return actions.Outcome{}, fmt.Errorf("%w: agent %s", actions.ErrUnknownAgent, agent)
	case "broke":
		return actions.Outcome{}, fmt.Errorf("%w: %w", actions.ErrBudget, &comm100api.BudgetError{Next: 7 * time.Second})
	}
	return actions.Outcome{Cursor: a.node}, nil
}

func (a nodeActions) TagVisitor(context.Context, string, string, string) (actions.Outcome, error) {
	return actions.Outcome{Cursor: 100 + a.node}, nil
}

// work counts the nodes whose work runs at once, and the most ever.
type work struct {
	mu        sync.Mutex
	running   map[int]bool
	most      int
	starts    []int
	startedAt []time.Time
}

func (w *work) run(i int) func(ctx context.Context) {
	return func(ctx context.Context) {
		w.mu.Lock()
		w.running[i] = true
		w.most = max(w.most, len(w.running))
		w.starts = append(w.starts, i)
		w.startedAt = append(w.startedAt, time.Now())
		w.mu.Unlock()
		<-ctx.Done()
		w.mu.Lock()
		delete(w.running, i)
		w.mu.Unlock()
	}
}

// TestOneLeaderPollsAndServesEveryNodesActions: of three nodes exactly
// one runs the work; an action asked of any node is performed by that one
// and answered with its result, its errors matching the actions package's
// and a budget refusal keeping its wait. When the leader's node dies
// (its server gone, its Run still going) the work moves to another node
// within the lease's TTL, never running on two nodes at once, and actions
// follow it.
func TestOneLeaderPollsAndServesEveryNodesActions(t *testing.T) {
	c := clustertest.Start(t, 3)
	// Above the cluster's election time, so the lease moves within it even
	// when the bucket's leader died with the holder.
	const ttl = 6 * time.Second
	w := &work{running: map[int]bool{}}
	leaders := make([]*Leader, 3)
	stops := make([]context.CancelFunc, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		lease, err := cluster.OpenLease(ctx, c.Node(i), cluster.LeaseConfig{TTL: ttl, Logger: quiet})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		l, err := New(Config{Lease: lease, Conn: c.Node(i).Conn(), Work: w.run(i), Local: nodeActions{int64(i)},
			Timeout: 5 * time.Second, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		leaders[i] = l
		rctx, stop := context.WithCancel(context.Background())
		stops[i] = stop
		wg.Go(func() { _ = l.Run(rctx) })
	}
	defer func() {
		for _, s := range stops {
			s()
		}
		wg.Wait()
	}()
	var sampling atomic.Bool
	sampling.Store(true)
	overlap := make(chan string, 1)
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for sampling.Load() {
			n := 0
			for _, l := range leaders {
				if l.Leading() {
					n++
				}
			}
			if n > 1 {
				select {
				case overlap <- fmt.Sprintf("%d nodes leading at once", n):
				default:
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	leader := func() int {
		for i, l := range leaders {
			if l != nil && l.Leading() {
				return i
			}
		}
		return -1
	}
	clustertest.WaitFor(t, 20*time.Second, "a leader", func() (bool, string) { return leader() >= 0, "none" })
	first := leader()
	ctx := context.Background()
	for i, l := range leaders {
		out, err := l.SetAgentStatus(ctx, "a1", "away")
		if err != nil || out.Cursor != int64(first) {
			t.Errorf("status change asked of node %d: %+v %v, want node %d's result", i, out, err, first)
		}
		out, err = l.TagVisitor(ctx, "v1", "k", "v")
		if err != nil || out.Cursor != 100+int64(first) {
			t.Errorf("tag asked of node %d: %+v %v, want node %d's result", i, out, err, first)
		}
		if _, err := l.SetAgentStatus(ctx, "nobody", "away"); !errors.Is(err, actions.ErrUnknownAgent) {
			t.Errorf("unknown agent asked of node %d: %v, want ErrUnknownAgent", i, err)
		}
		_, err = l.SetAgentStatus(ctx, "broke", "away")
		var ra interface{ RetryAfter() time.Duration }
		if !errors.Is(err, actions.ErrBudget) || !errors.As(err, &ra) || ra.RetryAfter() != 7*time.Second {
			t.Errorf("budget refusal asked of node %d: %v, want ErrBudget with a 7s wait", i, err)
		}
	}

	// The leader's server dies; its Leader goes on running and must stop
	// its work by itself before the lease can expire.
	died := time.Now()
	c.StopNode(first)
	clustertest.WaitFor(t, ttl+5*time.Second, "the work moved", func() (bool, string) {
		l := leader()
		return l >= 0 && l != first, fmt.Sprintf("leader %d", l)
	})
	w.mu.Lock()
	moved := w.startedAt[len(w.startedAt)-1].Sub(died)
	starts := append([]int(nil), w.starts...)
	w.mu.Unlock()
	t.Logf("the work moved from node %d in %v (TTL %v); starts %v", first, moved.Round(time.Millisecond), ttl, starts)
	if moved > ttl+time.Second {
		t.Errorf("the work moved %v after the leader died, want within the TTL %v (and a retry)", moved, ttl)
	}
	second := leader()
	for i, l := range leaders {
		if i == first {
			continue
		}
		out, err := l.SetAgentStatus(ctx, "a1", "online")
		if err != nil || out.Cursor != int64(second) {
			t.Errorf("after the move, status change asked of node %d: %+v %v, want node %d's", i, out, err, second)
		}
	}
	sampling.Store(false)
	sampler.Wait()
	select {
	case o := <-overlap:
		t.Error(o)
	default:
	}
	w.mu.Lock()
	if w.most != 1 {
		t.Errorf("the work ran on %d nodes at once, want 1", w.most)
	}
	w.mu.Unlock()
}

// TestNoLeaderIsRefusedAtOnce: with no node leading, an action fails with
// ErrNoLeader (no responder), not a timeout.
func TestNoLeaderIsRefusedAtOnce(t *testing.T) {
	c := clustertest.Start(t, 1)
	l, err := New(Config{Lease: neverHeld{}, Conn: c.Node(0).Conn(), Logger: quiet, Subject: "chatdeck.test.actions"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = l.SetAgentStatus(context.Background(), "a", "away")
	var ra interface{ RetryAfter() time.Duration }
	if !errors.Is(err, ErrNoLeader) || !errors.As(err, &ra) || time.Since(start) > 2*time.Second {
		t.Errorf("action without a leader: %v after %v, want ErrNoLeader at once", err, time.Since(start))
	}
	if _, err := New(Config{Conn: c.Node(0).Conn()}); err == nil {
		t.Error("New without a lease: nil error")
	}
}

type neverHeld struct{}

func (neverHeld) Run(ctx context.Context, _, _ func()) error { <-ctx.Done(); return ctx.Err() }
func (neverHeld) Held() bool                                 { return false }
