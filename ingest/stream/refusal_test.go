package stream_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRefusalsAreJSON: every request the stream refuses before the
// upgrade (another method, no upgrade, a foreign origin, a bad cursor, a
// WebSocket version not served) is answered over loopback with a JSON
// error naming the problem, with the headers its status calls for.
func TestRefusalsAreJSON(t *testing.T) {
	s := start(t, 0)
	upgrade := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range upgrade {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name, method, query string
		hdr                 map[string]string
		status              int
		header, value       string
		names               string
	}{
		{"no upgrade", "GET", "", nil, 426, "Upgrade", "websocket", "is a WebSocket: connect with Connection: Upgrade"},
		{"POST", "POST", "", upgrade, 405, "Allow", "GET", "POST not allowed on /v1/stream"},
		{"foreign origin", "GET", "", with(map[string]string{"Origin": "https://evil.example"}), 403, "", "",
			`origin "https://evil.example" not allowed`},
		{"bad cursor", "GET", "?after=x", upgrade, 400, "", "", `after: not a cursor: "x"`},
		{"negative cursor", "GET", "?after=-5", upgrade, 400, "", "", `after: not a cursor: "-5"`},
		{"old version", "GET", "", with(map[string]string{"Sec-WebSocket-Version": "8"}), 400, "Sec-Websocket-Version", "13",
			"unsupported version"},
		{"no key", "GET", "", with(map[string]string{"Sec-WebSocket-Key": ""}), 400, "", "", "Sec-WebSocket-Key"},
	} {
		req, _ := http.NewRequest(tc.method, s.http.URL+"/v1/stream"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		for k, v := range tc.hdr {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
			json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, tc.names) {
			t.Errorf("%s: %d %q %s, want %d with a JSON error naming %q", tc.name, resp.StatusCode,
				resp.Header.Get("Content-Type"), body, tc.status, tc.names)
		}
		if tc.header != "" && resp.Header.Get(tc.header) != tc.value {
			t.Errorf("%s: %s %q, want %q", tc.name, tc.header, resp.Header.Get(tc.header), tc.value)
		}
	}
}
