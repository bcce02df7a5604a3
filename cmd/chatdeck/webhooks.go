package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/ingest/decode"
)

// comm100Events are the Comm100 webhook events chatdeck registers for.
// VENDOR-NOTES.md confirms the name "chatStarts"; the others follow its
// pattern and can be overridden with --events.
var comm100Events = []string{
	"chatRequests", "chatStarts", "chatTransfers", "chatEnds", "chatWrapsUp",
	"offlineMessageSubmits", "agentStatusChanges",
}

func newWebhooks() *cobra.Command {
	var register, public string
	var events []string
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Print the webhook URLs to paste into each vendor's admin page",
		Long: `webhooks prints, for this listener and its token, the URL to paste into
Comm100's, Chatlio's and JivoChat's admin pages. With --register PUBLIC_URL it
registers chatdeck for every Comm100 webhook event through the API
(livechat/webhooks); registrations that already exist are left as they are.
With --public-url it prints the URLs for the address the vendors reach (a
proxy or tunnel in front of chatdeck) without registering anything.`,
		Example: "  chatdeck webhooks\n  chatdeck webhooks --public-url https://chat-ops.example.com\n  chatdeck webhooks --register https://chat-ops.example.com",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			token, _, err := ensureToken(cfg)
			if err != nil {
				return err
			}
			base, flag := register, "--register"
			if base == "" {
				base, flag = public, "--public-url"
			}
			if base == "" {
				base, flag = "http://"+cfg.Listen, "--listen"
				if cfg.TLSCert != "" {
					base = "https://" + cfg.Listen
				}
			}
			if err := checkPublicURL(base); err != nil {
				return fmt.Errorf("%s %q: %w", flag, base, err)
			}
			printWebhookURLs(cmd.OutOrStdout(), strings.TrimRight(base, "/"), token)
			printBrowserTag(cmd.OutOrStdout(), strings.TrimRight(base, "/"), cfg.BrowserKey)
			if register == "" {
				return nil
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			api, err := comm100Client(cfg, log, nil)
			if err != nil {
				return err
			}
			if api == nil {
				return errors.New("--register needs the Comm100 API: set COMM100_API_BASE and credentials")
			}
			target := strings.TrimRight(register, "/") + "/webhooks/comm100?token=" + url.QueryEscape(token)
			return registerWebhooks(cmd.Context(), cmd.OutOrStdout(), api, events, target)
		},
	}
	addFlags(cmd.Flags(), scopeWebhook)
	cmd.Flags().StringVar(&register, "register", "", "register chatdeck's Comm100 URL under this public base URL (e.g. https://chat-ops.example.com)")
	cmd.Flags().StringVar(&public, "public-url", "", "print the URLs under this public base URL (what the vendors reach), registering nothing")
	cmd.Flags().StringSliceVar(&events, "events", comm100Events, "Comm100 webhook events to register")
	return cmd
}

func printWebhookURLs(w io.Writer, base, token string) {
	q := "?token=" + url.QueryEscape(token)
	fmt.Fprintln(w, "Comm100 (every event, one URL):")
	fmt.Fprintln(w, "  "+base+"/webhooks/comm100"+q)
	fmt.Fprintln(w, "Chatlio (one URL per webhook):")
	for _, k := range []string{"conversation-started", "unanswered", "feedback", "offline-message", "transcript"} {
		if _, ok := decode.ChatlioKinds[k]; ok {
			fmt.Fprintf(w, "  %-21s %s/webhooks/chatlio/%s%s\n", k+":", base, k, q)
		}
	}
	fmt.Fprintln(w, "JivoChat (one URL per channel):")
	fmt.Fprintln(w, "  "+base+"/webhooks/jivochat"+q)
}

// registerWebhooks registers target for every event not yet registered
// with that target.
func registerWebhooks(ctx context.Context, w io.Writer, api *comm100api.Client, events []string, target string) error {
	have, err := api.ListWebhooks(ctx)
	if err != nil {
		return fmt.Errorf("listing Comm100 webhooks: %w", err)
	}
	exists := map[string]bool{}
	for _, h := range have {
		if h.TargetURL == target {
			exists[strings.ToLower(h.Event)] = true
		}
	}
	var failed []string
	for _, ev := range events {
		if exists[strings.ToLower(ev)] {
			fmt.Fprintf(w, "Comm100 %s: already registered\n", ev)
			continue
		}
		if _, err := api.CreateWebhook(ctx, ev, target); err != nil {
			fmt.Fprintf(w, "Comm100 %s: failed: %v\n", ev, err)
			failed = append(failed, ev)
			continue
		}
		fmt.Fprintf(w, "Comm100 %s: registered\n", ev)
	}
	if len(failed) > 0 {
		return fmt.Errorf("registering Comm100 webhooks failed for %s", strings.Join(failed, ", "))
	}
	return nil
}

// checkPublicURL says what is wrong with a base URL the vendors are to
// post to: it needs http or https and a host, and carries no query (the
// token is added to each URL).
func checkPublicURL(base string) error {
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http:// or https:// URL")
	case u.Host == "":
		return errors.New("no host")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("no query or fragment: chatdeck adds the token")
	}
	return nil
}
