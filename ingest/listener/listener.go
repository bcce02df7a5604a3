// Package listener is chatdeck's HTTP front: the vendors' webhook routes and
// the JSON API (board, journal, health). Every error is JSON
// {"error":"..."} with a status that says what happened; nothing a client
// sends can make it answer 5xx except an unavailable journal (503).
package listener

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/wire"
)

// DefaultMaxBody is the default limit on a webhook body: 1 MiB.
const DefaultMaxBody = 1 << 20

// Store is what the listener needs of the hub.
type Store interface {
	Ingest(ctx context.Context, ev *event.Event, hint string) (hub.Result, error)
	Read(fn func(b *board.Board))
	View(now time.Time) board.View
	// Events returns up to limit records after the cursor, with at most
	// maxBytes of payload beyond the first record's, and whether more follow.
	Events(ctx context.Context, after int64, limit int, maxBytes int64) (recs []journal.Record, more bool, err error)
	Health(ctx context.Context) (problems map[string]string, unhealthy bool)
}

// Config configures the listener.
type Config struct {
	// Token guards every route but /healthz and /metrics: webhooks carry it
	// as ?token=, API clients as "Authorization: Bearer". Required.
	Token string
	// MaxBody limits a webhook body; DefaultMaxBody if zero.
	MaxBody int64
	// Actions performs agent status changes; nil answers them 503.
	Actions actions.Actions
	// Gate bounds the actions in flight, per client address and in all;
	// share it with the stream's. Default: a gate of its own with the
	// default bounds.
	Gate *actions.Gate
	// Degraded, if set, names more problems that make /healthz degraded
	// (part → what is wrong), e.g. an exhausted Comm100 call budget.
	Degraded func() map[string]string
	// Cluster, if set, is this node's part in a cluster, shown in
	// /healthz.
	Cluster func(ctx context.Context) *ClusterHealth
	// ObserveWebhook, if set, is told of every webhook answered: its
	// source (a vendor, or "unknown" for any other path), its kind
	// ("invalid", "unauthorized" or "rate_limited" when refused) and status.
	ObserveWebhook func(source, kind string, status int)
	// WebhookRate limits webhook requests per client address (IPv4
	// address, IPv6 /64) to this many per second on average, answering
	// 429 with Retry-After beyond it; 0 means no limit. It applies before
	// the token is checked, so it also slows down guessing.
	WebhookRate float64
	// WebhookBurst is how many webhook requests one address may make at
	// once; the rate rounded up if zero.
	WebhookBurst int
	// RateLimitClients bounds how many addresses the limit remembers;
	// DefaultMaxClients if zero.
	RateLimitClients int
	// EventsPageBytes bounds a page of GET /v1/events by its encoded
	// size, beyond its first event; DefaultEventsPageBytes if zero.
	EventsPageBytes int64
	// Guard reports the values replaced so that the board and the events
	// stay encodable and decodable (package wire); nil: one that logs to
	// Logger and counts nothing.
	Guard *wire.Guard
	// Browser configures the JivoChat browser routes (browser.go); off
	// without a key.
	Browser BrowserConfig
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Logger receives the request log (debug) and failures. Paths and
	// query strings are logged with their secrets redacted in any encoding
	// (see RedactQuery).
	Logger *slog.Logger
}

// Listener serves the HTTP routes. Create it with New.
type Listener struct {
	cfg   Config
	token [sha256.Size]byte
	store Store
	log   *slog.Logger
	mux   *http.ServeMux
	limit *ipLimiter // nil: no limit
	// inflight: the requests being served (for a shutdown).
	inflight inflight
}

