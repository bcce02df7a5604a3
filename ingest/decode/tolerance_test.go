package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// ---------------------------------------------------------------------------
// Ids as strings or numbers.

func TestIDsStringOrNumber(t *testing.T) {
	tests := []struct {
		name string
		src  event.Source
		body string
		get  func(event.Event) string
		want string
	}{
		{"comm100 visitor id number", event.Comm100, `{"event":"chat_started","visitor":{"id":123,"chat_id":"c"}}`,
			func(e event.Event) string { return e.Visitor.ID }, "123"},
		{"comm100 visitor id string", event.Comm100, `{"event":"chat_started","visitor":{"id":"123","chat_id":"c"}}`,
			func(e event.Event) string { return e.Visitor.ID }, "123"},
		{"comm100 chat id number", event.Comm100, `{"event":"chat_started","chat":{"id":99012}}`,
			func(e event.Event) string { return e.ChatID }, "99012"},
		{"comm100 top-level chat_id number", event.Comm100, `{"event":"chat_wrapped_up","chat_id":77}`,
			func(e event.Event) string { return e.ChatID }, "77"},
		{"comm100 big integer id kept as written", event.Comm100, `{"event":"chat_started","visitor":{"id":12345678901234567890,"chat_id":"c"}}`,
			func(e event.Event) string { return e.Visitor.ID }, "12345678901234567890"},
		{"comm100 operator_id number", event.Comm100, `{"event":"online","operator_id":1}`,
			func(e event.Event) string { return e.Agents[0].ID }, "1"},
		{"comm100 operator_id guid", event.Comm100, `{"event":"online","operator_id":"c97a2afe-a38f-46f8-a55b-8ac9f873cd09"}`,
			func(e event.Event) string { return e.Agents[0].ID }, "c97a2afe-a38f-46f8-a55b-8ac9f873cd09"},
		{"comm100 operator id in chat number", event.Comm100, `{"event":"chat_started","chat":{"id":"c","operators":[{"id":5,"display_name":"W"}]}}`,
			func(e event.Event) string { return e.Agents[0].ID }, "5"},
		{"jivo agent.id string", event.JivoChat, `{"event_name":"chat_accepted","chat_id":1,"agent":{"id":"2224"}}`,
			func(e event.Event) string { return e.Agents[0].ID }, "2224"},
		{"jivo agent.id number", event.JivoChat, `{"event_name":"chat_accepted","chat_id":1,"agent":{"id":2224}}`,
			func(e event.Event) string { return e.Agents[0].ID }, "2224"},
		{"jivo visitor.number number", event.JivoChat, `{"event_name":"chat_accepted","chat_id":1,"visitor":{"number":2846}}`,
			func(e event.Event) string { return e.Visitor.Number + "/" + e.Visitor.ID }, "2846/2846"},
		{"jivo visitor.number string", event.JivoChat, `{"event_name":"chat_accepted","chat_id":1,"visitor":{"number":"2846"}}`,
			func(e event.Event) string { return e.Visitor.Number + "/" + e.Visitor.ID }, "2846/2846"},
		{"jivo chat_id string", event.JivoChat, `{"event_name":"chat_accepted","chat_id":"3537"}`,
			func(e event.Event) string { return e.ChatID }, "3537"},
		{"jivo department id number", event.JivoChat, `{"event_name":"chat_accepted","chat_id":1,"department":{"id":161}}`,
			func(e event.Event) string { return e.Department.ID }, "161"},
		{"jivo message agent_id number", event.JivoChat, `{"event_name":"chat_finished","chat_id":1,"chat":{"messages":[{"type":"agent","agent_id":6149}]}}`,
			func(e event.Event) string { return e.Messages[0].UserID }, "6149"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := decodeJSON(t, tt.src, "", tt.body)
			if got := tt.get(ev); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Times.

func TestParseTime(t *testing.T) {
	const msv = 1584415749307
	tests := []struct {
		in      string
		want    time.Time
		offset  int // expected UTC offset of the result, seconds
		wantErr string
	}{
		{in: "", want: time.Time{}},
		{in: "   ", want: time.Time{}},
		{in: "/Date(1584415749307)/", want: time.UnixMilli(msv)},                        // 13 digits: ms
		{in: " /Date(1584415749307)/ ", want: time.UnixMilli(msv)},                      // spaces
		{in: "/Date(1584415749)/", want: time.Unix(1584415749, 0)},                      // 10 digits: s
		{in: "/Date(15844157493)/", want: time.UnixMilli(msv / 100 * 100)},              // 11 digits: tenths of a second
		{in: "/Date(158441574930)/", want: time.UnixMilli(msv / 10 * 10)},               // 12 digits: hundredths
		{in: "/Date(1584415749307123)/", want: time.UnixMicro(1584415749307123)},        // 16 digits: µs
		{in: "/Date(1584415749307123456)/", want: time.Unix(0, 1584415749307123456)},    // 19 digits: ns
		{in: "1584415749307", want: time.UnixMilli(msv)},                                // bare integer, ms
		{in: "1584415749", want: time.Unix(1584415749, 0)},                              // bare integer, s
		{in: `\/Date(1584415749307)\/`, want: time.UnixMilli(msv)},                      // escaped slashes kept
		{in: "Date(1584415749307)", want: time.UnixMilli(msv)},                          // slashes missing
		{in: "/Date(1584415749307+0800)/", want: time.UnixMilli(msv), offset: 8 * 3600}, // WCF offset
		{in: "/Date(1584415749307-0500)/", want: time.UnixMilli(msv), offset: -5 * 3600},
		{in: "/Date(1584415749307+0530)/", want: time.UnixMilli(msv), offset: 5*3600 + 30*60},
		{in: `\/Date(1584415749307+0800)\/`, want: time.UnixMilli(msv), offset: 8 * 3600},
		{in: "/Date(1584415749307+0000)/", want: time.UnixMilli(msv)},
		{in: "/Date(-62135596800000)/", want: time.Time{}}, // .NET DateTime.MinValue: no time
		{in: "/Date(-62135596800000+0000)/", want: time.Time{}},
		{in: "/Date(-1)/", want: time.Time{}},
		{in: "/Date(0)/", want: time.Time{}},
		{in: "-1", want: time.Time{}},
		{in: "-62135596800000", want: time.Time{}},
		{in: "0", want: time.Time{}},
		{in: "1469725409.000005", want: time.Unix(1469725409, 5000)}, // Slack ts
		{in: "2021-05-26T10:30:16.036Z", want: time.Date(2021, 5, 26, 10, 30, 16, 36e6, time.UTC)},
		{in: "2016-02-07T11:02:17.839766-08:00", want: time.Date(2016, 2, 7, 19, 2, 17, 839766000, time.UTC), offset: -8 * 3600},
		{in: "2018-05-19T18:14:32.000026941+02:00", want: time.Date(2018, 5, 19, 16, 14, 32, 26941, time.UTC), offset: 2 * 3600},
		{in: "2021-05-26T10:30:16", want: time.Date(2021, 5, 26, 10, 30, 16, 0, time.UTC)},
		{in: "2021-05-26 10:30:16", want: time.Date(2021, 5, 26, 10, 30, 16, 0, time.UTC)},
		{in: "2021-05-26", want: time.Date(2021, 5, 26, 0, 0, 0, 0, time.UTC)},
		{in: "yesterday", wantErr: "unrecognised time"},
		{in: "/Date(abc)/", wantErr: "bad /Date()/ value"},
		{in: "/Date()/", wantErr: "bad /Date()/ value"},
		{in: "/Date(1584415749307+08)/", wantErr: "bad /Date()/ offset"},
		{in: "/Date(1584415749307+2500)/", wantErr: "bad /Date()/ offset"},
		{in: "1e300", wantErr: "unrecognised time"},          // once read as year 292277026596
		{in: "/Date(1e300)/", wantErr: "bad /Date()/ value"}, // likewise
		{in: "/Date(9.5e18)/", wantErr: "bad /Date()/ value"},
		{in: "NaN", wantErr: "unrecognised time"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTime(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tt.in, err)
			}
			if tt.want.IsZero() {
				if !got.IsZero() {
					t.Errorf("ParseTime(%q) = %v, want the zero time", tt.in, got)
				}
				return
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q) = %v, want instant %v", tt.in, got, tt.want.UTC())
			}
			if _, off := got.Zone(); off != tt.offset {
				t.Errorf("ParseTime(%q) zone offset = %ds, want %ds", tt.in, off, tt.offset)
			}
		})
	}
}

