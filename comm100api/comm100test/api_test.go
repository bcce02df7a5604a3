package comm100test_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api/comm100test"
)

const (
	alice = "058cbf51-1c1c-419c-bfe7-d02ff3188cc0" // Online, 2 chats
	chen  = "e2a33817-3257-4476-a193-fee7f2dd4a6f" // Away
	dana  = "cf2492f6-4a81-45da-b08d-c9d2b2c4dae9" // Meeting
	emeka = "24a1e2f6-6dc3-45e9-bc9e-2456f1dee701" // Offline
	maria = "1ce80525-ad40-486c-88a0-dec443241672" // waitingForChat, Sales
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

type agentStatus struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	OngoingChats int    `json:"ongoingChats"`
}

func TestBearerAuth(t *testing.T) {
	srv := newServer(t, comm100test.Options{}) // defaults to "test-token"

	r := get(t, srv, "livechat/agents")
	wantStatus(t, r, http.StatusOK)
	var agents []agentStatus
	r.decode(t, &agents)
	if len(agents) != 8 {
		t.Fatalf("%d agents, want 8", len(agents))
	}
	if agents[0] != (agentStatus{ID: alice, Status: "Online", OngoingChats: 2}) {
		t.Errorf("first agent %+v", agents[0])
	}

	for name, edit := range map[string]func(*http.Request){
		"none":         nil,
		"wrong token":  bearer("nope"),
		"empty token":  func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") },
		"other scheme": func(r *http.Request) { r.Header.Set("Authorization", "Token test-token") },
		"basic":        func(r *http.Request) { r.SetBasicAuth("a@example.com", "key") },
	} {
		r := call(t, srv, http.MethodGet, "livechat/agents", "", edit)
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, r.Status)
		}
		var e map[string]string
		if json.Unmarshal(r.Body, &e) != nil || e["message"] == "" {
			t.Errorf("%s: 401 body %q is not a short JSON error", name, r.Body)
		}
	}
	if got := srv.Calls(); got != 6 {
		t.Errorf("Calls() = %d, want 6 (401s count)", got)
	}
	reqs := srv.Requests()
	if len(reqs) != 6 || reqs[0].Path != "livechat/agents" || reqs[0].Method != "GET" || reqs[0].Status != 200 || reqs[5].Status != 401 {
		t.Errorf("Requests() = %+v", reqs)
	}
}

func TestStaticTokenAndRefreshTokenTogether(t *testing.T) {
	srv := newServer(t, comm100test.Options{AccessToken: "static", RefreshToken: "r0"})
	wantStatus(t, call(t, srv, "GET", "livechat/agents", "", bearer("static")), 200)
	wantStatus(t, get(t, srv, "livechat/agents"), 401) // no default token when one is configured
}