// New returns the listener's handler over store.
func New(cfg Config, store Store) (*Listener, error) {
	if cfg.Token == "" {
		return nil, errors.New("listener: a token is required")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Guard == nil {
		cfg.Guard = wire.NewGuard(cfg.Logger, nil)
	}
	if cfg.EventsPageBytes <= 0 {
		cfg.EventsPageBytes = DefaultEventsPageBytes
	}
	if cfg.Gate == nil {
		cfg.Gate = actions.NewGate(0, 0)
	}
	if cfg.WebhookRate < 0 || cfg.WebhookBurst < 0 || cfg.RateLimitClients < 0 {
		return nil, errors.New("listener: negative webhook rate limit")
	}
	l := &Listener{cfg: cfg, token: sha256.Sum256([]byte(cfg.Token)), store: store, log: cfg.Logger, mux: http.NewServeMux(),
		limit: newIPLimiter(cfg.WebhookRate, cfg.WebhookBurst, cfg.RateLimitClients)}
	l.route("/webhooks/comm100", http.MethodPost, l.webhookAuth(l.comm100))
	l.route("/webhooks/chatlio/{kind}", http.MethodPost, l.webhookAuth(l.chatlio))
	l.route("/webhooks/jivochat", http.MethodPost, l.webhookAuth(l.jivo))
	l.route("/v1/board", http.MethodGet, l.bearer(l.getBoard))
	l.route("/v1/events", http.MethodGet, l.bearer(l.getEvents))
	l.route("/v1/agents/{id}/status", http.MethodPost, l.bearer(l.postAgentStatus))
	l.route("/healthz", http.MethodGet, l.healthz)
	if err := l.browserRoutes(); err != nil {
		return nil, err
	}
	return l, nil
}

// Handle adds a route (for other parts of the server: the stream, metrics,
// actions). The pattern follows net/http.ServeMux.
func (l *Listener) Handle(pattern string, h http.Handler) { l.mux.Handle(pattern, h) }

// Bearer wraps h with the API's token check.
func (l *Listener) Bearer(h http.HandlerFunc) http.HandlerFunc { return l.bearer(h) }

func (l *Listener) route(path, method string, h http.HandlerFunc) {
	l.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed on "+r.URL.Path+": use "+method)
			return
		}
		h(w, r)
	})
}

// ServeHTTP serves a request, turning a panic into a 500 and a log line.
// Webhook routes are rate limited per client address first.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := l.cfg.Now()
	rec := &statusRecorder{ResponseWriter: w}
	l.inflight.add(rec, request{what: r.Method + " " + redactPath(r.URL.Path, l.cfg.Token) + " from " + r.RemoteAddr, start: start})
	defer l.inflight.done(rec)
	rest, webhook := strings.CutPrefix(r.URL.Path, "/webhooks/")
	if webhook && l.cfg.ObserveWebhook != nil {
		src := webhookSource(rest)
		kind := new(string)
		*kind = "invalid"
		r = r.WithContext(context.WithValue(r.Context(), kindKey{}, kind))
		defer func() {
			k := *kind
			switch rec.status {
			case http.StatusUnauthorized:
				k = "unauthorized"
			case http.StatusTooManyRequests:
				k = "rate_limited"
			}
			l.cfg.ObserveWebhook(src, k, rec.status)
		}()
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			l.log.Error("panic in handler", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if !rec.wrote {
				writeError(rec, http.StatusInternalServerError, "internal error")
			}
		}
		if l.log.Enabled(r.Context(), slog.LevelDebug) { // (the arguments cost even when not logged)
			l.log.Debug("request", "method", r.Method, "path", redactPath(r.URL.Path, l.cfg.Token), "query", RedactQuery(r.URL.RawQuery, l.cfg.Token),
				"status", rec.status, "took", l.cfg.Now().Sub(start), "remote", r.RemoteAddr)
		}
	}()
	if p := r.URL.Path; r.Method != http.MethodConnect && cleanPath(p) != p {
		// http.ServeMux would redirect to the clean path, with a body that
		// is not JSON; a webhook URL is pasted once and never needs that.
		writeError(rec, http.StatusNotFound, "no route "+strconv.Quote(p)+": the path is not clean (//, . or ..)")
		return
	}
	if webhook && l.limit != nil {
		key := clientKey(r)
		if ok, wait := l.limit.allow(key, l.cfg.Now()); !ok {
			rec.Header().Set("Retry-After", retryAfterSeconds(wait))
			writeError(rec, http.StatusTooManyRequests, "rate limit: more than "+
				strconv.FormatFloat(l.cfg.WebhookRate, 'f', -1, 64)+" webhooks per second from "+key+
				"; retry after "+retryAfterSeconds(wait)+" s")
			return
		}
	}
	if msg := queryProblem(r.URL.RawQuery); msg != "" {
		writeError(rec, http.StatusBadRequest, msg)
		return
	}
	if h, pattern := l.mux.Handler(r); pattern == "" {
		l.noRoute(rec, r, h)
		return
	}
	l.mux.ServeHTTP(rec, r)
}

