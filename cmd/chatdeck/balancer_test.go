package main

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// balancer is a TCP load balancer on loopback in front of the nodes of a
// cluster, as a deployment puts one: each connection goes to a backend,
// the next one that accepts it when one is down. roundRobin spreads the
// connections; otherwise each goes to the first backend that accepts it
// (so a client stays on one node until that node dies).
type balancer struct {
	ln         net.Listener
	roundRobin bool

	mu       sync.Mutex
	backends []string
	next     int
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

func newBalancer(t *testing.T, roundRobin bool, backends ...string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln, roundRobin: roundRobin, backends: backends, conns: map[net.Conn]struct{}{}}
	b.wg.Go(b.serve)
	t.Cleanup(b.close)
	return b
}

// addr is where clients connect.
func (b *balancer) addr() string { return b.ln.Addr().String() }

// set replaces backend i (a node restarted on another port).
func (b *balancer) set(i int, addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends[i] = addr
}

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Go(func() { b.handle(c) })
	}
}

// handle pipes c to the first backend, from the one picked, that accepts.
func (b *balancer) handle(c net.Conn) {
	defer c.Close()
	b.mu.Lock()
	order := make([]string, 0, len(b.backends))
	start := 0
	if b.roundRobin {
		start = b.next % len(b.backends)
		b.next++
	}
	for k := range b.backends {
		order = append(order, b.backends[(start+k)%len(b.backends)])
	}
	b.conns[c] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
	}()
	var up net.Conn
	for _, addr := range order {
		var err error
		if up, err = net.DialTimeout("tcp", addr, time.Second); err == nil {
			break
		}
	}
	if up == nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done // either side gone: close both, which ends the other copy
	c.Close()
	up.Close()
	<-done
}

func (b *balancer) close() {
	b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}
