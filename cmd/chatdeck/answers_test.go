package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestEveryErrorIsJSONOverTheBinary asks the real server's routes (the
// listener's, the stream and /metrics as serve wires them) what they do
// not take: each answer is a JSON {"error"} with Content-Type
// application/json, 405s with Allow, the stream's 426 with Upgrade.
func TestEveryErrorIsJSONOverTheBinary(t *testing.T) {
	p := startServeEnv(t, t.TempDir(), []string{"CHATDECK_TOKEN=tok"})
	base := "http://" + p.addr
	upgrade := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
	for _, tc := range []struct {
		method, path string
		hdr          map[string]string
		status       int
		header, want string
	}{
		{"GET", "/nope", nil, 404, "", ""},
		{"GET", "/v1/nope", nil, 404, "", ""},
		{"POST", "/metrics", nil, 405, "Allow", "GET, HEAD"},
		{"DELETE", "/healthz", nil, 405, "Allow", "GET"},
		{"PUT", "/v1/board", nil, 405, "Allow", "GET"},
		{"GET", "/webhooks/jivochat", nil, 405, "Allow", "POST"},
		{"POST", "/webhooks/comm100?token=tok;x=1", nil, 400, "", ""},
		{"GET", "/v1/stream", nil, 426, "Upgrade", "websocket"},
		{"POST", "/v1/stream", nil, 405, "Allow", "GET"},
		{"GET", "/v1/stream", map[string]string{"Origin": "https://evil.example"}, 403, "", ""},
		{"GET", "/v1/stream?after=x", map[string]string{}, 400, "", ""},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		if tc.hdr != nil {
			for k, v := range upgrade {
				req.Header.Set(k, v)
			}
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		where := tc.method + " " + tc.path
		if resp.StatusCode != tc.status || err != nil || e.Error == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %q error %q (%v), want %d with a JSON error", where, resp.StatusCode,
				resp.Header.Get("Content-Type"), e.Error, err, tc.status)
		}
		if tc.header != "" && resp.Header.Get(tc.header) != tc.want {
			t.Errorf("%s: %s %q, want %q", where, tc.header, resp.Header.Get(tc.header), tc.want)
		}
	}
	p.stop(t)
}