func TestAPIKeyAuth(t *testing.T) {
	srv := newServer(t, comm100test.Options{Email: "Admin@Example.com", APIKey: "k3y", SiteID: "10000"})
	basic := func(email, key string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(email, key) }
	}
	cases := []struct {
		name, path string
		edit       func(*http.Request)
		want       int
	}{
		{"good", "livechat/agents?siteId=10000", basic("Admin@Example.com", "k3y"), 200},
		{"email any case", "livechat/visitors?siteId=10000", basic("admin@example.com", "k3y"), 200},
		{"missing siteId", "livechat/agents", basic("Admin@Example.com", "k3y"), 401},
		{"wrong siteId", "livechat/agents?siteId=10001", basic("Admin@Example.com", "k3y"), 401},
		{"wrong key", "livechat/agents?siteId=10000", basic("Admin@Example.com", "K3Y"), 401},
		{"wrong email", "livechat/agents?siteId=10000", basic("other@example.com", "k3y"), 401},
		{"no credentials", "livechat/agents?siteId=10000", nil, 401},
		{"no default bearer", "livechat/agents?siteId=10000", bearer("test-token"), 401},
	}
	for _, c := range cases {
		r := call(t, srv, http.MethodGet, c.path, "", c.edit)
		if r.Status != c.want {
			t.Errorf("%s: status %d, want %d (body %q)", c.name, r.Status, c.want, r.Body)
		}
	}
	if got := srv.Requests()[0].Path; got != "livechat/agents" {
		t.Errorf("logged path %q, want without query", got)
	}
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	srv := newServer(t, comm100test.Options{Now: clk.Now})
	start := clk.Now()

	// 300 calls over 29.9 s; ten of them unauthenticated and two to an
	// unknown agent: 401 and 404 answers occupy the window too.
	for i := range 300 {
		var r reply
		switch {
		case i < 10:
			r = call(t, srv, "GET", "livechat/agents", "", nil)
			wantStatus(t, r, 401)
		case i < 12:
			r = get(t, srv, "livechat/agents/nobody")
			wantStatus(t, r, 404)
		default:
			r = get(t, srv, "livechat/agents")
			wantStatus(t, r, 200)
		}
		clk.Advance(100 * time.Millisecond)
	}
	// now = start+30s; the oldest call (start) leaves the window at start+5m.
	r := get(t, srv, "livechat/agents")
	wantStatus(t, r, http.StatusTooManyRequests)
	if got := r.Header.Get("Retry-After"); got != "270" {
		t.Errorf("Retry-After %q, want 270", got)
	}
	if len(r.Body) == 0 || len(r.Body) > 200 {
		t.Errorf("429 body %q", r.Body)
	}
	clk.Advance(1500 * time.Millisecond)
	r = get(t, srv, "global/departments")
	wantStatus(t, r, 429)
	if got := r.Header.Get("Retry-After"); got != "269" { // 268.5 s rounded up
		t.Errorf("Retry-After %q, want 269", got)
	}
	if srv.RateLimited() != 2 || srv.Calls() != 302 || srv.MaxCallsInWindow() != 300 {
		t.Errorf("RateLimited %d Calls %d MaxCallsInWindow %d, want 2 302 300",
			srv.RateLimited(), srv.Calls(), srv.MaxCallsInWindow())
	}
	if got := srv.CallsIn(5 * time.Minute); got != 302 {
		t.Errorf("CallsIn(5m) = %d, want 302", got)
	}
	if got := srv.CallsIn(time.Second); got != 1 { // only the call at start+31.5s
		t.Errorf("CallsIn(1s) = %d, want 1", got)
	}

	// At exactly start+5m the first call has left: one slot, then 429 again
	// (rejected calls did not occupy the window).
	clk.Advance(start.Add(5 * time.Minute).Sub(clk.Now()))
	wantStatus(t, get(t, srv, "livechat/agents"), 200)
	r = get(t, srv, "livechat/agents")
	wantStatus(t, r, 429)
	if got := r.Header.Get("Retry-After"); got != "1" { // 0.1 s, rounded up
		t.Errorf("Retry-After %q, want 1", got)
	}

	// Past the whole window, calls work again.
	clk.Advance(6 * time.Minute)
	for range 50 {
		wantStatus(t, get(t, srv, "livechat/visitors"), 200)
	}
	if srv.MaxCallsInWindow() != 300 || srv.RateLimited() != 3 {
		t.Errorf("MaxCallsInWindow %d RateLimited %d, want 300 3", srv.MaxCallsInWindow(), srv.RateLimited())
	}
}

func TestRateLimitOptions(t *testing.T) {
	clk := newClock()
	srv := newServer(t, comm100test.Options{Now: clk.Now, RateLimit: 3, RateWindow: time.Minute, RetryAfter: 1500 * time.Millisecond})
	for range 3 {
		wantStatus(t, get(t, srv, "livechat/agents"), 200)
	}
	r := get(t, srv, "livechat/agents")
	wantStatus(t, r, 429)
	if got := r.Header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}
	clk.Advance(time.Minute)
	wantStatus(t, get(t, srv, "livechat/agents"), 200)
	if srv.MaxCallsInWindow() != 3 {
		t.Errorf("MaxCallsInWindow %d, want 3", srv.MaxCallsInWindow())
	}
}

