package tui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/chatdeck/chatdeck/ingest/board"
)

// A List's rows are in the board's order unless the user picks a column to
// sort by (the sort key cycles through the columns that can sort, then
// back to the board's order) or reverses the order (the reverse key). The
// selection follows its row through a re-sort, as through any other move.

// isSorted reports whether the rows are in another order than the board's.
func (l *List[T]) isSorted() bool { return l.sortBy > 0 || l.desc }

// sortCache is a sorted list's rows from its last read: all of them, their
// places in order, and what they were read and sorted under.
type sortCache[T any] struct {
	all    []T
	at     []int
	stamp  any
	sortBy int
	desc   bool
	ok     bool
}

// listStamp is what a list's rows depend on besides the sort: the board and
// the last event it applied, the filters, and the minute (so that what
// turns with the day, such as today's figures at midnight, is read again
// within a minute).
type listStamp struct {
	board          *board.Board
	cursor, minute int64
	filter, dept   string
}

func newStamp(b *board.Board, now time.Time, filter, dept string) listStamp {
	return listStamp{board: b, cursor: b.Cursor(), minute: now.Unix() / 60, filter: filter, dept: dept}
}

// sortColumn is the column the rows are sorted by, or nil.
func (l *List[T]) sortColumn() *Column[T] {
	if l.sortBy < 1 || l.sortBy > len(l.Columns) {
		return nil
	}
	return &l.Columns[l.sortBy-1]
}

// sortRows reads every row with scan, in the chosen order, and returns a
// fetch and a scan over them. The rows and their order are kept for the
// next read under the same stamp and sort: what a row shows that changes
// with the clock alone (a wait, a time in status) is drawn from the clock,
// and a time's order does not change as the clock runs.
func (l *List[T]) sortRows(scan scanFunc[T]) (fetchFunc[T], scanFunc[T]) {
	c := &l.sorted
	if !c.ok || c.stamp != l.stamp || c.sortBy != l.sortBy || c.desc != l.desc {
		*c = sortCache[T]{stamp: l.stamp, sortBy: l.sortBy, desc: l.desc, ok: true}
		scan(func(r *T) { c.all = append(c.all, *r) })
		l.sortPlaces()
	}
	all, at := c.all, c.at
	fetch := func(offset, limit int) (int, []T) {
		from := min(max(offset, 0), len(at))
		page := make([]T, 0, min(max(limit, 0), len(at)-from))
		for _, i := range at[from:min(from+max(limit, 0), len(at))] {
			page = append(page, all[i])
		}
		return len(at), page
	}
	each := func(visit func(*T)) {
		for _, i := range at {
			visit(&all[i])
		}
	}
	return fetch, each
}

// sortPlaces puts the cached rows' places in the chosen order. Rows can be
// large (an agent is some 300 bytes): their places are sorted, and only a
// page is copied out.
func (l *List[T]) sortPlaces() {
	all := l.sorted.all
	at := make([]int, len(all))
	for i := range at {
		at[i] = i
	}
	if c := l.sortColumn(); c != nil && c.Cmp != nil {
		slices.SortStableFunc(at, func(i, j int) int {
			if l.desc {
				return c.Cmp(&all[j], &all[i])
			}
			return c.Cmp(&all[i], &all[j])
		})
	} else if l.desc {
		slices.Reverse(at)
	}
	l.sorted.at = at
}

// nextSort sorts by the next shown column that can sort, in its first
// direction; after the last, the board's order again.
func (l *List[T]) nextSort() {
	shown := l.shown()
	next := 0
	for _, i := range shown {
		if i+1 > l.sortBy && l.Columns[i].Cmp != nil {
			next = i + 1
			break
		}
	}
	l.sortBy, l.desc = next, false
	if c := l.sortColumn(); c != nil {
		l.desc = c.Desc
	}
}

// reverseSort reverses the order.
func (l *List[T]) reverseSort() { l.desc = !l.desc }

// sortMark is what the sort column's title carries: ▲ ascending, ▼
// descending.
func (l *List[T]) sortMark() string {
	if l.desc {
		return "▼"
	}
	return "▲"
}

// sortChip says the order when no column shows it.
func (l *List[T]) sortChip() []string {
	switch {
	case l.sortBy == 0 && l.desc:
		return []string{"order reversed"}
	case l.sortBy > 0 && !slices.Contains(l.shown(), l.sortBy-1):
		return []string{"sort: " + l.Columns[l.sortBy-1].Title + " " + l.sortMark()}
	}
	return nil
}

// sortHelp is the sort keys, for the help screen.
func (l *List[T]) sortHelp() []key.Binding { return []key.Binding{l.Keys.Sort, l.Keys.Reverse} }

// cmpText orders text case-insensitively.
func cmpText(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

// cmpSeconds orders figures that may be unknown (nil), the unknown first.
func cmpSeconds(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}
