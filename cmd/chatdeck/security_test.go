package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatdeck/chatdeck/fixtures"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and localhost
// and its key to dir, and returns the files and a pool trusting it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "chatdeck test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// servingURL is the "url" of the "chatdeck serving" log line.
func servingURL(t *testing.T, p *proc) string {
	t.Helper()
	for _, line := range strings.Split(p.logs.String(), "\n") {
		var rec struct{ Msg, URL string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "chatdeck serving" {
			return rec.URL
		}
	}
	t.Fatalf("no serving line:\n%s", p.logs)
	return ""
}

// TestServeTLS runs serve with a certificate over real HTTPS on loopback:
// flags and environment both work, webhooks and the API answer over TLS to
// a client that trusts the certificate, plain HTTP and old TLS are
// refused, the WebSocket works over wss, and the demo scenario posts to
// its own HTTPS listener.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	trusting := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	p := startServeEnv(t, t.TempDir(), []string{"CHATDECK_TOKEN=tok"}, "--tls-cert", certFile, "--tls-key", keyFile)
	base := servingURL(t, p)
	if base != "https://"+p.addr {
		t.Fatalf("serving at %q, want https://%s", base, p.addr)
	}
	for _, f := range fixtures.Webhooks()[:3] {
		if a := do(trusting, "POST", base+f.Route+"?token=tok", "", "application/json", f.Body); a.status != 200 {
			t.Errorf("%s over HTTPS: %v", f.File, a)
		}
	}
	if a := do(trusting, "GET", base+"/v1/board", "tok", "", nil); a.status != 200 || a.json()["cursor"] == nil {
		t.Errorf("board over HTTPS: %v", a)
	}
	// Plain HTTP to the TLS port gets no service.
	if a := do(http.DefaultClient, "GET", "http://"+p.addr+"/healthz", "", "", nil); a.status != 400 || strings.Contains(string(a.body), "ok") {
		t.Errorf("plain HTTP to the TLS listener: %v, want 400", a)
	}
	// A client that does not trust the certificate refuses it.
	var unknown x509.UnknownAuthorityError
	if a := do(&http.Client{Timeout: 5 * time.Second}, "GET", base+"/healthz", "", "", nil); !errors.As(a.err, &unknown) {
		t.Errorf("untrusting client: %v, want an unknown authority error", a)
	}
	// TLS 1.1 is refused.
	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool,
		MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if a := do(old, "GET", base+"/healthz", "", "", nil); a.err == nil {
		t.Errorf("TLS 1.1 client: %v, want a handshake failure", a)
	}
	// The stream over wss, with the origin check: the server's own origin
	// is let in, another is not.
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, HandshakeTimeout: 5 * time.Second}
	wss := "wss://" + p.addr + "/v1/stream"
	conn, _, err := d.Dial(wss, http.Header{"Authorization": {"Bearer tok"}, "Origin": {base}})
	if err != nil {
		t.Fatalf("wss with the server's own origin: %v", err)
	}
	var snap struct{ Type string }
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.ReadJSON(&snap); err != nil || snap.Type != "snapshot" {
		t.Errorf("first wss message: %+v %v", snap, err)
	}
	conn.Close()
	if _, resp, err := d.Dial(wss, http.Header{"Authorization": {"Bearer tok"}, "Origin": {"https://evil.example"}}); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("wss from a foreign origin: %v %v, want 403", resp, err)
	}
	p.stop(t)

	// The environment, and the demo posting to its own HTTPS listener
	// (trusting exactly its certificate).
	p = startServeEnv(t, t.TempDir(), []string{"CHATDECK_TOKEN=tok", "CHATDECK_TLS_CERT=" + certFile, "CHATDECK_TLS_KEY=" + keyFile},
		"--demo", "--speed", "20")
	base = servingURL(t, p)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("env TLS: serving at %q", base)
	}
	waitUntil(t, 30*time.Second, "demo webhooks over HTTPS", func() (bool, string) {
		a := do(trusting, "GET", base+"/v1/board", "tok", "", nil)
		srcs, _ := a.json()["sources"].(map[string]any)
		jivo, _ := srcs["jivochat"].(map[string]any)
		n, _ := jivo["events"].(float64)
		return n > 0, a.String()
	})
	if strings.Contains(p.logs.String(), "webhook not accepted") {
		t.Errorf("the demo's webhooks were refused:\n%s", p.logs)
	}
	p.stop(t)
}