func TestAgentStatusCase(t *testing.T) {
	srv := newServer(t, comm100test.Options{})

	var agents []agentStatus
	get(t, srv, "livechat/agents").decode(t, &agents)
	byID := map[string]string{}
	for _, a := range agents {
		byID[a.ID] = a.Status
	}
	if byID[alice] != "Online" || byID[chen] != "Away" || byID[dana] != "Meeting" || byID[emeka] != "Offline" {
		t.Fatalf("statuses %v", byID)
	}

	for _, c := range []struct{ body, want string }{
		{`{"status":"ONLINE"}`, "Online"},
		{`{"status":"away"}`, "Away"},
		{`{"id":"` + strings.ToUpper(chen) + `","status":"meeting"}`, "Meeting"},
		{`{"status":"lUnCh"}`, "Lunch"},
		{`{"status":"Training"}`, "Training"},
	} {
		r := put(t, srv, "livechat/agents/"+chen, c.body)
		wantStatus(t, r, 200)
		var got agentStatus
		r.decode(t, &got)
		if got != (agentStatus{ID: chen, Status: c.want}) {
			t.Errorf("PUT %s → %+v, want status %q", c.body, got, c.want)
		}
		var again agentStatus
		get(t, srv, "livechat/agents/"+chen).decode(t, &again)
		if again.Status != c.want {
			t.Errorf("GET after PUT %s: %q", c.body, again.Status)
		}
	}

	// Ids compare case-insensitively.
	r := put(t, srv, "livechat/agents/"+strings.ToUpper(alice), `{"status":"away"}`)
	wantStatus(t, r, 200)
	if a, _ := srv.Agent(alice); a.Status != "Away" || a.OngoingChats != 2 {
		t.Errorf("Agent(alice) = %+v", a)
	}

	for _, c := range []struct{ body, mention string }{
		{`{"status":"Sleeping"}`, "Sleeping"},
		{`{"status":"offline"}`, "offline"}, // not a documented PUT value
		{`{"status":""}`, `""`},
		{`{}`, "status"},
		{`{"status":`, "JSON"},
		{`{"id":"` + alice + `","status":"online"}`, alice}, // id mismatch
	} {
		r := put(t, srv, "livechat/agents/"+chen, c.body)
		wantStatus(t, r, 400)
		if !strings.Contains(string(r.Body), c.mention) {
			t.Errorf("PUT %s: 400 body %q does not mention %q", c.body, r.Body, c.mention)
		}
	}

	wantStatus(t, get(t, srv, "livechat/agents/00000000-0000-0000-0000-000000000001"), 404)
	wantStatus(t, put(t, srv, "livechat/agents/00000000-0000-0000-0000-000000000001", `{"status":"online"}`), 404)

	// State hooks.
	if err := srv.SetAgentStatus(strings.ToUpper(emeka), "MEETING"); err != nil {
		t.Fatal(err)
	}
	var e agentStatus
	get(t, srv, "livechat/agents/"+emeka).decode(t, &e)
	if e.Status != "Meeting" {
		t.Errorf("after SetAgentStatus: %q", e.Status)
	}
	if err := srv.SetAgentStatus(emeka, "offline"); err != nil {
		t.Errorf("SetAgentStatus offline: %v", err)
	}
	if srv.SetAgentStatus(emeka, "Sleeping") == nil || srv.SetAgentStatus("nobody", "online") == nil {
		t.Error("SetAgentStatus accepted an unknown status or agent")
	}
	if _, ok := srv.Agent("nobody"); ok {
		t.Error("Agent(nobody) found")
	}
	srv.PutAgent(comm100test.Agent{ID: "0a0a0a0a-0000-4000-8000-000000000000", Status: "online", OngoingChats: 4})
	var added agentStatus
	get(t, srv, "livechat/agents/0A0A0A0A-0000-4000-8000-000000000000").decode(t, &added)
	if added.Status != "Online" || added.OngoingChats != 4 || len(srv.Agents()) != 9 {
		t.Errorf("PutAgent: %+v, %d agents", added, len(srv.Agents()))
	}
}

