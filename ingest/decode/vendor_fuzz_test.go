package decode

import (
	"testing"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// The vendor fuzz targets give each decoder a corpus of its own (its
// fixtures), so that a short run spends all its time on one vendor. They
// check the same contract as FuzzNormaliseDecode.

// vendorSeeds adds the fixtures of src, with their hints as choices.
func vendorSeeds(f *testing.F, src event.Source, hints []string) {
	for _, p := range fixtures.Webhooks() {
		if p.Source != string(src) {
			continue
		}
		for i, h := range hints {
			if h == hintFor(p) {
				f.Add(p.Body, uint8(i))
			}
		}
	}
}

func fuzzVendor(f *testing.F, src event.Source, hints []string) {
	f.Fuzz(func(t *testing.T, raw []byte, choice uint8) {
		hint := hints[int(choice&0x0f)%len(hints)]
		contentType := fuzzContentTypes[int(choice>>4)%len(fuzzContentTypes)]
		checkNormaliseDecode(t, raw, src, hint, false, contentType)
	})
}

// comm100Hints are the routes' and the poller's hints for Comm100.
var comm100Hints = []string{"", HintAgents, HintVisitors, HintAgentStatus, HintVisitor}

// FuzzComm100 fuzzes the Comm100 decoder: webhooks and the poller's
// snapshots, seeded from the Comm100 fixtures.
func FuzzComm100(f *testing.F) {
	vendorSeeds(f, event.Comm100, comm100Hints)
	f.Add([]byte(`{"event":"chat_ended","chat":{"id":"c","operators":5,"chat_transcript":"[03:30:01] Walid: hi⊙The chat is ended.(03:36:59)"}}`), uint8(0))
	f.Add([]byte(`{"agents":[{"id":"a","status":"Online","ongoingChats":2}],"directory":[{"id":"A","displayName":"W"}]}`), uint8(1))
	f.Add([]byte(`{"visitors":[`+specVisitor+`]}`), uint8(2))
	f.Add([]byte(`{ "id": "c97a2afe-a38f-46f8-a55b-8ac9f873cd09", "status": "Meeting", "ongoingChats": 0 }`), uint8(3))
	f.Add([]byte(specVisitor), uint8(4))
	fuzzVendor(f, event.Comm100, comm100Hints)
}

// chatlioHints are Chatlio's webhook kinds (one route each).
var chatlioHints = []string{"conversation-started", "unanswered", "feedback", "offline-message", "transcript"}

// FuzzChatlio fuzzes the Chatlio decoder on each of its five routes,
// seeded from the Chatlio fixtures.
func FuzzChatlio(f *testing.F) {
	vendorSeeds(f, event.Chatlio, chatlioHints)
	f.Add([]byte(`{"conversationUUID":"c","messages":{"ts":"1.5e10","isVisitorMsg":1}}`), uint8(4))
	fuzzVendor(f, event.Chatlio, chatlioHints)
}

// FuzzJivoChat fuzzes the JivoChat decoder, seeded from the JivoChat
// fixtures.
func FuzzJivoChat(f *testing.F) {
	vendorSeeds(f, event.JivoChat, []string{""})
	f.Add(utf16Bytes(`{"event_name":"chat_finished","chat_id":1,"chat":{"messages":[{"timestamp":"/Date(1584415749307+0800)/"}]}}`, true, false), uint8(3<<4))
	fuzzVendor(f, event.JivoChat, []string{""})
}
