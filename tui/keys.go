package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap holds every key binding. Each can be remapped or unbound from the
// config file's [keys] table, by name.
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Open, Back, Filter, Search              key.Binding
	Online, Away, Status, Tag, Department   key.Binding
	Copy, Sort, Reverse                     key.Binding
	Refresh, NextPane, PrevPane, Help, Quit key.Binding
	Pane                                    [5]key.Binding
	// Zoom shows the focused pane alone, whatever the layout; Pause
	// freezes the screen's data.
	Zoom, Pause key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:         b([]string{"k", "up"}, "k/↑", "up"),
		Down:       b([]string{"j", "down"}, "j/↓", "down"),
		Top:        b([]string{"g", "home"}, "g", "top"),
		Bottom:     b([]string{"G", "end"}, "G", "bottom"),
		PageUp:     b([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown:   b([]string{"pgdown", "ctrl+d"}, "pgdn", "page down"),
		Open:       b([]string{"enter"}, "enter", "open"),
		Back:       b([]string{"esc"}, "esc", "back"),
		Filter:     b([]string{"/"}, "/", "filter"),
		Search:     b([]string{"n"}, "n", "next match"),
		Online:     b([]string{"o"}, "o", "set online"),
		Away:       b([]string{"a"}, "a", "set away"),
		Status:     b([]string{"s"}, "s", "pick status"),
		Tag:        b([]string{"t"}, "t", "tag visitor"),
		Department: b([]string{"d"}, "d", "department"),
		Copy:       b([]string{"y"}, "y", "copy"),
		Sort:       b([]string{"S"}, "S", "sort"),
		Reverse:    b([]string{"R"}, "R", "reverse"),
		Refresh:    b([]string{"r"}, "r", "refresh"),
		NextPane:   b([]string{"tab"}, "tab", "next pane"),
		PrevPane:   b([]string{"shift+tab"}, "⇧tab", "prev pane"),
		Help:       b([]string{"?"}, "?", "help"),
		Quit:       b([]string{"q", "ctrl+c"}, "q", "quit"),
		Zoom:       b([]string{"z"}, "z", "zoom pane"),
		Pause:      b([]string{"p"}, "p", "pause"),
		Pane: [5]key.Binding{
			b([]string{"1"}, "1", "queue"), b([]string{"2"}, "2", "agents"), b([]string{"3"}, "3", "chats"),
			b([]string{"4"}, "4", "transcript"), b([]string{"5"}, "5", "inbox"),
		},
	}
}

// named returns the bindings by their config names.
func (k *KeyMap) named() map[string]*key.Binding {
	return map[string]*key.Binding{
		"up": &k.Up, "down": &k.Down, "top": &k.Top, "bottom": &k.Bottom, "page_up": &k.PageUp, "page_down": &k.PageDown,
		"open": &k.Open, "back": &k.Back, "filter": &k.Filter, "search_next": &k.Search,
		"online": &k.Online, "away": &k.Away, "status": &k.Status, "tag": &k.Tag, "department": &k.Department,
		"copy": &k.Copy, "sort": &k.Sort, "sort_reverse": &k.Reverse,
		"refresh": &k.Refresh, "next_pane": &k.NextPane, "prev_pane": &k.PrevPane, "help": &k.Help, "quit": &k.Quit,
		"queue": &k.Pane[0], "agents": &k.Pane[1], "chats": &k.Pane[2], "transcript": &k.Pane[3], "inbox": &k.Pane[4],
		"zoom": &k.Zoom, "pause": &k.Pause,
	}
}

// KeyNames lists the names the config file's [keys] table takes.
func KeyNames() []string {
	var k KeyMap
	names := make([]string, 0, 30)
	for n := range k.named() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Remap applies overrides: name → keys. An empty list unbinds the action.
// ctrl+c always quits, whatever the map says, so a bad map cannot trap a user.
func (k *KeyMap) Remap(overrides map[string][]string) error {
	named := k.named()
	for name, keys := range overrides {
		b, ok := named[strings.ToLower(name)]
		if !ok {
			return fmt.Errorf("keys: unknown action %q (known: %s)", name, strings.Join(KeyNames(), ", "))
		}
		if len(keys) == 0 {
			b.Unbind()
			b.SetEnabled(false)
			continue
		}
		b.SetKeys(keys...)
		b.SetHelp(strings.Join(keys, "/"), b.Help().Desc)
		b.SetEnabled(true)
	}
	if !hasKey(k.Quit.Keys(), "ctrl+c") {
		k.Quit.SetKeys(append(k.Quit.Keys(), "ctrl+c")...)
		k.Quit.SetEnabled(true)
	}
	return nil
}

func hasKey(keys []string, want string) bool {
	for _, k := range keys {
		if k == want {
			return true
		}
	}
	return false
}

// globalShort is the footer's keys that work in every pane; each pane
// puts its own before them.
func (k KeyMap) globalShort() []key.Binding { return []key.Binding{k.NextPane, k.Help, k.Quit} }

// globalHelp is the ? screen's column of the keys that work in every pane.
func (k KeyMap) globalHelp() []key.Binding {
	return []key.Binding{k.NextPane, k.PrevPane, k.Pane[0], k.Pane[1], k.Pane[2], k.Pane[3], k.Pane[4],
		k.Department, k.Zoom, k.Pause, k.Refresh, k.Help, k.Quit}
}

// renamed is b with another description, for a pane where its key does
// something more particular than its name says ("enter details").
func renamed(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// wheelStep is how far one turn of the mouse wheel moves a view.
const wheelStep = 3

// movement is how far a movement key or the mouse wheel moves a view of
// page lines (Top and Bottom: as far as there is); ok is false for any
// other message. Every scrolling view reads its moves here.
func (k *KeyMap) movement(msg tea.Msg, page int) (d int, ok bool) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Up):
			return -1, true
		case key.Matches(msg, k.Down):
			return 1, true
		case key.Matches(msg, k.PageUp):
			return -page, true
		case key.Matches(msg, k.PageDown):
			return page, true
		case key.Matches(msg, k.Top):
			return -1 << 30, true
		case key.Matches(msg, k.Bottom):
			return 1 << 30, true
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			return -wheelStep, true
		case tea.MouseWheelDown:
			return wheelStep, true
		}
		return 0, true // a sideways wheel: taken, nothing moves
	}
	return 0, false
}
