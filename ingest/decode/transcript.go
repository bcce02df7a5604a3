package decode

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// TranscriptSeparator separates the lines of a Comm100 chat_transcript.
const TranscriptSeparator = "⊙"

var (
	stampedLine = regexp.MustCompile(`(?s)^\[(\d{1,2}:\d{2}(?::\d{2})?)\]\s*(.*)$`)
	trailClock  = regexp.MustCompile(`\((\d{1,2}:\d{2}(?::\d{2})?)\)\s*$`)
	joinedLine  = regexp.MustCompile(`^(?:Agent|Operator)\s+(.+?)\s+has joined`)
)

// transcriptLines splits a transcript at ⊙ when it has one (a newline in
// it is then inside a message), else at newlines: real ones, and the
// two characters \n that some sites' transcripts carry, escaped twice.
func transcriptLines(s string) []string {
	if strings.Contains(s, TranscriptSeparator) {
		return strings.Split(s, TranscriptSeparator)
	}
	s = strings.ReplaceAll(s, `\r\n`, "\n")
	s = strings.ReplaceAll(s, `\n`, "\n")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(s, "\n")
}

// ParseTranscript splits a Comm100 chat_transcript into messages. Lines are
// separated by ⊙, or (where a site sends none) by newlines, real or
// written as a literal backslash-n. "[03:30:01] Walid: text" is a message
// from Walid; lines without a leading time are system lines, and may end with a time in
// parentheses ("The chat is ended.(03:36:59)").
//
// A speaker is an agent if named in agents or in an "Agent X has joined"
// line, the visitor if it is visitorName, and otherwise the visitor.
//
// The printed times are times of day in the site's zone. When the end line
// carries a time and end is known, the zone's offset is worked out from the
// two; each message's At is then the instant nearest the chat's span
// [start, end] with that time of day, and lines without a time take the
// time of the line before them (the chat's start, before the first). Without
// an anchor At stays zero and only Clock is set.
func ParseTranscript(s string, start, end time.Time, visitorName string, agents []string) []event.Message {
	agentSet := make(map[string]bool, len(agents))
	for _, a := range agents {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			agentSet[a] = true
		}
	}
	visitor := strings.ToLower(strings.TrimSpace(visitorName))
	var out []event.Message
	for _, line := range transcriptLines(s) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if m := stampedLine.FindStringSubmatch(line); m != nil {
			name, text, ok := strings.Cut(m[2], ": ")
			if !ok {
				out = append(out, event.Message{Clock: m[1], From: event.FromSystem, Text: m[2]})
				continue
			}
			name = strings.TrimSpace(name)
			from := event.FromVisitor
			if key := strings.ToLower(name); agentSet[key] && key != visitor {
				from = event.FromAgent
			}
			out = append(out, event.Message{Clock: m[1], From: from, Name: name, Text: text})
			continue
		}
		msg := event.Message{From: event.FromSystem, Text: line}
		if m := trailClock.FindStringSubmatchIndex(line); m != nil {
			msg.Clock = line[m[2]:m[3]]
			msg.Text = strings.TrimSpace(line[:m[0]])
		}
		if m := joinedLine.FindStringSubmatch(line); m != nil {
			agentSet[strings.ToLower(m[1])] = true
		}
		out = append(out, msg)
	}
	// Speakers named in a later "has joined" line are agents too.
	for i := range out {
		if out[i].From == event.FromVisitor && agentSet[strings.ToLower(out[i].Name)] && strings.ToLower(out[i].Name) != visitor {
			out[i].From = event.FromAgent
		}
	}
	resolveClocks(out, start, end)
	return out
}

// resolveClocks sets At on messages from their Clock, as described above.
func resolveClocks(msgs []event.Message, start, end time.Time) {
	anchor := end
	var anchorClock string
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Clock != "" {
			anchorClock = msgs[i].Clock
			break
		}
	}
	if anchor.IsZero() || anchorClock == "" {
		return
	}
	if start.IsZero() || start.After(end) {
		start = end
	}
	ac, ok := clockSeconds(anchorClock)
	if !ok {
		return
	}
	utc := end.UTC()
	endSec := utc.Hour()*3600 + utc.Minute()*60 + utc.Second()
	// Offset of the printed clock from UTC, in [-12h, +14h), to 15 minutes.
	off := ((ac-endSec)%86400 + 86400) % 86400
	if off >= 14*3600 {
		off -= 86400
	}
	off = int((time.Duration(off) * time.Second).Round(15*time.Minute) / time.Second)
	zone := time.FixedZone("", off)
	localEnd := end.In(zone)
	for i := range msgs {
		sec, ok := clockSeconds(msgs[i].Clock)
		if !ok {
			continue
		}
		day := time.Date(localEnd.Year(), localEnd.Month(), localEnd.Day(), 0, 0, 0, 0, zone)
		best, bestDist := time.Time{}, time.Duration(1<<62)
		for d := -1; d <= 1; d++ {
			t := day.AddDate(0, 0, d).Add(time.Duration(sec) * time.Second)
			if dist := distance(t, start, end.Add(time.Second)); dist < bestDist {
				best, bestDist = t, dist
			}
		}
		msgs[i].At = best.UTC()
	}
	// Lines without a time (system lines) take the time of the line before,
	// or, before any timed line, the chat's start.
	prev := start
	for i := range msgs {
		if msgs[i].At.IsZero() {
			msgs[i].At = prev
		} else {
			prev = msgs[i].At
		}
	}
}

func distance(t, lo, hi time.Time) time.Duration {
	switch {
	case t.Before(lo):
		return lo.Sub(t)
	case t.After(hi):
		return t.Sub(hi)
	}
	return 0
}

func clockSeconds(clock string) (int, bool) {
	parts := strings.Split(clock, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	total := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (i == 0 && n > 23) || (i > 0 && n > 59) {
			return 0, false
		}
		total = total*60 + n
	}
	if len(parts) == 2 {
		total *= 60
	}
	return total, true
}
