package main

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKill9UnderLoadLosesNothingAcknowledged runs the real binary under
// concurrent webhook load and kills it with SIGKILL in the middle, twice:
// after each restart every webhook that was answered 2xx is in the journal
// (GET /v1/events) under the cursor it was given, none twice, and the
// board is rebuilt up to the last of them.
func TestKill9UnderLoadLosesNothingAcknowledged(t *testing.T) {
	state := t.TempDir()
	env := []string{"CHATDECK_TOKEN=tok"}
	var loads []*load
	for round := range 2 {
		p := startServeEnv(t, state, env, "--webhook-rate", "0")
		base := "http://" + p.addr
		l := startLoad(base, "tok", "r"+string(rune('a'+round)), 8)
		loads = append(loads, l)
		// Kill in the middle: well after the load is flowing, while
		// requests are in flight.
		l.waitAcked(t, 400, 60*time.Second)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		time.Sleep(100 * time.Millisecond) // let the workers see the dead server
		l.stopLoad()
	}
	p := startServeEnv(t, state, env, "--webhook-rate", "0")
	base := "http://" + p.addr
	evs := allEvents(t, http.DefaultClient, base, "tok")
	for _, l := range loads {
		l.checkAllAcknowledgedStored(t, evs)
	}
	b := boardOf(t, p.addr, "tok")
	if last := evs[len(evs)-1].Cursor; b["cursor"] != last && b["cursor"] != toNumber(last) {
		t.Errorf("board cursor after restart %v, want the journal's last %s", b["cursor"], last)
	}
	// A vendor retrying an acknowledged webhook after the crash changes
	// nothing.
	for id := range loads[0].acked {
		a := postWebhook(http.DefaultClient, base, "tok", chatRequestBody(id))
		if a.status != 200 || a.json()["duplicate"] != true {
			t.Errorf("retry of %s after the crash: %v, want 200 duplicate", id, a)
		}
		break
	}
	p.stop(t)
}

// TestSIGTERMUnderLoadLosesNothing stops the real binary with SIGTERM under
// concurrent load: it exits 0 having closed its journal, every request got
// either a 2xx (and is in the journal after a restart), a 503, or a
// connection error, never another answer, and no 2xx is lost.
func TestSIGTERMUnderLoadLosesNothing(t *testing.T) {
	state := t.TempDir()
	env := []string{"CHATDECK_TOKEN=tok"}
	p := startServeEnv(t, state, env, "--webhook-rate", "0")
	l := startLoad("http://"+p.addr, "tok", "term", 8)
	l.waitAcked(t, 400, 60*time.Second)
	start := time.Now()
	p.stop(t) // SIGTERM; exit status 0; "journal closed" logged
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("stopping under load took %v", d)
	}
	time.Sleep(100 * time.Millisecond)
	l.stopLoad()
	if !strings.Contains(p.logs.String(), `"msg":"stopping: finishing requests in flight"`) {
		t.Errorf("serve did not drain:\n%s", p.logs)
	}
	p2 := startServeEnv(t, state, env)
	l.checkAllAcknowledgedStored(t, allEvents(t, http.DefaultClient, "http://"+p2.addr, "tok"))
	p2.stop(t)
}

// toNumber is a JSON number as encoding/json decodes it into any.
func toNumber(s string) float64 {
	var f float64
	for _, c := range s {
		f = f*10 + float64(c-'0')
	}
	return f
}
