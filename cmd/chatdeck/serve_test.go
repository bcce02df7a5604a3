package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api/comm100test"
	"github.com/chatdeck/chatdeck/fixtures"
)

// binary is the chatdeck binary built once for the process tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chatdeck-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "chatdeck")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running `chatdeck serve`.
type proc struct {
	cmd   *exec.Cmd
	addr  string
	logs  *logBuffer
	done  chan error
	addrc chan string
}

// logBuffer holds a process's log lines; the test reads it while the
// process writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startServe(t *testing.T, state string, args ...string) *proc {
	t.Helper()
	return startServeEnv(t, state, nil, args...)
}

func startServeEnv(t *testing.T, state string, env []string, args ...string) *proc {
	t.Helper()
	p := spawnServe(t, state, env, args...)
	p.waitServing(t, 30*time.Second)
	return p
}

// spawnServe starts `chatdeck serve` without waiting for it to serve.
func spawnServe(t *testing.T, state string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "XDG_CONFIG_HOME="+filepath.Join(state, "config"),
		"CHATDECK_TOKEN=", "CHATDECK_DB=", "COMM100_API_BASE=", "COMM100_ACCESS_TOKEN=", "COMM100_EMAIL=", "COMM100_API_KEY=")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &logBuffer{}, done: make(chan error, 1), addrc: make(chan string, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.logs.Write(append(line, '\n'))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "chatdeck serving" {
				p.addrc <- rec.Addr
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// waitServing waits until p says it serves, and notes its address.
func (p *proc) waitServing(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case p.addr = <-p.addrc:
	case err := <-p.done:
		p.done <- err
		t.Fatalf("serve exited early: %v\n%s", err, p.logs)
	case <-time.After(within):
		t.Fatalf("serve did not start in %v\n%s", within, p.logs)
	}
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	if !strings.Contains(p.logs.String(), `"msg":"journal closed"`) {
		t.Errorf("serve did not close its journal:\n%s", p.logs)
	}
}

func boardOf(t *testing.T, addr, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/board", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("board: %d %v", resp.StatusCode, err)
	}
	return m
}

func chatStates(b map[string]any) map[string]string {
	out := map[string]string{}
	for _, c := range b["chats"].([]any) {
		m := c.(map[string]any)
		out[m["source"].(string)+"/"+m["id"].(string)] = m["state"].(string)
	}
	return out
}

