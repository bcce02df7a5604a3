package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	x.waitFor(30*time.Second, "comm100", "chatlio", "jivochat", "LAST MESSAGE")
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
	x.run("send-keys", "-t", "demo", "?")
	x.waitFor(10*time.Second, "chatdeck keys", "set away", "pick status")
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
