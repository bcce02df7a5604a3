package board

import (
	"cmp"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// The board's indexes, kept up to date as events are applied so that the
// queries a frame needs cost O(rows shown) rather than O(board):
//
//   - byState: the chats on the board in (reverse) Chats order, one ordered
//     list per state group (active, waiting, ended and missed). Pruning
//     reads the groups' oldest ends instead of scanning every chat.
//   - agentOrder: the agents in Agents order.
//   - load, overCap, holding, active, statusCount: active chats per agent, the agents
//     over capacity, and the counts Metrics reports.
//   - expiries: the histories, by when each is due to be forgotten.
//
// None of it is in State: Restore derives it from the rest.

// chatGroups is the number of state groups Chats orders by.
const chatGroups = 3

// chatGroup is a state's rank in Chats: active first, then waiting, then
// ended and missed. (A state Chats does not know ranks with active.)
func chatGroup(s ChatState) int8 {
	switch s {
	case Waiting:
		return 1
	case Ended, Missed:
		return 2
	}
	return 0
}

// unlisted is the ordGroup of a chat on the board that its state group's
// list does not hold yet (see placeLater).
const unlisted = -1

// chatEntry is a chat in its state group's list, with the time its place
// was found by (its ordAt): the list's searches compare the times the list
// holds, and read a chat only to break a tie.
type chatEntry struct {
	at time.Time
	c  *Chat
}

// chatsOldestFirst is the order a state group is stored in: the reverse of
// Chats (most recently updated first, then by id and source), so that the
// chat updated last, which nearly every event makes of the chat it is
// about, goes to the end.
func chatsOldestFirst(x, y chatEntry) int {
	if c := x.at.Compare(y.at); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(y.c.ID, x.c.ID), cmp.Compare(y.c.Source, x.c.Source))
}

// agentRank is a status's rank in Agents: online, away, unknown, offline.
// (A status Agents does not know ranks with online.)
func agentRank(s event.AgentStatus) int8 {
	switch s {
	case event.AgentAway:
		return 1
	case event.AgentUnknown:
		return 2
	case event.AgentOffline:
		return 3
	}
	return 0
}

// compareAgents orders agents as Agents lists them: by status rank, then
// name (case-insensitively), source and id.
func compareAgents(a, b *Agent) int {
	return cmp.Or(cmp.Compare(a.ordRank, b.ordRank), cmp.Compare(a.ordName, b.ordName),
		cmp.Compare(a.Source, b.Source), cmp.Compare(a.ID, b.ID))
}

// putChat puts c on the board under k, in place of any chat there.
func (b *Board) putChat(k key, c *Chat) {
	if old := b.chats.get(k); old != nil && old != c {
		b.leave(old)
	}
	c.k = k
	c.kHash = b.chats.put(k, c)
	b.list(c)
}

// list adds c, which the board holds, to the indexes.
func (b *Board) list(c *Chat) {
	if !c.onBoard {
		c.onBoard = true
		c.ordGroup = unlisted
		b.placeLater(c)
		if c.State == Active {
			b.active++
			b.addLoad(c, 1)
		}
	}
}

// forget takes the chat under k off the board.
func (b *Board) forget(k key) {
	if c := b.chats.get(k); c != nil {
		b.chats.delete(k)
		b.leave(c)
	}
}

// forgetChat takes c, which is on the board, off it: forget without
// looking up what it knows.
func (b *Board) forgetChat(c *Chat) {
	b.chats.remove(c.kHash, c)
	b.leave(c)
}

// leave takes c, which the board no longer holds, out of the indexes.
func (b *Board) leave(c *Chat) {
	if !c.onBoard {
		return
	}
	c.onBoard = false
	if c.ordGroup != unlisted {
		b.byState[c.ordGroup].remove(chatEntry{c.ordAt, c})
	}
	if b.unplaced == c {
		b.unplaced = nil
	}
	if c.State == Active {
		b.active--
		b.addLoad(c, -1)
	}
	if c.inEnded {
		b.endedGone = append(b.endedGone, c)
	}
}

// reindex moves c in the indexes after its state (from was) or its
// UpdatedAt changed.
func (b *Board) reindex(c *Chat, was ChatState) {
	if !c.onBoard {
		return
	}
	if was != c.State {
		switch {
		case was == Active:
			b.active--
			b.addLoad(c, -1)
		case c.State == Active:
			b.active++
			b.addLoad(c, 1)
		}
	}
	if chatGroup(c.State) != c.ordGroup || c.ordAt != c.UpdatedAt {
		b.placeLater(c)
	}
}

// placeLater notes that c's place in the state groups' lists is to be
// found again (it is new, or its state or UpdatedAt changed). The board
// finds it once, when the event has been applied, however many times the
// event changed the chat (chatEnded changes UpdatedAt, then the state);
// meanwhile the list still holds c where its ordGroup and ordAt say, so
// that taking it out works as for any other chat. The one chat waiting for
// its place is placed first if another chat comes along (an event that
// changes several chats).
func (b *Board) placeLater(c *Chat) {
	if b.unplaced == c {
		return
	}
	if b.unplaced != nil {
		b.place(b.unplaced)
	}
	b.unplaced = c
}

// placeNow places the chat waiting for its place, if any: the lists are
// in order again.
func (b *Board) placeNow() {
	if c := b.unplaced; c != nil {
		b.unplaced = nil
		b.place(c)
	}
}

