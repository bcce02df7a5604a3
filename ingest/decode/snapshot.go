package decode

import (
	"strings"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Hints for the Comm100 snapshots that the poller journals. Their payloads
// are objects wrapping the API's answers verbatim:
//
//	agents_snapshot:   {"agents": <GET livechat/agents>, "directory": <GET global/agents>}
//	visitors_snapshot: {"visitors": <GET livechat/visitors>}
const (
	HintAgents   = "agents_snapshot"
	HintVisitors = "visitors_snapshot"
)

func decodeAgentsSnapshot(root node) (event.Event, error) {
	var c collector
	ev := event.Event{Kind: event.AgentsSnapshot, VendorEvent: HintAgents}
	names := map[string]event.Agent{}
	for _, d := range c.l(root, "directory") {
		a := event.Agent{ID: strings.ToLower(c.s(d, "id")), Email: c.s(d, "email")}
		a.Name = c.s(d, "displayName", "name")
		if a.Name == "" {
			a.Name = joinNonEmpty(" ", c.s(d, "firstName"), c.s(d, "lastName"))
		}
		names[a.ID] = a
	}
	ev.SnapshotAgents = []event.Agent{}
	for _, n := range c.l(root, "agents") {
		a := event.Agent{
			ID:           c.s(n, "id"),
			StatusName:   c.s(n, "status"),
			OngoingChats: c.i(n, "ongoingChats"),
		}
		a.Status = AgentStatus(a.StatusName)
		if d, ok := names[strings.ToLower(a.ID)]; ok {
			a.Name, a.Email = d.Name, d.Email
		}
		ev.SnapshotAgents = append(ev.SnapshotAgents, a)
	}
	return ev, c.err
}

func decodeVisitorsSnapshot(root node) (event.Event, error) {
	var c collector
	ev := event.Event{Kind: event.VisitorsSnapshot, VendorEvent: HintVisitors}
	ev.SnapshotVisitors = []event.Visitor{}
	for _, n := range c.l(root, "visitors") {
		ev.SnapshotVisitors = append(ev.SnapshotVisitors, apiVisitor(&c, n))
	}
	return ev, c.err
}

// apiVisitor reads a visitor as the Comm100 API returns it (camelCase keys).
func apiVisitor(c *collector, n node) event.Visitor {
	v := event.Visitor{
		ID:           c.s(n, "id"),
		Name:         c.s(n, "name"),
		Email:        c.s(n, "email"),
		Phone:        c.s(n, "phone"),
		Company:      c.s(n, "company"),
		StatusName:   c.s(n, "status"),
		IP:           c.s(n, "ip"),
		Location:     joinNonEmpty(", ", c.s(n, "city"), c.s(n, "state"), c.s(n, "country")),
		Browser:      c.s(n, "browser"),
		OS:           c.s(n, "operatingSystem"),
		Language:     c.s(n, "language"),
		TimeZone:     c.s(n, "timeZone"),
		CurrentPage:  c.s(n, "currentBrowsing"),
		Referrer:     c.s(n, "referrerUrl"),
		LandingPage:  c.s(n, "landingPage"),
		SearchEngine: c.s(n, "searchEngine"),
		Keywords:     c.s(n, "searchKeywords"),
		Visits:       c.i(n, "visits"),
		Chats:        c.i(n, "chats"),
		PageViews:    c.i(n, "pageViews"),
		FirstVisit:   c.t(n, "firstVisitTime"),
		VisitTime:    c.t(n, "visitTime"),
		Fields:       fields(c, n, "customFields"),
		Variables:    fields(c, n, "customVariableResults"),
	}
	if d := c.s(n, "departmentId"); d != "" && d != "00000000-0000-0000-0000-000000000000" {
		v.Department = &event.Department{ID: d}
	}
	v.State = VisitorState(v.StatusName)
	return v
}
