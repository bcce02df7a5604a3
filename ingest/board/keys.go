package board

import (
	"strings"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// key identifies a chat, agent or visitor within its source. It holds the
// source as its code (sourceCodes), so that looking a key up hashes and
// compares one string, not two.
type key struct {
	src srcCode
	id  string
}

// srcCode is a source as a small number. The known sources have fixed
// codes; a board numbers any other source as it first sees it.
type srcCode uint32

// The codes of the known sources.
const (
	srcNone srcCode = iota // the empty source
	srcComm100
	srcChatlio
	srcJivoChat
)

// knownCode returns the code of a known source.
func knownCode(s event.Source) (srcCode, bool) {
	switch s {
	case event.Comm100:
		return srcComm100, true
	case event.Chatlio:
		return srcChatlio, true
	case event.JivoChat:
		return srcJivoChat, true
	case "":
		return srcNone, true
	}
	return 0, false
}

// sourceCodes numbers one board's sources: the known ones by knownCode,
// the others in the order the board first keys something by them.
type sourceCodes struct {
	names []event.Source           // by code
	other map[event.Source]srcCode // the codes of the sources not known in advance
}

func newSourceCodes() sourceCodes {
	return sourceCodes{names: []event.Source{srcNone: "", srcComm100: event.Comm100, srcChatlio: event.Chatlio, srcJivoChat: event.JivoChat}}
}

// code returns s's code, numbering s if it has none yet.
func (t *sourceCodes) code(s event.Source) srcCode {
	if c, ok := t.lookup(s); ok {
		return c
	}
	if t.other == nil {
		t.other = map[event.Source]srcCode{}
	}
	c := srcCode(len(t.names))
	t.names = append(t.names, s)
	t.other[s] = c
	return c
}

// lookup returns s's code without numbering s: ok is false if s has none,
// and then no key holds s. Queries use it: they must not change the board.
func (t *sourceCodes) lookup(s event.Source) (c srcCode, ok bool) {
	if c, ok := knownCode(s); ok {
		return c, true
	}
	c, ok = t.other[s]
	return c, ok
}

// name returns the source whose code is c.
func (t *sourceCodes) name(c srcCode) event.Source { return t.names[c] }

// key returns the key of id within source s (numbering s if need be).
func (b *Board) key(s event.Source, id string) key { return key{b.srcs.code(s), id} }

// source returns the source k is within.
func (b *Board) source(k key) event.Source { return b.srcs.name(k.src) }

// compareKeys orders keys by source name, then id.
func (b *Board) compareKeys(x, y key) int {
	if c := strings.Compare(string(b.source(x)), string(b.source(y))); c != 0 {
		return c
	}
	return strings.Compare(x.id, y.id)
}

// agentKey returns the key an agent id is known under within src: agents
// match case-insensitively (Comm100 GUIDs come in either case).
func agentKey(src srcCode, id string) key {
	return key{src, strings.ToLower(id)}
}

// lowerBuf is how long an id findAgent lower-cases without allocating.
const lowerBuf = 64

// findAgent returns the agent id is known by within src, and its key; nil
// if there is none. It matches as agentKey does, but does not allocate the
// lower-cased id to look it up (ids come in upper case from some vendors).
func (b *Board) findAgent(src srcCode, id string) *Agent {
	upper, ascii := false, true
	for i := 0; i < len(id); i++ {
		switch ch := id[i]; {
		case ch >= 0x80:
			ascii = false
		case 'A' <= ch && ch <= 'Z':
			upper = true
		}
	}
	switch {
	case !upper && ascii:
		return b.agents[key{src, id}]
	case !ascii || len(id) > lowerBuf:
		return b.agents[agentKey(src, id)]
	}
	var buf [lowerBuf]byte
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return b.agents[key{src, string(buf[:len(id)])}]
}
