package decode

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a vendor time in any form seen in the wild:
//   - "" (no time): the zero time;
//   - Microsoft JSON dates "/Date(1584415749307)/", also with escaped slashes
//     and with a WCF offset "/Date(1584415749307+0800)/" (the number is UTC; the
//     offset becomes the time's zone);
//   - bare epoch numbers, as numbers or strings, and Slack-style "secs.micros";
//   - RFC 3339 with or without fractional seconds, and ISO times without a zone
//     (read as UTC).
//
// Epoch integers are read by their number of digits, as the leading digits
// of a time of this century in milliseconds: up to 10 digits are seconds,
// 11 tenths and 12 hundredths of a second (a millisecond value cut short,
// as some Comm100 accounts send inside /Date()/), 13 to 15 milliseconds,
// 16 to 18 microseconds, 19 nanoseconds. Values at or below zero (.NET's
// DateTime.MinValue and friends) mean "no time".
func ParseTime(s string) (time.Time, error) {
	t, err := parseTime(s)
	if err != nil {
		return time.Time{}, err
	}
	// JSON and RFC 3339 carry four-digit years only: a time beyond them
	// could be read but never journalled or sent on.
	if y := t.Year(); !t.IsZero() && (y < 0 || y > 9999) {
		return time.Time{}, errors.New("time out of range " + strconv.Quote(truncate(strings.TrimSpace(s), 40)))
	}
	return t, nil
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if inner, ok := msDateInner(s); ok {
		return parseMSDate(inner)
	}
	if c := s[0]; c == '-' || c == '+' || (c >= '0' && c <= '9') {
		if len(s) < 8 || !strings.ContainsAny(s, "-:T ") || strings.IndexByte(s, '-') == 0 {
			if t, err := parseEpoch(s); err == nil {
				return t, nil
			}
		}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("unrecognised time " + strconv.Quote(truncate(s, 40)))
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
}

// msDateInner extracts what is between "Date(" and ")" of a Microsoft JSON
// date, allowing escaped or missing slashes.
func msDateInner(s string) (string, bool) {
	s = strings.Trim(s, `\/`)
	if !strings.HasPrefix(s, "Date(") || !strings.HasSuffix(s, ")") {
		return "", false
	}
	return s[len("Date(") : len(s)-1], true
}

func parseMSDate(inner string) (time.Time, error) {
	num, zone := inner, ""
	if i := strings.LastIndexAny(inner, "+-"); i > 0 {
		num, zone = inner[:i], inner[i:]
	}
	t, err := parseEpoch(num)
	if err != nil {
		return time.Time{}, errors.New("bad /Date()/ value " + strconv.Quote(truncate(inner, 40)))
	}
	if zone != "" && !t.IsZero() {
		if len(zone) != 5 {
			return time.Time{}, errors.New("bad /Date()/ offset " + strconv.Quote(zone))
		}
		h, err1 := strconv.Atoi(zone[1:3])
		m, err2 := strconv.Atoi(zone[3:5])
		if err1 != nil || err2 != nil || h > 14 || m > 59 {
			return time.Time{}, errors.New("bad /Date()/ offset " + strconv.Quote(zone))
		}
		off := h*3600 + m*60
		if zone[0] == '-' {
			off = -off
		}
		t = t.In(time.FixedZone(zone, off))
	}
	return t, nil
}

// parseEpoch reads an integer or decimal epoch value, unit by magnitude.
func parseEpoch(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty epoch value")
	}
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, errors.New("bad epoch value")
		}
		if f <= 0 {
			return time.Time{}, nil
		}
		if f >= 9e18 { // beyond int64 in any unit
			return time.Time{}, errors.New("epoch value out of range")
		}
		if f >= 1e10 { // a fractional value finer than seconds: read as an integer
			return epochInt(int64(f)), nil
		}
		sec, frac := math.Modf(f)
		if sec > math.MaxInt64/1e9 {
			return time.Time{}, errors.New("epoch value out of range")
		}
		return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, errors.New("bad epoch value")
	}
	if n <= 0 {
		return time.Time{}, nil
	}
	return epochInt(n), nil
}

func epochInt(n int64) time.Time {
	switch {
	case n < 1e10:
		return time.Unix(n, 0).UTC()
	case n < 1e11:
		return time.UnixMilli(n * 100).UTC()
	case n < 1e12:
		return time.UnixMilli(n * 10).UTC()
	case n < 1e15:
		return time.UnixMilli(n).UTC()
	case n < 1e18:
		return time.UnixMicro(n).UTC()
	default:
		return time.Unix(0, n).UTC()
	}
}

// The span of real vendor times: no chat platform sent a payload before
// 2000, a vendor clock may run ahead of chatdeck's but not by a day, and no
// zone is further than 14 hours from UTC (Kiribati).
var realFrom = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	maxAhead  = 24 * time.Hour
	maxOffset = 14 * 60 * 60 // seconds
)

// unreal says why t cannot be a real vendor time for a payload received at
// now, or "" if it can be. A zero now skips the check against the receipt.
func unreal(t, now time.Time) string {
	if _, off := t.Zone(); off > maxOffset || off < -maxOffset {
		return "has an offset beyond ±14:00"
	}
	if t.Before(realFrom) {
		return "is before 2000"
	}
	if !now.IsZero() && t.Sub(now) > maxAhead {
		return "is more than a day after its receipt"
	}
	return ""
}

// ParseWait reads Comm100's waiting_time: "0s ", "1m 5s", "1h 2m 3s", or a
// bare number of seconds.
func ParseWait(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 0 && n <= maxWaitSeconds {
		return time.Duration(n * float64(time.Second)), true
	}
	var total time.Duration
	for _, part := range strings.Fields(s) {
		if d, err := time.ParseDuration(part); err == nil && d >= 0 && d <= math.MaxInt64-total {
			total += d
			continue
		}
		return 0, false
	}
	return total, true
}

// maxWaitSeconds is the longest wait a time.Duration holds, in seconds.
const maxWaitSeconds = float64(math.MaxInt64 / int64(time.Second))

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
