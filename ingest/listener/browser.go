package listener

import (
	"crypto/sha256"
	_ "embed" // the browser script
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// jivoScript is what GET /browser/jivo.js serves: the JivoChat JavaScript
// API's callbacks, reporting to POST /browser/jivochat.
//
//go:embed browser/jivo.js
var jivoScript []byte

// BrowserMaxBody is the most a browser event's body may hold: 8 KiB.
const BrowserMaxBody = 8 << 10

// Browser routes' per-address limit, when BrowserConfig leaves it zero: a
// visitor's page sends a handful of events per chat.
const (
	DefaultBrowserRate  = 5
	DefaultBrowserBurst = 30
)

// BrowserConfig configures the browser routes: GET /browser/jivo.js and
// POST /browser/jivochat?key=KEY. With no Key both are off (404).
type BrowserConfig struct {
	// Key is the publishable key pages post with. It sits in public pages,
	// so it guards nothing but these routes (it is not the token).
	Key string
	// Origins are the sites allowed to post ("https://shop.example.com"):
	// required with a Key. CORS is answered for these only.
	Origins []string
	// Rate and Burst limit posts per client address (IPv4 address, IPv6
	// /64); DefaultBrowserRate and DefaultBrowserBurst if zero.
	Rate  float64
	Burst int
}

// browser is the browser routes' state.
type browser struct {
	key     [sha256.Size]byte
	origins map[string]bool
	limit   *ipLimiter
	rate    float64
}

// browserRoutes adds the browser routes when a key is configured.
func (l *Listener) browserRoutes() error {
	bc := l.cfg.Browser
	if bc.Key == "" {
		if len(bc.Origins) > 0 {
			return errors.New("listener: browser origins without a browser key: set the key too")
		}
		return nil
	}
	if len(bc.Origins) == 0 {
		return errors.New("listener: a browser key needs the origins allowed to post with it (--browser-origins)")
	}
	br := &browser{key: sha256.Sum256([]byte(bc.Key)), origins: map[string]bool{}}
	for _, o := range bc.Origins {
		norm, err := NormaliseOrigin(o)
		if err != nil {
			return fmt.Errorf("listener: browser origin %q: %w", o, err)
		}
		br.origins[norm] = true
	}
	if bc.Rate < 0 || bc.Burst < 0 {
		return errors.New("listener: negative browser rate limit")
	}
	br.rate = bc.Rate
	if br.rate == 0 {
		br.rate = DefaultBrowserRate
	}
	burst := bc.Burst
	if burst == 0 {
		burst = DefaultBrowserBurst
	}
	br.limit = newIPLimiter(br.rate, burst, l.cfg.RateLimitClients)
	l.mux.HandleFunc("/browser/jivo.js", l.jivoScript)
	l.mux.HandleFunc("/browser/jivochat", func(w http.ResponseWriter, r *http.Request) { l.browserEvent(br, w, r) })
	return nil
}

// NormaliseOrigin is an origin as browsers send it: scheme://host[:port],
// lower case, no path. An error says why s is not one.
func NormaliseOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil:
		return "", err
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("want http:// or https:// and a host, e.g. https://shop.example.com")
	case u.Host == "":
		return "", errors.New("no host")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", errors.New("an origin is scheme://host[:port], with no path, query or user")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

func (l *Listener) jivoScript(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed on "+r.URL.Path+": use GET")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(jivoScript)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(jivoScript)
	}
}

// browserEvent takes one event from a visitor's browser: rate limited per
// address, then the key, then the origin (CORS answered for allowed
// origins only), then at most BrowserMaxBody of JSON, journalled as an
// untrusted JivoChat event.
func (l *Listener) browserEvent(br *browser, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodOptions {
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed on "+r.URL.Path+": use POST")
		return
	}
	addr := clientKey(r)
	if ok, wait := br.limit.allow(addr, l.cfg.Now()); !ok {
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
		writeError(w, http.StatusTooManyRequests, "rate limit: more than "+strconv.FormatFloat(br.rate, 'f', -1, 64)+
			" browser events per second from "+addr+"; retry after "+retryAfterSeconds(wait)+" s")
		return
	}
	if !secretOK(r.URL.Query().Get("key"), br.key) {
		writeError(w, http.StatusUnauthorized, "bad or missing browser key: use ?key= as data-key in the script tag says")
		return
	}
	origin := r.Header.Get("Origin")
	norm, err := NormaliseOrigin(origin)
	if origin == "" || err != nil || !br.origins[norm] {
		writeError(w, http.StatusForbidden, "origin "+strconv.Quote(origin)+" is not allowed to post browser events (--browser-origins)")
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		h.Set("Access-Control-Max-Age", strconv.Itoa(int((10 * time.Minute).Seconds())))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ev, _, ok := l.takeAtMost(w, r, event.JivoChat, decode.HintBrowser, BrowserMaxBody)
	if !ok {
		return
	}
	l.commit(w, r, ev, decode.HintBrowser, nil)
}
