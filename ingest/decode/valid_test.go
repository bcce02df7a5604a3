package decode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatdeck/chatdeck/fixtures"
)

// validSeeds are inputs on the edges of the grammar.
var validSeeds = []string{
	``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e5`, `1E+5`, `1e`, `.5`, `+1`, `true`, `tru`, `nul`, `null `,
	`{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":1 "b":2}`, `[1 2]`, `{a:1}`, `"\u00e9"`, `"\u00g9"`, `"\x"`, `"\/"`, "\"\x01\"",
	"\"\xff\"", `"abc`, `{"a":[{"b":[null,true,false,-1.25e-3]}]}`, ` {"a" : "b" } `, `{"a":1}{}`, `[[[[[]]]]]`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	`{"a":"\"}"}`, `"\\"`, `"\\\"`, `"\u12"`,
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	seeds := validSeeds
	for _, p := range fixtures.Webhooks() {
		seeds = append(seeds, string(p.Body))
	}
	for _, s := range seeds {
		if got, want := valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("valid(%.60q) = %v, json.Valid = %v", s, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	for _, p := range fixtures.Webhooks() {
		f.Add(p.Body)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := valid(b), json.Valid(b); got != want {
			t.Errorf("valid(%q) = %v, json.Valid = %v", b, got, want)
		}
		if valid(b) {
			// What the splitters make of it is what encoding/json makes.
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err == nil && m != nil {
				got, ok := splitObject(b)
				keys := map[string]bool{}
				for _, mb := range got {
					keys[string(mb.k)] = true
				}
				if !ok || len(keys) != len(m) {
					t.Fatalf("splitObject(%q) = %d keys, %v; encoding/json %d", b, len(keys), ok, len(m))
				}
				for k, v := range m {
					if g, _ := got.get(k); string(g) != string(v) {
						t.Fatalf("splitObject(%q)[%q] = %q, encoding/json %q", b, k, g, v)
					}
				}
			}
			var a []json.RawMessage
			if err := json.Unmarshal(b, &a); err == nil && a != nil {
				got, ok := splitArray(b)
				if !ok || len(got) != len(a) {
					t.Fatalf("splitArray(%q) = %d elements, %v; encoding/json %d", b, len(got), ok, len(a))
				}
				for i := range a {
					if string(got[i]) != string(a[i]) {
						t.Fatalf("splitArray(%q)[%d] = %q, encoding/json %q", b, i, got[i], a[i])
					}
				}
			}
		}
	})
}
