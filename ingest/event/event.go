// Package event is chatdeck's normalised vocabulary: one Event type that every
// vendor webhook, poll result and action outcome becomes. It sits at the bottom
// of the import graph and does no I/O.
package event

import (
	"encoding/json"
	"time"
)

// Source names where an event came from.
type Source string

// The sources chatdeck knows.
const (
	Comm100  Source = "comm100"
	Chatlio  Source = "chatlio"
	JivoChat Source = "jivochat"
)

// Valid reports whether s is one of the known sources.
func (s Source) Valid() bool {
	switch s {
	case Comm100, Chatlio, JivoChat:
		return true
	}
	return false
}

// Kind is the normalised type of an event.
type Kind string

// The kinds of event. Vendor event names map onto these; see the decoders.
const (
	ChatRequested      Kind = "chat_requested"       // a visitor asked to chat and waits
	ChatStarted        Kind = "chat_started"         // an agent and the visitor are chatting
	ChatAccepted       Kind = "chat_accepted"        // an agent accepted (Jivo: pressed Reply)
	ChatAssigned       Kind = "chat_assigned"        // a chat was linked to a CRM card (Jivo)
	ChatUpdated        Kind = "chat_updated"         // visitor details changed during a chat
	ChatTransferred    Kind = "chat_transferred"     // a chat moved to another agent or department
	ChatEnded          Kind = "chat_ended"           // a chat ended; usually carries the transcript
	ChatWrappedUp      Kind = "chat_wrapped_up"      // the agent filed the wrap-up form
	VisitorUnanswered  Kind = "visitor_unanswered"   // the visitor got no answer in time
	VisitorUpdated     Kind = "visitor_updated"      // visitor details changed outside a chat
	Feedback           Kind = "feedback"             // the visitor rated or commented on a chat
	OfflineMessage     Kind = "offline_message"      // a message left while nobody was online
	CallEvent          Kind = "call_event"           // a phone call started, connected or ended
	AgentStatusChanged Kind = "agent_status_changed" // an agent went online, away, offline
	AgentsSnapshot     Kind = "agents_snapshot"      // the full list of agents (polling)
	VisitorsSnapshot   Kind = "visitors_snapshot"    // the full list of visitors (polling)
	Unrecognised       Kind = "unrecognised"         // a valid JSON object no decoder knows
)

// AgentStatus is an agent's normalised availability.
type AgentStatus string

// Agent availabilities. A custom away status (Comm100's "Meeting") is Away,
// with its own name kept in Agent.StatusName.
const (
	AgentOnline  AgentStatus = "online"
	AgentAway    AgentStatus = "away"
	AgentOffline AgentStatus = "offline"
	AgentUnknown AgentStatus = "unknown"
)

// VisitorState is the one set of visitor states that Comm100's webhook status
// codes (0–11) and its API status names both map to.
type VisitorState string

// Visitor states.
const (
	VisitorStateUnknown     VisitorState = ""
	VisitorWaiting          VisitorState = "waiting"            // 0, waitingForChat
	VisitorVoiceChatting    VisitorState = "voice_chatting"     // 1, voiceChatting
	VisitorChatting         VisitorState = "chatting"           // 2, chatting
	VisitorPreChat          VisitorState = "pre_chat"           // 3, preChat
	VisitorManuallyInvited  VisitorState = "manually_invited"   // 4, manuallyInvited, manuallyInvitedByWindow
	VisitorAutoInvited      VisitorState = "auto_invited"       // 5, autoInvited
	VisitorOfflineMessage   VisitorState = "offline_message"    // 6, offlineMessage
	VisitorRefusedByAgent   VisitorState = "refused_by_agent"   // 7, refusedByOperator
	VisitorRefusedByVisitor VisitorState = "refused_by_visitor" // 8, refusedByVisitor
	VisitorChatEnded        VisitorState = "chat_ended"         // 9, chatEnded
	VisitorInSite           VisitorState = "in_site"            // 10, inSite
	VisitorOutOfSite        VisitorState = "out_of_site"        // 11, outOfSite
	VisitorTransferring     VisitorState = "transferring"       // transferring
	VisitorSystemProcessing VisitorState = "system_processing"  // systemProcessing
)

// Waiting reports whether a visitor in this state waits in the queue.
func (s VisitorState) Waiting() bool { return s == VisitorWaiting || s == VisitorTransferring }

// Sender says who wrote a message.
type Sender string

// Message senders.
const (
	FromVisitor Sender = "visitor"
	FromAgent   Sender = "agent"
	FromSystem  Sender = "system"
)

// Sentiment is a rating normalised across vendors.
type Sentiment string

// Sentiments. Comm100 stars: 4–5 good, 3 neutral, 1–2 bad. Chatlio: up good,
// down bad. Jivo: positive good, negative bad.
const (
	Good    Sentiment = "good"
	Neutral Sentiment = "neutral"
	Bad     Sentiment = "bad"
)

