package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// reportEnv is the environment the report tests run the binary in: the
// state directory state, its journal the default (serve's, without
// --demo), UTC.
func reportEnv(state string) []string {
	return append(os.Environ(), "XDG_STATE_HOME="+state, "XDG_CONFIG_HOME="+filepath.Join(state, "config"),
		"CHATDECK_DB=", "CHATDECK_TIMEZONE=UTC")
}

// reportCmd runs `chatdeck report args...` and returns its stdout, stderr
// and exit status.
func reportCmd(t *testing.T, state string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"report"}, args...)...)
	cmd.Env = reportEnv(state)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("report %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// reportDoc is `report --format json`.
type reportDoc struct {
	From, Until time.Time
	By          string
	Timezone    string
	Rows        []map[string]any
}

// cursorOf is the board's cursor.
func cursorOf(t *testing.T, addr string) int {
	t.Helper()
	n, _ := strconv.Atoi(boardOf(t, addr, "tok")["cursor"].(string))
	return n
}

// TestReportOnTheDemo runs the real binary on a journal made by the demo:
// the report reads it beside the running server (which goes on taking
// events), then, the server restarted on the same journal with no new
// events, a report of today by source adds up to the board's own today
// (arrivals and answered, and the rest), in JSON, CSV and the table alike;
// by agent it lists the board's agents.
func TestReportOnTheDemo(t *testing.T) {
	state := t.TempDir()
	env := []string{"CHATDECK_TOKEN=tok", "CHATDECK_TIMEZONE=UTC"}
	// The demo keeps its journal in a temporary directory unless told:
	// here the state directory's, the default for serve and report.
	db := filepath.Join(state, "chatdeck", "journal.db")
	p := startServeEnv(t, state, env, "--demo", "--seed", "5", "--speed", "200", "--db", db)
	waitUntil(t, 60*time.Second, "the demo journalled 400 events", func() (bool, string) {
		n := cursorOf(t, p.addr)
		return n >= 400, strconv.Itoa(n)
	})
	// Beside the running server: read-only, it neither fails nor holds the
	// server up.
	out, errOut, code := reportCmd(t, state, "--by", "source", "--format", "json")
	if code != 0 {
		t.Fatalf("report beside serve: exit %d\n%s", code, errOut)
	}
	var doc reportDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.By != "source" || doc.Timezone != "UTC" || len(doc.Rows) == 0 {
		t.Fatalf("report beside serve: %v\n%s", err, out)
	}
	if errOut != "" {
		t.Errorf("stderr is not a terminal, yet report wrote to it: %q", errOut)
	}
	before := cursorOf(t, p.addr)
	waitUntil(t, 30*time.Second, "serve took more events after the report", func() (bool, string) {
		n := cursorOf(t, p.addr)
		return n > before, strconv.Itoa(n)
	})
	p.stop(t)

	p2 := startServeEnv(t, state, env)
	defer p2.stop(t)
	today := boardOf(t, p2.addr, "tok")["metrics"].(map[string]any)["today"].(map[string]any)
	if today["arrivals"].(float64) < 20 || today["answered"].(float64) < 10 {
		t.Fatalf("the demo's today is too thin: %v", today)
	}

	out, errOut, code = reportCmd(t, state, "--by", "source", "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	doc = reportDoc{}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	midnight := time.Now().UTC().Truncate(24 * time.Hour)
	if !doc.From.Equal(midnight) || time.Since(doc.Until) > time.Minute || time.Since(doc.Until) < 0 {
		t.Errorf("default span %v to %v, want today's midnight (UTC) to now", doc.From, doc.Until)
	}
	fields := []string{"arrivals", "answered", "answered_within_target", "abandoned", "short_abandoned", "csat_good", "csat_bad"}
	sums := map[string]float64{}
	sources := map[string]bool{}
	for _, r := range doc.Rows {
		sources[r["source"].(string)] = true
		for _, f := range fields {
			sums[f] += r[f].(float64)
		}
	}
	for _, f := range fields {
		if sums[f] != today[f].(float64) {
			t.Errorf("json: %s adds up to %v over the sources, the board's today says %v", f, sums[f], today[f])
		}
	}
	if !sources["comm100"] || !sources["chatlio"] || !sources["jivochat"] {
		t.Errorf("sources %v, want all three", sources)
	}

	out, errOut, code = reportCmd(t, state, "--by", "source", "--format", "csv")
	if code != 0 {
		t.Fatalf("report csv: exit %d\n%s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != len(doc.Rows)+1 {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	if strings.Join(recs[0], ",") != "source,arrivals,answered,answered_within_target,abandoned,short_abandoned,service_level,asa_seconds,abandonment_rate,csat_good,csat_bad" {
		t.Errorf("csv header %v", recs[0])
	}
	var arrivals, answered float64
	for _, r := range recs[1:] {
		a, _ := strconv.ParseFloat(r[1], 64)
		b, _ := strconv.ParseFloat(r[2], 64)
		arrivals, answered = arrivals+a, answered+b
	}
	if arrivals != today["arrivals"].(float64) || answered != today["answered"].(float64) {
		t.Errorf("csv: %v arrivals, %v answered; the board's today %v, %v", arrivals, answered, today["arrivals"], today["answered"])
	}

	out, errOut, code = reportCmd(t, state, "--by", "source")
	if code != 0 {
		t.Fatalf("report table: exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 2+1+len(doc.Rows) || !strings.HasPrefix(lines[2], "SOURCE") {
		t.Fatalf("table:\n%s", out)
	}
	col := strings.Index(lines[2], "ANSWERED")
	var tableAnswered float64
	for _, l := range lines[3:] {
		v, _ := strconv.ParseFloat(strings.Fields(l[col:])[0], 64)
		tableAnswered += v
	}
	if tableAnswered != today["answered"].(float64) {
		t.Errorf("table: ANSWERED column adds up to %v, the board's today %v\n%s", tableAnswered, today["answered"], out)
	}

	out, errOut, code = reportCmd(t, state, "--by", "agent", "--format", "json", "--since", "24h")
	if code != 0 {
		t.Fatalf("report by agent: exit %d\n%s", code, errOut)
	}
	doc = reportDoc{}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	agents := boardOf(t, p2.addr, "tok")["agents"].([]any)
	chats := 0.0
	for _, r := range doc.Rows {
		chats += r["chats"].(float64)
		if _, ok := r["online_seconds"].(float64); !ok {
			t.Errorf("agent row without online_seconds: %v", r)
		}
	}
	if len(doc.Rows) != len(agents) || chats == 0 {
		t.Errorf("by agent: %d rows (%v chats), the board has %d agents", len(doc.Rows), chats, len(agents))
	}
}

// TestReportBadFlags: each bad flag or time exits 2, naming the flag and
// the value; a missing journal exits 1, naming the file.
func TestReportBadFlags(t *testing.T) {
	state := t.TempDir()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--by", "week"}, []string{"--by", `"week"`}},
		{[]string{"--format", "xml"}, []string{"--format", `"xml"`}},
		{[]string{"--since", "yesterday"}, []string{"--since", `"yesterday"`}},
		{[]string{"--until", "-3h"}, []string{"--until", `"-3h"`}},
		{[]string{"--since", "2026-02-30"}, []string{"--since", `"2026-02-30"`}},
		{[]string{"--since", "1h", "--until", "2h"}, []string{"--since", `"1h"`, "--until", `"2h"`, "after"}},
		{[]string{"--timezone", "Mars/Olympus"}, []string{"--timezone", `"Mars/Olympus"`}},
		{[]string{"--frobnicate"}, []string{"--frobnicate"}},
		{[]string{"stray"}, []string{`"stray"`}},
	} {
		_, errOut, code := reportCmd(t, state, c.args...)
		if code != 2 || !contains(errOut, c.want...) {
			t.Errorf("report %v: exit %d, stderr %q; want 2 naming %v", c.args, code, errOut, c.want)
		}
	}
	missing := filepath.Join(state, "nowhere.db")
	if _, errOut, code := reportCmd(t, state, "--db", missing); code != 1 || !strings.Contains(errOut, missing) {
		t.Errorf("missing journal: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("report created %s", missing)
	}
}
