package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// versionText is chatdeck's version, commit and Go version, from the build
// information Go stamps into the binary.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "chatdeck (no build information)"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var commit, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chatdeck %s", version)
	if commit != "" {
		fmt.Fprintf(&b, " commit %s", commit)
		if modified {
			b.WriteString(" (modified)")
		}
	}
	if when != "" {
		fmt.Fprintf(&b, " %s", when)
	}
	fmt.Fprintf(&b, " %s", info.GoVersion)
	return b.String()
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print chatdeck's version, commit and Go version",
		Example: "  chatdeck version\n  chatdeck --version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionText())
			return err
		},
	}
}