func TestCustomStatusesFromSeed(t *testing.T) {
	srv := newServer(t, comm100test.Options{Seed: comm100test.Seed{
		AwayStatuses: []string{"On Break"},
		Agents:       []comm100test.Agent{{ID: "a1", Status: "ON BREAK"}, {ID: "a2"}},
	}})
	var agents []agentStatus
	get(t, srv, "livechat/agents").decode(t, &agents)
	if len(agents) != 2 || agents[0].Status != "On Break" || agents[1].Status != "Offline" {
		t.Errorf("agents %+v", agents)
	}
	wantStatus(t, put(t, srv, "livechat/agents/a2", `{"status":"on break"}`), 200)
	wantStatus(t, put(t, srv, "livechat/agents/a2", `{"status":"Meeting"}`), 400) // not enabled here
	var vs []json.RawMessage
	get(t, srv, "livechat/visitors").decode(t, &vs)
	if len(vs) != 0 {
		t.Errorf("%d visitors, want 0", len(vs))
	}
}

var msTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestVisitors(t *testing.T) {
	clk := newClock()
	srv := newServer(t, comm100test.Options{Now: clk.Now})

	var list []map[string]any
	get(t, srv, "livechat/visitors").decode(t, &list)
	if len(list) != 6 {
		t.Fatalf("%d visitors, want 6", len(list))
	}
	keys := []string{"id", "status", "name", "email", "phone", "company", "browser", "operatingSystem",
		"screenResolution", "language", "ip", "country", "state", "city", "timeZone", "visitTime",
		"firstVisitTime", "visits", "chats", "pageViews", "currentBrowsing", "referrerUrl", "productService",
		"departmentId", "searchEngine", "searchKeywords", "landingPage", "flashVersion", "customFields",
		"customVariableResults"}
	for _, v := range list {
		for _, k := range keys {
			if _, ok := v[k]; !ok {
				t.Errorf("visitor %v lacks %q", v["id"], k)
			}
		}
		if len(v) != len(keys) {
			t.Errorf("visitor %v has %d keys, want %d", v["id"], len(v), len(keys))
		}
		for _, k := range []string{"visitTime", "firstVisitTime"} {
			if s, _ := v[k].(string); !msTime.MatchString(s) {
				t.Errorf("%s = %q, want RFC 3339 with ms", k, s)
			}
		}
		if _, ok := v["customFields"].([]any); !ok {
			t.Errorf("customFields %v is not an array", v["customFields"])
		}
	}

	r := get(t, srv, "livechat/visitors/"+strings.ToUpper(maria))
	wantStatus(t, r, 200)
	var m comm100test.Visitor
	r.decode(t, &m)
	if m.ID != maria || m.Status != "waitingForChat" || m.DepartmentID != comm100test.DemoDeptSales ||
		!m.VisitTime.Equal(clk.Now().Add(-4*time.Minute)) {
		t.Errorf("visitor %+v", m)
	}

	// PUT custom variables: set "plan", add "coupon".
	r = put(t, srv, "livechat/visitors/"+maria,
		`[{"name":"plan","value":"paid","url":""},{"name":"coupon","value":"SPRING","url":"https://x.example/c"}]`)
	wantStatus(t, r, 200)
	var upd comm100test.Visitor
	r.decode(t, &upd)
	want := []comm100test.FieldValue{
		{Name: "plan", Value: "paid"},
		{Name: "cartValue", Value: "249.00"},
		{Name: "coupon", Value: "SPRING", URL: "https://x.example/c"},
	}
	if !slices.Equal(upd.CustomVariableResults, want) || upd.Name != "Maria Lopez" {
		t.Errorf("PUT visitor → %+v", upd.CustomVariableResults)
	}
	if got, _ := srv.Visitor(maria); !slices.Equal(got.CustomVariableResults, want) {
		t.Errorf("Visitor() after PUT: %+v", got.CustomVariableResults)
	}
	wantStatus(t, put(t, srv, "livechat/visitors/"+maria, `{"name":"plan","value":"x"}`), 400)
	wantStatus(t, put(t, srv, "livechat/visitors/"+maria, `[{"value":"x"}]`), 400)
	wantStatus(t, put(t, srv, "livechat/visitors/"+maria, `null`), 400)
	wantStatus(t, put(t, srv, "livechat/visitors/nobody", `[{"name":"a","value":"b"}]`), 404)
	wantStatus(t, get(t, srv, "livechat/visitors/nobody"), 404)

	// Hooks.
	srv.PutVisitor(comm100test.Visitor{ID: "v-new", Status: "waitingForChat", Name: "New",
		VisitTime: time.Date(2021, 5, 26, 10, 30, 16, 36e6, time.UTC)})
	r = get(t, srv, "livechat/visitors/v-new")
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.Body), `"visitTime":"2021-05-26T10:30:16.036Z"`) ||
		!strings.Contains(string(r.Body), `"customVariableResults":[]`) {
		t.Errorf("body %s", r.Body)
	}
	srv.PutVisitor(comm100test.Visitor{ID: "V-NEW", Status: "chatting"})
	if v, _ := srv.Visitor("v-new"); v.Status != "chatting" || len(srv.Visitors()) != 7 {
		t.Errorf("replace: %+v, %d visitors", v, len(srv.Visitors()))
	}
	srv.RemoveVisitor("v-new")
	wantStatus(t, get(t, srv, "livechat/visitors/v-new"), 404)
}

