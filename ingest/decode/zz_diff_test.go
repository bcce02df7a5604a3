//go:build zzdiff

package decode_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
	old "github.com/chatdeck/chatdeck/internal_tmp_olddecode"
)

func both(t *testing.T, in decode.Input) {
	t.Helper()
	a, aerr := decode.Decode(in)
	b, berr := old.Decode(old.Input{Source: in.Source, Hint: in.Hint, Body: in.Body, ReceivedAt: in.ReceivedAt})
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	es := func(e error) string {
		if e == nil {
			return ""
		}
		return e.Error()
	}
	if string(ja) != string(jb) || es(aerr) != es(berr) {
		t.Fatalf("differ on %s %s %q:\nnew %s %v\nold %s %v", in.Source, in.Hint, in.Body, ja, aerr, jb, berr)
	}
}

func TestZZDecodeSame(t *testing.T) {
	hooks, _ := traffic.Scenario(7, time.Now(), 30000, 1)
	var bodies []decode.Input
	for _, w := range hooks {
		body, err := decode.Normalise(w.Body, "application/json")
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, decode.Input{Source: w.Source, Hint: w.Hint, Body: body, ReceivedAt: w.At})
	}
	for _, p := range fixtures.Webhooks() {
		src, hint, _ := traffic.Route(p.Route)
		body, err := decode.Normalise(p.Body, "application/json")
		if err != nil {
			continue
		}
		bodies = append(bodies, decode.Input{Source: src, Hint: hint, Body: body})
	}
	files, _ := filepath.Glob("testdata/*/*")
	more, _ := filepath.Glob("testdata/*/*/*")
	files = append(files, more...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, src := range []event.Source{event.Comm100, event.Chatlio, event.JivoChat} {
			for _, hint := range []string{"", "transcript", "feedback", decode.HintAgents, decode.HintVisitors, decode.HintAgentStatus, decode.HintVisitor} {
				bodies = append(bodies, decode.Input{Source: src, Hint: hint, Body: b})
				// strings inside fuzz corpus files
				s := string(b)
				if i := strings.Index(s, "[]byte("); i >= 0 {
					bodies = append(bodies, decode.Input{Source: src, Hint: hint, Body: []byte(s[i:])})
				}
			}
		}
	}
	for _, in := range bodies {
		both(t, in)
	}
	// Mutations: swap, insert escapes, change types.
	r := rand.New(rand.NewPCG(1, 1))
	tokens := []string{`"\u00e9"`, `"a\"b"`, `null`, `[]`, `{}`, `1`, `-2.5e3`, `true`, `"x\\y"`, `"\ud83d\ude00"`, ` `, `"\u0000"`, "\"\xff\""}
	n := 0
	for k := 0; k < 400000 && n < 60000; k++ {
		in := bodies[r.IntN(len(bodies))]
		b := []byte(string(in.Body))
		if len(b) < 4 {
			continue
		}
		// replace a random value position with a token
		i := r.IntN(len(b))
		j := i + r.IntN(min(40, len(b)-i))
		nb := append(append(append([]byte{}, b[:i]...), tokens[r.IntN(len(tokens))]...), b[j:]...)
		if !json.Valid(nb) && r.IntN(10) > 0 {
			continue
		}
		n++
		both(t, decode.Input{Source: in.Source, Hint: in.Hint, Body: nb, ReceivedAt: in.ReceivedAt})
	}
	t.Logf("%d bodies, %d mutations", len(bodies), n)
}