// Event is one normalised thing that happened. Fields a vendor did not send
// are zero. Raw always holds the payload as received (as UTF-8 JSON).
type Event struct {
	// Seq is the event's journal cursor, set once it is journalled.
	Seq    int64  `json:"cursor,omitempty,string"`
	Source Source `json:"source"`
	Kind   Kind   `json:"kind"`
	// VendorEvent is the vendor's own name for the event ("chat_wraped_up",
	// "away", the Chatlio route kind), as sent.
	VendorEvent string `json:"vendor_event,omitempty"`
	// ReceivedAt is when chatdeck received the event.
	ReceivedAt time.Time `json:"received_at"`
	// OccurredAt is the vendor's time for the event itself, when it gave one.
	OccurredAt time.Time `json:"occurred_at,omitzero"`

	ChatID     string      `json:"chat_id,omitempty"`
	Visitor    *Visitor    `json:"visitor,omitempty"`
	Agents     []Agent     `json:"agents,omitempty"`
	Department *Department `json:"department,omitempty"`
	Chat       *ChatInfo   `json:"chat,omitempty"`
	Messages   []Message   `json:"messages,omitempty"`
	// MessagesTimed says that every message has a time (At or Clock): the
	// decoders check it while the messages are fresh, so that the board
	// need not read them all again. False says nothing (check). Not sent.
	MessagesTimed bool `json:"-"`
	// VisitorKnows is Visitor.Known(), noted by the decoders while the
	// visitor is fresh, so that the board need not read all of it again.
	// Zero says nothing (ask the visitor). Not sent.
	VisitorKnows uint64   `json:"-"`
	Rating       *Rating  `json:"rating,omitempty"`
	Offline      *Offline `json:"offline,omitempty"`
	Call         *Call    `json:"call,omitempty"`
	WrapUp       *WrapUp  `json:"wrap_up,omitempty"`

	// Notes say what the decoder could not use: a field of the wrong type
	// or a time that cannot be real, dropped; a chat id that is missing.
	// The event is kept (Raw has everything); Notes say what it lacks.
	Notes []string `json:"notes,omitempty"`

	// SnapshotAgents and SnapshotVisitors carry the lists of a snapshot event.
	SnapshotAgents   []Agent   `json:"snapshot_agents,omitempty"`
	SnapshotVisitors []Visitor `json:"snapshot_visitors,omitempty"`
	// SnapshotStatuses lists the statuses agents can be set to (agents
	// snapshots): "Online", "Away" and the site's custom away statuses.
	SnapshotStatuses []string `json:"snapshot_statuses,omitempty"`

	// Untrusted: the event came from a visitor's browser (the JivoChat
	// JavaScript API through /browser/jivochat), where anyone can forge it.
	// The board lets such an event move only that one visitor's own waiting
	// state: never an agent, never another visitor, never a chat's outcome
	// once a webhook has spoken of the chat.
	Untrusted bool `json:"untrusted,omitempty"`

	Raw json.RawMessage `json:"payload,omitempty"`
}

// Visitor is what a vendor told about a website visitor.
type Visitor struct {
	ID           string       `json:"id,omitempty"`
	Number       string       `json:"number,omitempty"`     // Jivo's visitor number
	UserToken    string       `json:"user_token,omitempty"` // Jivo's setUserToken value
	Name         string       `json:"name,omitempty"`
	Email        string       `json:"email,omitempty"`
	Phone        string       `json:"phone,omitempty"`
	Company      string       `json:"company,omitempty"`
	State        VisitorState `json:"state,omitempty"`
	StatusName   string       `json:"status_name,omitempty"` // the vendor's status as sent
	Department   *Department  `json:"department,omitempty"`
	IP           string       `json:"ip,omitempty"`
	Location     string       `json:"location,omitempty"`
	Browser      string       `json:"browser,omitempty"`
	OS           string       `json:"os,omitempty"`
	Language     string       `json:"language,omitempty"`
	TimeZone     string       `json:"time_zone,omitempty"`
	CurrentPage  string       `json:"current_page,omitempty"`
	Referrer     string       `json:"referrer,omitempty"`
	LandingPage  string       `json:"landing_page,omitempty"`
	SearchEngine string       `json:"search_engine,omitempty"`
	Keywords     string       `json:"keywords,omitempty"`
	Visits       int          `json:"visits,omitempty"`
	Chats        int          `json:"chats,omitempty"`
	PageViews    int          `json:"page_views,omitempty"`
	FirstVisit   time.Time    `json:"first_visit,omitzero"`
	VisitTime    time.Time    `json:"visit_time,omitzero"`
	ChatID       string       `json:"chat_id,omitempty"`
	Fields       []Field      `json:"fields,omitempty"`    // pre-chat custom fields
	Variables    []Field      `json:"variables,omitempty"` // custom variables
	Description  string       `json:"description,omitempty"`
}

