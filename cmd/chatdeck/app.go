package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/leader"
	"github.com/chatdeck/chatdeck/ingest/listener"
	"github.com/chatdeck/chatdeck/ingest/poller"
	"github.com/chatdeck/chatdeck/ingest/stream"
	"github.com/chatdeck/chatdeck/ingest/telemetry"
	"github.com/chatdeck/chatdeck/ingest/wire"
)

// app is chatdeck's running parts: journal and board (hub), the Comm100
// poller and actions when configured, and the HTTP listener.
type app struct {
	log     *slog.Logger
	hub     *hub.Hub
	api     *comm100api.Client
	poller  *poller.Poller
	actions actions.Actions
	gate    *actions.Gate // actions in flight, over the stream and HTTP
	stream  *stream.Server
	srv     *http.Server
	http    *listener.Listener
	metrics *telemetry.Metrics
	cluster *clusterNode // nil: single-node mode
	addr    string
	tls     *tls.Config // nil: plain HTTP
	token   string
	served  chan error
	stops   []func() // run in reverse order by close
}

// appOptions are what differs between serve, run and demo.
type appOptions struct {
	// anyPort falls back to a free loopback port when the configured
	// address is taken (the demo, when --listen was not given).
	anyPort bool
	// api, when set, replaces the client built from the configuration
	// (the demo's fake).
	api *comm100api.Client
	// clock, when set, is the poller's clock (tests run its backoff on a
	// fake one); the wall clock otherwise.
	clock comm100api.Clock
	// tokenFile is where the token was read from, when the caller chose it
	// (the demo's, in the state directory); shown on the help screen.
	tokenFile string
}

