package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testLeaseTTL is above the cluster's longest leader election (9 s), so
// that the lease moves within it even when the holder led the bucket's
// stream.
const testLeaseTTL = 10 * time.Second

// contender runs one node's Lease and counts what its callbacks saw.
type contender struct {
	lease  *Lease
	cancel context.CancelFunc
	done   chan error
}

// TestLeaseOneHolderMovesWithinTTL: the lease is held by exactly one of
// three nodes; when the holder's server stops (it cannot renew, nor
// release), another node holds it within the TTL; when a holder's Run
// ends, it releases and another takes over at once. A sampler checks
// every 2 ms that no two nodes hold it, and the callbacks check that no
// two nodes are between onAcquire and onLose at once.
func TestLeaseOneHolderMovesWithinTTL(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, 3)
	var active atomic.Int32 // nodes between onAcquire and onLose
	var overlap atomic.Int32
	cs := make([]*contender, 3)
	for i, n := range c.nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		l, err := OpenLease(ctx, n, LeaseConfig{TTL: testLeaseTTL})
		cancel()
		if err != nil {
			t.Fatalf("open lease on %s: %v", n.Name(), err)
		}
		rctx, rcancel := context.WithCancel(context.Background())
		ct := &contender{lease: l, cancel: rcancel, done: make(chan error, 1)}
		go func() {
			ct.done <- l.Run(rctx, func() {
				if active.Add(1) > 1 {
					overlap.Add(1)
				}
			}, func() { active.Add(-1) })
		}()
		cs[i] = ct
	}
	t.Cleanup(func() {
		for _, ct := range cs {
			ct.cancel()
			<-ct.done
		}
	})

	// The sampler.
	var samples, doubles atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			n := 0
			for _, ct := range cs {
				if ct.lease.Held() {
					n++
				}
			}
			samples.Add(1)
			if n > 1 {
				doubles.Add(1)
			}
		}
	})
	defer func() {
		close(stop)
		sampler.Wait()
		t.Logf("%d samples", samples.Load())
		if samples.Load() < 1000 {
			t.Errorf("only %d samples of who holds the lease, want at least 1000", samples.Load())
		}
		if d := doubles.Load(); d > 0 {
			t.Errorf("two nodes held the lease at once in %d samples of %d", d, samples.Load())
		}
		if o := overlap.Load(); o > 0 {
			t.Errorf("two nodes were between onAcquire and onLose at once %d times", o)
		}
	}()

	holder := func(except ...int) (int, string) {
		h, state := -1, ""
		for i, ct := range cs {
			state += fmt.Sprintf(" n%d:%v", i+1, ct.lease.Held())
			skip := false
			for _, e := range except {
				skip = skip || e == i
			}
			if !skip && ct.lease.Held() {
				h = i
			}
		}
		return h, state
	}
	var first int
	waitFor(t, 30*time.Second, "one node holds the lease", func() (bool, string) {
		var state string
		first, state = holder()
		return first >= 0, state
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	name, err := cs[(first+1)%3].lease.Holder(ctx)
	cancel()
	if err != nil || name != c.cfgs[first].Node {
		t.Fatalf("the bucket names holder %q (err %v), want %q", name, err, c.cfgs[first].Node)
	}

	// The holder's server stops: it can neither renew nor release.
	c.stop(first)
	stopped := time.Now()
	var second int
	waitFor(t, testLeaseTTL+5*time.Second, "another node holds the lease", func() (bool, string) {
		var state string
		second, state = holder(first)
		return second >= 0, state
	})
	moved := time.Since(stopped)
	t.Logf("lease moved %v after its holder's server stopped (TTL %v)", moved.Round(time.Millisecond), testLeaseTTL)
	if moved > testLeaseTTL+time.Second {
		t.Errorf("the lease moved %v after its holder stopped, want within the TTL %v (and a retry)", moved, testLeaseTTL)
	}
	if cs[first].lease.Held() {
		t.Errorf("the stopped node still counts itself the holder")
	}

	// The new holder's Run ends: it releases, and the third node takes
	// over well before the TTL.
	third := 3 - first - second
	cs[second].cancel()
	<-cs[second].done
	cs[second].done <- nil // for the cleanup
	released := time.Now()
	waitFor(t, testLeaseTTL/2, "the third node holds the released lease", func() (bool, string) {
		h, state := holder(first, second)
		return h == third, state
	})
	t.Logf("released lease taken over in %v", time.Since(released).Round(time.Millisecond))
}
