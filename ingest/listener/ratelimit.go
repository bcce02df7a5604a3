package listener

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxClients is how many client addresses the webhook rate limit
// remembers at most, when Config.RateLimitClients is zero.
const DefaultMaxClients = 10000

// ipLimiter is a token bucket per client address, for the webhook routes.
// Memory is bounded: the least recently seen addresses are forgotten first,
// and an address idle long enough for its bucket to be full again is
// forgotten as soon as it is the least recent (a full bucket is what a new
// address gets, so nothing is lost by dropping it).
type ipLimiter struct {
	limit    rate.Limit
	burst    int
	max      int
	fullTime time.Duration // how long an empty bucket takes to fill

	mu      sync.Mutex
	clients map[string]*list.Element // of *ipClient
	lru     *list.List               // front: most recently seen
}

type ipClient struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

// newIPLimiter returns a limiter of perSecond requests per address with
// the given burst, remembering at most maxClients addresses; nil when
// perSecond is not positive (no limit).
func newIPLimiter(perSecond float64, burst, maxClients int) *ipLimiter {
	if !(perSecond > 0) || math.IsInf(perSecond, 1) {
		return nil
	}
	if burst < 1 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	if maxClients <= 0 {
		maxClients = DefaultMaxClients
	}
	return &ipLimiter{
		limit:    rate.Limit(perSecond),
		burst:    burst,
		max:      maxClients,
		fullTime: time.Duration(float64(burst) / perSecond * float64(time.Second)),
		clients:  map[string]*list.Element{},
		lru:      list.New(),
	}
}

// allow takes one request of key at now. When the bucket is empty it
// reports false and how long until a request would be allowed.
func (l *ipLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var c *ipClient
	if e, ok := l.clients[key]; ok {
		c = e.Value.(*ipClient)
		l.lru.MoveToFront(e)
	} else {
		c = &ipClient{key: key, lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[key] = l.lru.PushFront(c)
	}
	c.seen = now
	l.evict(now)
	r := c.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict forgets the least recently seen addresses while there are too many
// or while the least recent one's bucket has filled up again. l.mu is held.
func (l *ipLimiter) evict(now time.Time) {
	for l.lru.Len() > 1 {
		e := l.lru.Back()
		c := e.Value.(*ipClient)
		if l.lru.Len() <= l.max && now.Sub(c.seen) < l.fullTime {
			return
		}
		l.lru.Remove(e)
		delete(l.clients, c.key)
	}
}

// size is how many addresses are remembered.
func (l *ipLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// clientKey is the address a request is limited under: the IPv4 address,
// or the /64 network of an IPv6 address (one host usually has a whole /64).
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.WithZone("").Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}

// retryAfterSeconds is d in whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(d.Seconds()))), 10)
}
