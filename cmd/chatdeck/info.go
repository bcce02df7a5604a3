package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// Info is what chatdeck info reports: where things are and what is
// configured, never a secret's value.
type Info struct {
	Version    string   `json:"version"`
	ConfigFile fileInfo `json:"config_file"`
	StateDir   string   `json:"state_dir"`
	Journal    fileInfo `json:"journal"`
	// LogFile is where the dashboard logs; ServeLog where serve does.
	LogFile  string      `json:"log_file"`
	ServeLog string      `json:"serve_log"`
	Token    tokenInfo   `json:"token"`
	Listen   string      `json:"listen"`
	URL      string      `json:"url"`
	Sources  sourceInfo  `json:"sources"`
	Cluster  clusterInfo `json:"cluster"`
}

// clusterInfo is serve's cluster mode as the environment and the config
// file set it (its flags are serve's own); a NATS URL without its
// credentials.
type clusterInfo struct {
	Configured bool     `json:"configured"`
	Name       string   `json:"name,omitempty"`
	Node       string   `json:"node,omitempty"`
	Listen     string   `json:"listen,omitempty"`
	Peers      []string `json:"peers,omitempty"`
	Dir        string   `json:"dir,omitempty"`
	NATSURL    string   `json:"nats_url,omitempty"`
}

type fileInfo struct {
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
	Bytes  int64  `json:"bytes,omitempty"`
}

// tokenInfo says where the token comes from: "config" (--token,
// CHATDECK_TOKEN or the file) or the token file.
type tokenInfo struct {
	From string   `json:"from"`
	File fileInfo `json:"file,omitzero"`
}

type sourceInfo struct {
	// Webhooks are the vendor routes, always served.
	Webhooks   []string `json:"webhooks"`
	Comm100API apiInfo  `json:"comm100_api"`
}

type apiInfo struct {
	Configured bool   `json:"configured"`
	Base       string `json:"base,omitempty"`
	// Auth is "oauth", "api_key", or empty; Problem says what is missing.
	Auth    string `json:"auth,omitempty"`
	Problem string `json:"problem,omitempty"`
}

func stat(path string) fileInfo {
	fi := fileInfo{Path: path}
	if st, err := os.Stat(path); err == nil {
		fi.Exists, fi.Bytes = true, st.Size()
	} else if !errors.Is(err, fs.ErrNotExist) {
		fi.Exists = true // there, but not readable by us
	}
	return fi
}

// gatherInfo reports on cfg, read from cfgPath.
func gatherInfo(cfg Config, cfgPath string, environ func() []string) Info {
	in := Info{
		Version:    versionText(),
		ConfigFile: stat(cfgPath),
		StateDir:   filepath.Join(stateDir(environ), "chatdeck"),
		Journal:    stat(cfg.DB),
		LogFile:    tuiLogConfig(cfg).LogFile,
		ServeLog:   "stderr",
		Listen:     cfg.Listen,
		URL:        "http://" + cfg.Listen,
		Sources:    sourceInfo{Webhooks: []string{"/webhooks/comm100", "/webhooks/chatlio/{kind}", "/webhooks/jivochat"}},
	}
	if cfg.LogFile != "" {
		in.ServeLog = cfg.LogFile
	}
	if cfg.TLSCert != "" {
		in.URL = "https://" + cfg.Listen
	}
	if cfg.Token != "" {
		in.Token.From = "config"
	} else {
		in.Token.From = "file"
		in.Token.File = stat(filepath.Join(filepath.Dir(cfg.DB), "token"))
	}
	c := cfg.Comm100
	api := apiInfo{Base: c.API, Configured: c.API != ""}
	switch {
	case c.AccessToken != "" || c.RefreshToken != "":
		api.Auth = "oauth"
	case c.Email != "" && c.APIKey != "" && c.SiteID != "":
		api.Auth = "api_key"
	case c.API != "":
		api.Problem = "no credentials: set COMM100_ACCESS_TOKEN, or COMM100_EMAIL, COMM100_API_KEY and COMM100_SITE_ID"
	}
	in.Sources.Comm100API = api
	if cl := cfg.Cluster; cl.set() {
		in.Cluster = clusterInfo{Configured: true, Name: cl.Name, Node: cl.Node, Listen: cl.Listen, Peers: cl.peers(),
			Dir: cl.Dir, NATSURL: withoutCredentials(cl.NATSURL)}
		if cl.NATSURL != "" {
			in.Cluster.Dir = "" // an existing NATS keeps the stream; nothing is stored here
		}
	}
	return in
}

// withoutCredentials is u with any user and password taken out.
func withoutCredentials(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	p.User = nil
	return p.String()
}

func (in Info) writeText(w io.Writer) error {
	exists := func(f fileInfo) string {
		if !f.Exists {
			return f.Path + " (not there yet)"
		}
		if f.Bytes > 0 {
			return fmt.Sprintf("%s (%d bytes)", f.Path, f.Bytes)
		}
		return f.Path
	}
	token := "from the configuration (--token, CHATDECK_TOKEN or the config file)"
	if in.Token.From == "file" {
		token = exists(in.Token.File)
	}
	api := "not configured: webhooks only"
	if in.Sources.Comm100API.Configured {
		api = in.Sources.Comm100API.Base + ", auth " + in.Sources.Comm100API.Auth
		if p := in.Sources.Comm100API.Problem; p != "" {
			api = in.Sources.Comm100API.Base + ": " + p
		}
	}
	cl := "not configured: serve is one node"
	switch c := in.Cluster; {
	case c.NATSURL != "":
		cl = fmt.Sprintf("node %s on NATS %s", c.Node, c.NATSURL)
	case c.Configured:
		cl = fmt.Sprintf("%s, node %s, routes on %s, peers %s, store %s", c.Name, c.Node, c.Listen, strings.Join(c.Peers, ","), c.Dir)
	}
	_, err := fmt.Fprintf(w, "%s\nconfig file  %s\nstate dir    %s\njournal      %s\nlog file     %s (dashboard), %s (serve)\ntoken        %s\nlisten       %s (%s)\nwebhooks     %v\ncomm100 API  %s\ncluster      %s\n",
		in.Version, exists(in.ConfigFile), in.StateDir, exists(in.Journal), in.LogFile, in.ServeLog, token, in.Listen, in.URL,
		in.Sources.Webhooks, api, cl)
	return err
}

func newInfo() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "info",
		Short:   "Show the files chatdeck uses and what is configured (never a secret)",
		Example: "  chatdeck info\n  chatdeck info --json | jq .journal.path",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, path, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			in := gatherInfo(cfg, path, os.Environ)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(in)
			}
			return in.writeText(cmd.OutOrStdout())
		},
	}
	addFlags(cmd.Flags(), scopeRun)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
