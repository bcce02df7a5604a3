package stream

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chatdeck/chatdeck/ingest/hub"
)

// A message bigger than a client reads in one piece (a snapshot of a large
// board) is sent in parts: {"type":"part","part":i,"parts":n,"data":…},
// i from 1 to n, one after another with nothing between them, data the
// base64 of a run of the message's bytes. The client joins the runs and
// reads the whole as the message it is. The client says in its URL how
// much it reads in one message (?max_message=BYTES); the server sends
// nothing bigger.

// DefaultMaxMessage is how big a message the client reads, and the server
// sends in one piece, unless told otherwise.
const DefaultMaxMessage = 16 << 20

// MinMaxMessage is the least max_message a client may ask for.
const MinMaxMessage = 4 << 10

// partOverhead is room for a part's JSON around its data.
const partOverhead = 128

// splitParts returns msg as part messages of at most limit bytes each.
func splitParts(msg []byte, limit int64) ([][]byte, error) {
	chunk := int((limit - partOverhead) / 4 * 3) // base64 takes 4 bytes per 3
	if chunk <= 0 {
		return nil, fmt.Errorf("stream: message limit %d too small for parts", limit)
	}
	n := (len(msg) + chunk - 1) / chunk
	out := make([][]byte, 0, n)
	for i := range n {
		run := msg[i*chunk : min((i+1)*chunk, len(msg))]
		b, err := json.Marshal(hub.Message{Type: "part", Part: i + 1, Parts: n, Data: run})
		if err != nil {
			return nil, fmt.Errorf("stream: part %d of %d: %w", i+1, n, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// joiner puts a parted message back together.
type joiner struct {
	buf   []byte
	parts int // of the message being joined; 0: none
	next  int
}

// add takes a part; when it was the last it returns the whole message.
func (j *joiner) add(m *hub.Message) (whole []byte, done bool, err error) {
	if m.Parts < 1 || m.Part < 1 || m.Part > m.Parts {
		return nil, false, fmt.Errorf("stream: part %d of %d", m.Part, m.Parts)
	}
	if m.Part == 1 {
		j.buf, j.parts, j.next = j.buf[:0], m.Parts, 1
	}
	if m.Part != j.next || m.Parts != j.parts {
		return nil, false, fmt.Errorf("stream: part %d of %d out of order: want part %d of %d", m.Part, m.Parts, j.next, j.parts)
	}
	j.buf = append(j.buf, m.Data...)
	j.next++
	if m.Part < m.Parts {
		return nil, false, nil
	}
	whole = j.buf
	*j = joiner{}
	return whole, true, nil
}

// errNestedParts is a joined message that is a part itself.
var errNestedParts = errors.New("stream: a joined message is a part")
