// Package stream is the WebSocket side of `chatdeck serve`: the server end
// of /v1/stream (a snapshot, then every event in journal order, each with
// its cursor; catch-up from a cursor after a reconnect; remote actions),
// and the client end that `chatdeck attach` keeps a board replica with.
package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
)

// Close reasons the server gives.
const (
	ReasonSlow     = "slow consumer: reconnect with your cursor to catch up"
	ReasonShutdown = "server shutting down"
)

// Request is what a client sends: an action to perform.
type Request struct {
	Type    string `json:"type"` // "set_agent_status" or "tag_visitor"
	ID      string `json:"id"`
	Agent   string `json:"agent,omitempty"`
	Status  string `json:"status,omitempty"`
	Visitor string `json:"visitor,omitempty"`
	Name    string `json:"name,omitempty"`
	Value   string `json:"value,omitempty"`
}

// Observer is told what the stream does, for metrics. Nil methods are fine.
type Observer interface {
	StreamClients(n int)
	StreamDropped()
	StreamLag(d time.Duration)
}

// Server serves /v1/stream. The token is checked (by the listener) before
// the upgrade.
type Server struct {
	Hub     *hub.Hub
	Actions actions.Actions // nil: actions answer not_configured
	// Gate bounds the actions in flight, per connection and in all
	// (shared with the HTTP route); beyond it a request is answered busy
	// at once. Default: a gate of its own with the default bounds.
	Gate *actions.Gate
	// Buffer is how many messages a client may fall behind before it is
	// dropped. Default 4096.
	Buffer int
	// Coalesce is the longest a client's messages may wait to be written
	// together. A client is written to at most once per window, all that
	// came meanwhile in one write, so that fast streams to many clients
	// cost far fewer system calls; the window is 10 µs per client
	// connected, up to Coalesce (one client: 10 µs; 200: 2 ms). A message
	// that comes after a quiet spell is written at once. Default 2 ms;
	// negative: every message at once.
	Coalesce time.Duration
	// MaxMessage is the most the server sends a client in one message
	// (less if the client asks with ?max_message=); a bigger message, such
	// as the snapshot of a large board, goes in parts (parts.go). Default
	// DefaultMaxMessage.
	MaxMessage int64
	// PingEvery, WriteTimeout, ReadLimit: defaults 20 s, 10 s, 64 KiB.
	PingEvery    time.Duration
	WriteTimeout time.Duration
	ReadLimit    int64
	// AllowedOrigins are the browser origins accepted besides the
	// server's own host; requests without an Origin (non-browsers) are.
	AllowedOrigins []string
	Observer       Observer
	Logger         *slog.Logger

	once    sync.Once
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	clients int
	live    atomic.Int64 // clients, for the coalescing window
}

// coalescePerClient is how much the coalescing window grows per client.
const coalescePerClient = 10 * time.Microsecond

// window is how long a client's messages may be held now.
func (s *Server) window() time.Duration {
	return min(s.Coalesce, time.Duration(s.live.Load())*coalescePerClient)
}

func (s *Server) init() {
	s.once.Do(func() {
		if s.Buffer <= 0 {
			s.Buffer = 4096
		}
		if s.PingEvery <= 0 {
			s.PingEvery = 20 * time.Second
		}
		if s.WriteTimeout <= 0 {
			s.WriteTimeout = 10 * time.Second
		}
		if s.MaxMessage <= 0 {
			s.MaxMessage = DefaultMaxMessage
		}
		if s.ReadLimit <= 0 {
			s.ReadLimit = 64 << 10
		}
		if s.Coalesce == 0 {
			s.Coalesce = 2 * time.Millisecond
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		if s.Gate == nil {
			s.Gate = actions.NewGate(0, 0)
		}
		s.ctx, s.cancel = context.WithCancel(context.Background())
	})
}

// Close disconnects every client (with a close reason) and waits for their
// goroutines to end.
func (s *Server) Close() {
	s.init()
	s.cancel()
	s.wg.Wait()
}

func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range s.AllowedOrigins {
		if strings.EqualFold(strings.TrimRight(o, "/"), strings.TrimRight(origin, "/")) {
			return true
		}
	}
	return false
}

