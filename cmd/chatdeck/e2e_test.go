package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmux runs a tmux command against the test's own server socket.
type tmux struct {
	t      *testing.T
	socket string
}

func (x tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (x tmux) screen() string {
	out, _ := exec.Command("tmux", "-S", x.socket, "capture-pane", "-p", "-t", "demo").CombinedOutput()
	return string(out)
}

// waitFor waits until the screen holds every text, or fails with the screen.
func (x tmux) waitFor(d time.Duration, texts ...string) string {
	x.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := x.screen()
		ok := true
		for _, want := range texts {
			ok = ok && strings.Contains(s, want)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("screen never showed %q:\n%s", texts, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDemoInTmux runs the real binary's demo in a real terminal: the board
// comes alive with all three vendors, a key changes an agent's status and
// the change is confirmed on screen, and q quits leaving the shell sane.
func TestDemoInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CHATDECK_REQUIRE_TMUX") != "" {
			t.Fatal("tmux is required (CI installs it) but not found")
		}
		t.Skip("tmux not installed")
	}
	state := t.TempDir()
	x := tmux{t: t, socket: filepath.Join(state, "tmux.sock")}
	cmd := "XDG_STATE_HOME=" + state + " XDG_CONFIG_HOME=" + state + " CHATDECK_LISTEN= " + binary + " demo --seed 7 --speed 4"
	x.run("new-session", "-d", "-s", "demo", "-x", "120", "-y", "32", "-e", "TERM=xterm-256color", cmd+"; echo EXITED $?; sleep 30")
	defer exec.Command("tmux", "-S", x.socket, "kill-server").Run()

	s := x.waitFor(30*time.Second, "chatdeck", "demo", "Queue", "comm100 API")
	if strings.Contains(s, "EXITED") {
		t.Fatalf("demo exited:\n%s", s)
	}
	x.run("send-keys", "-t", "demo", "3")
	// At 120 columns the list shares the screen with the details panel:
	// its last column is cut to "LAST…".
	x.waitFor(30*time.Second, "comm100", "chatlio", "jivochat", "DEPARTMENT  LAST")
	x.run("send-keys", "-t", "demo", "2")
	s = x.waitFor(20*time.Second, "STATUS", "Alice", "Bruno")
	// Move to Bruno (online in the demo seed, second of the online agents
	// sorted by name) and set him away with the a key.
	lines := strings.Split(s, "\n")
	row := -1
	for i, l := range lines {
		if strings.Contains(l, "Bruno") {
			row = i
		}
	}
	first := -1
	for i, l := range lines {
		if strings.Contains(l, "STATUS") && strings.Contains(l, "NAME") {
			first = i + 1
		}
	}
	if row < 0 || first < 0 {
		t.Fatalf("no Bruno row:\n%s", s)
	}
	for range row - first {
		x.run("send-keys", "-t", "demo", "j")
	}
	x.run("send-keys", "-t", "demo", "a")
	x.waitFor(20*time.Second, "Bruno is now Away")
	// Bruno re-sorts below the online agents; the selection stays on him,
	// so o sets the same agent online again.
	x.run("send-keys", "-t", "demo", "o")
	x.waitFor(20*time.Second, "Bruno is now Online")
	// Bruno's detail in full, then copied, then the list sorted by status.
	x.run("send-keys", "-t", "demo", "Enter")
	x.waitFor(10*time.Second, "Bruno  online for", "Today since", "█ online  ▒ away  ░ offline  · unknown", "esc list")
	x.run("send-keys", "-t", "demo", "y")
	x.waitFor(10*time.Second, "✓ copied agent Bruno")
	x.run("send-keys", "-t", "demo", "Escape")
	x.waitFor(10*time.Second, "STATUS", "NAME", "TODAY", "1ST RESP")
	x.run("send-keys", "-t", "demo", "S")
	x.waitFor(10*time.Second, "STATUS▲")
	x.run("send-keys", "-t", "demo", "?")
	// The help screen says where the API is and where its token is kept,
	// and that token is the one the API takes.
	s = x.waitFor(10*time.Second, "chatdeck keys", "set away", "pick status", "API      http://127.0.0.1:", filepath.Join(state, "chatdeck", "token"))
	base := regexp.MustCompile(`API +(http://127\.0\.0\.1:\d+)`).FindStringSubmatch(s)
	tok, err := os.ReadFile(filepath.Join(state, "chatdeck", "token"))
	if base == nil || err != nil {
		t.Fatalf("no API address on the help screen or no token file (%v):\n%s", err, s)
	}
	req, _ := http.NewRequest(http.MethodGet, base[1]+"/v1/board", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s/v1/board: %v", base[1], err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/v1/board with the help screen's token file: %d, want 200", base[1], resp.StatusCode)
	}
	x.run("send-keys", "-t", "demo", "Escape")
	// A lone escape is told from alt+key by a pause: wait for the screen.
	x.waitFor(10*time.Second, "STATUS", "NAME")
	x.run("send-keys", "-t", "demo", "q")
	x.waitFor(20*time.Second, "EXITED 0")
}

