package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Cell is one column's text in a row and its style (nil: plain).
type Cell struct {
	Text  string
	Style *lipgloss.Style
}

// Column is one column of a List: its header, its width and how a row
// fills it. The same spec draws the header and every row, so they cannot
// disagree.
type Column[T any] struct {
	Title string
	// Width is the column's cells, the separating space included; 0 takes
	// what the fixed columns leave of the line.
	Width int
	// Min is the least the flexible column (Width 0) takes before others
	// are dropped to make room for it.
	Min int
	// Drop is the order columns give way in when the line is too narrow
	// for all of them: the highest first; 0 never.
	Drop int
	Cell func(row *T) Cell
	// Cmp orders two rows by this column, ascending (as slices.SortFunc
	// takes); nil if the list cannot be sorted by it.
	Cmp func(a, b *T) int
	// Desc says the column sorts descending first (most chats first).
	Desc bool
}

// scanFunc calls visit with every row the list shows (after filters), in
// order: how the list finds where its selected row went.
type scanFunc[T any] func(visit func(*T))

// fetchFunc reads a page of a list's rows from the board: how many rows
// there are (after filters) and those from offset, at most limit.
type fetchFunc[T any] func(offset, limit int) (total int, page []T)

// List is a scrolling, selectable table of rows of type T, drawn from its
// column spec. It holds only the rows on screen.
//
// The selection follows the row's identity, not its number, once the user
// has used the list (Touch): while rows re-sort, arrive or leave, the same
// chat, agent or visitor stays selected; if it leaves the list, the row
// that takes its place (or the last) is selected and Notice says so. A
// list nobody has used yet keeps its first row selected, whatever that
// row is now: on the wall, a list watched but never touched shows its
// top, not a chat that was on top when the screen opened.
type List[T any] struct {
	Common
	Columns []Column[T]
	// Empty is shown when there are no rows.
	Empty string
	// Ident is a row's identity; Label its name in notices.
	Ident, Label func(*T) string
	// Place is the list's name in notices ("the queue").
	Place string

	rows     []T
	total    int
	cursor   int    // the selected row, among all rows
	offset   int    // the first row shown
	sel      string // the selected row's identity; "" follows the cursor
	touched  bool   // the user has moved in or acted on the list
	selLabel string
	notice   string
	sortBy   int  // the sort column's index + 1; 0: the board's order
	desc     bool // the order reversed
	// stamp is what the rows depend on besides the sort (set by the pane
	// before Load): while it and the sort stay the same, a sorted list
	// keeps its rows and order from the last read.
	stamp  any
	sorted sortCache[T]
}

// bodyHeight is the rows a page shows: the pane less its header line.
func (l *List[T]) bodyHeight() int { return max(l.Height-1, 1) }

// Load reads the page that keeps the selected row on screen. When that
// row is not where it was, it is looked for on the page, then with scan
// (once per move, O(rows)); the steady frame reads only the page.
//
// Sorted by a column (or the board's order reversed), it reads every row
// with scan and sorts them: O(rows log rows), paid only while a sort is
// chosen, and only when the stamp or the sort changed since the last read.
func (l *List[T]) Load(fetch fetchFunc[T], scan scanFunc[T]) {
	if l.isSorted() && scan != nil {
		fetch, scan = l.sortRows(scan)
	} else {
		l.sorted = sortCache[T]{}
	}
	h := l.bodyHeight()
	from := l.offset
	l.total, l.rows = fetch(l.offset, h)
	gone := false
	if l.touched && l.sel != "" && l.Ident != nil {
		if r, ok := l.Selected(); !ok || l.Ident(r) != l.sel {
			at := l.find(scan)
			if at >= 0 {
				l.cursor = at
			} else {
				gone = true // the row now at its place is its neighbour
			}
		}
	}
	l.window()
	if l.offset != from {
		l.total, l.rows = fetch(l.offset, h)
	}
	l.remember(gone)
}

// find is where the selected row is now, or -1.
func (l *List[T]) find(scan scanFunc[T]) int {
	for i := range l.rows {
		if l.Ident(&l.rows[i]) == l.sel {
			return l.offset + i
		}
	}
	if scan == nil {
		return -1
	}
	at, i := -1, 0
	scan(func(r *T) {
		if at < 0 && l.Ident(r) == l.sel {
			at = i
		}
		i++
	})
	return at
}

// remember notes the selected row's identity, and the notice if the one
// before it left.
func (l *List[T]) remember(gone bool) {
	r, ok := l.Selected()
	if gone {
		l.notice = l.selLabel + " is no longer in " + l.Place
		if ok && l.Label != nil {
			l.notice += ": selected " + l.Label(r)
		}
	}
	l.sel, l.selLabel = "", ""
	if ok && l.Ident != nil {
		l.sel = l.Ident(r)
		if l.Label != nil {
			l.selLabel = l.Label(r)
		}
	}
}

// Notice is what happened to the selection at the last Load, once: "" if
// nothing worth saying.
func (l *List[T]) Notice() string {
	n := l.notice
	l.notice = ""
	return n
}

// window clamps the cursor to the rows and scrolls to keep it shown.
func (l *List[T]) window() {
	h := l.bodyHeight()
	l.cursor = min(max(l.cursor, 0), max(l.total-1, 0))
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+h {
		l.offset = l.cursor - h + 1
	}
	l.offset = min(max(l.offset, 0), max(l.total-1, 0))
}