func (s *Server) setClients(d int) {
	s.mu.Lock()
	s.clients += d
	n := s.clients
	s.live.Store(int64(n))
	s.mu.Unlock()
	if s.Observer != nil {
		s.Observer.StreamClients(n)
	}
}

// ServeHTTP upgrades and streams. ?after=CURSOR resumes after a cursor
// (from the journal) instead of starting with a snapshot;
// ?max_message=BYTES is the most the client reads in one message.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		refuse(w, http.StatusMethodNotAllowed, r.Method+" not allowed on "+r.URL.Path+": open a WebSocket with GET")
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		// RFC 9110 §15.5.22: 426 names the protocol to upgrade to.
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		refuse(w, http.StatusUpgradeRequired, r.URL.Path+" is a WebSocket: connect with Connection: Upgrade and Upgrade: websocket")
		return
	}
	after := int64(-1)
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			refuse(w, http.StatusBadRequest, "after: not a cursor: "+strconv.Quote(v)+": want a cursor from a snapshot or event message")
			return
		}
		after = n
	}
	limit := s.MaxMessage
	if v := r.URL.Query().Get("max_message"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < MinMaxMessage {
			body, _ := json.Marshal(map[string]string{
				"error": "max_message: want a number of bytes from " + strconv.Itoa(MinMaxMessage) + ", got " + strconv.Quote(v)})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(body)
			return
		}
		limit = min(limit, n)
	}
	up := websocket.Upgrader{CheckOrigin: s.checkOrigin, ReadBufferSize: 4096, WriteBufferSize: 16384,
		EnableCompression: false, Error: upgradeError}
	hw := &heldWriter{ResponseWriter: w}
	conn, err := up.Upgrade(hw, r, nil)
	if err != nil {
		return // the upgrader answered the error
	}
	s.wg.Add(1)
	defer s.wg.Done()
	s.setClients(1)
	defer s.setClients(-1)
	c := &client{s: s, conn: conn, held: hw.conn, results: make(chan []byte, 16), limit: limit,
		log: s.Logger.With("remote", r.RemoteAddr)}
	c.run(after)
}

// refuse answers a request the stream does not take, as the listener
// answers every error: JSON {"error": ...}.
func refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}

// upgradeError is the upgrader's refusal (a foreign origin, a bad
// handshake), as JSON.
func upgradeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	w.Header().Set("Sec-Websocket-Version", "13") // the one version served, as RFC 6455 §4.4 has it
	msg := strings.TrimPrefix(reason.Error(), "websocket: ")
	if status == http.StatusForbidden {
		origin := r.Header.Get("Origin")
		if len(origin) > 200 {
			origin = origin[:200] + "..."
		}
		msg = "origin " + strconv.Quote(origin) + " not allowed: browsers may connect only from this server's own origin"
	}
	refuse(w, status, msg)
}

// client is one connection: this goroutine writes; a reader goroutine
// reads requests and pongs.
type client struct {
	s       *Server
	conn    *websocket.Conn
	held    *heldConn // conn's connection
	results chan []byte
	limit   int64 // the most sent in one message
	log     *slog.Logger
}

// write sends one message: whole, or in parts if it is over the limit.
func (c *client) write(msg []byte) error {
	if int64(len(msg)) <= c.limit {
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.WriteTimeout))
		return c.conn.WriteMessage(websocket.TextMessage, msg)
	}
	parts, err := splitParts(msg, c.limit)
	if err != nil {
		return err
	}
	c.log.Debug("stream: message sent in parts", "bytes", len(msg), "parts", len(parts), "limit", c.limit)
	for _, p := range parts {
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.WriteTimeout))
		if err := c.conn.WriteMessage(websocket.TextMessage, p); err != nil {
			return err
		}
	}
	return nil
}

func (c *client) close(code int, reason string) {
	if c.held != nil {
		_ = c.held.flush()
	}
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = c.conn.Close()
}

