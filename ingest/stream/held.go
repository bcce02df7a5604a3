package stream

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// heldConn is a client's connection that can hold what is written to it
// and send it in one write: a client's messages that come close together
// (a batch of events committed at once, a burst) cost one system call
// instead of one each. The WebSocket library writes a frame at a time;
// while held, frames (the reader's pongs included) are appended to a
// buffer, and flush writes them, under the last write deadline set.
type heldConn struct {
	net.Conn
	mu       sync.Mutex
	held     bool
	buf      []byte
	deadline time.Time
}

// heldMax is how much a held connection buffers before it writes anyway.
const heldMax = 256 << 10

func (h *heldConn) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.held {
		return h.Conn.Write(p)
	}
	h.buf = append(h.buf, p...)
	if len(h.buf) >= heldMax {
		if err := h.writeLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// SetWriteDeadline takes effect at once, or for the flush when held.
func (h *heldConn) SetWriteDeadline(t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deadline = t
	if h.held {
		return nil
	}
	return h.Conn.SetWriteDeadline(t)
}

// hold starts buffering writes.
func (h *heldConn) hold() {
	h.mu.Lock()
	h.held = true
	h.mu.Unlock()
}

// flush writes what was held, and stops holding.
func (h *heldConn) flush() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = false
	return h.writeLocked()
}

func (h *heldConn) writeLocked() error {
	if len(h.buf) == 0 {
		return nil
	}
	if err := h.Conn.SetWriteDeadline(h.deadline); err != nil {
		return err
	}
	_, err := h.Conn.Write(h.buf)
	if cap(h.buf) > heldMax {
		h.buf = nil
	} else {
		h.buf = h.buf[:0]
	}
	return err
}

// heldWriter is a ResponseWriter whose Hijack hands the connection over as
// a heldConn.
type heldWriter struct {
	http.ResponseWriter
	conn *heldConn
}

func (w *heldWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("stream: the connection cannot be hijacked")
	}
	c, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &heldConn{Conn: c}
	return w.conn, rw, nil
}

// Unwrap lets http.ResponseController reach the ResponseWriter.
func (w *heldWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
