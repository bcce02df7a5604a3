// Package telemetry holds chatdeck's Prometheus metrics (/metrics): webhooks
// by source, kind and status; journal commit latency; board sizes; stream
// clients, drops and lag; Comm100 API calls, errors and budget left. It has
// its own registry (no global state); the parts report through small hooks.
package telemetry

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of collectors.
type Metrics struct {
	reg           *prometheus.Registry
	webhooks      *prometheus.CounterVec
	commit        prometheus.Histogram
	streamClients prometheus.Gauge
	streamDrops   prometheus.Counter
	streamLag     prometheus.Histogram
	apiCalls      *prometheus.CounterVec
	apiSeconds    prometheus.Histogram
	unencodable   *prometheus.CounterVec
}

// New returns the metrics, registered in a registry of their own with the
// Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatdeck_webhooks_total", Help: "Webhooks received, by source, kind and HTTP status answered.",
		}, []string{"source", "kind", "status"}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chatdeck_journal_commit_seconds", Help: "Time from handing an event to the journal to its durable commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		streamClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatdeck_stream_clients", Help: "WebSocket stream clients connected.",
		}),
		streamDrops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatdeck_stream_dropped_total", Help: "Stream clients dropped for falling behind.",
		}),
		streamLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chatdeck_stream_lag_seconds", Help: "Time from receiving an event to writing it to a stream client.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatdeck_comm100_api_calls_total", Help: "Comm100 API calls, by method, endpoint and status (\"error\" for no answer).",
		}, []string{"method", "endpoint", "status"}),
		apiSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chatdeck_comm100_api_call_seconds", Help: "Comm100 API call latency.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		unencodable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatdeck_unencodable_values_total",
			Help: "Values replaced so that what chatdeck sends stays decodable, by part (board, snapshot, event, " +
				"checkpoint, events, ...) and reason (time: outside years 0-9999 or a zone offset of 24 h or more, sent as " +
				"the zero time; float: NaN or infinite, sent as 0; payload: not JSON, sent as null; depth: a payload " +
				"nested too deep, sent as a string).",
		}, []string{"part", "reason"}),
	}
	m.reg.MustRegister(m.webhooks, m.commit, m.streamClients, m.streamDrops, m.streamLag, m.apiCalls, m.apiSeconds, m.unencodable,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gauge registers a gauge read from fn at each scrape (board sizes, the
// API budget left).
func (m *Metrics) Gauge(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// Counter registers a counter read from fn at each scrape (counts kept
// by the parts themselves: calls the budget refused, actions refused).
func (m *Metrics) Counter(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// Webhook counts a webhook answered with status.
func (m *Metrics) Webhook(source, kind string, status int) {
	m.webhooks.WithLabelValues(source, kind, strconv.Itoa(status)).Inc()
}

// Commit observes a journal commit's latency.
func (m *Metrics) Commit(d time.Duration) { m.commit.Observe(d.Seconds()) }

// StreamClients sets the number of stream clients.
func (m *Metrics) StreamClients(n int) { m.streamClients.Set(float64(n)) }

// StreamDropped counts a client dropped for being slow.
func (m *Metrics) StreamDropped() { m.streamDrops.Inc() }

// StreamLag observes the lag of one message.
func (m *Metrics) StreamLag(d time.Duration) { m.streamLag.Observe(d.Seconds()) }

// Unencodable counts n values of part replaced for reason (see package
// wire).
func (m *Metrics) Unencodable(part, reason string, n int) {
	m.unencodable.WithLabelValues(part, reason).Add(float64(n))
}

// APICall counts a Comm100 API call.
func (m *Metrics) APICall(method, path string, status int, err error, d time.Duration) {
	s := strconv.Itoa(status)
	if status == 0 {
		s = "error"
	}
	m.apiCalls.WithLabelValues(method, Endpoint(path), s).Inc()
	m.apiSeconds.Observe(d.Seconds())
}

// Endpoint folds ids out of an API path: "livechat/agents/ID" is
// "livechat/agents/{id}", so labels stay few.
func Endpoint(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) > 2 {
		parts = append(parts[:2], "{id}")
	}
	return strings.Join(parts, "/")
}