func (c *client) run(after int64) {
	s := c.s
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	sub, err := c.start(ctx, after)
	if err != nil {
		c.log.Warn("stream: start failed", "err", err)
		c.close(websocket.CloseInternalServerErr, "could not start the stream")
		return
	}
	defer sub.Close()

	readDone := make(chan struct{})
	var acts sync.WaitGroup
	go func() {
		defer close(readDone)
		c.read(ctx, &acts)
	}()
	defer func() {
		cancel()
		_ = c.conn.Close()
		<-readDone
		acts.Wait()
	}()
	ping := time.NewTicker(s.PingEvery)
	defer ping.Stop()
	// Events are written as they come, held while they come faster than
	// one per Coalesce (see heldConn): flushAt is when what is held goes.
	flush := time.NewTimer(time.Hour)
	flush.Stop()
	defer flush.Stop()
	var lastFlush time.Time
	held := false
	var oldest []byte // the first message held, for the lag
	for {
		select {
		case msg := <-sub.C:
			if !held && s.Coalesce > 0 {
				c.held.hold()
				held, oldest = true, msg
				flush.Reset(max(s.window()-time.Since(lastFlush), 0))
			}
			if err := c.write(msg); err != nil {
				return
			}
			if held {
				continue
			}
			if s.Observer != nil {
				s.Observer.StreamLag(lagOf(msg))
			}
		case <-flush.C:
			if s.Observer != nil {
				s.Observer.StreamLag(lagOf(oldest))
			}
			held, oldest, lastFlush = false, nil, time.Now()
			if err := c.held.flush(); err != nil {
				return
			}
		case msg := <-c.results:
			if err := c.write(msg); err != nil {
				return
			}
		case <-sub.Dropped:
			if s.Observer != nil {
				s.Observer.StreamDropped()
			}
			c.log.Warn("stream: client too slow, dropped")
			c.close(websocket.ClosePolicyViolation, ReasonSlow)
			return
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.WriteTimeout)); err != nil {
				return
			}
		case <-readDone:
			return
		case <-s.ctx.Done():
			c.close(websocket.CloseGoingAway, ReasonShutdown)
			return
		}
	}
}

// start subscribes and sends what comes before the live stream: a snapshot,
// or the journal's events after the client's cursor.
func (c *client) start(ctx context.Context, after int64) (*hub.Subscription, error) {
	h := c.s.Hub
	if after >= 0 {
		oldest, err := h.OldestCursor(ctx)
		if err == nil && after >= oldest && after <= h.Cursor() {
			sub := h.Subscribe(c.s.Buffer)
			err := h.Replay(ctx, after, sub.Start, func(ev *event.Event) error {
				msg, err := h.StreamMessage(ev)
				if err != nil {
					return err
				}
				return c.write(msg)
			})
			if err != nil {
				sub.Close()
				return nil, err
			}
			return sub, nil
		}
		// Too old (retention dropped it) or from another journal: start over.
	}
	sub, snap, err := h.SubscribeSnapshot(c.s.Buffer, time.Now())
	if err != nil {
		return nil, err
	}
	if err := c.write(snap); err != nil {
		sub.Close()
		return nil, err
	}
	return sub, nil
}

// read reads requests until the connection fails. Each action admitted by
// the gate runs in its own goroutine (so at most the gate's bound per
// connection) and answers through c.results; one beyond it is answered
// busy at once. Answers wait for the writer, so a client that asks faster
// than it reads its answers is slowed to the pace they are written.
func (c *client) read(ctx context.Context, acts *sync.WaitGroup) {
	s := c.s
	c.conn.SetReadLimit(s.ReadLimit)
	deadline := func() { _ = c.conn.SetReadDeadline(time.Now().Add(s.PingEvery * 3)) }
	deadline()
	c.conn.SetPongHandler(func(string) error { deadline(); return nil })
	key := "stream " + c.conn.RemoteAddr().String()
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		deadline()
		var req Request
		if err := json.Unmarshal(data, &req); err != nil {
			c.reply(ctx, hub.Message{Type: "action_result", Error: "request is not JSON: " + err.Error(), Code: "invalid"})
			continue
		}
		done, err := s.Gate.Enter(key)
		if err != nil {
			c.log.Debug("stream: remote action refused", "type", req.Type, "err", err)
			c.reply(ctx, hub.Message{Type: "action_result", ID: req.ID, Error: err.Error(), Code: ErrorCode(err)})
			continue
		}
		acts.Add(1)
		go func() {
			defer acts.Done()
			res := c.act(ctx, req)
			done()
			c.reply(ctx, res)
		}()
	}
}