// The documentation's sample decodes and re-encodes with the same times.
func TestVisitorJSONSample(t *testing.T) {
	const sample = `{ "id": "3d59f909-24cd-43bc-89cb-00a320617c0a", "status": "inSite", "browser": "Google Chrome 86.0.4240.75", "operatingSystem": "Windows 8.1", "screenResolution": "1680x1050", "language": "en-US", "ip": "192.168.2.128", "country": "China", "state": "Zhejiang", "city": "Hangzhou", "timeZone": "GMT +08:00", "visitTime": "2021-05-26T10:30:16.036Z", "firstVisitTime": "2021-05-26T10:31:29.597Z", "visits": 1, "chats": 0, "pageViews": 1, "currentBrowsing": "https://dash11.comm100.io/x", "referrerUrl": "https://dash11.comm100.io/y", "name": "192.168.2.128", "email": "123@comm100.com", "phone": "1234567890123", "company": "comm", "productService": "LA", "departmentId": "00000000-0000-0000-0000-000000000000", "searchEngine": "Google", "searchKeywords": "com", "landingPage": "https://dash11.comm100.io/z", "customFields": [], "customVariableResults": [ { "name": "CARLZHOU222SHENTI", "value": "11123123123", "url": "" }, { "name": "fccc", "value": "520", "url": "" } ] }`
	var v comm100test.Visitor
	if err := json.Unmarshal([]byte(sample), &v); err != nil {
		t.Fatal(err)
	}
	if !v.VisitTime.Equal(time.Date(2021, 5, 26, 10, 30, 16, 36e6, time.UTC)) || v.City != "Hangzhou" ||
		len(v.CustomVariableResults) != 2 || v.CustomVariableResults[1].Value != "520" || v.TimeZone != "GMT +08:00" {
		t.Fatalf("decoded %+v", v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var a, z map[string]any
	json.Unmarshal([]byte(sample), &a)
	json.Unmarshal(b, &z)
	delete(z, "flashVersion") // in the table, not in the sample
	ja, _ := json.Marshal(a)
	jz, _ := json.Marshal(z)
	if string(ja) != string(jz) {
		t.Errorf("round trip:\n%s\n%s", ja, jz)
	}
	for _, in := range []string{`{"visitTime":"2021-05-26T10:30:16"}`, `{"visitTime":"2021-05-26T18:30:16.5+08:00"}`, `{"visitTime":null}`} {
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
	if json.Unmarshal([]byte(`{"visitTime":"yesterday"}`), &v) == nil {
		t.Error("bad time accepted")
	}
}

func TestGlobalEndpoints(t *testing.T) {
	srv := newServer(t, comm100test.Options{})

	var away []struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		IsEnabled bool   `json:"isEnabled"`
	}
	r := get(t, srv, "global/agentAwayStatuses")
	wantStatus(t, r, 200)
	r.decode(t, &away)
	if len(away) != 3 || away[0].Name != "Meeting" || away[1].Name != "Lunch" || away[2].Name != "Training" {
		t.Fatalf("away statuses %+v", away)
	}
	for _, a := range away {
		if !a.IsEnabled || !guidRE.MatchString(a.ID) {
			t.Errorf("away status %+v", a)
		}
	}
	var again []struct{ ID string }
	get(t, srv, "GLOBAL/AGENTAWAYSTATUSES/").decode(t, &again) // case and trailing slash tolerated
	if again[0].ID != away[0].ID {
		t.Error("away status ids not stable")
	}

	var dir []map[string]any
	get(t, srv, "global/agents").decode(t, &dir)
	if len(dir) != 8 {
		t.Fatalf("%d directory agents", len(dir))
	}
	if dir[0]["id"] != alice || dir[0]["email"] != "alice.johnson@example.com" || dir[0]["displayName"] != "Alice" ||
		dir[0]["firstName"] != "Alice" || dir[0]["lastName"] != "Johnson" || dir[0]["isActive"] != true || len(dir[0]) != 6 {
		t.Errorf("global/agents[0] = %v", dir[0])
	}
	wantStatus(t, get(t, srv, "global/agents/"+dana), 200)
	wantStatus(t, get(t, srv, "global/agents/nobody"), 404)

	var depts []comm100test.Department
	get(t, srv, "global/departments").decode(t, &depts)
	names := []string{}
	for _, d := range depts {
		if !guidRE.MatchString(d.ID) {
			t.Errorf("department id %q", d.ID)
		}
		names = append(names, d.Name)
	}
	if strings.Join(names, ",") != "Sales,Support,Billing,Technical" {
		t.Errorf("departments %v", names)
	}
	var one comm100test.Department
	get(t, srv, "global/departments/"+comm100test.DemoDeptBilling).decode(t, &one)
	if one.Name != "Billing" {
		t.Errorf("department %+v", one)
	}
}

func TestWebhooks(t *testing.T) {
	srv := newServer(t, comm100test.Options{})
	r := get(t, srv, "livechat/webhooks")
	wantStatus(t, r, 200)
	if string(r.Body) != "[]" {
		t.Errorf("empty list %q", r.Body)
	}

	r = call(t, srv, "POST", "livechat/webhooks", `{"event":"chatStarts","targetUrl":"https://hooks.example.com/c100"}`, bearer("test-token"))
	wantStatus(t, r, http.StatusCreated)
	var h comm100test.Webhook
	r.decode(t, &h)
	if !guidRE.MatchString(h.ID) || h.Event != "chatStarts" || h.TargetURL != "https://hooks.example.com/c100" {
		t.Errorf("created %+v", h)
	}
	if loc := r.Header.Get("Location"); loc != "/v4/livechat/webhooks/"+h.ID {
		t.Errorf("Location %q", loc)
	}
	r = call(t, srv, "POST", "livechat/webhooks", `{"event":"chatEnds","targetUrl":"https://hooks.example.com/c100"}`, bearer("test-token"))
	wantStatus(t, r, 201)

	var list []comm100test.Webhook
	get(t, srv, "livechat/webhooks").decode(t, &list)
	if len(list) != 2 || list[0] != h || list[1].Event != "chatEnds" || list[1].ID == h.ID {
		t.Errorf("list %+v", list)
	}
	if hooks := srv.Webhooks(); !slices.Equal(hooks, list) {
		t.Errorf("Webhooks() = %+v", hooks)
	}

	for _, bad := range []string{`{"targetUrl":"https://x.example"}`, `{"event":"chatStarts","targetUrl":"/relative"}`,
		`{"event":"chatStarts","targetUrl":"ftp://x.example"}`, `[`} {
		wantStatus(t, call(t, srv, "POST", "livechat/webhooks", bad, bearer("test-token")), 400)
	}

	var one comm100test.Webhook
	get(t, srv, "livechat/webhooks/"+strings.ToUpper(h.ID)).decode(t, &one)
	if one != h {
		t.Errorf("GET one %+v", one)
	}
	wantStatus(t, call(t, srv, "DELETE", "livechat/webhooks/"+h.ID, "", bearer("test-token")), 204)
	wantStatus(t, call(t, srv, "DELETE", "livechat/webhooks/"+h.ID, "", bearer("test-token")), 404)
	if len(srv.Webhooks()) != 1 {
		t.Errorf("after delete: %+v", srv.Webhooks())
	}
}

func TestRoutesAndMethods(t *testing.T) {
	srv := newServer(t, comm100test.Options{})
	for _, p := range []string{"livechat/chats", "livechat", "", "livechat/agents/x/y", "livechat/agents//", "global/agentAwayStatuses/x"} {
		wantStatus(t, get(t, srv, p), 404)
	}
	r := call(t, srv, "DELETE", "livechat/agents", "", bearer("test-token"))
	wantStatus(t, r, 405)
	if r.Header.Get("Allow") != "GET" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	r = call(t, srv, "POST", "livechat/agents/"+alice, "{}", bearer("test-token"))
	wantStatus(t, r, 405)
	if r.Header.Get("Allow") != "GET, PUT" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	wantStatus(t, call(t, srv, "PUT", "global/departments", "{}", bearer("test-token")), 405)
	calls := srv.Calls()
	wantStatus(t, get(t, srv, srv.URL()[:len(srv.URL())-len("/v4")]+"/v3/livechat/agents"), 404)
	if srv.Calls() != calls {
		t.Error("a non-/v4 path was counted as an API call")
	}
}

func TestDemoSeed(t *testing.T) {
	seed := comm100test.DemoSeed()
	if len(seed.Agents) != 8 || len(seed.Departments) != 4 || len(seed.Visitors) != 6 {
		t.Fatalf("seed sizes %d %d %d", len(seed.Agents), len(seed.Departments), len(seed.Visitors))
	}
	if !slices.Equal(seed.AwayStatuses, []string{"Meeting", "Lunch", "Training"}) {
		t.Errorf("away statuses %v", seed.AwayStatuses)
	}
	statuses := map[string]int{}
	for _, a := range seed.Agents {
		if !guidRE.MatchString(a.ID) || a.Email == "" || a.DisplayName == "" {
			t.Errorf("agent %+v", a)
		}
		statuses[a.Status]++
	}
	for _, s := range []string{"Online", "Away", "Meeting", "Offline"} {
		if statuses[s] == 0 {
			t.Errorf("no %s agent", s)
		}
	}
	depts := map[string]bool{}
	for _, d := range seed.Departments {
		depts[d.ID] = true
	}
	waiting := 0
	for _, v := range seed.Visitors {
		if v.Status == "waitingForChat" {
			waiting++
			if !depts[v.DepartmentID] || len(v.CustomVariableResults) == 0 {
				t.Errorf("waiting visitor %+v", v)
			}
		}
	}
	if waiting != 2 {
		t.Errorf("%d waiting visitors, want 2", waiting)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := newServer(t, comm100test.Options{})
	// send is call without t.Fatal, for use off the test goroutine.
	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL()+"/"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer test-token")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				switch (i + j) % 4 {
				case 0:
					send("GET", "livechat/agents", "")
				case 1:
					send("PUT", "livechat/agents/"+alice, `{"status":"away"}`)
				case 2:
					srv.SetAgentStatus(alice, "online")
					srv.PutVisitor(comm100test.Visitor{ID: "c", Status: "inSite"})
				case 3:
					send("PUT", "livechat/visitors/"+maria, `[{"name":"n","value":"v"}]`)
					srv.Requests()
					srv.CallsIn(time.Minute)
				}
			}
		})
	}
	wg.Wait()
	if srv.Calls() != 120 || srv.CallsIn(time.Hour) != 120 {
		t.Errorf("Calls %d CallsIn %d, want 120", srv.Calls(), srv.CallsIn(time.Hour))
	}
	for _, r := range srv.Requests() {
		if r.Status != 200 {
			t.Errorf("request %+v", r)
		}
	}
}