// TestAttachInTmux runs `serve --demo` and `attach` to it in a real
// terminal: the remote board fills, a status change goes through the
// server, and when the server stops the screen says the board is stale.
func TestAttachInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CHATDECK_REQUIRE_TMUX") != "" {
			t.Fatal("tmux is required (CI installs it) but not found")
		}
		t.Skip("tmux not installed")
	}
	state := t.TempDir()
	srv := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--demo", "--speed", "2")
	x := tmux{t: t, socket: filepath.Join(state, "tmux.sock")}
	cmd := "XDG_STATE_HOME=" + state + " XDG_CONFIG_HOME=" + state + " CHATDECK_TOKEN=tok " + binary + " attach http://" + srv.addr
	x.run("new-session", "-d", "-s", "demo", "-x", "120", "-y", "32", "-e", "TERM=xterm-256color", cmd+"; echo EXITED $?; sleep 30")
	defer exec.Command("tmux", "-S", x.socket, "kill-server").Run()
	x.waitFor(30*time.Second, "attach", "● server http://"+srv.addr, "Queue")
	x.run("send-keys", "-t", "demo", "2")
	x.waitFor(20*time.Second, "STATUS", "Alice")
	x.run("send-keys", "-t", "demo", "a")
	x.waitFor(20*time.Second, "is now Away")
	srv.stop(t)
	x.waitFor(20*time.Second, "SERVER UNREACHABLE", "stale")
	x.run("send-keys", "-t", "demo", "q")
	x.waitFor(20*time.Second, "EXITED 0")
}

// paneFlags are the terminal modes tmux tracks for the pane: a program
// that leaves any of them changed has not restored the terminal.
const paneFlags = "alt=#{alternate_on} cursor=#{cursor_flag} keypad=#{keypad_flag} keypad_cursor=#{keypad_cursor_flag} " +
	"mouse=#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}#{mouse_all_flag}#{mouse_sgr_flag} " +
	"insert=#{insert_flag} wrap=#{wrap_flag} origin=#{origin_flag}"

