//go:build unix

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// postEach posts chatRequestBody(prefix-i) for i < n, one after another,
// and returns the answers in order.
func postEach(base, token, prefix string, n int) (ids []string, answers []answer) {
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		ids = append(ids, id)
		answers = append(answers, postWebhook(http.DefaultClient, base, token, chatRequestBody(id)))
	}
	return ids, answers
}

// want503 checks that every answer is the journal's refusal: 503, a
// Retry-After, a JSON error.
func want503(t *testing.T, what string, answers []answer) {
	t.Helper()
	for _, a := range answers {
		msg, _ := a.json()["error"].(string)
		if a.status != 503 || a.header.Get("Retry-After") == "" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") ||
			!strings.Contains(msg, "journal unavailable") {
			t.Errorf("%s: %v (Retry-After %q, Content-Type %q), want 503 journal unavailable with Retry-After, JSON",
				what, a, a.header.Get("Retry-After"), a.header.Get("Content-Type"))
		}
	}
}

// want200 checks that every answer is a new acknowledgement.
func want200(t *testing.T, what string, answers []answer) {
	t.Helper()
	for _, a := range answers {
		if a.status != 200 || a.json()["ok"] != true || a.json()["duplicate"] == true {
			t.Errorf("%s: %v, want 200, new", what, a)
		}
	}
}

// wantStoredOnce checks that the journal behind base holds each id once and
// none of absent.
func wantStoredOnce(t *testing.T, base string, ids, absent []string) {
	t.Helper()
	got := storedIDs(t, base, "tok")
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("%s stored %d times, want once", id, got[id])
		}
	}
	for _, id := range absent {
		if got[id] != 0 {
			t.Errorf("%s (refused) is stored", id)
		}
	}
}

// TestJournalReplacedUnderServer moves the running server's journal
// aside and puts another file at its path: webhooks get 503 with
// Retry-After (none is acknowledged into a file the path no longer
// names), /healthz is unhealthy and says the file was replaced; once the
// file is back, /healthz is ok at once and the vendors' retries are
// taken; after a restart every acknowledged webhook is there, once.
func TestJournalReplacedUnderServer(t *testing.T) {
	state := t.TempDir()
	db := filepath.Join(state, "j.db")
	p := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0", "--db", db)
	base := "http://" + p.addr
	before, answers := postEach(base, "tok", "before", 5)
	want200(t, "before the replacement", answers)

	if err := os.Rename(db, db+".aside"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	during, answers := postEach(base, "tok", "during", 5)
	want503(t, "with the journal replaced", answers)
	code, status, problems := health(t, base)
	if code != 503 || status != "unhealthy" || !strings.Contains(fmt.Sprint(problems["journal"]), db+" was replaced by another file") {
		t.Errorf("healthz with the journal replaced: %d %s %v, want 503 unhealthy naming the replacement", code, status, problems)
	}
	if !strings.Contains(p.logs.String(), "was replaced by another file") {
		t.Errorf("the refusal is not logged:\n%s", p.logs)
	}

	// Put the file back: resolved.
	if err := os.Rename(db+".aside", db); err != nil {
		t.Fatal(err)
	}
	if code, status, problems := health(t, base); code != 200 || status != "ok" {
		t.Errorf("healthz with the journal back: %d %s %v, want 200 ok", code, status, problems)
	}
	_, answers = postEach(base, "tok", "during", 5)
	want200(t, "the retries with the journal back", answers)
	after, answers := postEach(base, "tok", "after", 5)
	want200(t, "after", answers)
	p.stop(t)

	p = startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0", "--db", db)
	wantStoredOnce(t, "http://"+p.addr, append(append(before, during...), after...), nil)
	if n := len(boardOf(t, p.addr, "tok")["queue"].([]any)); n != 15 {
		t.Errorf("the board after the restart: %d waiting, want 15", n)
	}
	p.stop(t)
}

// TestJournalDeletedUnderServer deletes the running server's journal:
// webhooks get 503 with Retry-After, /healthz is unhealthy, says the file
// was deleted and where the server saved what it held; the server stops
// cleanly, and with the saved file moved to the journal's path (what
// /healthz and the log say to do) a restart has every acknowledged
// webhook and none refused.
func TestJournalDeletedUnderServer(t *testing.T) {
	state := t.TempDir()
	db := filepath.Join(state, "j.db")
	p := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0", "--db", db)
	base := "http://" + p.addr
	before, answers := postEach(base, "tok", "before", 5)
	want200(t, "before the deletion", answers)

	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	during, answers := postEach(base, "tok", "during", 5)
	want503(t, "with the journal deleted", answers)
	code, status, problems := health(t, base)
	msg := fmt.Sprint(problems["journal"])
	if code != 503 || status != "unhealthy" || !strings.Contains(msg, db+" was deleted") || !strings.Contains(msg, "saved in "+db+".rescued-") {
		t.Errorf("healthz with the journal deleted: %d %s %v, want 503 unhealthy naming the deletion and the saved copy", code, status, problems)
	}
	saved, _ := filepath.Glob(db + ".rescued-*")
	if len(saved) != 1 {
		t.Fatalf("saved copies: %v, want one", saved)
	}
	p.stop(t)

	if err := os.Rename(saved[0], db); err != nil {
		t.Fatal(err)
	}
	p = startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0", "--db", db)
	base = "http://" + p.addr
	wantStoredOnce(t, base, before, during)
	_, answers = postEach(base, "tok", "during", 5)
	want200(t, "the retries after the restart", answers)
	wantStoredOnce(t, base, append(before, during...), nil)
	p.stop(t)
}

// TestSecondServerOnOneJournalFailsAtOnce starts a server, then a second
// serve and a serve --demo on the same --db: each exits non-zero at once,
// saying the journal is in use and naming the first server's process;
// the first goes on acknowledging.
func TestSecondServerOnOneJournalFailsAtOnce(t *testing.T) {
	state := t.TempDir()
	db := filepath.Join(state, "j.db")
	p := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--db", db)
	// (The dashboards, run and demo, open the journal as serve and serve
	// --demo do, but without a terminal they refuse before: see
	// TestDashboardNeedsATerminal.)
	for _, args := range [][]string{{"serve"}, {"serve", "--demo"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, binary, append(args, "--listen", "127.0.0.1:0", "--db", db)...)
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "XDG_CONFIG_HOME="+filepath.Join(state, "config"),
			"CHATDECK_TOKEN=tok2", "CHATDECK_DB=", "COMM100_API_BASE=", "COMM100_ACCESS_TOKEN=", "TERM=dumb")
		out, err := cmd.CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		if timedOut {
			t.Fatalf("%v on a journal in use did not exit:\n%s", args, out)
		}
		if err == nil {
			t.Errorf("%v on a journal in use exited 0:\n%s", args, out)
		}
		for _, want := range []string{"journal in use by another process", db + ".lock",
			fmt.Sprintf("process %d (%s serve", p.cmd.Process.Pid, binary), "one journal has one writer"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%v on a journal in use: the error does not say %q:\n%s", args, want, out)
			}
		}
	}
	if a := postWebhook(http.DefaultClient, "http://"+p.addr, "tok", chatRequestBody("still")); a.status != 200 {
		t.Errorf("the first server after the refused starts: %v", a)
	}
	p.stop(t)
}
