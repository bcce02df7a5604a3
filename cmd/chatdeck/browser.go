package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/chatdeck/chatdeck/ingest/listener"
)

// browserConfig is the listener's browser routes' configuration:
// --browser-key and the comma-separated --browser-origins.
func browserConfig(cfg Config) listener.BrowserConfig {
	bc := listener.BrowserConfig{Key: cfg.BrowserKey}
	for _, o := range strings.Split(cfg.BrowserOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			bc.Origins = append(bc.Origins, o)
		}
	}
	return bc
}

// printBrowserTag prints the script tag a site adds after its Jivo widget
// code, or how to turn the browser routes on.
func printBrowserTag(w io.Writer, base, key string) {
	fmt.Fprintln(w, "JivoChat in the browser (add after the Jivo widget code, on the sites of --browser-origins):")
	if key == "" {
		fmt.Fprintln(w, "  off: set --browser-key (CHATDECK_BROWSER_KEY) and --browser-origins to serve "+base+"/browser/jivo.js")
		return
	}
	fmt.Fprintf(w, "  <script src=\"%s/browser/jivo.js\" data-key=\"%s\" async></script>\n", base, htmlAttr(key))
}

// htmlAttr escapes s for a double-quoted HTML attribute.
func htmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
}