// Known returns the fields of v that are set (not their zero value): one
// bit for each field, in the order they are declared. A visitor that knows
// every field another knows has all of its bits.
func (v *Visitor) Known() uint64 {
	// Written out, not a loop over a copy of the fields: the board asks
	// this of every visitor it is told of.
	return has(v.ID) | has(v.Number)<<1 | has(v.UserToken)<<2 | has(v.Name)<<3 | has(v.Email)<<4 |
		has(v.Phone)<<5 | has(v.Company)<<6 | bit(v.State != VisitorStateUnknown)<<7 | has(v.StatusName)<<8 |
		bit(v.Department != nil)<<9 | has(v.IP)<<10 | has(v.Location)<<11 | has(v.Browser)<<12 |
		has(v.OS)<<13 | has(v.Language)<<14 | has(v.TimeZone)<<15 | has(v.CurrentPage)<<16 |
		has(v.Referrer)<<17 | has(v.LandingPage)<<18 | has(v.SearchEngine)<<19 | has(v.Keywords)<<20 |
		bit(v.Visits != 0)<<21 | bit(v.Chats != 0)<<22 | bit(v.PageViews != 0)<<23 |
		bit(!v.FirstVisit.IsZero())<<24 | bit(!v.VisitTime.IsZero())<<25 | has(v.ChatID)<<26 |
		bit(len(v.Fields) > 0)<<27 | bit(len(v.Variables) > 0)<<28 | has(v.Description)<<29
}

// has is 1 if s is not empty, else 0.
func has(s string) uint64 { return bit(s != "") }

// bit is 1 if b, else 0.
func bit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Key is the vendor-scoped identity of a visitor: the id, else the user
// token, else the visitor number. Empty if none is known.
func (v *Visitor) Key() string {
	if v == nil {
		return ""
	}
	switch {
	case v.ID != "":
		return v.ID
	case v.UserToken != "":
		return "token:" + v.UserToken
	case v.Number != "":
		return "number:" + v.Number
	}
	return ""
}

// Field is a named value: a custom field or custom variable.
type Field struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

// Agent is an agent (operator) as a vendor named it.
type Agent struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Status and StatusName are set on status changes and snapshots.
	Status     AgentStatus `json:"status,omitempty"`
	StatusName string      `json:"status_name,omitempty"`
	// OngoingChats is the vendor's own count, from the API (snapshots).
	OngoingChats int `json:"ongoing_chats,omitempty"`
}

// Department is a department by id, by name, or both.
type Department struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Label is the department's name, else its id.
func (d *Department) Label() string {
	if d == nil {
		return ""
	}
	if d.Name != "" {
		return d.Name
	}
	return d.ID
}

// ChatInfo holds a chat's own times and notes.
type ChatInfo struct {
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// Wait is how long the visitor waited before an agent answered, when the
	// vendor said so; HasWait tells a zero wait from an unknown one.
	Wait        time.Duration `json:"wait_ns,omitempty"`
	HasWait     bool          `json:"has_wait,omitempty"`
	Comment     string        `json:"comment,omitempty"` // agent's note
	Attachments []Attachment  `json:"attachments,omitempty"`
	ArchiveURL  string        `json:"archive_url,omitempty"`
	Blacklisted bool          `json:"blacklisted,omitempty"`
	Tags        []string      `json:"tags,omitempty"` // Chatlio extraData
}

// Attachment is a file sent in a chat or with an offline message.
type Attachment struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Message is one line of a transcript.
type Message struct {
	At     time.Time `json:"at,omitzero"`
	Clock  string    `json:"clock,omitempty"` // the time of day as the vendor printed it
	From   Sender    `json:"from"`
	Name   string    `json:"name,omitempty"`
	UserID string    `json:"user_id,omitempty"`
	Text   string    `json:"text"`
}

// Rating is a visitor's verdict on a chat.
type Rating struct {
	Sentiment Sentiment `json:"sentiment"`
	Value     string    `json:"value"` // as the vendor sent it: "5", "up", "positive"
	Comment   string    `json:"comment,omitempty"`
}

// Offline is an offline message.
type Offline struct {
	ID          string       `json:"id,omitempty"`
	Name        string       `json:"name,omitempty"`
	Email       string       `json:"email,omitempty"`
	Phone       string       `json:"phone,omitempty"`
	Subject     string       `json:"subject,omitempty"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Call is a phone call reported by Jivo.
type Call struct {
	Type      string `json:"type,omitempty"` // callback, incoming, outgoing
	Phone     string `json:"phone,omitempty"`
	Status    string `json:"status,omitempty"` // start, end, agent_connected, client_connected, error
	Reason    string `json:"reason,omitempty"`
	RecordURL string `json:"record_url,omitempty"`
}

// WrapUp is the form an agent files after a chat.
type WrapUp struct {
	Category string    `json:"category,omitempty"`
	Comment  string    `json:"comment,omitempty"`
	Fields   []Field   `json:"fields,omitempty"`
	At       time.Time `json:"at,omitzero"`
}