// startApp starts everything; close stops it in order.
func startApp(ctx context.Context, cfg Config, token string, log *slog.Logger, opt appOptions) (*app, error) {
	a := &app{log: log, token: token, served: make(chan error, 1), metrics: telemetry.New(),
		gate: actions.NewGate(actions.DefaultPerClient, actions.DefaultTotal)}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone %q: %w", cfg.Timezone, err)
	}
	if a.tls, err = loadTLS(cfg.TLSCert, cfg.TLSKey); err != nil {
		return nil, err
	}
	// One guard for all that the server encodes: a value JSON cannot carry
	// is replaced, logged and counted (chatdeck_unencodable_values_total).
	guard := wire.NewGuard(log, a.metrics.Unencodable)
	hcfg := hub.Config{
		Journal: journal.Options{Path: cfg.DB, MaxAge: cfg.RetentionAge, MaxBytes: cfg.RetentionBytes, Logger: log},
		Board: board.Config{SLTarget: cfg.SLTarget, Window: cfg.Window, ShortAbandon: cfg.ShortAbandon,
			Capacity: cfg.Capacity, Location: loc},
		Logger:          log,
		ObserveCommit:   a.metrics.Commit,
		CheckpointEvery: cfg.CheckpointEvery,
		Guard:           guard,
	}
	ncfg, clustered, err := clusterSettings(cfg.Cluster, log)
	if err != nil {
		return nil, err
	}
	if clustered {
		if a.cluster, err = startCluster(ctx, cfg, ncfg, log); err != nil {
			return nil, err
		}
		node := a.cluster.node
		// The node stops last, after the hub has closed its copy.
		a.stops = append(a.stops, func() {
			_ = node.Close()
			log.Info("cluster node stopped")
		})
		hcfg.OpenJournal = a.cluster.openJournal(log)
	}
	a.hub, err = hub.Open(ctx, hcfg)
	if err != nil {
		a.close()
		return nil, err
	}
	a.stops = append(a.stops, func() {
		if err := a.hub.Close(); err != nil {
			log.Error("closing journal", "err", err)
		}
		log.Info("journal closed")
	})
	a.api = opt.api
	if a.api == nil {
		if a.api, err = comm100Client(cfg, log, a.metrics.APICall); err != nil {
			a.close()
			return nil, err
		}
	}
	if a.api != nil {
		direct := &actions.Direct{API: a.api, Sink: a.hub}
		a.actions = direct
		a.poller = poller.New(poller.Config{API: a.api, Sink: a.hub, Interval: cfg.Comm100.PollInterval, Logger: log, Clock: opt.clock})
		work := func(ctx context.Context) { _ = a.poller.Run(ctx) }
		if a.cluster != nil {
			// Only the lease holder polls and calls Comm100; the others
			// send it their actions.
			l, err := leader.New(leader.Config{Lease: a.cluster.lease, Conn: a.cluster.node.Conn(), Work: work, Local: direct, Logger: log})
			if err != nil {
				a.close()
				return nil, err
			}
			a.cluster.leader, a.actions = l, l
			work = func(ctx context.Context) { _ = l.Run(ctx) }
		}
		pollCtx, stopPoll := context.WithCancel(context.WithoutCancel(ctx))
		polled := make(chan struct{})
		go func() {
			defer close(polled)
			work(pollCtx)
		}()
		a.stops = append(a.stops, func() { stopPoll(); <-polled })
		log.Info("polling Comm100", "api", a.api.BaseURL(), "every", cfg.Comm100.PollInterval, "budget", a.api.Budget().String(),
			"only_while_holding_the_lease", a.cluster != nil)
	}
	lcfg := listener.Config{Token: token, MaxBody: cfg.MaxBody, Logger: log, Actions: a.actions, Gate: a.gate,
		Degraded: a.degraded, ObserveWebhook: a.metrics.Webhook, WebhookRate: cfg.WebhookRate, WebhookBurst: cfg.WebhookBurst, Guard: guard,
		Browser: browserConfig(cfg)}
	if a.cluster != nil {
		lcfg.Cluster = a.cluster.health
	}
	l, err := listener.New(lcfg, a.hub)
	if err != nil {
		a.close()
		return nil, err
	}
	a.http = l
	a.stream = &stream.Server{Hub: a.hub, Actions: a.actions, Gate: a.gate, Logger: log, Observer: a.metrics}
	l.Handle("/v1/stream", l.Bearer(a.stream.ServeHTTP))
	l.Handle("GET /metrics", a.metrics.Handler())
	a.gauges()
	if a.cluster != nil {
		a.cluster.gauges(a)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil && opt.anyPort {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		a.close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	a.addr = ln.Addr().String()
	if !isLoopback(ln.Addr()) {
		if a.tls == nil {
			log.Warn("listening beyond loopback without TLS: anyone who can reach this address can try the token, "+
				"and tokens cross the network in clear; set --tls-cert and --tls-key or put TLS in front", "addr", a.addr)
		} else {
			log.Warn("listening beyond loopback: anyone who can reach this address can try the token", "addr", a.addr)
		}
	}
	a.srv = &http.Server{
		Handler:           l,
		TLSConfig:         a.tls,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		// Through the redacting handler: nothing the server logs can carry a token.
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() {
		if a.tls != nil {
			a.served <- a.srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
			return
		}
		a.served <- a.srv.Serve(ln)
	}()
	return a, nil
}

// loadTLS loads the certificate and key for HTTPS; nil when neither is
// configured.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("tls: set both --tls-cert and --tls-key (CHATDECK_TLS_CERT, CHATDECK_TLS_KEY), or neither")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// baseURL is where the listener answers, e.g. "https://127.0.0.1:8765".
func (a *app) baseURL() string {
	if a.tls != nil {
		return "https://" + a.addr
	}
	return "http://" + a.addr
}

// selfClient is an HTTP client for the app's own listener (the demo
// scenario posts its webhooks with it). Over TLS it trusts exactly the
// certificate the listener serves, whatever names it carries.
func (a *app) selfClient(timeout time.Duration) *http.Client {
	c := &http.Client{Timeout: timeout}
	if a.tls == nil {
		return c
	}
	pinned := a.tls.Certificates[0].Certificate[0]
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verification is the pin below, not names and a chain: the
		// listener is this process, on loopback.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], pinned) {
				return errors.New("tls: the listener did not present its own certificate")
			}
			return nil
		},
	}
	c.Transport = tr
	return c
}