func TestParseWait(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0s ", 0, true},
		{"0s", 0, true},
		{"5s", 5 * time.Second, true},
		{"1m 5s", 65 * time.Second, true},
		{"1h 2m 3s", time.Hour + 2*time.Minute + 3*time.Second, true},
		{"1m5s", 65 * time.Second, true},
		{"42", 42 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-5", 0, false},
		{"-1m", 0, false},
		{"soon", 0, false},
		{"Inf", 0, false},                              // once a negative duration
		{"1e300", 0, false},                            // once a negative duration
		{"2562047h 2562047h", 0, false},                // once overflowed to negative
		{"9223372036", 9223372036 * time.Second, true}, // the largest whole number of seconds
	}
	for _, tt := range tests {
		got, ok := ParseWait(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseWait(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTimeFieldForms(t *testing.T) {
	tests := []struct {
		name   string
		value  string // JSON value of chat.end_time
		want   time.Time
		offset int
	}{
		{"13-digit /Date()/", `"/Date(1584416219323)/"`, time.UnixMilli(1584416219323), 0},
		{"10-digit /Date()/", `"/Date(1584416219)/"`, time.Unix(1584416219, 0), 0},
		{"11-digit /Date()/", `"/Date(15844162193)/"`, time.UnixMilli(1584416219300), 0},
		{"12-digit /Date()/", `"/Date(158441621932)/"`, time.UnixMilli(1584416219320), 0},
		{"bare 12-digit integer", `158441621932`, time.UnixMilli(1584416219320), 0},
		{"bare microseconds", `1584416219323000`, time.UnixMilli(1584416219323), 0},
		{"bare nanoseconds", `"1584416219323000000"`, time.UnixMilli(1584416219323), 0},
		{"bare JSON integer ms", `1584416219323`, time.UnixMilli(1584416219323), 0},
		{"bare JSON integer s", `1584416219`, time.Unix(1584416219, 0), 0},
		{"bare integer string", `"1584416219323"`, time.UnixMilli(1584416219323), 0},
		{"+0800 offset", `"/Date(1584416219323+0800)/"`, time.UnixMilli(1584416219323), 8 * 3600},
		{"-0500 offset", `"/Date(1584416219323-0500)/"`, time.UnixMilli(1584416219323), -5 * 3600},
		{"escaped slashes", `"\/Date(1584416219323)\/"`, time.UnixMilli(1584416219323), 0},
		{"ISO", `"2020-03-17T03:36:59.323Z"`, time.UnixMilli(1584416219323), 0},
		{"ISO with offset", `"2020-03-17T11:36:59.323+08:00"`, time.UnixMilli(1584416219323), 8 * 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","end_time":`+tt.value+`}}`)
			got := ev.Chat.EndedAt
			if _, off := got.Zone(); !got.Equal(tt.want) || off != tt.offset {
				t.Errorf("end_time %s = %v (offset %d), want %v (offset %d)", tt.value, got, off, tt.want.UTC(), tt.offset)
			}
			if !ev.OccurredAt.Equal(tt.want) {
				t.Errorf("OccurredAt = %v, want the end time", ev.OccurredAt)
			}
		})
	}
	t.Run("negative is no time", func(t *testing.T) {
		ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","end_time":"/Date(-62135596800000)/","start_time":-1}}`)
		if !ev.Chat.EndedAt.IsZero() || !ev.Chat.StartedAt.IsZero() {
			t.Errorf("negative /Date()/ gave %v and %v, want zero times", ev.Chat.EndedAt, ev.Chat.StartedAt)
		}
	})
	t.Run("ts when sentAt is absent", func(t *testing.T) {
		ev := decodeJSON(t, event.Chatlio, "transcript", `{"conversationUUID":"c","messages":[{"text":"x","ts":"1469725409.000005","isVisitorMsg":true}]}`)
		if want := time.Unix(1469725409, 5000); !ev.Messages[0].At.Equal(want) {
			t.Errorf("At = %v, want %v", ev.Messages[0].At, want.UTC())
		}
	})
}

// ---------------------------------------------------------------------------
// Absent, null and alternate keys.

func TestAbsentNullAndAlternateKeys(t *testing.T) {
	t.Run("search_engine null, absent and set", func(t *testing.T) {
		for body, want := range map[string]string{
			`{"event":"chat_started","visitor":{"chat_id":"c","search_engine":null}}`:     "",
			`{"event":"chat_started","visitor":{"chat_id":"c"}}`:                          "",
			`{"event":"chat_started","visitor":{"chat_id":"c","search_engine":"Google"}}`: "Google",
		} {
			if got := decodeJSON(t, event.Comm100, "", body).Visitor.SearchEngine; got != want {
				t.Errorf("%s: SearchEngine = %q, want %q", body, got, want)
			}
		}
	})
	t.Run("comm100 department null or absent", func(t *testing.T) {
		for _, body := range []string{
			`{"event":"chat_started","visitor":{"chat_id":"c","department":null}}`,
			`{"event":"chat_started","visitor":{"chat_id":"c"}}`,
			`{"event":"chat_ended","visitor":{"chat_id":"c","department":null},"chat":{"id":"c","department":null}}`,
			`{"event":"chat_started","visitor":{"chat_id":"c","department":""}}`,
		} {
			ev := decodeJSON(t, event.Comm100, "", body)
			if ev.Department != nil || ev.Visitor.Department != nil {
				t.Errorf("%s: Department = %+v / %+v, want none", body, ev.Department, ev.Visitor.Department)
			}
		}
	})
	t.Run("comm100 department forms", func(t *testing.T) {
		for value, want := range map[string]event.Department{
			`1165`:                                   {ID: "1165"},
			`"1165"`:                                 {ID: "1165"},
			`"c47c5e3a-0a3b-4aa5-98ea-cec0ae5ab7b9"`: {ID: "c47c5e3a-0a3b-4aa5-98ea-cec0ae5ab7b9"},
			`"{C47C5E3A-0A3B-4AA5-98EA-CEC0AE5AB7B9}"`: {ID: "C47C5E3A-0A3B-4AA5-98EA-CEC0AE5AB7B9"},
			`"Support"`:      {Name: "Support"},
			`" Sales team "`: {Name: "Sales team"},
		} {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_started","visitor":{"chat_id":"c","department":`+value+`}}`)
			checkEqual(t, "department "+value, ev.Department, &want)
		}
	})
	t.Run("jivo department and rate null", func(t *testing.T) {
		ev := decodeJSON(t, event.JivoChat, "", `{"event_name":"chat_finished","chat_id":1,"department":null,"chat":{"rate":null,"messages":[]}}`)
		if ev.Department != nil || ev.Visitor.Department != nil {
			t.Errorf("Department = %+v, want none", ev.Department)
		}
		if ev.Rating != nil {
			t.Errorf("Rating = %+v, want none for rate null", ev.Rating)
		}
		ev = decodeJSON(t, event.JivoChat, "", `{"event_name":"chat_finished","chat_id":1,"chat":{"messages":[]}}`)
		if ev.Rating != nil {
			t.Errorf("Rating = %+v, want none for rate absent", ev.Rating)
		}
	})
	t.Run("jivo keys absent, not null", func(t *testing.T) {
		ev := decodeJSON(t, event.JivoChat, "", `{"event_name":"chat_accepted","chat_id":1}`)
		checkEqual(t, "event", strip(ev), event.Event{
			Source: event.JivoChat, ReceivedAt: received, Kind: event.ChatAccepted,
			VendorEvent: "chat_accepted", ChatID: "1", Visitor: &event.Visitor{},
		})
	})
	t.Run("custom_variable vs custom_variables", func(t *testing.T) {
		want := []event.Field{{Name: "cart", Value: "3 items"}}
		for _, key := range []string{"custom_variable", "custom_variables", "customVariables"} {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_started","visitor":{"chat_id":"c","`+key+`":[{"name":"cart","value":"3 items"}]}}`)
			checkEqual(t, "visitor."+key, ev.Visitor.Variables, want)
		}
		// On chat, either spelling fills the visitor's when it has none.
		for _, key := range []string{"custom_variable", "custom_variables"} {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","`+key+`":[{"name":"cart","value":"3 items"}]}}`)
			checkEqual(t, "chat."+key, ev.Visitor.Variables, want)
		}
		// The visitor's own win over the chat's.
		ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","visitor":{"custom_variables":[{"name":"a","value":"1"}]},"chat":{"id":"c","custom_variable":[{"name":"b","value":"2"}]}}`)
		checkEqual(t, "visitor over chat", ev.Visitor.Variables, []event.Field{{Name: "a", Value: "1"}})
	})
	t.Run("field id key id vs field_id", func(t *testing.T) {
		for _, f := range []string{`{"id":7,"name":"Order","value":"B-77","url":"https://x/7"}`, `{"field_id":7,"name":"Order","value":"B-77","url":"https://x/7"}`, `{"field_id":"7","name":"Order","value":"B-77","url":"https://x/7"}`} {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_started","visitor":{"chat_id":"c","custom_fields":[`+f+`]}}`)
			checkEqual(t, f, ev.Visitor.Fields, []event.Field{{ID: "7", Name: "Order", Value: "B-77", URL: "https://x/7"}})
		}
	})
	t.Run("attachment array vs object", func(t *testing.T) {
		one := []event.Attachment{{Name: "a.png", URL: "https://f/a.png"}}
		for _, a := range []string{`{"name":"a.png","uri":"https://f/a.png"}`, `[{"name":"a.png","uri":"https:\/\/f\/a.png"}]`, `[{"name":"a.png","url":"https://f/a.png"}, null]`} {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","attachment":`+a+`}}`)
			checkEqual(t, "chat attachment "+a, ev.Chat.Attachments, one)
			ev = decodeJSON(t, event.Comm100, "", `{"event":"offline_message_submitted","offline_message":{"content":"x","attachment":`+a+`}}`)
			checkEqual(t, "offline attachment "+a, ev.Offline.Attachments, one)
		}
		for _, empty := range []string{`[]`, `""`, `null`, `" "`} {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","attachment":`+empty+`}}`)
			if len(ev.Chat.Attachments) != 0 {
				t.Errorf("attachment %s: got %+v, want none", empty, ev.Chat.Attachments)
			}
		}
	})
	t.Run("time_zone kept as given", func(t *testing.T) {
		for _, tz := range []string{"GMT -08:00", "GMT 06:00", "UTC-08:00", "GMT +08:00"} {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_started","visitor":{"chat_id":"c","time_zone":"`+tz+`"}}`)
			if ev.Visitor.TimeZone != tz {
				t.Errorf("time_zone %q read as %q", tz, ev.Visitor.TimeZone)
			}
		}
	})
	t.Run("comm100 numbers as strings and floats", func(t *testing.T) {
		ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_started","visitor":{"chat_id":"c","visits":"7","chats":8.0,"page_views":" 3 "}}`)
		if ev.Visitor.Visits != 7 || ev.Visitor.Chats != 8 || ev.Visitor.PageViews != 3 {
			t.Errorf("visits/chats/page_views = %d/%d/%d, want 7/8/3", ev.Visitor.Visits, ev.Visitor.Chats, ev.Visitor.PageViews)
		}
	})
	t.Run("chat operators as comma-separated names", func(t *testing.T) {
		ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","operators":"Walid, Mei ,"}}`)
		checkEqual(t, "operators", ev.Agents, []event.Agent{{Name: "Walid"}, {Name: "Mei"}})
	})
}

// TestUnknownKeysIgnored adds unknown keys to every object of every fixture
// (but trait objects, whose keys are all kept) and expects the same event.
func TestUnknownKeysIgnored(t *testing.T) {
	var inject func(v any, parent string) any
	inject = func(v any, parent string) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = inject(e, k)
			}
			if parent != "visitorTraits" {
				x["zz_unknown"] = map[string]any{"nested": []any{1, "two", nil}}
				x["zzNull"] = nil
			}
			return x
		case []any:
			for i, e := range x {
				x[i] = inject(e, parent)
			}
		}
		return v
	}
	for _, p := range fixtures.Webhooks() {
		t.Run(p.File, func(t *testing.T) {
			body, err := Normalise(p.Body, "")
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			var m any
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			extra, err := json.Marshal(inject(m, ""))
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Decode(Input{Source: event.Source(p.Source), Hint: hintFor(p), Body: extra, ReceivedAt: received})
			if err != nil {
				t.Fatalf("Decode with unknown keys: %v", err)
			}
			checkEqual(t, "event with unknown keys", strip(ev), expected(fixtureExpectations[p.File], event.Source(p.Source)))
		})
	}
}

