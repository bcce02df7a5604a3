package listener

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

// TestIPLimiterMemoryIsBounded sends from far more addresses than the
// limiter may remember: it never holds more than its bound, and an address
// that is remembered is still limited.
func TestIPLimiterMemoryIsBounded(t *testing.T) {
	l := newIPLimiter(1, 2, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10000 {
		l.allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256), now)
		if n := l.size(); n > 100 {
			t.Fatalf("after %d addresses the limiter holds %d, want at most 100", i+1, n)
		}
	}
	// The most recent address is remembered and its bucket was spent by
	// one request: one more is allowed (burst 2), the next is not.
	last := "10.0.39.15" // the 10000th address
	if ok, _ := l.allow(last, now); !ok {
		t.Errorf("second request of %s refused", last)
	}
	if ok, wait := l.allow(last, now); ok || wait <= 0 || wait > time.Second {
		t.Errorf("third request of %s: allowed %v, wait %v; want refused, wait ≤ 1 s", last, ok, wait)
	}
}

// TestIPLimiterForgetsIdleAddresses: an address idle long enough for its
// bucket to refill is dropped when it is the least recent.
func TestIPLimiterForgetsIdleAddresses(t *testing.T) {
	l := newIPLimiter(10, 20, 1000) // full again after 2 s
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		l.allow(fmt.Sprintf("192.0.2.%d", i), now)
	}
	if n := l.size(); n != 50 {
		t.Fatalf("holds %d, want 50", n)
	}
	l.allow("198.51.100.1", now.Add(3*time.Second))
	if n := l.size(); n != 1 {
		t.Errorf("after every other address idled past the refill time it holds %d, want 1", n)
	}
}

func TestClientKey(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:4431":              "192.0.2.7",
		"[::ffff:192.0.2.7]:80":       "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":  "2001:db8:1:2::/64",
		"[2001:db8:1:2:ff::1%eth0]:1": "2001:db8:1:2::/64",
		"@":                           "@",
	} {
		r := httptest.NewRequest("POST", "/webhooks/comm100", nil)
		r.RemoteAddr = remote
		if got := clientKey(r); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestNoLimitWhenRateIsZero(t *testing.T) {
	if l := newIPLimiter(0, 200, 0); l != nil {
		t.Errorf("rate 0 gave a limiter %+v", l)
	}
}
