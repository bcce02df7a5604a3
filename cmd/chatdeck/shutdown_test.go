package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMCutsASlowUploadAndExits0 runs the real binary with one
// webhook upload stalled halfway through its body, and sends SIGTERM: the
// server waits its grace (3 s), cuts the upload, logs what it cut (method,
// path and client, never the query), closes its journal and exits 0, well
// before the 30 s read timeout would have ended the upload.
func TestSIGTERMCutsASlowUploadAndExits0(t *testing.T) {
	p := startServeEnv(t, t.TempDir(), []string{"CHATDECK_TOKEN=tok-slow-upload"})
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /webhooks/comm100?token=tok-slow-upload HTTP/1.1\r\nHost: chatdeck\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
	if _, err := io.WriteString(conn, head+`{"event":"chat_request",`); err != nil {
		t.Fatal(err)
	}
	// In flight: the upload and the scrape that reads the gauge.
	waitUntil(t, 10*time.Second, "the upload in flight", func() (bool, string) {
		a := do(http.DefaultClient, "GET", "http://"+p.addr+"/metrics", "", "", nil)
		return strings.Contains(string(a.body), "\nchatdeck_http_requests_in_flight 2\n"), a.String()
	})
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, p.logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop within 20 s of SIGTERM\n%s", p.logs)
	}
	took := time.Since(start)
	if took > 10*time.Second {
		t.Errorf("stopping with a slow upload took %v, want the 3 s grace and little more", took)
	}
	var cut struct {
		Grace    string   `json:"grace"`
		Requests int      `json:"requests"`
		Cut      []string `json:"cut"`
	}
	for line := range strings.SplitSeq(p.logs.String(), "\n") {
		if strings.Contains(line, `"msg":"stopping: cut requests still in flight after the grace"`) {
			if err := json.Unmarshal([]byte(line), &cut); err != nil {
				t.Fatalf("cut line %q: %v", line, err)
			}
		}
	}
	if cut.Grace != "3s" || cut.Requests != 1 || len(cut.Cut) != 1 ||
		!strings.HasPrefix(cut.Cut[0], "POST /webhooks/comm100 from 127.0.0.1:") || strings.Contains(cut.Cut[0], "tok-slow-upload") {
		t.Errorf("the cut is logged as %+v, want the one upload (3s grace), without its token\n%s", cut, p.logs)
	}
	if !strings.Contains(p.logs.String(), `"msg":"journal closed"`) {
		t.Errorf("serve did not close its journal:\n%s", p.logs)
	}
	// The uploader was not acknowledged: its connection just ends.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil && resp.StatusCode < 300 {
		t.Errorf("the cut upload was answered %s", resp.Status)
	}
}
