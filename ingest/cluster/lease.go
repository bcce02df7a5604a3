package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaseConfig configures a Lease. Zero values take the defaults.
type LeaseConfig struct {
	// Bucket is the key-value bucket; default "chatdeck_lease".
	Bucket string
	// Key is the lease's key in it; default "comm100_poller".
	Key string
	// TTL is the most the lease takes to move to another node when its
	// holder dies: a write of the key lives TTL less ExpirySlack (the
	// server removes an expired key only at its next age check, up to 2 s
	// late, and a contender retries every 0.5 s), so a holder that stops
	// renewing loses the lease, and another node creates the key, within
	// TTL of its last renewal. Default 15 s; at least MinLeaseTTL. Keep it
	// above the cluster's leader election time (up to about 9 s) so that
	// the lease moves within TTL even when the bucket's leader went down
	// with the holder.
	TTL time.Duration
	// Replicas is the bucket's replica count; default 3.
	Replicas int
	// Logger; default the node's.
	Logger *slog.Logger
}

// Defaults for LeaseConfig.
const (
	DefaultLeaseBucket = "chatdeck_lease"
	DefaultLeaseKey    = "comm100_poller"
	defaultLeaseTTL    = 15 * time.Second
	// ExpirySlack is how much later than its age an expired key may go
	// (the server's age check, then a contender's retry): a write of the
	// lease's key lives LeaseConfig.TTL less it.
	ExpirySlack = 2500 * time.Millisecond
	// MinLeaseTTL is the shortest LeaseConfig.TTL: a key that lives 1 s.
	MinLeaseTTL = ExpirySlack + time.Second
)

// Lease is one key that at most one node holds at a time. Run contends for
// it and keeps it; Held says whether this node holds it now.
//
// The rule that keeps two nodes from holding it at once: the key is
// written with a revision check (created only when absent, updated only at
// the revision this node wrote last), and it expires K = TTL-ExpirySlack
// after the write, as timed by the stream. A write sent at t expires no
// earlier than t+K, so the holder counts its lease from the moment it sent
// the renewal, and gives it up (Held false, then onLose) at t+K-K/4 if no
// renewal has succeeded since: a quarter of K before anyone else can
// create the key. Renewals go out every K/3.
type Lease struct {
	cfg  LeaseConfig
	kv   jetstream.KeyValue
	node string
	log  *slog.Logger

	base  time.Time    // the monotonic origin of until
	held  atomic.Bool  // set before onAcquire, cleared before onLose
	until atomic.Int64 // nanoseconds since base after which this node no longer counts as holding
}

// OpenLease creates (or updates) the lease's bucket and returns the lease
// for this node; it retries while the cluster has no leader yet, until ctx
// ends.
func OpenLease(ctx context.Context, n *Node, cfg LeaseConfig) (*Lease, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultLeaseBucket
	}
	if cfg.Key == "" {
		cfg.Key = DefaultLeaseKey
	}
	if cfg.TTL == 0 {
		cfg.TTL = defaultLeaseTTL
	}
	if cfg.TTL < MinLeaseTTL {
		return nil, fmt.Errorf("cluster: lease %s: TTL %v is under %v", cfg.Bucket, cfg.TTL, MinLeaseTTL)
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = defaultReplicas
	}
	if cfg.Logger == nil {
		cfg.Logger = n.log
	}
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		kv, err = n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:   cfg.Bucket,
			TTL:      cfg.TTL - ExpirySlack,
			Replicas: cfg.Replicas,
			Storage:  jetstream.FileStorage,
			History:  1,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: open lease bucket %s: %w", cfg.Bucket, err)
	}
	return &Lease{cfg: cfg, kv: kv, node: n.name, log: cfg.Logger.With("lease", cfg.Bucket+"/"+cfg.Key), base: time.Now()}, nil
}

// Held says whether this node holds the lease now. It turns false at the
// lease's own deadline even if Run is busy, so a caller that checks it
// before each piece of work never works past the deadline.
func (l *Lease) Held() bool {
	return l.held.Load() && time.Since(l.base) < time.Duration(l.until.Load())
}

// Holder returns the name of the node whose write of the key is the
// latest, "" when the key is absent or expired.
func (l *Lease) Holder(ctx context.Context) (string, error) {
	e, err := l.kv.Get(ctx, l.cfg.Key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cluster: lease %s holder: %w", l.cfg.Key, err)
	}
	return string(e.Value()), nil
}

// Run contends for the lease and keeps it until ctx ends. It calls
// onAcquire when this node takes the lease and onLose when it no longer
// holds it (a renewal refused, or no renewal in time, or ctx ended), on
// Run's goroutine, so they alternate; onLose must return only once the
// work the lease guards has stopped, and well within (TTL-ExpirySlack)/4. When ctx ends
// while holding, Run calls onLose and then deletes the key, so that
// another node takes over at once. Run returns ctx.Err().
func (l *Lease) Run(ctx context.Context, onAcquire, onLose func()) error {
	ttl := l.cfg.TTL - ExpirySlack // how long a write of the key lives
	renewEvery := ttl / 3
	margin := ttl / 4
	retryEvery := min(ttl/20, 500*time.Millisecond)
	var rev uint64
	var next time.Duration // when to renew, since base
	for {
		if !l.held.Load() {
			sent := time.Since(l.base)
			r, err := l.request(ctx, ttl/4, func(ctx context.Context) (uint64, error) {
				return l.kv.Create(ctx, l.cfg.Key, []byte(l.node))
			})
			if err == nil {
				rev = r
				l.until.Store(int64(sent + ttl - margin))
				l.held.Store(true)
				next = sent + renewEvery
				l.log.Info("cluster: lease acquired", "revision", rev)
				if onAcquire != nil {
					onAcquire()
				}
				continue
			}
			if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
				l.log.Debug("cluster: lease contention failed", "err", err)
			}
			if err := sleep(ctx, retryEvery); err != nil {
				return err
			}
			continue
		}
		until := time.Duration(l.until.Load())
		wait := min(next, until) - time.Since(l.base)
		if err := sleep(ctx, max(wait, 0)); err != nil {
			l.lose(onLose, "stopping")
			dctx, cancel := context.WithTimeout(context.Background(), ttl/4)
			if derr := l.kv.Delete(dctx, l.cfg.Key, jetstream.LastRevision(rev)); derr != nil {
				l.log.Warn("cluster: releasing the lease", "err", derr)
			}
			cancel()
			return err
		}
		now := time.Since(l.base)
		if now >= until {
			l.lose(onLose, "no renewal in time")
			continue
		}
		r, err := l.request(ctx, until-now, func(ctx context.Context) (uint64, error) {
			return l.kv.Update(ctx, l.cfg.Key, []byte(l.node), rev)
		})
		switch {
		case err == nil:
			rev = r
			l.until.Store(int64(now + ttl - margin))
			next = now + renewEvery
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) ||
			errors.Is(err, jetstream.ErrKeyNotFound):
			l.lose(onLose, "renewal refused: "+err.Error())
		default:
			l.log.Warn("cluster: lease renewal failed, retrying", "err", err)
			next = time.Since(l.base) + retryEvery
		}
	}
}

// request runs one write of the key with a deadline of at most d.
func (l *Lease) request(ctx context.Context, d time.Duration, fn func(context.Context) (uint64, error)) (uint64, error) {
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return fn(rctx)
}

// lose stops holding: Held is false before onLose runs.
func (l *Lease) lose(onLose func(), why string) {
	l.held.Store(false)
	l.log.Info("cluster: lease lost", "why", why)
	if onLose != nil {
		onLose()
	}
}