func TestChatlioIdentTraits(t *testing.T) {
	tests := []struct {
		name   string
		traits string
		want   []event.Field
	}{
		{"JSON string", `"{\"plan\":\"pro\",\"seats\":3}"`, []event.Field{{Name: "plan", Value: "pro"}, {Name: "seats", Value: "3"}}},
		{"object", `{"seats":3,"plan":"pro"}`, []event.Field{{Name: "plan", Value: "pro"}, {Name: "seats", Value: "3"}}},
		{"object with nested values", `{"tags":["a","b"],"meta":{"k":1},"none":null,"ok":true}`, []event.Field{
			{Name: "meta", Value: `{"k":1}`}, {Name: "none", Value: "null"}, {Name: "ok", Value: "true"}, {Name: "tags", Value: `["a","b"]`}}},
		{"empty string", `""`, nil},
		{"null", `null`, nil},
		{"plain string kept whole", `"vip customer"`, []event.Field{{Name: "identTraits", Value: "vip customer"}}},
		{"JSON array string kept whole", `"[1,2]"`, []event.Field{{Name: "identTraits", Value: "[1,2]"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := decodeJSON(t, event.Chatlio, "conversation-started", `{"conversationUUID":"c","visitor":{"UUID":"u","identTraits":`+tt.traits+`}}`)
			checkEqual(t, "visitor fields", ev.Visitor.Fields, tt.want)
		})
	}
	t.Run("visitorTraits as JSON string", func(t *testing.T) {
		ev := decodeJSON(t, event.Chatlio, "transcript", `{"conversationUUID":"c","visitorTraits":"{\"logged_in\":\"false\"}"}`)
		checkEqual(t, "variables", ev.Visitor.Variables, []event.Field{{Name: "logged_in", Value: "false"}})
	})
}

func TestJivoMessageText(t *testing.T) {
	tests := []struct {
		msg  string
		want string
	}{
		{`{"timestamp":1431955090,"type":"visitor"}`, ""}, // no "message" key, as documented
		{`{"timestamp":1431955090,"type":"visitor","message":"Hello"}`, "Hello"},
		{`{"timestamp":1431955090,"type":"visitor","text":"Hello"}`, "Hello"},
		{`{"timestamp":1431955090,"type":"visitor","message":null}`, ""},
	}
	for _, tt := range tests {
		ev := decodeJSON(t, event.JivoChat, "", `{"event_name":"chat_finished","chat_id":1,"visitor":{"name":"Ann"},"chat":{"messages":[`+tt.msg+`]}}`)
		if len(ev.Messages) != 1 {
			t.Fatalf("%s: %d messages, want 1", tt.msg, len(ev.Messages))
		}
		want := event.Message{At: sec(1431955090), From: event.FromVisitor, Name: "Ann", Text: tt.want}
		checkEqual(t, tt.msg, ev.Messages[0], want)
	}
}

// ---------------------------------------------------------------------------
// States.

func TestVisitorState(t *testing.T) {
	codes := []event.VisitorState{
		event.VisitorWaiting, event.VisitorVoiceChatting, event.VisitorChatting, event.VisitorPreChat,
		event.VisitorManuallyInvited, event.VisitorAutoInvited, event.VisitorOfflineMessage,
		event.VisitorRefusedByAgent, event.VisitorRefusedByVisitor, event.VisitorChatEnded,
		event.VisitorInSite, event.VisitorOutOfSite,
	}
	for code, want := range codes {
		for _, s := range []string{strconv.Itoa(code), " " + strconv.Itoa(code) + " "} {
			if got := VisitorState(s); got != want {
				t.Errorf("VisitorState(%q) = %q, want %q", s, got, want)
			}
		}
		// As the webhook sends it: a JSON number, or a numeric string.
		for _, raw := range []string{strconv.Itoa(code), `"` + strconv.Itoa(code) + `"`} {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_started","visitor":{"chat_id":"c","status":`+raw+`}}`)
			if ev.Visitor.State != want || ev.Visitor.StatusName != strconv.Itoa(code) {
				t.Errorf("webhook status %s: State %q StatusName %q, want %q %q", raw, ev.Visitor.State, ev.Visitor.StatusName, want, strconv.Itoa(code))
			}
		}
	}
	names := map[string]event.VisitorState{
		"waitingForChat":          event.VisitorWaiting,
		"voiceChatting":           event.VisitorVoiceChatting,
		"chatting":                event.VisitorChatting,
		"preChat":                 event.VisitorPreChat,
		"manuallyInvited":         event.VisitorManuallyInvited,
		"autoInvited":             event.VisitorAutoInvited,
		"offlineMessage":          event.VisitorOfflineMessage,
		"refusedByOperator":       event.VisitorRefusedByAgent,
		"refusedByVisitor":        event.VisitorRefusedByVisitor,
		"chatEnded":               event.VisitorChatEnded,
		"inSite":                  event.VisitorInSite,
		"outOfSite":               event.VisitorOutOfSite,
		"transferring":            event.VisitorTransferring,
		"manuallyInvitedByWindow": event.VisitorManuallyInvited,
		"systemProcessing":        event.VisitorSystemProcessing,
	}
	for name, want := range names {
		snake := toSnake(name)
		for _, s := range []string{name, strings.ToUpper(name), strings.ToLower(name), snake, strings.ReplaceAll(snake, "_", " "), strings.ReplaceAll(snake, "_", "-"), " " + name + " "} {
			if got := VisitorState(s); got != want {
				t.Errorf("VisitorState(%q) = %q, want %q", s, got, want)
			}
		}
	}
	for _, s := range []string{"", "12", "-1", "99", "browsing", "in site now"} {
		if got := VisitorState(s); got != event.VisitorStateUnknown {
			t.Errorf("VisitorState(%q) = %q, want unknown", s, got)
		}
	}
	if !VisitorState("0").Waiting() || !VisitorState("transferring").Waiting() || VisitorState("2").Waiting() {
		t.Error("Waiting() is wrong for waiting/transferring/chatting")
	}
}

func toSnake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestAgentStatus(t *testing.T) {
	tests := map[string]event.AgentStatus{
		"Online":    event.AgentOnline,
		"online":    event.AgentOnline,
		"ONLINE":    event.AgentOnline,
		"login":     event.AgentOnline,
		"LogIn":     event.AgentOnline,
		"available": event.AgentOnline,
		"AWAY":      event.AgentAway,
		"away":      event.AgentAway,
		"Meeting":   event.AgentAway, // a custom away status
		"Lunch":     event.AgentAway,
		"logout":    event.AgentOffline,
		"Logout":    event.AgentOffline,
		"offline":   event.AgentOffline,
		"Invisible": event.AgentOffline,
		"":          event.AgentUnknown,
		"  ":        event.AgentUnknown,
	}
	for in, want := range tests {
		if got := AgentStatus(in); got != want {
			t.Errorf("AgentStatus(%q) = %q, want %q", in, got, want)
		}
	}
	// The same names as Comm100 agent status webhooks.
	for in, want := range map[string]event.AgentStatus{"online": event.AgentOnline, "AWAY": event.AgentAway, "Meeting": event.AgentAway, "logout": event.AgentOffline, "login": event.AgentOnline} {
		ev := decodeJSON(t, event.Comm100, "", `{"event":"`+in+`","operator_id":"a1"}`)
		if ev.Kind != event.AgentStatusChanged || len(ev.Agents) != 1 || ev.Agents[0].Status != want || ev.Agents[0].StatusName != in {
			t.Errorf("event %q: kind %q agents %+v, want status %q", in, ev.Kind, ev.Agents, want)
		}
	}
}

// ---------------------------------------------------------------------------
// Unknown but valid, unknown hints.

func TestUnrecognised(t *testing.T) {
	tests := []struct {
		name   string
		src    event.Source
		body   string
		vendor string
	}{
		{"comm100 new event", event.Comm100, `{"event":"something_new","chat":{"id":"c"},"visitor":{"id":1}}`, "something_new"},
		{"comm100 no event key", event.Comm100, `{"chat":{"id":"c"}}`, ""},
		{"comm100 empty object", event.Comm100, `{}`, ""},
		{"comm100 event null", event.Comm100, `{"event":null}`, ""},
		{"jivo new event", event.JivoChat, `{"event_name":"client_whatever","chat_id":5}`, "client_whatever"},
		{"jivo no event key", event.JivoChat, `{"chat_id":5,"visitor":{"name":"x"}}`, ""},
		{"jivo reply body", event.JivoChat, string(fixtures.MustRead("jivochat/reply_chat_accepted.json")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := Normalise([]byte(tt.body), "")
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Decode(Input{Source: tt.src, Body: body, ReceivedAt: received})
			if err != nil {
				t.Fatalf("Decode: %v, want an Unrecognised event", err)
			}
			want := event.Event{Source: tt.src, Kind: event.Unrecognised, VendorEvent: tt.vendor, ReceivedAt: received, Raw: body}
			checkEqual(t, "event", ev, want)
			if !bytes.Equal(ev.Raw, body) {
				t.Errorf("Raw = %q, want the body", ev.Raw)
			}
		})
	}
}

func TestUnknownHint(t *testing.T) {
	body := []byte(`{"conversationUUID":"c"}`)
	for _, in := range []Input{
		{Source: event.Chatlio, Hint: "chat-started", Body: body},
		{Source: event.Chatlio, Hint: "", Body: body},
		{Source: event.Chatlio, Hint: "Transcript", Body: body},
		{Source: event.Comm100, Hint: "departments_snapshot", Body: body},
		{Source: "livechat", Body: body},
		{Source: "", Body: body},
	} {
		_, err := Decode(in)
		if !errors.Is(err, ErrUnknownHint) {
			t.Errorf("Decode(%s, %q) = %v, want an error wrapping ErrUnknownHint", in.Source, in.Hint, err)
			continue
		}
		if in.Hint != "" && !strings.Contains(err.Error(), in.Hint) {
			t.Errorf("error %q does not name the hint %q", err, in.Hint)
		}
	}
}

// ---------------------------------------------------------------------------
// Bad types name the field: a webhook is kept with a note that names it, a
// polled answer is refused with an *Error that names it.

func TestBadTypesNameTheField(t *testing.T) {
	tests := []struct {
		name  string
		src   event.Source
		hint  string
		body  string
		field string
	}{
		{"comm100 visitor a string", event.Comm100, "", `{"event":"chat_ended","visitor":"oops","chat":{"id":"c"}}`, "visitor"},
		{"comm100 visitor an array", event.Comm100, "", `{"event":"chat_ended","visitor":[],"chat":{"id":"c"}}`, "visitor"},
		{"comm100 chat a number", event.Comm100, "", `{"event":"chat_ended","chat":5}`, "chat"},
		{"comm100 operators a number", event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","operators":5}}`, "chat.operators"},
		{"comm100 operators a boolean", event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","operators":true}}`, "chat.operators"},
		{"comm100 operator not an object", event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","operators":[1]}}`, "chat.operators[0]"},
		{"comm100 operator name an object", event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","operators":[{"display_name":{}}]}}`, "chat.operators[0].display_name"},
		{"comm100 visitor id an object", event.Comm100, "", `{"event":"chat_started","visitor":{"id":{},"chat_id":"c"}}`, "visitor.id"},
		{"comm100 visits not a number", event.Comm100, "", `{"event":"chat_started","visitor":{"visits":"many","chat_id":"c"}}`, "visitor.visits"},
		{"comm100 visits NaN", event.Comm100, "", `{"event":"chat_started","visitor":{"visits":"NaN","chat_id":"c"}}`, "visitor.visits"},
		{"comm100 chats too big", event.Comm100, "", `{"event":"chat_started","visitor":{"chats":1e300,"chat_id":"c"}}`, "visitor.chats"},
		{"comm100 bad time", event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","start_time":"yesterday"}}`, "chat.start_time"},
		{"comm100 time an array", event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","end_time":[1]}}`, "chat.end_time"},
		{"comm100 custom field not an object", event.Comm100, "", `{"event":"chat_started","visitor":{"chat_id":"c","custom_fields":["x"]}}`, "visitor.custom_fields[0]"},
		{"comm100 custom_variables a number", event.Comm100, "", `{"event":"chat_started","visitor":{"chat_id":"c","custom_variables":3}}`, "visitor.custom_variables"},
		{"comm100 wrapup an array", event.Comm100, "", `{"event":"chat_wraped_up","chat_id":"c","wrapup":[]}`, "wrapup"},
		{"comm100 wrap-up time bad", event.Comm100, "", `{"event":"chat_wraped_up","chat_id":"c","wrapup":{"time":"/Date(x)/"}}`, "wrapup.time"},
		{"comm100 offline attachment a number", event.Comm100, "", `{"event":"offline_message_submitted","offline_message":{"attachment":1}}`, "offline_message.attachment"},
		{"comm100 event an object", event.Comm100, "", `{"event":{"name":"chat_started"}}`, "event"},
		{"comm100 missing chat id", event.Comm100, "", `{"event":"chat_started","visitor":{"name":"x"}}`, "chat.id"},
		{"comm100 missing chat id, chat_ended", event.Comm100, "", `{"event":"chat_ended","chat":{"end_time":"/Date(1584416219323)/"}}`, "chat.id"},
		{"comm100 status event without agent", event.Comm100, "", `{"event":"away"}`, "operator_id"},
		{"comm100 status time bad", event.Comm100, "", `{"event":"away","operator_id":1,"time":"later"}`, "time"},
		{"jivo chat.messages a string", event.JivoChat, "", `{"event_name":"chat_finished","chat_id":1,"chat":{"messages":"x"}}`, "chat.messages"},
		{"jivo message timestamp bad", event.JivoChat, "", `{"event_name":"chat_finished","chat_id":1,"chat":{"messages":[{"timestamp":"soon"}]}}`, "chat.messages[0].timestamp"},
		{"jivo blacklisted bad", event.JivoChat, "", `{"event_name":"chat_finished","chat_id":1,"chat":{"blacklisted":"maybe"}}`, "chat.blacklisted"},
		{"jivo agent a string", event.JivoChat, "", `{"event_name":"chat_accepted","chat_id":1,"agent":"Thomas"}`, "agent"},
		{"jivo agents an object of wrong type", event.JivoChat, "", `{"event_name":"chat_finished","chat_id":1,"agents":[["x"]]}`, "agents[0]"},
		{"jivo visitor a number", event.JivoChat, "", `{"event_name":"chat_accepted","chat_id":1,"visitor":5}`, "visitor"},
		{"jivo geoip a string", event.JivoChat, "", `{"event_name":"chat_accepted","chat_id":1,"session":{"geoip":"US"}}`, "session.geoip"},
		{"jivo chats_count bad", event.JivoChat, "", `{"event_name":"chat_accepted","chat_id":1,"visitor":{"chats_count":"nine"}}`, "visitor.chats_count"},
		{"jivo missing chat id", event.JivoChat, "", `{"event_name":"chat_accepted","visitor":{"number":1}}`, "chat_id"},
		{"jivo missing chat id, finished", event.JivoChat, "", `{"event_name":"chat_finished","chat":{"messages":[]}}`, "chat_id"},
		{"jivo event_name an array", event.JivoChat, "", `{"event_name":["chat_accepted"]}`, "event_name"},
		{"chatlio missing conversation", event.Chatlio, "conversation-started", `{"message":"hi"}`, "conversationUUID"},
		{"chatlio missing conversation, transcript", event.Chatlio, "transcript", `{"messages":[]}`, "conversationUUID"},
		{"chatlio messages a number", event.Chatlio, "transcript", `{"conversationUUID":"c","messages":5}`, "messages"},
		{"chatlio isVisitorMsg bad", event.Chatlio, "transcript", `{"conversationUUID":"c","messages":[{"isVisitorMsg":"perhaps"}]}`, "messages[0].isVisitorMsg"},
		{"chatlio identTraits an array", event.Chatlio, "feedback", `{"conversationUUID":"c","visitor":{"identTraits":[1]}}`, "visitor.identTraits"},
		{"chatlio extraData an object", event.Chatlio, "transcript", `{"conversationUUID":"c","extraData":{}}`, "extraData"},
		{"chatlio endedAt bad", event.Chatlio, "transcript", `{"conversationUUID":"c","endedAt":"someday"}`, "endedAt"},
		{"snapshot agents a string", event.Comm100, HintAgents, `{"agents":"x"}`, "agents"},
		{"snapshot ongoingChats bad", event.Comm100, HintAgents, `{"agents":[{"id":"a","ongoingChats":"two"}]}`, "agents[0].ongoingChats"},
		{"snapshot visitor time bad", event.Comm100, HintVisitors, `{"visitors":[{"id":"v","visitTime":"tuesday"}]}`, "visitors[0].visitTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.src != event.Comm100 || tt.hint == "" {
				ev, err := Decode(Input{Source: tt.src, Hint: tt.hint, Body: []byte(tt.body), ReceivedAt: time.Now()})
				if err != nil {
					t.Fatalf("Decode: %v, want the webhook kept with a note", err)
				}
				if len(ev.Notes) == 0 || !strings.HasPrefix(ev.Notes[0], tt.field+": ") || len(ev.Notes[0]) <= len(tt.field)+2 {
					t.Errorf("Notes = %q, want the first to be %q followed by a reason", ev.Notes, tt.field+": ")
				}
				if string(ev.Raw) != tt.body {
					t.Errorf("Raw = %q, want the body", ev.Raw)
				}
				return
			}
			e := decodeErr(t, tt.src, tt.hint, tt.body)
			if e.Field != tt.field {
				t.Errorf("Field = %q, want %q (error %q)", e.Field, tt.field, e)
			}
			if !strings.HasPrefix(e.Error(), tt.field+": ") || e.Msg == "" {
				t.Errorf("Error() = %q, want %q followed by a reason", e.Error(), tt.field+": ")
			}
		})
	}
}

func TestDecodeRejectsNonObjects(t *testing.T) {
	for _, body := range []string{``, `null`, `[]`, `"x"`, `5`, `{"a":`} {
		_, err := Decode(Input{Source: event.Comm100, Body: []byte(body)})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Decode(%q) = %v, want an *Error", body, err)
		}
	}
}

// ---------------------------------------------------------------------------
// Snapshots.

func TestAgentsSnapshot(t *testing.T) {
	body := `{"agents":[{"id":"c97a2afe-a38f-46f8-a55b-8ac9f873cd09","status":"Online","ongoingChats":2}], "directory":[{"id":"C97A2AFE-A38F-46F8-A55B-8AC9F873CD09","displayName":"Walid","email":"w@x.com"}]}`
	ev := decodeJSON(t, event.Comm100, HintAgents, body)
	checkEqual(t, "event", strip(ev), event.Event{
		Source: event.Comm100, Kind: event.AgentsSnapshot, VendorEvent: HintAgents, ReceivedAt: received,
		SnapshotAgents: []event.Agent{{
			ID: "c97a2afe-a38f-46f8-a55b-8ac9f873cd09", Name: "Walid", Email: "w@x.com",
			Status: event.AgentOnline, StatusName: "Online", OngoingChats: 2,
		}},
		SnapshotStatuses: []string{"Online", "Away"}, // no away_statuses: the two built in
	})

	t.Run("away statuses", func(t *testing.T) {
		ev := decodeJSON(t, event.Comm100, HintAgents, `{"agents":[],"away_statuses":[{"id":1,"name":"Meeting","isEnabled":true},{"id":2,"name":"Lunch","isEnabled":false},"Training",{"name":""}]}`)
		checkEqual(t, "statuses", ev.SnapshotStatuses, []string{"Online", "Away", "Meeting", "Training"})
		e := decodeErr(t, event.Comm100, HintAgents, `{"agents":[],"away_statuses":{"name":"Meeting"}}`)
		if e.Field != "away_statuses" {
			t.Errorf("away_statuses an object: Field = %q, want away_statuses", e.Field)
		}
	})

	t.Run("custom status, names from first and last, no directory entry", func(t *testing.T) {
		body := `{"agents":[{"id":"a1","status":"Meeting","ongoingChats":"0"},{"id":"a2","status":"Away"},{"id":"a3","status":"offline","ongoingChats":1}],
			"directory":[{"id":"A1","firstName":"Mei","lastName":"Lin","email":"mei@x.com"},{"id":"a2","name":"Old Name"}]}`
		ev := decodeJSON(t, event.Comm100, HintAgents, body)
		checkEqual(t, "agents", ev.SnapshotAgents, []event.Agent{
			{ID: "a1", Name: "Mei Lin", Email: "mei@x.com", Status: event.AgentAway, StatusName: "Meeting"},
			{ID: "a2", Name: "Old Name", Status: event.AgentAway, StatusName: "Away"},
			{ID: "a3", Status: event.AgentOffline, StatusName: "offline", OngoingChats: 1},
		})
	})
	t.Run("empty", func(t *testing.T) {
		ev := decodeJSON(t, event.Comm100, HintAgents, `{"agents":[]}`)
		if ev.Kind != event.AgentsSnapshot || ev.SnapshotAgents == nil || len(ev.SnapshotAgents) != 0 {
			t.Errorf("empty snapshot: kind %q agents %#v, want an empty non-nil list", ev.Kind, ev.SnapshotAgents)
		}
	})
}

// specVisitor is the GET livechat/visitors example of the Comm100 API page
// (spec 002_cfe2983098da6311.txt), verbatim.
const specVisitor = `{ "id": "3d59f909-24cd-43bc-89cb-00a320617c0a", "status": "inSite", "browser": "Google Chrome 86.0.4240.75", "operatingSystem": "Windows 8.1", "screenResolution": "1680x1050", "language": "en-US", "ip": "192.168.2.128", "country": "China", "state": "Zhejiang", "city": "Hangzhou", "timeZone": "GMT +08:00", "visitTime": "2021-05-26T10:30:16.036Z", "firstVisitTime": "2021-05-26T10:31:29.597Z", "visits": 1, "chats": 0, "pageViews": 1, "currentBrowsing": "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=22f0b296-69e9-4b81-abe4-4bb9ed5ec9ef&siteId=10000&q=1622025088751", "referrerUrl": "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=22f0b296-69e9-4b81-abe4-4bb9ed5ec9ef&siteId=10000", "name": "192.168.2.128", "email": "123@comm100.com", "phone": "1234567890123", "company": "comm", "productService": "LA", "departmentId": "00000000-0000-0000-0000-000000000000", "searchEngine": "Google", "searchKeywords": "com", "landingPage": "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=22f0b296-69e9-4b81-abe4-4bb9ed5ec9ef&siteId=10000&q=1622025088751", "customFields": [], "customVariableResults": [ { "name": "CARLZHOU222SHENTI", "value": "11123123123", "url": "" }, { "name": "fccc", "value": "520", "url": "" } ] }`

func TestVisitorsSnapshot(t *testing.T) {
	ev := decodeJSON(t, event.Comm100, HintVisitors, `{"visitors":[`+specVisitor+`]}`)
	page := "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=22f0b296-69e9-4b81-abe4-4bb9ed5ec9ef&siteId=10000&q=1622025088751"
	checkEqual(t, "event", strip(ev), event.Event{
		Source: event.Comm100, Kind: event.VisitorsSnapshot, VendorEvent: HintVisitors, ReceivedAt: received,
		SnapshotVisitors: []event.Visitor{{
			ID:           "3d59f909-24cd-43bc-89cb-00a320617c0a",
			Name:         "192.168.2.128",
			Email:        "123@comm100.com",
			Phone:        "1234567890123",
			Company:      "comm",
			State:        event.VisitorInSite,
			StatusName:   "inSite",
			IP:           "192.168.2.128",
			Location:     "Hangzhou, Zhejiang, China",
			Browser:      "Google Chrome 86.0.4240.75",
			OS:           "Windows 8.1",
			Language:     "en-US",
			TimeZone:     "GMT +08:00",
			CurrentPage:  page,
			Referrer:     "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=22f0b296-69e9-4b81-abe4-4bb9ed5ec9ef&siteId=10000",
			LandingPage:  page,
			SearchEngine: "Google",
			Keywords:     "com",
			Visits:       1,
			Chats:        0,
			PageViews:    1,
			VisitTime:    time.Date(2021, 5, 26, 10, 30, 16, 36e6, time.UTC),
			FirstVisit:   time.Date(2021, 5, 26, 10, 31, 29, 597e6, time.UTC),
			// departmentId is the all-zero GUID: no department.
			Variables: []event.Field{
				{Name: "CARLZHOU222SHENTI", Value: "11123123123"},
				{Name: "fccc", Value: "520"},
			},
		}},
	})

	t.Run("department names from departments", func(t *testing.T) {
		ev := decodeJSON(t, event.Comm100, HintVisitors, `{"visitors":[{"id":"v1","departmentId":"c47c5e3a-0a3b-4aa5-98ea-cec0ae5ab7b9"},{"id":"v2","departmentId":"00000000-0000-0000-0000-000000000000"},{"id":"v3","departmentId":"11111111-0a3b-4aa5-98ea-cec0ae5ab7b9"}],
			"departments":[{"id":"C47C5E3A-0A3B-4AA5-98EA-CEC0AE5AB7B9","name":"Sales"}]}`)
		checkEqual(t, "visitors", ev.SnapshotVisitors, []event.Visitor{
			{ID: "v1", Department: &event.Department{ID: "c47c5e3a-0a3b-4aa5-98ea-cec0ae5ab7b9", Name: "Sales"}},
			{ID: "v2"},
			{ID: "v3", Department: &event.Department{ID: "11111111-0a3b-4aa5-98ea-cec0ae5ab7b9"}},
		})
	})
	t.Run("department, custom fields, waiting", func(t *testing.T) {
		ev := decodeJSON(t, event.Comm100, HintVisitors, `{"visitors":[{"id":"v2","status":"waitingForChat","departmentId":"c47c5e3a-0a3b-4aa5-98ea-cec0ae5ab7b9","customFields":[{"name":"Order","value":"A1","url":"https://crm/A1"}],"visitTime":"/Date(1700000000000)/"}]}`)
		checkEqual(t, "visitors", ev.SnapshotVisitors, []event.Visitor{{
			ID: "v2", State: event.VisitorWaiting, StatusName: "waitingForChat",
			Department: &event.Department{ID: "c47c5e3a-0a3b-4aa5-98ea-cec0ae5ab7b9"},
			Fields:     []event.Field{{Name: "Order", Value: "A1", URL: "https://crm/A1"}},
			VisitTime:  ms(1700000000000),
		}})
		if !ev.SnapshotVisitors[0].State.Waiting() {
			t.Error("waitingForChat is not Waiting()")
		}
	})
}

// specVisitorEvent is what specVisitor decodes to.
func specVisitorEvent() event.Visitor {
	page := "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=22f0b296-69e9-4b81-abe4-4bb9ed5ec9ef&siteId=10000&q=1622025088751"
	return event.Visitor{
		ID: "3d59f909-24cd-43bc-89cb-00a320617c0a", Name: "192.168.2.128", Email: "123@comm100.com",
		Phone: "1234567890123", Company: "comm", State: event.VisitorInSite, StatusName: "inSite",
		IP: "192.168.2.128", Location: "Hangzhou, Zhejiang, China", Browser: "Google Chrome 86.0.4240.75",
		OS: "Windows 8.1", Language: "en-US", TimeZone: "GMT +08:00", CurrentPage: page,
		Referrer:    "https://dash11.comm100.io/frontEnd/assets/livechat/previewpage/?campaignId=22f0b296-69e9-4b81-abe4-4bb9ed5ec9ef&siteId=10000",
		LandingPage: page, SearchEngine: "Google", Keywords: "com", Visits: 1, PageViews: 1,
		VisitTime:  time.Date(2021, 5, 26, 10, 30, 16, 36e6, time.UTC),
		FirstVisit: time.Date(2021, 5, 26, 10, 31, 29, 597e6, time.UTC),
		Variables:  []event.Field{{Name: "CARLZHOU222SHENTI", Value: "11123123123"}, {Name: "fccc", Value: "520"}},
	}
}

// TestActionAnswers decodes the journalled answers of PUT livechat/agents/{id}
// and PUT livechat/visitors/{id}, as the spec page shows them.
func TestActionAnswers(t *testing.T) {
	ev := decodeJSON(t, event.Comm100, HintAgentStatus, `{ "id": "c97a2afe-a38f-46f8-a55b-8ac9f873cd09", "status": "Meeting", "ongoingChats": 0 }`)
	checkEqual(t, "agent status", strip(ev), event.Event{
		Source: event.Comm100, Kind: event.AgentStatusChanged, VendorEvent: HintAgentStatus, ReceivedAt: received,
		Agents: []event.Agent{{ID: "c97a2afe-a38f-46f8-a55b-8ac9f873cd09", Status: event.AgentAway, StatusName: "Meeting"}},
	})
	ev = decodeJSON(t, event.Comm100, HintAgentStatus, `{"id":"a1","status":"Online","ongoingChats":3}`)
	checkEqual(t, "agent online", ev.Agents, []event.Agent{{ID: "a1", Status: event.AgentOnline, StatusName: "Online", OngoingChats: 3}})

	want := specVisitorEvent()
	ev = decodeJSON(t, event.Comm100, HintVisitor, specVisitor)
	checkEqual(t, "visitor", strip(ev), expected(event.Event{Kind: event.VisitorUpdated, VendorEvent: HintVisitor, Visitor: &want}, event.Comm100))

	for _, tt := range []struct{ hint, body, field string }{
		{HintAgentStatus, `{"status":"Online"}`, "id"},
		{HintAgentStatus, `{"id":{},"status":"Online"}`, "id"},
		{HintAgentStatus, `{"id":"a","status":"Online","ongoingChats":"x"}`, "ongoingChats"},
		{HintVisitor, `{"name":"x"}`, "id"},
		{HintVisitor, `{"id":"v","visitTime":"later"}`, "visitTime"},
	} {
		if e := decodeErr(t, event.Comm100, tt.hint, tt.body); e.Field != tt.field {
			t.Errorf("%s %s: Field = %q, want %q", tt.hint, tt.body, e.Field, tt.field)
		}
	}
}

// ---------------------------------------------------------------------------
// Fields the fixtures leave empty.

func TestFieldCoverage(t *testing.T) {
	tests := []struct {
		name string
		src  event.Source
		hint string
		body string
		want event.Event
	}{
		{
			name: "comm100 chat_ended with every field",
			src:  event.Comm100,
			body: `{"event":"chat_ended",
			  "visitor":{"id":"v1","name":"Zoe","email":"zoe@example.com","phone":"+1 555","company":"Acme","status":"chatting",
			    "ip":"10.0.0.1","city":"Paris","country":"France","browser":"Safari","operating_system":"macOS","language":"fr",
			    "time_zone":"GMT 01:00","current_browsing":"https://a/cur","referrer_url":"https://ref","landing_page":"https://land",
			    "search_engine":"Google","keywords":"chat app","visits":"4","chats":2,"page_views":"11",
			    "first_visit_time":"/Date(1584000000000)/","visit_time":"2020-03-17T09:00:00Z","chat_id":"ch-1",
			    "department_id":"{C47C5E3A-0A3B-4AA5-98EA-CEC0AE5AB7B9}",
			    "custom_fields":[{"id":"f1","name":"Plan","value":"gold","url":"https://crm/f1"}],
			    "customVariables":[{"key":"cart","content":"2"}]},
			  "chat":{"id":"ch-1","start_time":1584435600000,"end_time":"1584436500","operator_comment":"VIP customer",
			    "waiting_time":"1h 2m 3s","attachments":{"name":"a.txt","url":"https://f/a.txt"},
			    "operators":[{"operator_id":"op-9","name":"Walid","email":"w@example.com"}],"rating":"2","rating_comment":"slow",
			    "wrap_up":{"category":"Sales","comment":"follow up","fields":[{"field_id":9,"name":"Lead","value":"hot"}],"time":"/Date(1584436600000)/"}}}`,
			want: event.Event{
				Kind: event.ChatEnded, VendorEvent: "chat_ended", OccurredAt: ms(1584436500000), ChatID: "ch-1",
				Department: &event.Department{ID: "C47C5E3A-0A3B-4AA5-98EA-CEC0AE5AB7B9"},
				Visitor: &event.Visitor{
					ID: "v1", Name: "Zoe", Email: "zoe@example.com", Phone: "+1 555", Company: "Acme",
					State: event.VisitorChatting, StatusName: "chatting",
					Department: &event.Department{ID: "C47C5E3A-0A3B-4AA5-98EA-CEC0AE5AB7B9"},
					IP:         "10.0.0.1", Location: "Paris, France", Browser: "Safari", OS: "macOS", Language: "fr",
					TimeZone: "GMT 01:00", CurrentPage: "https://a/cur", Referrer: "https://ref", LandingPage: "https://land",
					SearchEngine: "Google", Keywords: "chat app", Visits: 4, Chats: 2, PageViews: 11,
					FirstVisit: ms(1584000000000), VisitTime: time.Date(2020, 3, 17, 9, 0, 0, 0, time.UTC), ChatID: "ch-1",
					Fields:    []event.Field{{ID: "f1", Name: "Plan", Value: "gold", URL: "https://crm/f1"}},
					Variables: []event.Field{{Name: "cart", Value: "2"}},
				},
				Chat: &event.ChatInfo{
					StartedAt: ms(1584435600000), EndedAt: sec(1584436500),
					Wait: time.Hour + 2*time.Minute + 3*time.Second, HasWait: true, Comment: "VIP customer",
					Attachments: []event.Attachment{{Name: "a.txt", URL: "https://f/a.txt"}},
				},
				Agents: []event.Agent{{ID: "op-9", Name: "Walid", Email: "w@example.com"}},
				Rating: &event.Rating{Sentiment: event.Bad, Value: "2", Comment: "slow"},
				WrapUp: &event.WrapUp{Category: "Sales", Comment: "follow up", Fields: []event.Field{{ID: "9", Name: "Lead", Value: "hot"}}, At: ms(1584436600000)},
			},
		},
		{
			name: "comm100 chat fields fill a visitor the payload lacks",
			src:  event.Comm100,
			body: `{"event":"chat_started","chat":{"id":"c2","name":"Ann","email":"ann@x.com","phone":"123","rating":"3","department":"Sales"}}`,
			want: event.Event{
				Kind: event.ChatStarted, VendorEvent: "chat_started", ChatID: "c2",
				Department: &event.Department{Name: "Sales"},
				Visitor:    &event.Visitor{Name: "Ann", Email: "ann@x.com", Phone: "123"},
				Chat:       &event.ChatInfo{},
				Rating:     &event.Rating{Sentiment: event.Neutral, Value: "3"},
			},
		},
		{
			name: "comm100 custom away status with agent details",
			src:  event.Comm100,
			body: `{"event":"Meeting","operator_id":"A1","operator_name":"Walid","operator_email":"w@x.com","time":"/Date(1584416219323)/"}`,
			want: event.Event{
				Kind: event.AgentStatusChanged, VendorEvent: "Meeting", OccurredAt: ms(1584416219323),
				Agents: []event.Agent{{ID: "A1", Name: "Walid", Email: "w@x.com", Status: event.AgentAway, StatusName: "Meeting"}},
			},
		},
		{
			name: "comm100 logout with agent_id",
			src:  event.Comm100,
			body: `{"event":"LOGOUT","agent_id":7}`,
			want: event.Event{
				Kind: event.AgentStatusChanged, VendorEvent: "LOGOUT",
				Agents: []event.Agent{{ID: "7", Status: event.AgentOffline, StatusName: "LOGOUT"}},
			},
		},
		{
			name: "comm100 offline message without a visitor object",
			src:  event.Comm100,
			body: `{"event":"offline_message","offline_message":{"id":"om1","visitor_id":"v9","name":"Ann","email":"a@x.com","phone":"1","company":"Co",
			  "subject":"S","message":"hello","department":"Sales","attachment":[{"name":"x","url":"u"}],
			  "custom_fields":[{"id":1,"name":"Order","value":"7"}],"submit_time":"2020-03-17T09:00:00+02:00"}}`,
			want: event.Event{
				Kind: event.OfflineMessage, VendorEvent: "offline_message",
				OccurredAt: time.Date(2020, 3, 17, 9, 0, 0, 0, time.FixedZone("", 2*3600)),
				Department: &event.Department{Name: "Sales"},
				Visitor:    &event.Visitor{ID: "v9", Name: "Ann", Email: "a@x.com", Phone: "1", Company: "Co", Fields: []event.Field{{ID: "1", Name: "Order", Value: "7"}}},
				Offline:    &event.Offline{ID: "om1", Name: "Ann", Email: "a@x.com", Phone: "1", Subject: "S", Text: "hello", Attachments: []event.Attachment{{Name: "x", URL: "u"}}},
			},
		},
		{
			name: "jivo chat_finished with every field",
			src:  event.JivoChat,
			body: `{"event_name":"chat_finished","chat_id":"55","user_token":"tok-1",
			  "client":{"id":77,"name":"Ann","email":"ann@x.com","phone":"+33","description":"vip","chats_count":"3"},
			  "agents":[{"id":2224,"name":"Thomas"},{"id":"6149","name":"Ivan","email":"ivan@x.com","phone":"+7"}],
			  "department":{"name":"Support"},
			  "chat":{"blacklisted":true,"rate":"negative","messages":[
			    {"timestamp":1431955000,"type":"visitor","message":"hi"},
			    {"timestamp":"1431955090","type":"AGENT","agent_id":6149,"message":"hello"}]},
			  "page":{"url":"https://p","title":"T"},
			  "session":{"geoip":{"country":"France","city":"Lyon","extra":1},"ip_addr":"1.2.3.4","user_agent":"UA"}}`,
			want: event.Event{
				Kind: event.ChatEnded, VendorEvent: "chat_finished", ChatID: "55", MessagesTimed: true,
				Department: &event.Department{Name: "Support"},
				Visitor: &event.Visitor{
					ID: "77", Number: "77", UserToken: "tok-1", Name: "Ann", Email: "ann@x.com", Phone: "+33",
					Description: "vip", Chats: 3, IP: "1.2.3.4", Browser: "UA", Location: "Lyon, France",
					CurrentPage: "https://p", Department: &event.Department{Name: "Support"},
				},
				Agents:     []event.Agent{{ID: "2224", Name: "Thomas"}, {ID: "6149", Name: "Ivan", Email: "ivan@x.com", Phone: "+7"}},
				Chat:       &event.ChatInfo{StartedAt: sec(1431955000), EndedAt: sec(1431955090), Blacklisted: true},
				OccurredAt: sec(1431955090),
				Messages: []event.Message{
					{At: sec(1431955000), From: event.FromVisitor, Name: "Ann", Text: "hi"},
					{At: sec(1431955090), From: event.FromAgent, Name: "Ivan", UserID: "6149", Text: "hello"},
				},
				Rating: &event.Rating{Sentiment: event.Bad, Value: "negative"},
			},
		},
		{
			name: "jivo positive rate",
			src:  event.JivoChat,
			body: `{"event_name":"chat_finished","chat_id":1,"chat":{"rate":"positive"}}`,
			want: event.Event{
				Kind: event.ChatEnded, VendorEvent: "chat_finished", ChatID: "1", Visitor: &event.Visitor{},
				Chat: &event.ChatInfo{}, Rating: &event.Rating{Sentiment: event.Good, Value: "positive"},
			},
		},
		{
			name: "jivo client_updated known by user token only",
			src:  event.JivoChat,
			body: `{"event_name":"client_updated","user_token":"abc","visitor":{"name":"B"}}`,
			want: event.Event{
				Kind: event.VisitorUpdated, VendorEvent: "client_updated",
				Visitor: &event.Visitor{ID: "token:abc", UserToken: "abc", Name: "B"},
			},
		},
		{
			name: "jivo client_attribute_updated",
			src:  event.JivoChat,
			body: `{"event_name":"client_attribute_updated","visitor":{"number":"12"}}`,
			want: event.Event{Kind: event.VisitorUpdated, VendorEvent: "client_attribute_updated", Visitor: &event.Visitor{ID: "12", Number: "12"}},
		},
		{
			name: "jivo call error with reason",
			src:  event.JivoChat,
			body: `{"event_name":"call_event","call":{"type":"incoming","phone":"+1","status":"error","reason":"busy"}}`,
			want: event.Event{
				Kind: event.CallEvent, VendorEvent: "call_event", Visitor: &event.Visitor{},
				Call: &event.Call{Type: "incoming", Phone: "+1", Status: "error", Reason: "busy"},
			},
		},
		{
			name: "jivo offline_messages (documented default spelling)",
			src:  event.JivoChat,
			body: `{"event_name":"offline_messages","offline_message_id":9,"message":"m","visitor":{"name":"N","email":"e"}}`,
			want: event.Event{
				Kind: event.OfflineMessage, VendorEvent: "offline_messages",
				Visitor: &event.Visitor{Name: "N", Email: "e"},
				Offline: &event.Offline{ID: "9", Name: "N", Email: "e", Text: "m"},
			},
		},
		{
			name: "chatlio transcript with ts, traits object and visitor fallbacks",
			src:  event.Chatlio, hint: "transcript",
			body: `{"conversationUUID":"c1","extraData":"solo","visitorEmail":"v@x.com","visitorName":"Vee","agentEmail":"a@x.com","chatRating":"down",
			  "messages":[{"text":"hey","ts":"1469725409.000005","isVisitorMsg":"true","username":"v"},{"text":"yo","userId":"U1","username":"A"}],
			  "visitor":{"UUID":"u1","identUserId":"42","identTraits":{"plan":"pro"}}}`,
			want: event.Event{
				Kind: event.ChatEnded, VendorEvent: "transcript", ChatID: "c1",
				Visitor: &event.Visitor{ID: "u1", Name: "Vee", Email: "v@x.com", Fields: []event.Field{{Name: "identUserId", Value: "42"}, {Name: "plan", Value: "pro"}}},
				Chat:    &event.ChatInfo{Tags: []string{"solo"}},
				Agents:  []event.Agent{{ID: "U1", Email: "a@x.com"}},
				Messages: []event.Message{
					{At: time.Unix(1469725409, 5000).UTC(), From: event.FromVisitor, Name: "v", Text: "hey"},
					{From: event.FromAgent, Name: "A", UserID: "U1", Text: "yo"},
				},
				Rating: &event.Rating{Sentiment: event.Bad, Value: "down"},
			},
		},
		{
			name: "chatlio transcript agent known by email, then by name",
			src:  event.Chatlio, hint: "transcript",
			body: `{"conversationUUID":"c1","agentName":"Some One"}`,
			want: event.Event{
				Kind: event.ChatEnded, VendorEvent: "transcript", ChatID: "c1", Visitor: &event.Visitor{},
				Chat: &event.ChatInfo{}, Agents: []event.Agent{{ID: "Some One", Name: "Some One"}},
			},
		},
		{
			name: "chatlio feedback with a rating",
			src:  event.Chatlio, hint: "feedback",
			body: `{"channelId":"C1","chatRating":"up","chatFeedback":"great","visitor":{"uuid":"u","name":"Kim","email":"k@x.com","referrerURL":"https://r"}}`,
			want: event.Event{
				Kind: event.Feedback, VendorEvent: "feedback", ChatID: "C1",
				Visitor: &event.Visitor{ID: "u", Name: "Kim", Email: "k@x.com", Referrer: "https://r"},
				Rating:  &event.Rating{Sentiment: event.Good, Value: "up", Comment: "great"},
			},
		},
		{
			name: "chatlio conversation known by slackChannelId only",
			src:  event.Chatlio, hint: "unanswered",
			body: `{"slackChannelId":"C1XPVTNKR"}`,
			want: event.Event{Kind: event.VisitorUnanswered, VendorEvent: "unanswered", ChatID: "C1XPVTNKR", Visitor: &event.Visitor{}},
		},
		{
			name: "chatlio offline message without a visitor",
			src:  event.Chatlio, hint: "offline-message",
			body: `{"name":"Bob","email":"bob@x.com","message":"hello"}`,
			want: event.Event{
				Kind: event.OfflineMessage, VendorEvent: "offline-message",
				Visitor: &event.Visitor{Name: "Bob", Email: "bob@x.com"},
				Offline: &event.Offline{Name: "Bob", Email: "bob@x.com", Text: "hello"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := decodeJSON(t, tt.src, tt.hint, tt.body)
			checkEqual(t, "event", strip(ev), expected(tt.want, tt.src))
		})
	}
}

// TestMessagesTimed: MessagesTimed is set when every message has a time,
// and only then (the board relies on it to skip checking them).
func TestMessagesTimed(t *testing.T) {
	for _, c := range []struct {
		name, msgs string
		want       bool
	}{
		{"all timed", `{"timestamp":1431955000,"type":"visitor","message":"hi"},{"timestamp":1431955090,"type":"agent","message":"hello"}`, true},
		{"one without a time", `{"timestamp":1431955000,"type":"visitor","message":"hi"},{"type":"agent","message":"hello"}`, false},
		{"no messages", ``, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := `{"event_name":"chat_finished","chat_id":"55","chat":{"messages":[` + c.msgs + `]}}`
			ev, err := Decode(Input{Source: event.JivoChat, Body: []byte(body)})
			if err != nil {
				t.Fatal(err)
			}
			if ev.MessagesTimed != c.want {
				t.Errorf("MessagesTimed = %v, want %v (%d messages)", ev.MessagesTimed, c.want, len(ev.Messages))
			}
		})
	}
}
