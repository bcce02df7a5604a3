package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/chatdeck/chatdeck/fixtures"
)

// stdContentKey is ContentKey as json.Compact defines it.
func stdContentKey(source, hint string, payload []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(source + "\x00" + hint + "\x00"))
	var buf bytes.Buffer
	if err := json.Compact(&buf, payload); err == nil {
		h.Write(buf.Bytes())
	} else {
		h.Write(payload)
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}

// TestContentKeyMatchesJSONCompact: the keys of journals written before
// stay the keys: compactValid drops what json.Compact drops.
func TestContentKeyMatchesJSONCompact(t *testing.T) {
	inputs := [][]byte{[]byte(`{"a" : "x \" y\\\\", "b" : [ 1 , 2 , { } ] }`), []byte("\t{\n}\r\n"), []byte(`"\\"`),
		[]byte(`{"a":"\\\" "}`), []byte(`not json`), []byte(`{"a":`), []byte(` [ "a b" , true , null ] `), nil}
	for _, p := range fixtures.Webhooks() {
		inputs = append(inputs, p.Body)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		base := inputs[r.IntN(len(inputs))]
		b := append([]byte(nil), base...)
		for range 1 + r.IntN(4) {
			if len(b) == 0 {
				break
			}
			i := r.IntN(len(b))
			b = append(b[:i], append([]byte{" \t\n\"\\{}[],:"[r.IntN(11)]}, b[i:]...)...)
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		if got, want := ContentKey("comm100", "h", in), stdContentKey("comm100", "h", in); got != want {
			t.Fatalf("ContentKey(%q) differs from json.Compact's", in)
		}
	}
}
