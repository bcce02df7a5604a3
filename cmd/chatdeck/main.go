// Command chatdeck is a terminal command centre for live-chat supervisors:
// it takes in Comm100, Chatlio and JivoChat webhooks, journals them, and
// keeps one live board of queue, agents, chats and metrics.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatdeck:", err)
		os.Exit(exitCode(err))
	}
}

func newRoot() *cobra.Command {
	run := newRun()
	root := &cobra.Command{
		Use:           "chatdeck",
		Short:         "A terminal command centre for live-chat supervisors",
		Long:          "chatdeck with no command runs the dashboard (chatdeck run).",
		Example:       "  chatdeck demo\n  chatdeck serve\n  chatdeck attach chat-ops.example.com:8765 --token \"$T\"\n  chatdeck info",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          run.RunE,
		Version:       versionText(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	addFlags(root.Flags(), scopeRun)
	root.AddCommand(run, newDemo(), newServe(), newAttach(), newWebhooks(), newVersion(), newInfo(), newReport())
	return root
}
