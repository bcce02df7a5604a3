package tui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Theme holds the styles, for a dark or a light background. Colour is
// dropped by the renderer when the terminal (or NO_COLOR) says so.
type Theme struct {
	Title, Dim, Bold, Header, Selected, SelectedBlur, Tab, TabActive lipgloss.Style
	OK, Warn, Alert, Info, Pending, Flash, FlashError                lipgloss.Style
}

// NewTheme returns the theme for the background.
func NewTheme(dark bool) Theme {
	ld := lipgloss.LightDark(dark)
	c := func(light, darkc string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(darkc)) }
	fg := func(col color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(col) }
	return Theme{
		Title:        lipgloss.NewStyle().Bold(true).Foreground(c("#5A3FC0", "#B8A6FF")),
		Dim:          fg(c("#6B6B6B", "#8A8A8A")),
		Bold:         lipgloss.NewStyle().Bold(true),
		Header:       lipgloss.NewStyle().Bold(true).Underline(true),
		Selected:     lipgloss.NewStyle().Reverse(true),
		SelectedBlur: lipgloss.NewStyle().Underline(true),
		Tab:          fg(c("#555555", "#A0A0A0")),
		TabActive:    lipgloss.NewStyle().Bold(true).Reverse(true),
		OK:           fg(c("#17803D", "#5FD787")),
		Warn:         fg(c("#9A6700", "#FFD75F")),
		Alert:        lipgloss.NewStyle().Bold(true).Foreground(c("#C01C28", "#FF5F5F")),
		Info:         fg(c("#1F5FAF", "#5FAFFF")),
		Pending:      lipgloss.NewStyle().Italic(true).Foreground(c("#9A6700", "#FFD75F")),
		Flash:        lipgloss.NewStyle().Bold(true).Foreground(c("#17803D", "#5FD787")),
		FlashError:   lipgloss.NewStyle().Bold(true).Foreground(c("#C01C28", "#FF5F5F")),
	}
}
