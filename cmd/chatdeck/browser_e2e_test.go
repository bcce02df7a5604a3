package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireChromiumEnv makes a missing Chromium a failure (CI sets it).
const requireChromiumEnv = "CHATDECK_REQUIRE_CHROMIUM"

// chromium finds the browser, or skips (fails under CHATDECK_REQUIRE_CHROMIUM).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(requireChromiumEnv) != "" {
		t.Fatalf("chromium is not installed (apt-get install -y chromium) and %s is set", requireChromiumEnv)
	}
	t.Skip("chromium is not installed (apt-get install -y chromium): the real-browser test of /browser/jivo.js is skipped")
	return ""
}

// jivoTestPage is a shop's page: a stand-in jivo_api that behaves as the
// JivoChat documentation describes (getVisitorNumber answers
// asynchronously through a callback, getContactInfo returns the contact
// form's contact_info, chatMode says online), a callback of the page's
// own, chatdeck's script tag, and then the widget's callbacks fired as the
// widget would: loaded, window opened, first message, contacts form.
const jivoTestPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title>
<script>
window.jivo_api = {
  getVisitorNumber: function (cb) { setTimeout(function () { cb(null, 2846); }, 20); },
  getContactInfo: function () { return {client_name: "John Smith", email: "email@example.com", phone: "+14084987855"}; },
  chatMode: function () { return "online"; }
};
function jivo_onMessageSent() { fetch("/report?page_callback=jivo_onMessageSent"); }
</script>
<script src="CHATDECK/browser/jivo.js" data-key="KEY" async onload="widget()"></script>
<script>
function widget() {
  jivo_onLoadCallback();
  jivo_onOpen();
  jivo_onChangeState("chat");
  setTimeout(function () {
    jivo_onMessageSent();
    jivo_onIntroduction();
    fetch("/report?fired=1");
  }, 50);
}
</script></head><body>shop</body></html>`

// TestBrowserJivoEndToEnd: headless Chromium opens a shop page served from
// another loopback origin; the page loads /browser/jivo.js from a running
// `chatdeck serve` and fires the Jivo callbacks; the board shows the
// visitor waiting (with the contact form's name), then answered when the
// chat_accepted webhook for the same visitor number arrives, with the wait
// measured receipt to receipt. The page's own callback still runs.
func TestBrowserJivoEndToEnd(t *testing.T) {
	browser := chromium(t)
	var mu sync.Mutex
	reports := map[string]bool{}
	page := ""
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/report" {
			reports[r.URL.RawQuery] = true
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	defer shop.Close()

	state := t.TempDir()
	p := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok", "CHATDECK_BROWSER_KEY=pk_shop", "CHATDECK_BROWSER_ORIGINS=" + shop.URL})
	base := "http://" + p.addr
	if strings.TrimPrefix(shop.URL, "http://") == p.addr {
		t.Fatal("the page must come from another origin than chatdeck")
	}
	mu.Lock()
	page = strings.NewReplacer("CHATDECK", base, "KEY", "pk_shop").Replace(jivoTestPage)
	mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--no-default-browser-check", "--disable-dev-shm-usage", "--remote-debugging-port=0",
		"--user-data-dir="+t.TempDir(), shop.URL+"/")
	out := &logBuffer{} // written by the command's copier, read by the test
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()

	queueOf := func() ([]any, map[string]any) {
		b := boardOf(t, p.addr, "tok")
		q, _ := b["queue"].([]any)
		return q, b
	}
	start := time.Now()
	waitUntil(t, 60*time.Second, "the visitor waiting on the board", func() (bool, string) {
		q, _ := queueOf()
		for _, e := range q {
			m := e.(map[string]any)
			if m["chat_id"] == "browser:2846" && m["source"] == "jivochat" && m["from_browser"] == true && m["name"] == "John Smith" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("queue %v; chromium: %.500s", q, out.String())
	})
	t.Logf("visitor 2846 on the board %v after chromium started", time.Since(start).Round(time.Millisecond))
	mu.Lock()
	called := reports["page_callback=jivo_onMessageSent"]
	mu.Unlock()
	if !called {
		t.Error("the page's own jivo_onMessageSent was not called")
	}

	// Let the visitor wait a little, by the server's own clock, so that
	// the measured wait is visibly the browser's receipt to the webhook's.
	waitUntil(t, 10*time.Second, "a wait of 0.3 s", func() (bool, string) {
		q, _ := queueOf()
		if len(q) != 1 {
			return false, fmt.Sprint(q)
		}
		w, _ := q[0].(map[string]any)["wait_seconds"].(float64)
		return w >= 0.3, fmt.Sprint(q)
	})
	accepted := []byte(`{"event_name":"chat_accepted","chat_id":3537,"widget_id":"3677","visitor":{"name":"John Smith","number":"2846"},"agent":{"id":"2224","name":"Thomas Anderson"}}`)
	resp, err := http.Post(base+"/webhooks/jivochat?token=tok", "application/json", bytes.NewReader(accepted))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("chat_accepted webhook: %v %v", resp, err)
	}
	resp.Body.Close()

	var asa float64
	waitUntil(t, 10*time.Second, "the wait answered", func() (bool, string) {
		q, b := queueOf()
		today := b["metrics"].(map[string]any)["today"].(map[string]any)
		states := chatStates(b)
		a, _ := today["asa_seconds"].(float64)
		asa = a
		ok := len(q) == 0 && states["jivochat/3537"] == "active" && today["answered"] == 1.0 && today["arrivals"] == 1.0 && a > 0
		return ok, fmt.Sprintf("queue %v, chats %v, today %v", q, states, today)
	})
	if asa < 0.3 || asa > 60 {
		t.Errorf("ASA %.3f s, want the wait from the browser's first message to the webhook (at least 0.3 s)", asa)
	}
	t.Logf("measured wait (ASA): %.3f s", asa)
}

// TestWebhooksPrintsBrowserTag: `chatdeck webhooks` prints the script tag
// with the browser key, and says how to turn it on without one.
func TestWebhooksPrintsBrowserTag(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	run := func(args ...string) string {
		root := newRoot()
		var out strings.Builder
		root.SetOut(&out)
		root.SetArgs(append([]string{"webhooks", "--token", "T0k"}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	out := run("--browser-key", "pk_shop", "--public-url", "https://chat-ops.example.com")
	if want := `<script src="https://chat-ops.example.com/browser/jivo.js" data-key="pk_shop" async></script>`; !strings.Contains(out, want) {
		t.Errorf("output lacks %s:\n%s", want, out)
	}
	if out := run(); !strings.Contains(out, "--browser-key") || strings.Contains(out, "<script") {
		t.Errorf("without a key the output should say how to turn the script on:\n%s", out)
	}
}
