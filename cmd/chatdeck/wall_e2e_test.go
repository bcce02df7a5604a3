package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The wall's geometry at 200x50, as tui lays it out: two columns of cells
// split by a rule at column 99.
const wallLeft = 99

// cellText is the part of a screen line in the wall's left (right false)
// or right column.
func cellText(line string, right bool) string {
	r := []rune(line)
	if !right {
		return string(r[:min(len(r), wallLeft)])
	}
	if len(r) <= wallLeft+1 {
		return ""
	}
	return string(r[wallLeft+1:])
}

// agentStatus is the STATUS the wall's agents cell shows for the agent
// named name, or "".
func agentStatus(screen, name string) string {
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(cellText(l, true))
		for i, w := range f {
			if w == name && i > 0 {
				return strings.Join(f[:i], " ")
			}
		}
	}
	return ""
}

var (
	queueRow = regexp.MustCompile(`^(\d+s|\d+m\d\ds)!{0,2} +(comm100|chatlio|jivochat) `)
	chatRow  = regexp.MustCompile(`^active +(comm100|chatlio|jivochat) `)
	spark    = regexp.MustCompile(`[▁▂▃▄▅▆▇█]`)
)

// column is the text of a row's column: cells [from, from+w).
func column(row string, from, w int) string {
	r := []rune(row)
	return strings.TrimSpace(string(r[min(from, len(r)):min(from+w, len(r))]))
}

// TestWallInTmux runs the demo in a real 200x50 terminal: the first
// screen, with no key pressed, is the wall, with the queue, the agents'
// names, the active chats' visitors and a trend; then a then o set the
// same agent away and online again, the agents cell showing each status
// on her row.
func TestWallInTmux(t *testing.T) {
	requireTmux(t)
	state := t.TempDir()
	x := tmux{t: t, socket: filepath.Join(state, "tmux.sock")}
	cmd := "XDG_STATE_HOME=" + state + " XDG_CONFIG_HOME=" + state + " CHATDECK_LISTEN= " + binary + " demo --seed 7 --speed 4"
	x.run("new-session", "-d", "-s", "demo", "-x", "200", "-y", "50", "-e", "TERM=xterm-256color", cmd+"; echo EXITED $?; sleep 30")
	defer exec.Command("tmux", "-S", x.socket, "kill-server").Run()

	var s string
	var queue, chats []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		s = x.screen()
		queue, chats = nil, nil
		for _, l := range strings.Split(s, "\n") {
			// The visitors' columns: after WAIT and SOURCE (8 and 9
			// cells), after STATE and SOURCE (8 and 9).
			if c := cellText(l, false); queueRow.MatchString(c) {
				queue = append(queue, column(c, 17, 20))
			} else if chatRow.MatchString(c) {
				chats = append(chats, column(c, 17, 18))
			}
		}
		if len(queue) > 0 && len(chats) > 0 && agentStatus(s, "Alice") == "online" && agentStatus(s, "Bruno") != "" &&
			strings.Contains(s, "ARRIVALS") && strings.Contains(s, "▲") {
			break
		}
		if time.Now().After(deadline) || strings.Contains(s, "EXITED") {
			t.Fatalf("the first screen never showed the queue (%q), active chats (%q), Alice online and a trend:\n%s", queue, chats, s)
		}
	}
	lines := strings.Split(s, "\n")
	if !strings.Contains(s, "▶1 Queue") || !strings.Contains(lines[2], "QUEUE") || !spark.MatchString(strings.Join(lines[2:8], "\n")) {
		t.Errorf("no KPI band with a sparkline under the tabs:\n%s", s)
	}
	t.Logf("queue %q, active chats' visitors %q", queue, chats)

	x.run("send-keys", "-t", "demo", "2")
	x.waitFor(10*time.Second, "▶2 Agents")
	x.run("send-keys", "-t", "demo", "a") // the first agent: Alice
	x.waitFor(20*time.Second, "Alice is now Away")
	waitStatus(t, x, "Alice", "away")
	// Alice re-sorts below the online agents; the selection stays on her.
	x.run("send-keys", "-t", "demo", "o")
	x.waitFor(20*time.Second, "Alice is now Online")
	waitStatus(t, x, "Alice", "online")
	x.run("send-keys", "-t", "demo", "q")
	x.waitFor(20*time.Second, "EXITED 0")
}

// waitStatus waits until the agents cell shows the agent in the status.
func waitStatus(t *testing.T, x tmux, name, want string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		s := x.screen()
		if got := agentStatus(s, name); got == want {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s's status is %q, want %q:\n%s", name, got, want, s)
		}
	}
}