// runDemoScript starts, in a tmux pane, a script that prints a marker,
// waits for a line, records the tty modes (stty -g), runs the demo with
// env in the foreground, and then prints its exit status and whether the
// tty modes came back the same. It returns the pane's flags from before
// the demo ran, once the demo is on screen.
func runDemoScript(t *testing.T, x tmux, state, env string) (before string) {
	t.Helper()
	script := filepath.Join(state, "run.sh")
	body := "printf 'BEFORE-RUN\\n'; read go; stty -g > " + state + "/stty.before\n" +
		"XDG_STATE_HOME=" + state + " XDG_CONFIG_HOME=" + state + " CHATDECK_LISTEN= " + env + " " + binary + " demo --seed 3 --speed 2\n" +
		"echo \"EXITED $?\"; stty -g > " + state + "/stty.after\n" +
		"if cmp -s " + state + "/stty.before " + state + "/stty.after; then echo STTY-SAME; else echo STTY-CHANGED; fi\n" +
		"sleep 60\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	x.run("new-session", "-d", "-s", "demo", "-x", "100", "-y", "30", "-e", "TERM=xterm-256color", "sh "+script)
	x.waitFor(10*time.Second, "BEFORE-RUN")
	before = x.run("display", "-p", "-t", "demo", paneFlags)
	x.run("send-keys", "-t", "demo", "Enter")
	x.waitFor(30*time.Second, "chatdeck", "demo", "Queue")
	if after := x.run("display", "-p", "-t", "demo", paneFlags); after == before {
		t.Fatalf("the dashboard runs but the pane's modes did not change (%s): the test cannot tell a restore", after)
	}
	return before
}

// demoPID is the pid of the demo: the child of the pane's shell.
func demoPID(t *testing.T, x tmux) int {
	t.Helper()
	shell := strings.TrimSpace(x.run("display", "-p", "-t", "demo", "#{pane_pid}"))
	b, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
	if err != nil {
		t.Fatalf("children of the pane's shell %s: %v", shell, err)
	}
	fields := strings.Fields(string(b))
	if len(fields) != 1 {
		t.Fatalf("the pane's shell has children %q, want the demo alone", fields)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// checkRestored checks the terminal after the dashboard exited: the tty
// modes and every pane flag are as before it ran, and the screen is the
// shell's again (the marker printed before the run is back, the
// dashboard's header is gone).
func checkRestored(t *testing.T, x tmux, before, exit string) string {
	t.Helper()
	s := x.waitFor(30*time.Second, exit, "STTY-")
	if !strings.Contains(s, "STTY-SAME") {
		t.Errorf("the tty modes were not restored:\n%s", s)
	}
	if after := x.run("display", "-p", "-t", "demo", paneFlags); after != before {
		t.Errorf("pane modes after the dashboard: %s\nbefore it ran:                %s", after, before)
	}
	if !strings.Contains(s, "BEFORE-RUN") || strings.Contains(s, "comm100 API") {
		t.Errorf("the alternate screen was not left:\n%s", s)
	}
	return s
}

func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CHATDECK_REQUIRE_TMUX") != "" {
			t.Fatal("tmux is required (CI installs it) but not found")
		}
		t.Skip("tmux not installed")
	}
}

// TestDemoRestoresTerminalOnSIGTERM sends SIGTERM to the running
// dashboard: it exits 0 and leaves the terminal as it found it.
func TestDemoRestoresTerminalOnSIGTERM(t *testing.T) {
	requireTmux(t)
	state := t.TempDir()
	x := tmux{t: t, socket: filepath.Join(state, "tmux.sock")}
	defer exec.Command("tmux", "-S", x.socket, "kill-server").Run()
	before := runDemoScript(t, x, state, "")
	if err := syscall.Kill(demoPID(t, x), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	checkRestored(t, x, before, "EXITED 0")
}

// TestDemoRestoresTerminalAfterPanic makes the dashboard panic (the
// CHATDECK_TEST_PANIC hook turns the refresh key into a panic): it exits
// 1, says so, and leaves the terminal as it found it.
func TestDemoRestoresTerminalAfterPanic(t *testing.T) {
	requireTmux(t)
	state := t.TempDir()
	x := tmux{t: t, socket: filepath.Join(state, "tmux.sock")}
	defer exec.Command("tmux", "-S", x.socket, "kill-server").Run()
	before := runDemoScript(t, x, state, testPanicEnv+"=1")
	x.run("send-keys", "-t", "demo", "r")
	s := checkRestored(t, x, before, "EXITED 1")
	if !strings.Contains(s, "panic") {
		t.Errorf("the panic was not reported:\n%s", s)
	}
}