// TestTLSConfigErrors: half a TLS configuration, or unreadable files, stop
// serve at start with a message saying what to fix.
func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, _, _ := selfSigned(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "set both --tls-cert and --tls-key"},
		{[]string{"--tls-key", certFile}, "set both --tls-cert and --tls-key"},
		{[]string{"--tls-cert", certFile, "--tls-key", filepath.Join(dir, "missing.pem")}, "tls: loading certificate"},
		{[]string{"--tls-cert", certFile, "--tls-key", certFile}, "tls: loading certificate"},
	} {
		cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, tc.args...)...)
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+dir, "XDG_CONFIG_HOME="+dir, "CHATDECK_TOKEN=tok")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("serve %v: %v\n%s\nwant an error saying %q", tc.args, err, out, tc.want)
		}
	}
}

// TestLoopbackByDefaultWarnsWhenWider: the default address is loopback,
// and binding wider logs a warning that says what is exposed.
func TestLoopbackByDefaultWarnsWhenWider(t *testing.T) {
	fs := newServe().Flags()
	if got := fs.Lookup("listen").DefValue; got != "127.0.0.1:8765" {
		t.Errorf("default listen %q, want 127.0.0.1:8765", got)
	}
	p := startServeEnv(t, t.TempDir(), []string{"CHATDECK_TOKEN=tok"})
	if strings.Contains(p.logs.String(), "beyond loopback") {
		t.Errorf("warned on loopback:\n%s", p.logs)
	}
	p.stop(t)
	p = startServeEnv(t, t.TempDir(), []string{"CHATDECK_TOKEN=tok"}, "--listen", "0.0.0.0:0")
	if !contains(p.logs.String(), `"level":"WARN"`, "listening beyond loopback without TLS", "--tls-cert") {
		t.Errorf("no warning when bound to every address:\n%s", p.logs)
	}
	_, port, _ := net.SplitHostPort(p.addr)
	if a := do(http.DefaultClient, "GET", "http://127.0.0.1:"+port+"/healthz", "", "", nil); a.status != 200 {
		t.Errorf("healthz: %v", a)
	}
	p.stop(t)
}

// TestWebhookRateLimitOverTheBinary: --webhook-rate and --webhook-burst
// limit each address; past them a webhook gets 429 with Retry-After and a
// JSON error, and nothing refused is stored.
func TestWebhookRateLimitOverTheBinary(t *testing.T) {
	p := startServeEnv(t, t.TempDir(), []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0.5", "--webhook-burst", "3")
	base := "http://" + p.addr
	var codes []int
	var limited answer
	for i := range 5 {
		a := postWebhook(http.DefaultClient, base, "tok", chatRequestBody("rl-"+string(rune('a'+i))))
		codes = append(codes, a.status)
		if a.status == 429 {
			limited = a
		}
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 200 || codes[3] != 429 || codes[4] != 429 {
		t.Fatalf("statuses %v, want 200 200 200 429 429", codes)
	}
	if ra := limited.header.Get("Retry-After"); ra != "2" && ra != "1" {
		t.Errorf("Retry-After %q, want 1 or 2 (s)", ra)
	}
	if msg, _ := limited.json()["error"].(string); !strings.Contains(msg, "rate limit") {
		t.Errorf("429 body %s", limited.body)
	}
	if evs := allEvents(t, http.DefaultClient, base, "tok"); len(evs) != 3 {
		t.Errorf("%d events stored, want the 3 accepted", len(evs))
	}
	if !strings.Contains(p.logs.String(), `"webhook_rate":0.5`) {
		t.Errorf("the serving line does not show the limit:\n%s", p.logs)
	}
	p.stop(t)
}

// TestLogsNeverShowSecrets runs serve at debug level (every request
// logged) with a token and Comm100 credentials, sends webhooks with the
// right token and wrong ones in every position, lets the poller fail on
// refused credentials, and checks no log line shows any of them while the
// request lines are there with the token redacted.
func TestLogsNeverShowSecrets(t *testing.T) {
	const tok = "tok-0123456789abcdef"
	secrets := []string{tok, "guess-token-aaaa1111", "guess-bearer-bbbb2222", "at-secret-cccc3333", "guess-access-dddd4444"}
	p := startServeEnv(t, t.TempDir(), []string{"CHATDECK_TOKEN=" + tok, "COMM100_API_BASE=http://127.0.0.1:1/v4",
		"COMM100_ACCESS_TOKEN=" + secrets[3]}, "--log-level", "debug", "--poll-interval", "50ms")
	base := "http://" + p.addr
	c := http.DefaultClient
	postWebhook(c, base, tok, fixtures.MustRead("comm100/chat_started.json"))
	postWebhook(c, base, secrets[1], []byte(`{}`))
	do(c, "POST", base+"/webhooks/chatlio/nope?x=1&token="+tok, "", "application/json", []byte(`{}`))
	do(c, "GET", base+"/v1/board", secrets[2], "", nil)
	do(c, "GET", base+"/v1/events?access_token="+secrets[4], tok, "", nil)
	do(c, "GET", base+"/v1/stream?token="+tok, "", "", nil)
	// The token as other parsers would read it back: an encoded name and value, mixed case, inside a URL.
	do(c, "POST", base+"/webhooks/comm100?tok%65n="+strings.ReplaceAll(url.PathEscape(tok), "-", "%2d"), "", "application/json", []byte(`{}`))
	do(c, "POST", base+"/webhooks/comm100?x=1&ToKeN%3D=a&next=%2Fcb%3Ftok%2565n%3D"+tok, "", "application/json", []byte(`{}`))
	waitUntil(t, 20*time.Second, "a failed poll logged", func() (bool, string) {
		return strings.Contains(p.logs.String(), "comm100 poll failed"), ""
	})
	p.stop(t)
	logs := p.logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log shows %q", s)
		}
	}
	if strings.Contains(logs, "0123456789abcdef") { // the token's tail, in whatever encoding it was sent
		t.Errorf("the log shows the token encoded:\n%s", logs)
	}
	if n := strings.Count(logs, `token=REDACTED`); n < 4 {
		t.Errorf("%d request lines with the token redacted, want 4 or more:\n%s", n, logs)
	}
}