// TestServeKeepsEverythingAcrossRestart runs the real binary: every payload
// posted is answered 200 and on the board, the generated token survives a
// restart, SIGTERM stops it cleanly, and the board comes back from the
// journal.
func TestServeKeepsEverythingAcrossRestart(t *testing.T) {
	state := t.TempDir()
	p := startServe(t, state)
	tokenBytes, err := os.ReadFile(filepath.Join(state, "chatdeck", "token"))
	if err != nil {
		t.Fatalf("no token file: %v", err)
	}
	token := strings.TrimSpace(string(tokenBytes))
	if len(token) < 32 || strings.Contains(p.logs.String(), token) {
		t.Fatalf("token %q too short or logged", token)
	}
	post := func(addr string, f fixtures.Payload) int {
		resp, err := http.Post("http://"+addr+f.Route+"?token="+token, "application/json", bytes.NewReader(f.Body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, f := range fixtures.Webhooks() {
		if code := post(p.addr, f); code != 200 {
			t.Fatalf("%s answered %d", f.File, code)
		}
	}
	before := boardOf(t, p.addr, token)
	states := chatStates(before)
	want := map[string]string{
		"comm100/16c2cc3a-1b15-4b4f-9298-1cd04d6cec15": "ended",
		"chatlio/e3d1800d-2d9e-4966-4500-9ff986cfa197": "ended",
		"jivochat/3537": "active",
		"jivochat/7676": "ended",
	}
	for k, v := range want {
		if states[k] != v {
			t.Errorf("chat %s is %q, want %q", k, states[k], v)
		}
	}
	p.stop(t)

	p2 := startServe(t, state)
	after := boardOf(t, p2.addr, token)
	if got := chatStates(after); len(got) != len(states) {
		t.Errorf("after restart %d chats, want %d", len(got), len(states))
	}
	if after["cursor"] != before["cursor"] {
		t.Errorf("cursor %v after restart, want %v", after["cursor"], before["cursor"])
	}
	// A vendor retry after the restart is still one chat.
	if code := post(p2.addr, fixtures.Webhooks()[1]); code != 200 {
		t.Fatalf("retry answered %d", code)
	}
	if again := boardOf(t, p2.addr, token); again["cursor"] != before["cursor"] {
		t.Errorf("a retry after restart moved the cursor to %v", again["cursor"])
	}
	p2.stop(t)
}

// TestServeWithComm100 runs the binary against the fake Comm100 API: the
// poller fills the board's agents (with names) and queue, and a status
// change through POST /v1/agents/{id}/status reaches the API and the board.
func TestServeWithComm100(t *testing.T) {
	api := comm100test.New(comm100test.Options{AccessToken: "at-1"})
	defer api.Close()
	state := t.TempDir()
	p := startServeEnv(t, state, []string{"COMM100_API_BASE=" + api.URL(), "COMM100_ACCESS_TOKEN=at-1", "CHATDECK_TOKEN=tok"},
		"--poll-interval", "100ms")
	var b map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for {
		b = boardOf(t, p.addr, "tok")
		if len(b["agents"].([]any)) == 8 && len(b["queue"].([]any)) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("board never filled from the API: %v agents, %v queue\n%s", len(b["agents"].([]any)), len(b["queue"].([]any)), p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	names := map[string]string{}
	for _, a := range b["agents"].([]any) {
		m := a.(map[string]any)
		names[m["id"].(string)] = m["name"].(string) + "/" + m["status"].(string)
	}
	if names[alice] != "Alice/online" {
		t.Errorf("Alice = %q", names[alice])
	}
	setStatus := func(agent, status string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", "http://"+p.addr+"/v1/agents/"+agent+"/status", strings.NewReader(`{"status":"`+status+`"}`))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, m := setStatus(alice, "away"); code != 200 || m["ok"] != true {
		t.Fatalf("status change: %d %v", code, m)
	}
	if a, _ := api.Agent(alice); a.Status != "Away" {
		t.Errorf("the API has Alice %q", a.Status)
	}
	for _, a := range boardOf(t, p.addr, "tok")["agents"].([]any) {
		m := a.(map[string]any)
		if m["id"] == alice && m["status"] != "away" {
			t.Errorf("board has Alice %v right after the change", m["status"])
		}
	}
	if code, m := setStatus(alice, "napping"); code != 400 || !strings.Contains(m["error"].(string), "napping") {
		t.Errorf("unknown status: %d %v", code, m)
	}
	if code, _ := setStatus("00000000-0000-0000-0000-000000000000", "away"); code != 404 {
		t.Errorf("unknown agent: %d", code)
	}
	// A webhook, then /metrics (no token needed) has the series issue #5 lists.
	resp, err := http.Post("http://"+p.addr+"/webhooks/comm100?token=tok", "application/json", bytes.NewReader(fixtures.MustRead("comm100/chat_started.json")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`chatdeck_webhooks_total{kind="chat_started",source="comm100",status="200"} 1`,
		`chatdeck_journal_commit_seconds_count`,
		`chatdeck_board_queue_length 2`,
		`chatdeck_board_agents 8`,
		`chatdeck_comm100_api_calls_total{endpoint="livechat/agents",method="GET",status="200"}`,
		`chatdeck_comm100_api_calls_total{endpoint="livechat/agents/{id}",method="PUT",status="400"} 1`,
		`chatdeck_comm100_api_budget_left`,
		`chatdeck_stream_clients 0`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if bytes.Contains(body, []byte("tok")) && bytes.Contains(body, []byte("token=tok")) {
		t.Error("/metrics leaks the token")
	}
	// The API starts refusing: /healthz says the board is degraded, and why.
	api.SetFault(comm100test.Fault{Status: 401})
	deadline = time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			Status   string
			Problems map[string]string
		}
		_ = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if h.Status == "degraded" && strings.Contains(h.Problems["comm100_api"], "401") && resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz never said degraded: %d %+v", resp.StatusCode, h)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop(t)
}

const alice = "058cbf51-1c1c-419c-bfe7-d02ff3188cc0"

func TestWebhooksCommand(t *testing.T) {
	api := comm100test.New(comm100test.Options{AccessToken: "at-1"})
	defer api.Close()
	state := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command(binary, append([]string{"webhooks"}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "XDG_CONFIG_HOME="+state, "CHATDECK_TOKEN=tok/+",
			"COMM100_API_BASE="+api.URL(), "COMM100_ACCESS_TOKEN=at-1", "CHATDECK_LISTEN=127.0.0.1:8765")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("webhooks %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := run()
	for _, want := range []string{
		"http://127.0.0.1:8765/webhooks/comm100?token=tok%2F%2B",
		"http://127.0.0.1:8765/webhooks/chatlio/offline-message?token=tok%2F%2B",
		"http://127.0.0.1:8765/webhooks/jivochat?token=tok%2F%2B",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	out = run("--register", "https://ops.example.com/")
	if strings.Count(out, ": registered") != 7 || !strings.Contains(out, "https://ops.example.com/webhooks/chatlio/transcript?token=") {
		t.Errorf("first registration:\n%s", out)
	}
	out = run("--register", "https://ops.example.com")
	if strings.Count(out, "already registered") != 7 || len(api.Webhooks()) != 7 {
		t.Errorf("second registration duplicated (%d webhooks):\n%s", len(api.Webhooks()), out)
	}
	for _, h := range api.Webhooks() {
		if h.TargetURL != "https://ops.example.com/webhooks/comm100?token=tok%2F%2B" {
			t.Errorf("registered %s → %s", h.Event, h.TargetURL)
		}
	}
}

// TestAttachRefusedEndsAtOnce: attach with a token the server refuses, or
// an address that cannot be one, exits non-zero within seconds with the
// reason, before any screen; with no token at all it says how to give one.
func TestAttachRefusedEndsAtOnce(t *testing.T) {
	state := t.TempDir()
	srv := startServeEnv(t, state, []string{"CHATDECK_TOKEN=right"}, "--demo", "--speed", "2")
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"wrong token", []string{"attach", "http://" + srv.addr}, []string{"CHATDECK_TOKEN=wrong"}, "refused the connection (401)"},
		{"host:port, wrong token", []string{"attach", srv.addr}, []string{"CHATDECK_TOKEN=wrong"}, "refused the connection (401)"},
		{"bad scheme", []string{"attach", "ftp://" + srv.addr}, []string{"CHATDECK_TOKEN=right"}, `unknown scheme "ftp"`},
		{"no host", []string{"attach", "http://"}, []string{"CHATDECK_TOKEN=right"}, "want http(s)://host:port"},
		{"no token", []string{"attach", srv.addr}, nil, "no token: pass --token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			empty := t.TempDir()
			cmd.Env = append([]string{"HOME=" + empty, "XDG_STATE_HOME=" + empty, "XDG_CONFIG_HOME=" + empty, "PATH=" + os.Getenv("PATH")}, tc.env...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			cmd.Stdin = strings.NewReader("")
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			wait := make(chan error, 1)
			go func() { wait <- cmd.Wait() }()
			select {
			case err := <-wait:
				if err == nil || cmd.ProcessState.ExitCode() == 0 {
					t.Errorf("exit %v, want non-zero", err)
				}
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-wait
				t.Fatalf("attach still running after 10 s; stderr %q", stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.want)
			}
			t.Logf("%s: exited in %v: %s", tc.name, time.Since(start).Round(time.Millisecond), strings.TrimSpace(stderr.String()))
		})
	}
}

// TestDashboardNeedsATerminal: the dashboards started without a terminal
// end at once, saying so and what to run instead, before they open a
// journal.
func TestDashboardNeedsATerminal(t *testing.T) {
	for _, args := range [][]string{{"demo"}, {"run"}, {}} {
		state := t.TempDir()
		cmd := exec.Command(binary, args...)
		cmd.Env = []string{"HOME=" + state, "XDG_STATE_HOME=" + state, "XDG_CONFIG_HOME=" + state, "PATH=" + os.Getenv("PATH")}
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err == nil || cmd.ProcessState.ExitCode() != 1 {
			t.Errorf("%v: exit %v, want 1", args, err)
		}
		if want := "the dashboard needs a terminal"; !strings.Contains(string(out), want) || !strings.Contains(string(out), "chatdeck serve") {
			t.Errorf("%v: output %q, want %q and what to run instead", args, out, want)
		}
		if _, err := os.Stat(filepath.Join(state, "chatdeck", "journal.db")); err == nil {
			t.Errorf("%v: made a journal before refusing", args)
		}
	}
}

// TestDashboardIsNoClusterNode: cluster settings from the environment
// make run and demo exit 2 pointing to serve and attach, before anything
// starts (a demo must never post its made-up traffic into a real stream).
func TestDashboardIsNoClusterNode(t *testing.T) {
	for _, args := range [][]string{{"demo"}, {"run"}} {
		state := t.TempDir()
		cmd := exec.Command(binary, args...)
		cmd.Env = []string{"HOME=" + state, "XDG_STATE_HOME=" + state, "XDG_CONFIG_HOME=" + state, "PATH=" + os.Getenv("PATH"),
			"CHATDECK_CLUSTER_NAME=ops", "CHATDECK_NODE=n1"}
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err == nil || cmd.ProcessState.ExitCode() != 2 {
			t.Errorf("%v: exit %v, want 2", args, err)
		}
		for _, want := range []string{"cluster mode is for chatdeck serve", "chatdeck attach"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%v: output %q lacks %q", args, out, want)
			}
		}
		if _, err := os.Stat(filepath.Join(state, "chatdeck", "cluster")); err == nil {
			t.Errorf("%v: made a cluster store before refusing", args)
		}
	}
}

// TestDemoTokenIsKept: serve --demo keeps its token where serve does, says
// where, and the token works for the API, as the README tells scripts.
func TestDemoTokenIsKept(t *testing.T) {
	state := t.TempDir()
	srv := startServe(t, state, "--demo", "--speed", "0")
	file := filepath.Join(state, "chatdeck", "token")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no token file: %v", err)
	}
	token := strings.TrimSpace(string(b))
	if board := boardOf(t, srv.addr, token); board["cursor"] == nil {
		t.Errorf("GET /v1/board with the kept token: %v", board)
	}
	waitUntil(t, 10*time.Second, "the demo's log line", func() (bool, string) {
		logs := srv.logs.String()
		return strings.Contains(logs, `"token_file":"`+file+`"`) && strings.Contains(logs, `"url":"http://`+srv.addr), logs
	})
	srv.stop(t)
	again := startServe(t, state, "--demo", "--speed", "0")
	if board := boardOf(t, again.addr, token); board["cursor"] == nil {
		t.Errorf("the second demo does not take the same token: %v", board)
	}
}