// gauges registers the metrics read at each scrape.
func (a *app) gauges() {
	read := func(fn func(m board.Metrics, b *board.Board) float64) func() float64 {
		return func() float64 {
			var v float64
			a.hub.Read(func(b *board.Board) { v = fn(b.Metrics(time.Now()), b) })
			return v
		}
	}
	a.metrics.Gauge("chatdeck_board_queue_length", "Visitors waiting.", read(func(m board.Metrics, _ *board.Board) float64 { return float64(m.QueueLength) }))
	a.metrics.Gauge("chatdeck_board_active_chats", "Chats in progress.", read(func(m board.Metrics, _ *board.Board) float64 { return float64(m.ActiveChats) }))
	a.metrics.Gauge("chatdeck_board_agents", "Agents known.", read(func(m board.Metrics, _ *board.Board) float64 { return float64(m.AgentsTotal) }))
	a.metrics.Gauge("chatdeck_board_chats", "Chats held on the board, ended ones included.", read(func(_ board.Metrics, b *board.Board) float64 { return float64(len(b.ChatSummaries())) }))
	a.metrics.Gauge("chatdeck_board_cursor", "Cursor of the last event applied.", func() float64 { return float64(a.hub.Cursor()) })
	a.metrics.Gauge("chatdeck_http_requests_in_flight", "HTTP requests being served, this scrape included; WebSocket streams are not counted.",
		func() float64 { return float64(len(a.http.InFlight())) })
	a.metrics.Gauge("chatdeck_actions_in_flight", "Actions (status changes, tags) in flight, over the stream and HTTP.",
		func() float64 { return float64(a.gate.InFlight()) })
	a.metrics.Counter("chatdeck_actions_refused_total", "Actions refused at once because too many were in flight (busy).",
		func() float64 { return float64(a.gate.Refused()) })
	if a.api != nil {
		b := a.api.Budget()
		calls, _ := b.Limit()
		a.metrics.Gauge("chatdeck_comm100_api_budget_left", "Comm100 API calls that could be made now without waiting (never below 0).", b.Left)
		a.metrics.Gauge("chatdeck_comm100_api_budget_calls", "The budget: calls per 5 minutes.", func() float64 { return float64(calls) })
		a.metrics.Counter("chatdeck_comm100_api_budget_refused_total", "Comm100 API calls the budget refused: no call free within the wait their class allows.",
			func() float64 { return float64(b.Refused()) })
	}
}

// degraded names the problems /healthz reports beside the hub's: a
// Comm100 call budget that refused calls within its window.
func (a *app) degraded() map[string]string {
	if a.api == nil {
		return nil
	}
	if p := a.api.Budget().Problem(); p != "" {
		return map[string]string{"comm100_budget": p}
	}
	return nil
}

// refresh polls the Comm100 API now, if there is a poller.
func (a *app) refresh(ctx context.Context) error {
	if a.poller == nil {
		return errors.New("no Comm100 API configured")
	}
	if a.cluster != nil && !a.cluster.leader.Leading() {
		return errNotLeading
	}
	return a.poller.Poll(ctx)
}

// shutdownGrace is how long a stop waits for requests in flight to end
// before it closes their connections: long enough for any webhook a vendor
// sends whole, short enough that a stalled sender cannot hold a restart.
const shutdownGrace = 3 * time.Second

// close stops the listener (requests in flight finish within
// shutdownGrace; what remains after it is cut, and logged), then the
// poller, then closes the journal. Cutting is part of stopping: it is not
// an error.
func (a *app) close() error {
	var err error
	if a.stream != nil {
		a.stream.Close() // hijacked connections are not the HTTP server's
	}
	if a.srv != nil {
		a.log.Info("stopping: finishing requests in flight", "grace", shutdownGrace.String())
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		err = a.srv.Shutdown(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			err = a.cut()
		}
		if serr := <-a.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	for i := len(a.stops) - 1; i >= 0; i-- {
		a.stops[i]()
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// cut closes the connections still open after the grace, logging the
// requests they carried, and waits (as long again at most) for their
// handlers to return, so that none writes to the journal as it closes.
// Nothing a cut request sent was acknowledged: its sender retries.
func (a *app) cut() error {
	cut := a.http.InFlight()
	a.log.Warn("stopping: cut requests still in flight after the grace", "grace", shutdownGrace.String(),
		"requests", len(cut), "cut", cut)
	if err := a.srv.Close(); err != nil {
		return fmt.Errorf("closing connections: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := a.http.Wait(ctx); err != nil {
		a.log.Error("stopping: handlers still running after their connections closed", "err", err, "running", a.http.InFlight())
	}
	return nil
}
