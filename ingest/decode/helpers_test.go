package decode

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// received is the ReceivedAt every test decode uses.
var received = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

var timeType = reflect.TypeFor[time.Time]()

// ms is a /Date(n)/ value as a UTC time.
func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

// sec is an epoch-seconds value as a UTC time.
func sec(n int64) time.Time { return time.Unix(n, 0).UTC() }

// zoned is t in a fixed zone of the given offset in minutes.
func zoned(t time.Time, name string, minutes int) time.Time {
	return t.In(time.FixedZone(name, minutes*60))
}

// rfc parses an RFC 3339 time for expectations; it panics on a typo.
func rfc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// diff lists every difference between got and want, by field path. Times are
// equal when they are the same instant with the same UTC offset; nil and
// empty slices are equal; everything else must be deeply equal.
func diff(got, want any) []string {
	var out []string
	diffValue("", reflect.ValueOf(got), reflect.ValueOf(want), &out)
	return out
}

func diffValue(path string, got, want reflect.Value, out *[]string) {
	if !got.IsValid() || !want.IsValid() {
		if got.IsValid() != want.IsValid() {
			*out = append(*out, fmt.Sprintf("%s: got %v, want %v", path, got, want))
		}
		return
	}
	if got.Type() == timeType {
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		_, goff := g.Zone()
		_, woff := w.Zone()
		if !g.Equal(w) || goff != woff {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, fmtTime(g), fmtTime(w)))
		}
		return
	}
	switch got.Kind() {
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, show(got), show(want)))
			}
			return
		}
		diffValue(path, got.Elem(), want.Elem(), out)
	case reflect.Slice:
		if got.Len() != want.Len() {
			*out = append(*out, fmt.Sprintf("%s: got %d items %s, want %d items %s", path, got.Len(), show(got), want.Len(), show(want)))
			return
		}
		for i := 0; i < got.Len(); i++ {
			diffValue(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i), out)
		}
	case reflect.Struct:
		for i := 0; i < got.NumField(); i++ {
			name := got.Type().Field(i).Name
			p := name
			if path != "" {
				p = path + "." + name
			}
			diffValue(p, got.Field(i), want.Field(i), out)
		}
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: got %#v, want %#v", path, got.Interface(), want.Interface()))
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "zero time"
	}
	return t.Format(time.RFC3339Nano)
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return "nil"
	}
	return fmt.Sprintf("%+v", v.Interface())
}

// checkEqual fails t with every difference between got and want.
func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); len(d) > 0 {
		t.Errorf("%s differs:\n  %s", what, strings.Join(d, "\n  "))
	}
}

// decodeJSON normalises and decodes one payload, failing t on any error.
func decodeJSON(t *testing.T, src event.Source, hint, body string) event.Event {
	t.Helper()
	b, err := Normalise([]byte(body), "application/json")
	if err != nil {
		t.Fatalf("Normalise: %v", err)
	}
	ev, err := Decode(Input{Source: src, Hint: hint, Body: b, ReceivedAt: received})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return ev
}

// decodeErr normalises and decodes a payload that must fail with an *Error.
func decodeErr(t *testing.T, src event.Source, hint, body string) *Error {
	t.Helper()
	b, err := Normalise([]byte(body), "application/json")
	if err != nil {
		t.Fatalf("Normalise: %v", err)
	}
	ev, err := Decode(Input{Source: src, Hint: hint, Body: b, ReceivedAt: received})
	if err == nil {
		t.Fatalf("Decode succeeded with kind %q, want an *Error", ev.Kind)
	}
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("Decode error %v (%T) is not an *Error", err, err)
	}
	return de
}

// expected is want as Decode returns it for a payload from src: with the
// source, the receipt time, and what its visitor knows noted.
func expected(want event.Event, src event.Source) event.Event {
	want.Source, want.ReceivedAt = src, received
	if want.Visitor != nil {
		want.VisitorKnows = want.Visitor.Known()
	}
	return want
}

// strip clears what the fixture expectations do not spell out.
func strip(ev event.Event) event.Event {
	ev.Raw = nil
	return ev
}