// TestRedactingLogger: the logger every command builds hides secrets in
// messages, attributes, errors, groups and With attributes, and so does
// the *log.Logger http.Server gets as its ErrorLog.
func TestRedactingLogger(t *testing.T) {
	file := filepath.Join(t.TempDir(), "log")
	log, closeLog, err := newLogger(Config{LogLevel: "debug", LogFile: file}, nil, "configured-secret/+1", "short")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("posting to http://h/webhooks/comm100?token=abc123&x=1")
	log.Warn("failed", "err", errors.New(`Post "http://h/webhooks/jivochat?token=zzz999": connection refused`))
	log.With("url", "http://h/x?access_token=with-attr-1").Info("with")
	log.Info("group", slog.Group("req", "query", "token=in-group-2", "auth", "Bearer in-header-3"))
	log.Info("configured", "value", "the token is configured-secret/+1, escaped configured-secret%2F%2B1")
	errorLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	errorLog.Printf("http: panic serving 127.0.0.1:5: GET /webhooks/comm100?token=error-log-4 HTTP/1.1")
	closeLog()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"abc123", "zzz999", "with-attr-1", "in-group-2", "in-header-3", "configured-secret", "error-log-4"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("the log shows %q:\n%s", s, b)
		}
	}
	if n := bytes.Count(b, []byte("REDACTED")); n != 8 {
		t.Errorf("%d redactions, want 8:\n%s", n, b)
	}
	if !bytes.Contains(b, []byte("token=REDACTED&x=1")) || !bytes.Contains(b, []byte("the token is REDACTED")) {
		t.Errorf("the log lost ordinary text:\n%s", b)
	}
}

// TestWebhooksCommandPrintsHTTPSWithTLS: with a certificate configured the
// URLs to paste are https.
func TestWebhooksCommandPrintsHTTPSWithTLS(t *testing.T) {
	state := t.TempDir()
	cmd := exec.Command(binary, "webhooks")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "XDG_CONFIG_HOME="+state, "CHATDECK_TOKEN=tok",
		"CHATDECK_LISTEN=127.0.0.1:8765", "CHATDECK_TLS_CERT=/etc/cert.pem", "CHATDECK_TLS_KEY=/etc/key.pem")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "https://127.0.0.1:8765/webhooks/comm100?token=tok") ||
		strings.Contains(string(out), "http://") {
		t.Errorf("webhooks with TLS: %v\n%s", err, out)
	}
}
