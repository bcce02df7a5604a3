package decode

import (
	"bytes"
	"path"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// hintFor is the route hint of a fixture: the last path element of a Chatlio
// route, nothing for Comm100 and Jivo.
func hintFor(p fixtures.Payload) string {
	if p.Source == string(event.Chatlio) {
		return path.Base(p.Route)
	}
	return ""
}

// Shared parts of the expectations.

const (
	comm100VisitorID = "e2bafca0-efe5-45a7-96ae-a7e3b8d7c410"
	comm100ChatID    = "16c2cc3a-1b15-4b4f-9298-1cd04d6cec15"
	priyaVisitorID   = "7f1d2c3b-0a9e-4c8d-b7a6-5e4f3d2c1b0a"
	priyaChatID      = "a1b2c3d4-e5f6-4789-9abc-def012345678"
	comm100DeptGUID  = "c47c5e3a-0a3b-4aa5-98ea-cec0ae5ab7b9"
	chatlioConvID    = "e3d1800d-2d9e-4966-4500-9ff986cfa197"
	chatlioVisitorID = "2d3f4260-2235-903b-0a82-a23d326cc257"
	chatlioUA        = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.28 Safari/537.36"
	jivoUA           = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0.2840.71 Safari/537.36"
	chatlioQuestion  = "Hi, I am having trouble signing up"
)

// chatEndedMessages is the transcript of comm100/chat_ended.json, line by
// line. The end line's (03:36:59) is end_time 1584416219323 (03:36:59.323Z)
// to the second, so the site clock is UTC. Lines without a time take the
// time of the line before, or the chat's start (1584415801019) before the
// first timed line.
func chatEndedMessages() []event.Message {
	said := time.Date(2020, 3, 17, 3, 30, 1, 0, time.UTC)
	return []event.Message{
		{From: event.FromSystem, At: ms(1584415801019), Text: "Agent Walid has joined the chat."},
		{From: event.FromAgent, Name: "Walid", Clock: "03:30:01", At: said,
			Text: "testName thank you for contacting us! How may I help you?"},
		{From: event.FromSystem, At: said, Text: "It's been a while since your last response. Please respond within the next few minutes or this chat will be ended."},
		{From: event.FromSystem, At: said, Text: "The visitor has left the chat."},
		{From: event.FromSystem, Text: "The chat is ended.", Clock: "03:36:59", At: time.Date(2020, 3, 17, 3, 36, 59, 0, time.UTC)},
	}
}

// chatEndedLegacyMessages is the transcript of comm100/chat_ended_legacy.json:
// start 09:15:00Z, end 09:17:00Z, end line (09:17:00).
func chatEndedLegacyMessages() []event.Message {
	at := func(h, m, s int) time.Time { return time.Date(2020, 3, 17, h, m, s, 0, time.UTC) }
	return []event.Message{
		{From: event.FromSystem, At: ms(1584436500000), Text: "Agent Mei has joined the chat."}, // the chat's start
		{From: event.FromVisitor, Name: "Ana", Clock: "09:15:02", At: at(9, 15, 2), Text: "Hello, my order is late"},
		{From: event.FromAgent, Name: "Mei", Clock: "09:15:40", At: at(9, 15, 40), Text: "Sorry to hear that, Ana. Let me check."},
		{From: event.FromAgent, Name: "Mei", Clock: "09:16:10", At: at(9, 16, 10), Text: "It ships today."},
		{From: event.FromVisitor, Name: "Ana", Clock: "09:16:30", At: at(9, 16, 30), Text: "Thanks!"},
		{From: event.FromSystem, Text: "The chat is ended.", Clock: "09:17:00", At: at(9, 17, 0)},
	}
}

func chatlioSampleVisitor() *event.Visitor {
	return &event.Visitor{
		ID:          chatlioVisitorID,
		Name:        "united-states-27", // name is "", the handle stands in
		Browser:     chatlioUA,
		CurrentPage: "http://yoursite.com/signup",
		IP:          "175.24.144.21",
		Location:    "Los Angeles, California, United States",
		FirstVisit:  time.Date(2016, 2, 7, 11, 2, 17, 839766000, time.FixedZone("", -8*3600)),
	}
}

func jivoSales() *event.Department { return &event.Department{ID: "161", Name: "Sales"} }

func jivoSampleVisitor(withDept bool) *event.Visitor {
	v := &event.Visitor{
		ID:          "2846",
		Number:      "2846",
		Name:        "John Smith",
		Email:       "email@example.com",
		Phone:       "+14084987855",
		Description: "Description text",
		Chats:       9,
		IP:          "208.80.152.201",
		Browser:     jivoUA,
		Location:    "San Francisco, California, United States",
		CurrentPage: "http://example.com/",
	}
	if withDept {
		v.Department = jivoSales()
	}
	return v
}

func jivoThomas() event.Agent {
	return event.Agent{ID: "2224", Name: "Thomas Anderson", Email: "agent@jivosite.com", Phone: "+14083682346"}
}

// fixtureExpectations is the full expected event of every fixture in the
// manifest, keyed by file. Source, ReceivedAt and Raw are checked apart.
var fixtureExpectations = map[string]event.Event{
	"comm100/chat_started.json": {
		Kind:        event.ChatStarted,
		VendorEvent: "chat_started",
		ChatID:      comm100ChatID,
		Department:  &event.Department{ID: comm100DeptGUID},
		Visitor: &event.Visitor{
			ID:          comm100VisitorID,
			Name:        "testName",
			Email:       "test@email.com",
			State:       event.VisitorChatting,
			StatusName:  "2",
			Department:  &event.Department{ID: comm100DeptGUID},
			IP:          "196.247.57.19",
			Location:    "Toronto, Ontario, Canada",
			Browser:     "Google Chrome 80.0.3987.132",
			OS:          "Windows 10",
			Language:    "en-US",
			TimeZone:    "GMT 06:00",
			CurrentPage: "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=c9e91d04-3774-4470-b84d-6bc00874fe9d&siteId=10100116&q=1618890066662",
			Referrer:    "https://dash11.comm100.io/livechat/agentconsole.aspx?siteid=10100116&v=10.0.8",
			LandingPage: "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=c9e91d04-3774-4470-b84d-6bc00874fe9d&siteId=10100116&q=1618890066662",
			Visits:      7,
			Chats:       8,
			PageViews:   1,
			FirstVisit:  ms(1580361387156),
			VisitTime:   ms(1584415749307),
			ChatID:      comm100ChatID,
			Variables:   []event.Field{{Name: "Name", Value: ""}},
		},
	},
	"comm100/chat_ended.json": {
		Kind:          event.ChatEnded,
		VendorEvent:   "chat_ended",
		MessagesTimed: true, // every message has its time
		OccurredAt:    ms(1584416219323),
		ChatID:        comm100ChatID,
		// visitor.department 1165 (an id) merged with chat.department "Support" (a name)
		Department: &event.Department{ID: "1165", Name: "Support"},
		Visitor: &event.Visitor{
			ID:          comm100VisitorID,
			Name:        "testName",
			Email:       "test@email.com",
			State:       event.VisitorChatEnded,
			StatusName:  "9",
			Department:  &event.Department{ID: "1165"},
			IP:          "196.247.57.19",
			Location:    "Toronto, Ontario, Canada",
			Browser:     "Google Chrome 80.0.3987.132",
			OS:          "Windows 10",
			Language:    "en-US",
			TimeZone:    "GMT -08:00",
			CurrentPage: "https://ent1portal.comm100.com/livechatfunc/PlanPreview.aspx?codePlanId=1480&siteId=1000298&ssl=1",
			Referrer:    "https://ent1portal.comm100.com/livechat/agentconsole.aspx?siteId=1000298&v=9.1.2",
			LandingPage: "https://ent1portal.comm100.com/livechatfunc/PlanPreview.aspx?codePlanId=1480&siteId=1000298&ssl=1",
			Visits:      7,
			Chats:       8,
			PageViews:   1,
			FirstVisit:  ms(1580361387156),
			VisitTime:   ms(1584415749307),
			ChatID:      comm100ChatID,
			Variables:   []event.Field{{Name: "Name", Value: ""}},
		},
		Chat: &event.ChatInfo{
			StartedAt: ms(1584415801019),
			EndedAt:   ms(1584416219323),
			Wait:      0,
			HasWait:   true, // "0s " is a known zero wait
		},
		Agents:   []event.Agent{{ID: "1", Name: "Walid", Email: "walidr3157@gmail.com"}},
		Messages: chatEndedMessages(),
		// rating "-1" and an empty comment: not rated. The wrap_up object is
		// empty but for its time: no wrap-up.
	},
	"comm100/chat_ended_legacy.json": {
		Kind:          event.ChatEnded,
		VendorEvent:   "chat_ended",
		MessagesTimed: true, // every message has its time
		OccurredAt:    ms(1584436620000),
		ChatID:        "99012",
		Department:    &event.Department{ID: "1165", Name: "Support"},
		Visitor: &event.Visitor{
			ID:         "4410217",
			Name:       "Ana",
			State:      event.VisitorChatEnded,
			StatusName: "9",
			Department: &event.Department{ID: "1165"},
			TimeZone:   "UTC-08:00",
			Visits:     2,
			FirstVisit: sec(1584415749), // 10 digits: seconds
			VisitTime:  zoned(ms(1584415749307), "+0800", 8*60),
			ChatID:     "99012",
			Fields:     []event.Field{{ID: "7", Name: "Order", Value: "B-77"}},
			Variables:  []event.Field{{Name: "cart", Value: "3 items"}},
		},
		Chat: &event.ChatInfo{
			StartedAt:   ms(1584436500000),
			EndedAt:     ms(1584436620000),
			Wait:        65 * time.Second,
			HasWait:     true,
			Attachments: []event.Attachment{{Name: "screen.png", URL: "https://files.example.com/screen.png"}},
		},
		Agents:   []event.Agent{{ID: "2", Name: "Mei", Email: "mei@example.com"}},
		Messages: chatEndedLegacyMessages(),
		Rating:   &event.Rating{Sentiment: event.Good, Value: "5", Comment: "Quick and kind"},
	},
	"comm100/chat_request.json": {
		Kind:        event.ChatRequested,
		VendorEvent: "chat_request",
		ChatID:      priyaChatID,
		Department:  &event.Department{ID: comm100DeptGUID},
		Visitor: &event.Visitor{
			ID:         priyaVisitorID,
			Name:       "Priya",
			Email:      "priya@example.com",
			State:      event.VisitorWaiting,
			StatusName: "0",
			Department: &event.Department{ID: comm100DeptGUID},
			Location:   "Leeds, United Kingdom",
			Browser:    "Firefox 128.0",
			OS:         "Linux",
			Visits:     3,
			Chats:      1,
			PageViews:  9,
			FirstVisit: ms(1699990000000),
			VisitTime:  ms(1700000000000),
			ChatID:     priyaChatID,
			Fields:     []event.Field{{ID: "12", Name: "Order", Value: "A-1009"}},
			Variables:  []event.Field{{Name: "plan", Value: "pro"}},
		},
	},
	"comm100/chat_transferred.json": {
		Kind:        event.ChatTransferred,
		VendorEvent: "chat_transferred",
		ChatID:      priyaChatID,
		Department:  &event.Department{Name: "Billing"},
		Visitor: &event.Visitor{
			ID:         priyaVisitorID,
			Name:       "Priya",
			State:      event.VisitorChatting,
			StatusName: "2",
			Department: &event.Department{Name: "Billing"},
			ChatID:     priyaChatID,
		},
		Chat: &event.ChatInfo{StartedAt: ms(1700000030000)},
		Agents: []event.Agent{
			{ID: "0f6c5a7e-1111-4222-8333-944455556666", Name: "Walid", Email: "walid@example.com"},
			{ID: "5b2d9e10-7777-4888-9999-aaaabbbbcccc", Name: "Mei", Email: "mei@example.com"},
		},
	},
	"comm100/chat_wraped_up.json": {
		Kind:        event.ChatWrappedUp,
		VendorEvent: "chat_wraped_up",
		OccurredAt:  ms(1584416279323),
		ChatID:      comm100ChatID,
		WrapUp: &event.WrapUp{
			Category: "Billing question",
			Comment:  "Refund explained",
			Fields:   []event.Field{{ID: "3", Name: "Resolved", Value: "Yes"}},
			At:       ms(1584416279323),
		},
	},
	"comm100/offline_message_submitted.json": {
		Kind:        event.OfflineMessage,
		VendorEvent: "offline_message_submitted",
		OccurredAt:  zoned(ms(1584416319323), "+0100", 60),
		Department:  &event.Department{ID: "1165"},
		Visitor: &event.Visitor{
			ID:         "55310",
			Name:       "Jonas Berg",
			Email:      "jonas@example.com",
			State:      event.VisitorOfflineMessage,
			StatusName: "6",
		},
		Offline: &event.Offline{
			ID:          "88231",
			Name:        "Jonas Berg",
			Email:       "jonas@example.com",
			Phone:       "+46 8 123 456",
			Subject:     "Invoice",
			Text:        "Hej! Could someone call me about invoice 2231? Tack — Jonas",
			Attachments: []event.Attachment{{Name: "invoice.pdf", URL: "https://files.example.com/invoice.pdf"}},
		},
	},
	"comm100/agent_away.json": {
		Kind:        event.AgentStatusChanged,
		VendorEvent: "away",
		Agents:      []event.Agent{{ID: "c97a2afe-a38f-46f8-a55b-8ac9f873cd09", Status: event.AgentAway, StatusName: "away"}},
	},
	"comm100/agent_online_legacy.json": {
		Kind:        event.AgentStatusChanged,
		VendorEvent: "online",
		Agents:      []event.Agent{{ID: "1", Status: event.AgentOnline, StatusName: "online"}},
	},

	"chatlio/conversation-started.json": {
		Kind:        event.ChatRequested,
		VendorEvent: "conversation-started",
		ChatID:      chatlioConvID,
		Visitor:     chatlioSampleVisitor(),
		Messages:    []event.Message{{From: event.FromVisitor, Name: "united-states-27", Text: chatlioQuestion}},
	},
	"chatlio/unanswered.json": {
		Kind:        event.VisitorUnanswered,
		VendorEvent: "unanswered",
		ChatID:      chatlioConvID,
		Visitor:     chatlioSampleVisitor(),
		Messages:    []event.Message{{From: event.FromVisitor, Name: "united-states-27", Text: chatlioQuestion}},
	},
	"chatlio/feedback.json": {
		Kind:        event.Feedback,
		VendorEvent: "feedback",
		ChatID:      chatlioConvID,
		Visitor:     chatlioSampleVisitor(),
		// The documented sample carries no rating: the message is the comment.
		Rating: &event.Rating{Comment: chatlioQuestion},
	},
	"chatlio/offline-message.json": {
		Kind:        event.OfflineMessage,
		VendorEvent: "offline-message",
		ChatID:      chatlioVisitorID, // no conversation: the visitor UUID stands in
		Visitor: &event.Visitor{
			ID:          chatlioVisitorID,
			Name:        "Bob Smith",
			Email:       "bob@smith.com",
			Browser:     chatlioUA,
			CurrentPage: "http://yoursite.com/signup",
			IP:          "175.24.144.21",
			FirstVisit:  time.Date(2016, 2, 7, 11, 2, 17, 839766000, time.FixedZone("", -8*3600)),
			Fields: []event.Field{
				{Name: "identUserId", Value: "user1234"},
				{Name: "custom stuff", Value: "things"}, // from identTraits, a JSON string
			},
		},
		Offline: &event.Offline{Name: "Bob Smith", Email: "bob@smith.com", Text: "I just want to say I love your service!"},
	},
	"chatlio/transcript.json": {
		Kind:          event.ChatEnded,
		VendorEvent:   "transcript",
		MessagesTimed: true, // every message has its time
		OccurredAt:    rfc("2018-05-19T18:14:32.000026941+02:00"),
		ChatID:        chatlioConvID,
		Visitor: &event.Visitor{
			ID:          "2b959179-d06f-4fec-9c6e-1c98468d1d63",
			Name:        "costa-mesa-california-us-133",
			Browser:     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0.2809.0 Safari/537.36",
			CurrentPage: "http://chatlio.com/docs",
			IP:          "64.145.94.51",
			Location:    "Costa Mesa, California, United States",
			FirstVisit:  rfc("2016-07-28T19:03:11.080407+02:00"),
			Variables: []event.Field{ // visitorTraits, sorted by name
				{Name: "current_page", Value: "http://yourcompany.com/the-shop"},
				{Name: "logged_in", Value: "false"},
				{Name: "time_on_page", Value: "30min"},
			},
		},
		Chat: &event.ChatInfo{
			StartedAt:  rfc("2015-07-19T14:38:15.560106+02:00"),
			EndedAt:    rfc("2018-05-19T18:14:32.000026941+02:00"),
			ArchiveURL: "https://yourcompany.slack.com/archives/cl-tiger128",
			Tags:       []string{"extra", "stuff", "here"},
		},
		Agents: []event.Agent{{ID: "U0N2GKA2G", Name: "Some One", Email: "someone@yourcompany.com"}},
		Messages: []event.Message{
			{At: rfc("2016-07-28T19:03:29.000005006+02:00"), From: event.FromVisitor, Name: "costa-mesa-california-us", Text: "Hi! I love your webhooks!"},
			{At: rfc("2016-07-28T19:03:47.000006914+02:00"), From: event.FromAgent, Name: "Some O.", UserID: "U0N2GKA2G", Text: "Great, thanks for letting us know!"},
		},
		Rating: &event.Rating{Sentiment: event.Good, Value: "up", Comment: "Great support, will use again!"},
	},

	"jivochat/call_event.json": {
		Kind:        event.CallEvent,
		VendorEvent: "call_event",
		ChatID:      "2302",
		Visitor:     jivoSampleVisitor(true),
		Department:  jivoSales(),
		Agents:      []event.Agent{jivoThomas()},
		Call:        &event.Call{Type: "callback", Phone: "+14084987855", Status: "end", RecordURL: "http://example.com/record.mp3"},
	},
	"jivochat/chat_accepted.json": {
		Kind:        event.ChatAccepted,
		VendorEvent: "chat_accepted",
		ChatID:      "3537",
		Visitor:     jivoSampleVisitor(true),
		Department:  jivoSales(),
		Agents:      []event.Agent{jivoThomas()},
	},
	"jivochat/chat_assigned.json": {
		Kind:        event.ChatAssigned,
		VendorEvent: "chat_assigned",
		ChatID:      "9998",
		Visitor:     jivoSampleVisitor(true),
		Department:  jivoSales(),
		Agents:      []event.Agent{jivoThomas()},
		Chat:        &event.ChatInfo{ArchiveURL: "..."},
	},
	"jivochat/chat_finished.json": {
		Kind:          event.ChatEnded,
		VendorEvent:   "chat_finished",
		MessagesTimed: true, // every message has its time
		ChatID:        "7676",
		Visitor:       jivoSampleVisitor(true),
		Department:    jivoSales(),
		Agents:        []event.Agent{jivoThomas()},
		Chat:          &event.ChatInfo{StartedAt: sec(1431955090), EndedAt: sec(1431955090)},
		OccurredAt:    sec(1431955090), // the last message
		// The documented message has no "message" key; agent 6149 is not in
		// agents, so it has no name.
		Messages: []event.Message{{At: sec(1431955090), From: event.FromAgent, UserID: "6149", Text: ""}},
	},
	"jivochat/chat_updated.json": {
		Kind:        event.ChatUpdated,
		VendorEvent: "chat_updated",
		ChatID:      "4043",
		Visitor:     jivoSampleVisitor(true),
		Department:  jivoSales(),
		Agents:      []event.Agent{jivoThomas()},
	},
	"jivochat/offline_message.json": {
		Kind:        event.OfflineMessage,
		VendorEvent: "offline_message",
		Visitor:     jivoSampleVisitor(false),
		Offline:     &event.Offline{ID: "3999", Name: "John Smith", Email: "email@example.com", Phone: "+14084987855", Text: "Message text"},
	},
}

func TestFixturesDecode(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range fixtures.Webhooks() {
		seen[p.File] = true
		t.Run(p.File, func(t *testing.T) {
			want, ok := fixtureExpectations[p.File]
			if !ok {
				t.Fatalf("fixture %s has no expectation in fixtureExpectations: add one", p.File)
			}
			body, err := Normalise(p.Body, "application/json; charset=utf-8")
			if err != nil {
				t.Fatalf("Normalise: %v", err)
			}
			ev, err := Decode(Input{Source: event.Source(p.Source), Hint: hintFor(p), Body: body, ReceivedAt: received})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.Source != event.Source(p.Source) {
				t.Errorf("Source = %q, want %q", ev.Source, p.Source)
			}
			if !ev.ReceivedAt.Equal(received) {
				t.Errorf("ReceivedAt = %v, want %v", ev.ReceivedAt, received)
			}
			if !bytes.Equal(ev.Raw, body) {
				t.Errorf("Raw is not the normalised body:\n got %q\nwant %q", ev.Raw, body)
			}
			checkEqual(t, "event", strip(ev), expected(want, event.Source(p.Source)))
		})
	}
	for file := range fixtureExpectations {
		if !seen[file] {
			t.Errorf("expectation for %s matches no fixture in fixtures.Webhooks()", file)
		}
	}
}

// TestFixtureTimesExact spells out the /Date()/ readings of the fixtures, so
// a wrong unit or zone shows plainly.
func TestFixtureTimesExact(t *testing.T) {
	get := func(file string) event.Event {
		t.Helper()
		for _, p := range fixtures.Webhooks() {
			if p.File == file {
				body, err := Normalise(p.Body, "")
				if err != nil {
					t.Fatal(err)
				}
				ev, err := Decode(Input{Source: event.Source(p.Source), Hint: hintFor(p), Body: body})
				if err != nil {
					t.Fatal(err)
				}
				return ev
			}
		}
		t.Fatalf("no fixture %s", file)
		return event.Event{}
	}
	ended := get("comm100/chat_ended.json")
	if got, want := ended.Chat.EndedAt, time.UnixMilli(1584416219323); !got.Equal(want) {
		t.Errorf("chat_ended end_time = %v, want %v", got, want)
	}
	if got, want := ended.Chat.StartedAt, time.UnixMilli(1584415801019); !got.Equal(want) {
		t.Errorf("chat_ended start_time = %v, want %v", got, want)
	}
	if got, want := ended.Visitor.VisitTime, time.UnixMilli(1584415749307); !got.Equal(want) {
		t.Errorf("chat_ended visit_time = %v, want %v", got, want)
	}
	if got, want := ended.Visitor.FirstVisit, time.UnixMilli(1580361387156); !got.Equal(want) {
		t.Errorf("chat_ended first_visit_time = %v, want %v", got, want)
	}

	legacy := get("comm100/chat_ended_legacy.json")
	if got, want := legacy.Visitor.FirstVisit, time.Unix(1584415749, 0); !got.Equal(want) {
		t.Errorf("legacy first_visit_time (10 digits) = %v, want %v", got, want)
	}
	vt := legacy.Visitor.VisitTime
	if _, off := vt.Zone(); !vt.Equal(time.UnixMilli(1584415749307)) || off != 8*3600 {
		t.Errorf("legacy visit_time \\/Date(1584415749307+0800)\\/ = %v (offset %d), want instant %v at +08:00",
			vt, off, time.UnixMilli(1584415749307).UTC())
	}
	if !legacy.Chat.EndedAt.Equal(time.UnixMilli(1584436620000)) {
		t.Errorf("legacy end_time = %v", legacy.Chat.EndedAt)
	}

	wrap := get("comm100/chat_wraped_up.json")
	if !wrap.WrapUp.At.Equal(time.UnixMilli(1584416279323)) {
		t.Errorf("wrap-up time (escaped slashes) = %v", wrap.WrapUp.At)
	}
	off := get("comm100/offline_message_submitted.json")
	if _, o := off.OccurredAt.Zone(); !off.OccurredAt.Equal(time.UnixMilli(1584416319323)) || o != 3600 {
		t.Errorf("offline time /Date(1584416319323+0100)/ = %v (offset %d)", off.OccurredAt, o)
	}
}

// TestComm100Transcripts checks the transcripts of the two chat_ended
// fixtures line by line, through Decode and through ParseTranscript itself.
func TestComm100Transcripts(t *testing.T) {
	tests := []struct {
		file    string
		want    []event.Message
		start   time.Time
		end     time.Time
		visitor string
		agents  []string
	}{
		{"comm100/chat_ended.json", chatEndedMessages(), ms(1584415801019), ms(1584416219323), "testName", []string{"Walid"}},
		{"comm100/chat_ended_legacy.json", chatEndedLegacyMessages(), ms(1584436500000), ms(1584436620000), "Ana", []string{"Mei"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := Normalise(fixtures.MustRead(tt.file), "")
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Decode(Input{Source: event.Comm100, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "decoded messages", ev.Messages, tt.want)

			root, err := parseObject(body)
			if err != nil {
				t.Fatal(err)
			}
			chat, _, _ := root.obj("chat")
			transcript, _ := chat.str("chat_transcript")
			got := ParseTranscript(transcript, tt.start, tt.end, tt.visitor, tt.agents)
			checkEqual(t, "ParseTranscript", got, tt.want)

			// Without an end time only the printed clocks are known: no line
			// has a time, not even those that borrow one.
			noAnchor := ParseTranscript(transcript, time.Time{}, time.Time{}, tt.visitor, tt.agents)
			for i, m := range noAnchor {
				if !m.At.IsZero() {
					t.Errorf("no end time: message %d At = %v, want zero", i, m.At)
				}
				if m.Clock != tt.want[i].Clock || m.From != tt.want[i].From || m.Text != tt.want[i].Text {
					t.Errorf("no end time: message %d = %+v, want clock/from/text of %+v", i, m, tt.want[i])
				}
			}
		})
	}
}