// noRoute answers a request no pattern takes, as JSON: 405 with the mux's
// Allow header when the path exists for other methods, else 404. h is the
// mux's own answer, run only to learn its status and Allow header.
func (l *Listener) noRoute(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if allow := probe.header.Get("Allow"); probe.status == http.StatusMethodNotAllowed && allow != "" {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed on "+r.URL.Path+": use "+allow)
		return
	}
	writeError(w, http.StatusNotFound, "no route "+r.URL.Path)
}

// headerProbe is a ResponseWriter that keeps the status and headers and
// drops the body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }
func (p *headerProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *headerProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// cleanPath is p as http.ServeMux cleans it: rooted, without . and ..
// elements or doubled slashes, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// webhookSource is the source label of a webhook path below /webhooks/:
// a known vendor, else "unknown" (metrics labels stay a fixed set whatever
// paths clients try).
func webhookSource(rest string) string {
	src, _, _ := strings.Cut(rest, "/")
	switch src {
	case string(event.Comm100), string(event.Chatlio), string(event.JivoChat):
		return src
	}
	return "unknown"
}

type statusRecorder struct {
	http.ResponseWriter
	status   int
	wrote    bool
	hijacked atomic.Bool // read by InFlight from other goroutines
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Hijack hands the connection over (the WebSocket upgrade).
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("listener: the connection cannot be hijacked")
	}
	s.status, s.wrote = http.StatusSwitchingProtocols, true
	s.hijacked.Store(true)
	return h.Hijack()
}

func (l *Listener) tokenOK(got string) bool { return secretOK(got, l.token) }

// secretOK reports whether got is the secret whose SHA-256 sum is want, in
// constant time (the sums are compared, so not even the length leaks). The
// token and the browser key are checked with it.
func secretOK(got string, want [sha256.Size]byte) bool {
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}

func (l *Listener) webhookAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		toks := r.URL.Query()["token"]
		if len(toks) > 1 {
			// Which one a proxy or a vendor's retry honours is anyone's guess.
			writeError(w, http.StatusBadRequest, "query: token given "+strconv.Itoa(len(toks))+" times: give it once")
			return
		}
		tok := ""
		if len(toks) == 1 {
			tok = toks[0]
		}
		if tok == "" {
			writeError(w, http.StatusUnauthorized, "missing token: add ?token=… to the webhook URL")
			return
		}
		if !l.tokenOK(tok) {
			writeError(w, http.StatusUnauthorized, "wrong token")
			return
		}
		h(w, r)
	}
}

func (l *Listener) bearer(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, tok, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="chatdeck"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <token>")
			return
		}
		if !l.tokenOK(strings.TrimSpace(tok)) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="chatdeck", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "wrong token")
			return
		}
		h(w, r)
	}
}

// writeJSON answers v as JSON. A value JSON cannot carry (a time outside
// years 0–9999 from an event) is replaced (package wire) rather than
// leaving the body empty; replyJSON also reports it.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	_, _ = wire.Encode(&buf, v) // every answer is a type JSON can encode
	setJSONHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// replyJSON is writeJSON, with the replacements reported under part.
func (l *Listener) replyJSON(w http.ResponseWriter, status int, part string, v any) {
	var buf bytes.Buffer
	if err := l.cfg.Guard.Encode(part, &buf, v); err != nil {
		l.log.Error("encoding an answer", "part", part, "err", err)
	}
	setJSONHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func setJSONHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
}

// ErrorBody is the JSON of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg})
}

// kindKey carries, in a webhook request's context, where the handler notes
// the kind it decoded (for metrics).
type kindKey struct{}

func noteKind(r *http.Request, kind string) {
	if p, ok := r.Context().Value(kindKey{}).(*string); ok {
		*p = kind
	}
}