// place moves c to its place in the state groups' lists, by its state and
// UpdatedAt.
func (b *Board) place(c *Chat) {
	g := chatGroup(c.State)
	if !c.onBoard || (g == c.ordGroup && c.ordAt == c.UpdatedAt) {
		return
	}
	e := chatEntry{c.UpdatedAt, c}
	if c.ordGroup != unlisted {
		list := &b.byState[c.ordGroup]
		if last, ok := list.last(); ok && last.c == c && g == c.ordGroup && !c.UpdatedAt.Before(c.ordAt) {
			// The chat updated last is updated again (a chat's events
			// come in runs): it stays last.
			list.setLast(e)
			c.ordAt = c.UpdatedAt
			return
		}
		list.remove(chatEntry{c.ordAt, c})
	}
	c.ordGroup, c.ordAt = g, c.UpdatedAt
	b.byState[g].insert(e)
}

// addLoad adds d to the load of each of c's agents.
func (b *Board) addLoad(c *Chat, d int) {
	src := b.srcs.code(c.Source)
	for _, a := range c.Agents {
		id := a.ID
		if id == "" {
			id = a.Name
		}
		var k key
		ag := b.findAgent(src, id)
		if ag != nil {
			k = ag.k
		} else {
			k = agentKey(src, id)
		}
		n := b.load[k] + d
		if n == 0 {
			delete(b.load, k)
		} else {
			b.load[k] = n
		}
		b.noteCapacity(k, ag, n)
	}
}

// checkCapacity notes whether the agent under k holds more chats than
// Capacity.
func (b *Board) checkCapacity(k key) {
	b.noteCapacity(k, b.agents[k], b.load[k])
}

// noteCapacity notes whether ag, the agent under k (nil if none), with
// load active chats on the board, holds any chats, and more than Capacity.
func (b *Board) noteCapacity(k key, ag *Agent, load int) {
	n := load
	if ag != nil {
		n = agentChats(ag, load)
	}
	if ag != nil && n > b.cfg.Capacity {
		b.overCap[k] = ag
	} else if len(b.overCap) > 0 {
		delete(b.overCap, k)
	}
	if ag != nil && n > 0 {
		b.holding[k] = ag
	} else if len(b.holding) > 0 {
		delete(b.holding, k)
	}
}

// agentChats is how many chats ag holds, with load active chats on the
// board: the vendor's own count while the last poll lists them (Comm100's
// ongoingChats), else load.
func agentChats(ag *Agent, load int) int {
	if ag.OngoingChats >= 0 {
		return ag.OngoingChats
	}
	return load
}

// putAgent adds a new agent under k.
func (b *Board) putAgent(k key, ag *Agent) {
	b.agents[k] = ag
	b.indexAgent(k, ag)
}

// indexAgent adds the agent under k to the indexes.
func (b *Board) indexAgent(k key, ag *Agent) {
	ag.k = k
	b.statusCount[ag.Status]++
	ag.ordRank, ag.ordName, ag.ordNameOf = agentRank(ag.Status), strings.ToLower(ag.Name), ag.Name
	b.agentOrder.insert(ag)
	if b.load[k] > 0 || ag.OngoingChats > 0 {
		b.checkCapacity(k)
	}
}

// reindexAgent moves ag in the indexes after its status (from was) or
// name changed.
func (b *Board) reindexAgent(ag *Agent, was event.AgentStatus) {
	if was != ag.Status {
		if n := b.statusCount[was] - 1; n > 0 {
			b.statusCount[was] = n
		} else {
			delete(b.statusCount, was)
		}
		b.statusCount[ag.Status]++
	}
	if r := agentRank(ag.Status); r != ag.ordRank || ag.Name != ag.ordNameOf {
		b.agentOrder.remove(ag)
		ag.ordRank, ag.ordName, ag.ordNameOf = r, strings.ToLower(ag.Name), ag.Name
		b.agentOrder.insert(ag)
	}
}

// rebuildIndexes derives every index from the chats, agents and history
// (Restore).
func (b *Board) rebuildIndexes() {
	for k, ag := range b.agents {
		b.indexAgent(k, ag)
	}
	b.chats.all(func(_ key, c *Chat) {
		c.onBoard = false
		b.list(c)
	})
	b.placeNow()
	b.expiries = b.expiries[:0]
	b.history.all(func(_ key, h *History) { b.expiries.add(h) })
}

// expiryHeap holds every history, in a min-heap by LastChatAt: the next
// to expire first. Each history knows its place in it (heapAt), so that a
// new LastChatAt moves it in O(log n) and the heap holds nothing else.
type expiryHeap []*History

func (h expiryHeap) less(i, j int) bool { return h[i].LastChatAt.Before(h[j].LastChatAt) }

func (h expiryHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapAt, h[j].heapAt = i, j
}

func (h expiryHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h expiryHeap) down(i int) {
	for {
		l, small := 2*i+1, i
		if l < len(h) && h.less(l, small) {
			small = l
		}
		if r := l + 1; r < len(h) && h.less(r, small) {
			small = r
		}
		if small == i {
			return
		}
		h.swap(i, small)
		i = small
	}
}

// add puts a new history in the heap.
func (h *expiryHeap) add(x *History) {
	x.heapAt = len(*h)
	*h = append(*h, x)
	h.up(x.heapAt)
}

// moved puts x back in its place after its LastChatAt changed.
func (h expiryHeap) moved(x *History) {
	h.up(x.heapAt)
	h.down(x.heapAt)
}

// pop takes out the history that expires first.
func (h *expiryHeap) pop() *History {
	s := *h
	top := s[0]
	n := len(s) - 1
	s.swap(0, n)
	s[n] = nil
	s = s[:n]
	s.down(0)
	*h = s
	top.heapAt = -1
	return top
}

// expireHistory forgets the histories last updated more than KeepHistory
// before now.
func (b *Board) expireHistory(now time.Time) {
	for len(b.expiries) > 0 && now.Sub(b.expiries[0].LastChatAt) > b.cfg.KeepHistory {
		h := b.expiries.pop()
		b.history.delete(h.k)
	}
}