func (c *client) reply(ctx context.Context, m hub.Message) {
	b, err := c.s.Hub.Guard().Marshal("action_result", m)
	if err != nil {
		c.log.Error("stream: encoding an action result", "id", m.ID, "err", err)
		return
	}
	select {
	case c.results <- b:
	case <-ctx.Done():
	}
}

func (c *client) act(ctx context.Context, req Request) hub.Message {
	res := hub.Message{Type: "action_result", ID: req.ID}
	if c.s.Actions == nil {
		res.Error, res.Code = actions.ErrNotConfigured.Error(), "not_configured"
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out actions.Outcome
	var err error
	switch req.Type {
	case "set_agent_status":
		out, err = c.s.Actions.SetAgentStatus(ctx, req.Agent, req.Status)
	case "tag_visitor":
		out, err = c.s.Actions.TagVisitor(ctx, req.Visitor, req.Name, req.Value)
	default:
		err = errors.Join(actions.ErrInvalid, errors.New("unknown request type "+strconv.Quote(req.Type)))
	}
	if err != nil {
		res.Error, res.Code = err.Error(), ErrorCode(err)
		c.log.Info("stream: remote action failed", "type", req.Type, "agent", req.Agent, "err", err)
		return res
	}
	res.OK, res.Cursor, res.Agent, res.Visitor = true, strconv.FormatInt(out.Cursor, 10), out.Agent, out.Visitor
	c.log.Info("stream: remote action", "type", req.Type, "agent", req.Agent, "status", req.Status, "cursor", out.Cursor)
	return res
}

// ErrorCode names an action error for the wire.
func ErrorCode(err error) string {
	switch {
	case errors.Is(err, actions.ErrUnknownStatus):
		return "unknown_status"
	case errors.Is(err, actions.ErrUnknownAgent):
		return "unknown_agent"
	case errors.Is(err, actions.ErrUnknownVisitor):
		return "unknown_visitor"
	case errors.Is(err, actions.ErrInvalid):
		return "invalid"
	case errors.Is(err, actions.ErrNotConfigured):
		return "not_configured"
	case errors.Is(err, actions.ErrUpstream):
		return "upstream"
	case errors.Is(err, actions.ErrBusy):
		return "busy"
	case errors.Is(err, actions.ErrBudget):
		return "budget_exhausted"
	}
	return "failed"
}

// codeErrors maps wire codes back to the action errors.
var codeErrors = map[string]error{
	"unknown_status": actions.ErrUnknownStatus, "unknown_agent": actions.ErrUnknownAgent,
	"unknown_visitor": actions.ErrUnknownVisitor, "invalid": actions.ErrInvalid,
	"not_configured": actions.ErrNotConfigured, "upstream": actions.ErrUpstream,
	"busy": actions.ErrBusy, "budget_exhausted": actions.ErrBudget,
}

// lagOf is how long ago the event in an encoded message (as EncodeEvent
// makes it) was received, 0 if it holds no event. It reads the time where
// the encoding puts it rather than decoding the message: every message
// goes through it for every client, and an event with its payload is a few
// kilobytes.
func lagOf(msg []byte) time.Duration {
	const eventKey, timeKey = `"event":{`, `"received_at":"`
	i := bytes.Index(msg, []byte(eventKey))
	if i < 0 {
		return 0
	}
	// Inside the event the first key of that name is its own: the same text
	// within a string value would have its quotes escaped.
	rest := msg[i+len(eventKey):]
	j := bytes.Index(rest, []byte(timeKey))
	if j < 0 {
		return 0
	}
	rest = rest[j+len(timeKey):]
	k := bytes.IndexByte(rest, '"')
	if k < 0 {
		return 0
	}
	at, err := time.Parse(time.RFC3339Nano, string(rest[:k]))
	if err != nil || at.IsZero() {
		return 0
	}
	return time.Since(at)
}
