// Command loadgen drives chatdeck for the benchmarks under bench/:
//
//	loadgen wrk-script -token T -out FILE
//	    writes the wrk script of the ingest benchmark: it posts the spec
//	    payloads in turn, each made unique (the journal stores them all).
//	loadgen stream -url URL -token T -rate 1000 -duration 30s -clients N
//	    connects N WebSocket clients to /v1/stream, posts the spec payloads
//	    at a fixed rate (open loop), and reports how long each event took
//	    from its POST to each client, and whether any client missed one or
//	    was dropped: the latency benchmark (1 client) and the fan-out one
//	    (200).
//	loadgen watch -url URL -token T -clients N -duration D
//	    keeps N stream clients connected for D and counts what they got:
//	    the ingest benchmark runs one, so that fan-out is part of the load.
//	loadgen failover -urls URL,URL,URL -token T -kill PID -after 5s -duration 30s
//	    posts unique webhooks to a cluster's nodes (moving to the next
//	    node when one fails, as a load balancer would), kills PID with
//	    SIGKILL after -after, and reports the stall: from the kill to the
//	    first 2xx to a webhook sent after it.
//	loadgen fsync -dir DIR -bytes 4096 -n 300
//	    times an append + fsync in DIR n times: the disk's floor under one
//	    journal commit, from which the ingest benchmark prints its ceiling.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/chatdeck/chatdeck/bench/internal/prof"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: loadgen wrk-script|stream|watch|failover|fsync [flags]")
	}
	switch args[0] {
	case "wrk-script":
		fs := flag.NewFlagSet("wrk-script", flag.ContinueOnError)
		token := fs.String("token", "", "the listener's token")
		file := fs.String("out", "", "the script to write")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *token == "" || *file == "" {
			return errors.New("wrk-script needs -token and -out")
		}
		return writeWrkScript(*file, *token)
	case "stream":
		fs := flag.NewFlagSet("stream", flag.ContinueOnError)
		var o streamOptions
		fs.StringVar(&o.base, "url", "http://127.0.0.1:8765", "the server")
		fs.StringVar(&o.token, "token", "", "the server's token")
		fs.Float64Var(&o.rate, "rate", 1000, "webhooks posted per second")
		fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long to post")
		fs.IntVar(&o.clients, "clients", 1, "WebSocket clients")
		fs.IntVar(&o.workers, "workers", 64, "concurrent posts at most")
		cpuprofile := fs.String("cpuprofile", "", "write loadgen's own CPU profile here")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		stopProfile, err := prof.StartCPU(*cpuprofile)
		if err != nil {
			return err
		}
		defer stopProfile()
		if o.token == "" {
			return errors.New("stream needs -token")
		}
		res, err := runStream(ctx, o)
		if err != nil {
			return err
		}
		res.print(out)
		if !res.ok() {
			return errors.New("events were missed or clients dropped")
		}
		return nil
	case "watch":
		fs := flag.NewFlagSet("watch", flag.ContinueOnError)
		base := fs.String("url", "http://127.0.0.1:8765", "the server")
		token := fs.String("token", "", "the server's token")
		clients := fs.Int("clients", 1, "WebSocket clients")
		duration := fs.Duration("duration", 30*time.Second, "how long to watch")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return watch(ctx, *base, *token, *clients, *duration, out)
	case "failover":
		fs := flag.NewFlagSet("failover", flag.ContinueOnError)
		var o failoverOptions
		urls := fs.String("urls", "", "the nodes, comma-separated")
		fs.StringVar(&o.token, "token", "", "the nodes' token")
		fs.IntVar(&o.workers, "workers", 16, "concurrent posts")
		fs.IntVar(&o.kill, "kill", 0, "the pid to SIGKILL")
		fs.DurationVar(&o.after, "after", 5*time.Second, "when to kill it")
		fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long to post in all")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *urls != "" {
			o.urls = strings.Split(*urls, ",")
		}
		return failover(ctx, o, out)
	case "fsync":
		fs := flag.NewFlagSet("fsync", flag.ContinueOnError)
		dir := fs.String("dir", os.TempDir(), "a directory on the journal's disk")
		size := fs.Int("bytes", 4096, "bytes appended before each fsync")
		n := fs.Int("n", 300, "appends")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *size <= 0 || *n <= 0 {
			return errors.New("fsync needs -bytes and -n above 0")
		}
		return probeFsync(ctx, *dir, *size, *n, out)
	}
	return fmt.Errorf("unknown command %q", args[0])
}