// Reset puts the cursor back on the first row, as a list not yet used.
func (l *List[T]) Reset() { l.cursor, l.offset, l.sel, l.touched = 0, 0, "", false }

// Touch says the user has moved in or acted on the list: from now on its
// selection follows the selected row.
func (l *List[T]) Touch() { l.touched = true }

// Selected is the row under the cursor.
func (l *List[T]) Selected() (*T, bool) {
	i := l.cursor - l.offset
	if i < 0 || i >= len(l.rows) {
		return nil, false
	}
	return &l.rows[i], true
}

// Total is the number of rows, after filters.
func (l *List[T]) Total() int { return l.total }

// Rows is the page shown.
func (l *List[T]) Rows() []T { return l.rows }

// Move moves the cursor by d rows.
func (l *List[T]) Move(d int) {
	l.cursor, l.sel = max(l.cursor+d, 0), ""
}

// Update handles the movement keys, the wheel and clicks on rows.
func (l *List[T]) Update(msg tea.Msg) bool {
	k := &l.Keys
	if d, ok := k.movement(msg, l.bodyHeight()); ok {
		if d != 0 {
			l.Move(d)
		}
		return true
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Sort):
			l.nextSort()
		case key.Matches(msg, k.Reverse):
			l.reverseSort()
		default:
			return false
		}
		return true
	case tea.MouseClickMsg:
		// Y is relative to the pane: line 0 is the column header.
		if row := msg.Y - 1; row >= 0 && row < l.bodyHeight() {
			l.cursor, l.sel = l.offset+row, ""
		}
		return true
	}
	return false
}

// navHelp is the movement keys, for the help screen.
func (l *List[T]) navHelp() []key.Binding {
	k := &l.Keys
	return []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}
}

// Position is "3/40": the selected row and the rows, or "" with none.
func (l *List[T]) Position() string {
	if l.total == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", l.cursor+1, l.total)
}

// shown is the indexes of the columns drawn at the list's width: all of
// them if they fit, else without those that give way first (Drop).
func (l *List[T]) shown() []int {
	idx := make([]int, 0, len(l.Columns))
	need := 0
	for i, c := range l.Columns {
		idx = append(idx, i)
		need += max(c.Width, c.Min)
	}
	for need > l.Width {
		drop := -1
		for j, i := range idx {
			if d := l.Columns[i].Drop; d > 0 && (drop < 0 || d > l.Columns[idx[drop]].Drop) {
				drop = j
			}
		}
		if drop < 0 {
			break
		}
		c := l.Columns[idx[drop]]
		need -= max(c.Width, c.Min)
		idx = append(idx[:drop], idx[drop+1:]...)
	}
	return idx
}

// widths are the shown columns' widths for the list's width.
func (l *List[T]) widths(shown []int) []int {
	fixed := 0
	for _, i := range shown {
		fixed += l.Columns[i].Width
	}
	w := make([]int, len(shown))
	for j, i := range shown {
		w[j] = l.Columns[i].Width
		if w[j] == 0 {
			w[j] = max(l.Width-fixed, 0)
		}
	}
	return w
}

// header is the column titles line, the sort column's marked.
func (l *List[T]) header(shown, widths []int) string {
	var b strings.Builder
	for j, i := range shown {
		c := l.Columns[i]
		title := c.Title
		if i+1 == l.sortBy {
			if m := l.sortMark(); widths[j] > 2 && lipgloss.Width(title)+2 > widths[j] {
				title = fit(title, widths[j]-2) + m
			} else {
				title += m
			}
		}
		if c.Width == 0 || j == len(shown)-1 {
			b.WriteString(title)
			continue
		}
		b.WriteString(cell(title, widths[j]))
	}
	return l.Theme.Header.Render(b.String())
}

// row draws one row from the column spec.
func (l *List[T]) row(r *T, shown, widths []int) string {
	var b strings.Builder
	for j, i := range shown {
		v := l.Columns[i].Cell(r)
		s := cell(v.Text, widths[j])
		if v.Style != nil {
			s = v.Style.Render(s)
		}
		b.WriteString(s)
	}
	return b.String()
}

// View draws the header and the page: Height lines of Width cells.
func (l *List[T]) View() string {
	lines := make([]string, 0, l.Height)
	shown := l.shown()
	widths := l.widths(shown)
	lines = append(lines, l.header(shown, widths))
	if len(l.rows) == 0 {
		lines = append(lines, l.Theme.Dim.Render(l.Empty))
	}
	sel := l.cursor - l.offset
	for i := range l.rows {
		s := l.row(&l.rows[i], shown, widths)
		if i == sel {
			// The wall shows lists without the focus too: their
			// selection is underlined, the focused list's reversed.
			st := &l.Theme.Selected
			if !l.Focused {
				st = &l.Theme.SelectedBlur
			}
			s = st.Render(fit(ansi.Strip(s), l.Width))
		}
		lines = append(lines, s)
	}
	return strings.Join(padLines(lines, l.Width, l.Height), "\n")
}

// keepToPage keeps the cursor on the rows the list holds, without reading
// the board: the paused screen's moves.
func (l *List[T]) keepToPage() {
	if len(l.rows) == 0 {
		return
	}
	l.cursor = min(max(l.cursor, l.offset), l.offset+len(l.rows)-1)
	l.remember(false)
}
