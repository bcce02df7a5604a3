// Command serveprof runs what `chatdeck serve` runs on the ingest path (the
// journal and board behind the hub, the listener, the stream, the metrics;
// no Comm100 poller), with Go's profiler on a second address, so that the
// benchmarks' load can be profiled:
//
//	serveprof -listen 127.0.0.1:8765 -token T -db /tmp/j.db -pprof 127.0.0.1:6060 &
//	go tool pprof -seconds 20 http://127.0.0.1:6060/debug/pprof/profile
//
// It is wired as cmd/chatdeck/app.go wires serve; the figures in
// docs/PERFORMANCE.md are measured on chatdeck serve itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
	"github.com/chatdeck/chatdeck/ingest/stream"
	"github.com/chatdeck/chatdeck/ingest/telemetry"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8765", "address of the webhooks and the API")
	token := flag.String("token", "", "token")
	db := flag.String("db", "", "journal file")
	prof := flag.String("pprof", "127.0.0.1:6060", "address of /debug/pprof/")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *listen, *token, *db, *prof); err != nil {
		fmt.Fprintln(os.Stderr, "serveprof:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, listen, token, db, prof string) error {
	if token == "" || db == "" {
		return errors.New("-token and -db are required")
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	metrics := telemetry.New()
	h, err := hub.Open(ctx, hub.Config{Journal: journal.Options{Path: db, MaxAge: 720 * time.Hour, MaxBytes: 2 << 30, Logger: log},
		Board: board.Config{}, Logger: log, ObserveCommit: metrics.Commit})
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := listener.New(listener.Config{Token: token, Logger: log, ObserveWebhook: metrics.Webhook}, h)
	if err != nil {
		return err
	}
	st := &stream.Server{Hub: h, Logger: log, Observer: metrics}
	defer st.Close()
	l.Handle("/v1/stream", l.Bearer(st.ServeHTTP))
	l.Handle("GET /metrics", metrics.Handler())

	pm := http.NewServeMux()
	pm.HandleFunc("/debug/pprof/", pprof.Index)
	pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
	pm.HandleFunc("/debug/pprof/trace", pprof.Trace)
	servers := []*http.Server{
		{Addr: listen, Handler: l, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }},
		{Addr: prof, Handler: pm, ReadHeaderTimeout: 10 * time.Second},
	}
	lns := make([]net.Listener, len(servers))
	for i, s := range servers {
		if lns[i], err = net.Listen("tcp", s.Addr); err != nil {
			for _, ln := range lns[:i] {
				_ = ln.Close()
			}
			return err
		}
	}
	served := make(chan error, len(servers))
	for i, s := range servers {
		go func() { served <- s.Serve(lns[i]) }()
	}
	log.Info("serving", "addr", listen, "pprof", prof)
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	st.Close()
	for _, s := range servers {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.Shutdown(sctx)
		cancel()
	}
	for range servers {
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	return err
}
