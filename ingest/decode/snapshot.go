package decode

import (
	"encoding/json"
	"strings"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Hints for the Comm100 snapshots that the poller journals. Their payloads
// are objects wrapping the API's answers verbatim:
//
//	agents_snapshot:   {"agents": <GET livechat/agents>, "directory": <GET global/agents>,
//	                    "away_statuses": <GET global/agentAwayStatuses>}
//	visitors_snapshot: {"visitors": <GET livechat/visitors, the waiting ones>,
//	                    "departments": <GET global/departments>}
//
// The outcomes of actions are journalled as the API answered them:
//
//	agent_status: <PUT livechat/agents/{id}>, an agent object
//	visitor:      <PUT livechat/visitors/{id}>, a visitor object
const (
	HintAgents      = "agents_snapshot"
	HintVisitors    = "visitors_snapshot"
	HintAgentStatus = "agent_status"
	HintVisitor     = "visitor"
)

func decodeAgentsSnapshot(c *collector, root node) event.Event {
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
	// The statuses an agent can be set to: online, away, and the site's
	// enabled custom away statuses (objects, or bare names).
	ev.SnapshotStatuses = []string{"Online", "Away"}
	if raw, _, ok := root.raw("away_statuses"); ok {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			c.keep(&Error{Field: "away_statuses", Msg: "expected an array"})
		}
		for _, it := range items {
			if isNull(it) {
				continue
			}
			if name, err := scalarString(it); err == nil {
				ev.SnapshotStatuses = append(ev.SnapshotStatuses, name)
				continue
			}
			m, isObj := root.a.split(it)
			if !isObj {
				continue
			}
			n := node{p: root.a.part(nil, "away_statuses", -1), m: m, a: root.a}
			if enabled, err := n.boolean("isEnabled"); err == nil && !enabled && n.has("isEnabled") {
				continue
			}
			if name := c.s(n, "name"); name != "" {
				ev.SnapshotStatuses = append(ev.SnapshotStatuses, name)
			}
		}
	}
	return ev
}

func decodeAgentStatus(c *collector, root node) event.Event {
	a := event.Agent{ID: c.s(root, "id"), StatusName: c.s(root, "status"), OngoingChats: c.i(root, "ongoingChats")}
	a.Status = AgentStatus(a.StatusName)
	switch {
	case a.ID == "":
		c.keep(&Error{Field: "id", Msg: "missing: an agent status answer must carry the agent's id"})
	case a.StatusName == "":
		c.keep(&Error{Field: "status", Msg: "missing: an agent status answer must carry the status"})
	}
	return event.Event{Kind: event.AgentStatusChanged, VendorEvent: HintAgentStatus, Agents: []event.Agent{a}}
}

func decodeAPIVisitor(c *collector, root node) event.Event {
	v := apiVisitor(c, root)
	if v.ID == "" {
		c.keep(&Error{Field: "id", Msg: "missing: a visitor answer must carry its id"})
	}
	return event.Event{Kind: event.VisitorUpdated, VendorEvent: HintVisitor, Visitor: &v}
}

func decodeVisitorsSnapshot(c *collector, root node) event.Event {
	ev := event.Event{Kind: event.VisitorsSnapshot, VendorEvent: HintVisitors}
	names := map[string]string{}
	for _, d := range c.l(root, "departments") {
		names[strings.ToLower(c.s(d, "id"))] = c.s(d, "name")
	}
	ev.SnapshotVisitors = []event.Visitor{}
	for _, n := range c.l(root, "visitors") {
		v := apiVisitor(c, n)
		if v.Department != nil {
			v.Department.Name = names[strings.ToLower(v.Department.ID)]
		}
		ev.SnapshotVisitors = append(ev.SnapshotVisitors, v)
	}
	return ev
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
