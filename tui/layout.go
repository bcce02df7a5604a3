package tui

// The screen's layouts, chosen by the terminal's size:
//
//   - single, under sideMinWidth columns (and whenever a pane is zoomed):
//     the header, the tabs, the focused pane, the status line, the footer;
//   - side, from sideMinWidth columns: the focused pane on the left and its
//     selected row's details in a panel on the right;
//   - wall, from wallMinWidth x wallMinHeight: one line of sources, the
//     tabs, a band of KPI tiles with trends and the departments, then the
//     queue, the agents and the chats all at once, and a fourth cell with
//     the focused list's details (or the transcript or inbox, when one of
//     them has the focus).
const (
	sideMinWidth  = 120
	wallMinWidth  = 180
	wallMinHeight = 45
)

// layoutKind is which of the layouts the screen uses.
type layoutKind int

const (
	layoutSingle layoutKind = iota
	layoutSide
	layoutWall
)

func (k layoutKind) String() string {
	switch k {
	case layoutSide:
		return "side"
	case layoutWall:
		return "wall"
	}
	return "single"
}

// kindFor is the layout for a w x h screen.
func kindFor(w, h int, zoomed bool) layoutKind {
	switch {
	case zoomed:
		return layoutSingle
	case w >= wallMinWidth && h >= wallMinHeight:
		return layoutWall
	case w >= sideMinWidth:
		return layoutSide
	}
	return layoutSingle
}

// wallPanes are the panes the wall always shows, in its cells' order; its
// fourth cell shows the focused one's details, or the focused pane itself
// when it is not one of these.
var wallPanes = [3]string{"queue", "agents", "chats"}

// rect is a rectangle of cells: x, y its top left corner.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// layout is the screen's geometry, computed once per size (and header and
// band height) and handed down: every component draws in, and every mouse
// click is mapped through, the same rectangles.
type layout struct {
	kind          layoutKind
	width, height int
	headerRows    int // source line and headline numbers (the wall: sources only)
	tabsY         int
	// pane is the focused pane, its column header included (single and
	// side); paneY and paneH are its top and height.
	pane         rect
	paneY, paneH int
	side         rect // side: the details panel, right of a one-cell rule
	// band is the wall's KPI tiles and departments, its last line a rule.
	band rect
	// cells are the wall's cells, in wallPanes order then the details;
	// each has its title on its first line.
	cells   [4]rect
	statusY int
	footerY int
}

// newLayout lays out a w x h screen of the kind, with headerRows of
// header and (for the wall) bandRows of KPI band, its rule included.
func newLayout(kind layoutKind, w, h, headerRows, bandRows int) layout {
	l := layout{kind: kind, width: w, height: h, headerRows: headerRows}
	l.tabsY = headerRows
	l.footerY = h - 1
	l.statusY = h - 2
	top := l.tabsY + 1
	if kind == layoutWall {
		l.band = rect{0, top, w, bandRows}
		top += bandRows
	}
	l.paneY = top
	l.paneH = max(l.statusY-top, 2)
	l.pane = rect{0, top, w, l.paneH}
	switch kind {
	case layoutSide:
		sideW := w * 3 / 8
		l.pane.w = w - sideW - 1
		l.side = rect{l.pane.w + 1, top, sideW, l.paneH}
	case layoutWall:
		left := (w - 1) / 2
		right := w - left - 1
		upper := l.paneH / 2
		lower := l.paneH - upper
		l.cells = [4]rect{
			{0, top, left, upper}, {left + 1, top, right, upper},
			{0, top + upper, left, lower}, {left + 1, top + upper, right, lower},
		}
	}
	return l
}

// cellAt is the wall's cell at (x, y), or -1.
func (l *layout) cellAt(x, y int) int {
	for i, c := range l.cells {
		if c.contains(x, y) {
			return i
		}
	}
	return -1
}
