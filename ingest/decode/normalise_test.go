package decode

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/event"
)

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func TestNormalise(t *testing.T) {
	const jose = `{"name":"José","note":"naïve — ok €"}`
	tests := []struct {
		name        string
		body        []byte
		contentType string
		want        string
	}{
		{"plain UTF-8", []byte(jose), "application/json", jose},
		{"UTF-8 labelled", []byte(jose), "application/json; charset=utf-8", jose},
		{"surrounding whitespace", []byte(" \r\n\t" + jose + "\n\n"), "", jose},
		{"UTF-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, jose...), "", jose},
		{"UTF-8 BOM and whitespace", append([]byte{0xEF, 0xBB, 0xBF, ' ', '\n'}, jose...), "application/json", jose},
		{"UTF-16LE with BOM", utf16Bytes(jose, false, true), "", jose},
		{"UTF-16BE with BOM", utf16Bytes(jose, true, true), "", jose},
		{"UTF-16LE with BOM, labelled utf-16", utf16Bytes(jose, false, true), "application/json; charset=utf-16", jose},
		{"UTF-16LE without BOM", utf16Bytes(jose, false, false), "", jose},
		{"UTF-16BE without BOM", utf16Bytes(jose, true, false), "", jose},
		{"Latin-1 labelled", []byte("{\"name\":\"Jos\xe9\",\"city\":\"M\xfcnchen\"}"), "application/json; charset=iso-8859-1", `{"name":"José","city":"München"}`},
		{"Latin-1 labelled, other spelling", []byte("{\"name\":\"Jos\xe9\"}"), "application/json; charset=\"ISO-8859-1\"", `{"name":"José"}`},
		{"latin1 label", []byte("{\"name\":\"Jos\xe9\"}"), "text/plain; charset=latin1", `{"name":"José"}`},
		{"Windows-1252 labelled", []byte("{\"q\":\"\x93hi\x94 \x80\"}"), "application/json; charset=windows-1252", `{"q":"“hi” €"}`},
		{"Windows-1252 unlabelled", []byte("{\"name\":\"Jos\xe9\",\"q\":\"\x93hi\x94 \x80\"}"), "", `{"name":"José","q":"“hi” €"}`},
		{"Windows-1252 mislabelled utf-8", []byte("{\"name\":\"Jos\xe9\"}"), "application/json; charset=utf-8", `{"name":"José"}`},
		{"UTF-8 BOM before Windows-1252 bytes", []byte("\xef\xbb\xbf{\"name\":\"Jos\xe9\"}"), "", `{"name":"José"}`},
		{"ISO-8859-15 labelled", []byte("{\"p\":\"\xa4\"}"), "application/json; charset=iso-8859-15", `{"p":"€"}`},
		{"unparseable content type ignored", []byte(jose), "application/json; charset", jose},
		{"line comment after a value", []byte("{\"a\": 1, // one\n \"b\": \"http://x/y\"}"), "", "{\"a\": 1, \n \"b\": \"http://x/y\"}"},
		{"leading line comment", []byte("// sample\n{\"a\":1}"), "", `{"a":1}`},
		{"leading block comment", []byte("/* sample */ {\"a\":1}"), "", `{"a":1}`},
		{"trailing comment", []byte("{\"a\":1} // done"), "", `{"a":1}`},
		{"block comment inside", []byte("{\"a\":/* one */1}"), "", `{"a": 1}`},
		{"comment-like text in strings kept", []byte("{\"u\":\"http://x\",\"c\":\"/* no */\"} // yes"), "", `{"u":"http://x","c":"/* no */"}`},
		{"escaped quote before comment", []byte(`{"q":"say \"hi\" // not a comment"} // a comment`), "", `{"q":"say \"hi\" // not a comment"}`},
		{"valid JSON untouched", []byte(`{"u":"//x"}`), "", `{"u":"//x"}`},
		{"unterminated block comment after the object is dropped", []byte(`{"a":1} /* oops`), "", `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalise(tt.body, tt.contentType)
			if err != nil {
				t.Fatalf("Normalise: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Normalise = %q, want %q", got, tt.want)
			}
			if !utf8.Valid(got) || !json.Valid(got) {
				t.Errorf("output is not valid UTF-8 JSON: %q", got)
			}
		})
	}
}

func TestNormaliseChatlioTranscriptComment(t *testing.T) {
	raw := fixtures.MustRead("chatlio/transcript.json")
	if json.Valid(raw) {
		t.Fatal("the fixture is meant to be invalid JSON")
	}
	got, err := Normalise(raw, "application/json")
	if err != nil {
		t.Fatalf("Normalise: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatalf("normalised transcript is not JSON: %v", err)
	}
	if m["replyToEmail"] != "no-reply@chatlio.com" || m["visitorName"] != "costa-mesa-california-us-133" {
		t.Errorf("keys around the comment lost: replyToEmail %v visitorName %v", m["replyToEmail"], m["visitorName"])
	}
	if strings.Contains(string(got), "We use the visitor email") {
		t.Error("the comment is still there")
	}
}

func TestNormaliseErrors(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string // in the message
	}{
		{"nil", nil, "empty"},
		{"empty", []byte(""), "empty"},
		{"whitespace only", []byte(" \r\n\t "), "empty"},
		{"BOM only", []byte{0xEF, 0xBB, 0xBF}, "empty"},
		{"null", []byte("null"), "got null"},
		{"null with spaces", []byte("  null \n"), "got null"},
		{"array", []byte(`[{"event":"chat_started"}]`), "got an array"},
		{"empty array", []byte(`[]`), "got an array"},
		{"string", []byte(`"chat_started"`), "got a string"},
		{"number", []byte(`42`), "got a number"},
		{"negative number", []byte(`-1.5e3`), "got a number"},
		{"boolean", []byte(`true`), "got a boolean"},
		{"UTF-16 null", utf16Bytes("null", false, true), "got null"},
		{"commented array", []byte("// list\n[1]"), "got an array"},
		{"truncated", []byte(`{"event":"chat_started","visitor":{"id":`), "invalid JSON"},
		{"truncated string", []byte(`{"event":"chat_sta`), "invalid JSON"},
		{"single quotes", []byte(`{'event':'x'}`), "invalid JSON"},
		{"plain text", []byte(`hello`), "invalid JSON"},
		{"two objects", []byte(`{} {}`), "invalid JSON"},
		{"unterminated block comment", []byte(`{"a":1, /* oops "b":2}`), "invalid JSON"},
		{"comment only", []byte(`// nothing`), "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalise(tt.body, "application/json")
			if err == nil {
				t.Fatalf("Normalise = %q, want an error", got)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is a %T, want *Error", err, err)
			}
			if !strings.Contains(e.Error(), tt.want) {
				t.Errorf("error %q does not say %q", e, tt.want)
			}
			if e.Field != "" {
				t.Errorf("Field = %q, want none for a body error", e.Field)
			}
		})
	}
	// A truncated body says where.
	_, err := Normalise([]byte(`{"event":"chat_started","visitor":{"id":`), "")
	if err == nil || !strings.Contains(err.Error(), "unexpected end of JSON input") {
		t.Errorf("truncated: %v, want it to say unexpected end of JSON input", err)
	}
	_, err = Normalise([]byte(`{"a":1,,}`), "")
	if err == nil || !strings.Contains(err.Error(), "at byte") {
		t.Errorf("syntax error: %v, want the byte offset", err)
	}
}

// TestNormaliseThenDecode runs encoded bodies through both steps.
func TestNormaliseThenDecode(t *testing.T) {
	tests := []struct {
		name        string
		body        []byte
		contentType string
	}{
		{"Latin-1 labelled", []byte("{\"event\":\"chat_started\",\"visitor\":{\"chat_id\":\"c\",\"name\":\"Jos\xe9\"}}"), "application/json; charset=iso-8859-1"},
		{"Windows-1252 unlabelled", []byte("{\"event\":\"chat_started\",\"visitor\":{\"chat_id\":\"c\",\"name\":\"Jos\xe9\"}}"), ""},
		{"UTF-16LE", utf16Bytes(`{"event":"chat_started","visitor":{"chat_id":"c","name":"José"}}`, false, true), ""},
		{"UTF-16BE", utf16Bytes(`{"event":"chat_started","visitor":{"chat_id":"c","name":"José"}}`, true, true), ""},
		{"BOM and escaped unicode", []byte("\xef\xbb\xbf{\"event\":\"chat_started\",\"visitor\":{\"chat_id\":\"c\",\"name\":\"Jos\\u00e9\"}}"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := Normalise(tt.body, tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Decode(Input{Source: event.Comm100, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			if ev.Visitor.Name != "José" {
				t.Errorf("name = %q, want José", ev.Visitor.Name)
			}
			if !utf8.Valid(ev.Raw) {
				t.Errorf("Raw is not UTF-8: %q", ev.Raw)
			}
		})
	}
}
