package board

import "time"

// The ended list (Board.ended) holds the ended and missed chats in the
// order they ended, for pruning: the first to end are the first to go when
// there are more than MaxEnded. A chat taken out of the middle leaves a nil
// behind, so that taking one out costs O(1); nils at either end are
// trimmed at once, and the list is compacted when nils outnumber chats.
// Each listed chat knows its place (endedPos - endedOff).

// pushEnded lists c at the end.
func (b *Board) pushEnded(c *Chat) {
	c.inEnded, c.endedPos = true, b.endedOff+len(b.ended)
	b.ended = append(b.ended, c)
	b.endedLive++
}

// takeEnded takes c out of the list.
func (b *Board) takeEnded(c *Chat) {
	b.ended[c.endedPos-b.endedOff] = nil
	c.inEnded = false
	b.endedLive--
}

// tidyEnded trims the nils at both ends of the list, and compacts it when
// nils outnumber chats.
func (b *Board) tidyEnded() {
	i := 0
	for i < len(b.ended) && b.ended[i] == nil {
		i++
	}
	b.ended = b.ended[i:]
	b.endedOff += i
	j := len(b.ended)
	for j > 0 && b.ended[j-1] == nil {
		j--
	}
	b.ended = b.ended[:j]
	if holes := len(b.ended) - b.endedLive; holes > 32 && holes > b.endedLive {
		keep := b.ended[:0]
		for _, c := range b.ended {
			if c != nil {
				c.endedPos = b.endedOff + len(keep)
				keep = append(keep, c)
			}
		}
		clear(b.ended[len(keep):])
		b.ended = keep
	}
	if len(b.ended) == 0 {
		b.ended, b.endedOff = nil, 0
	}
}

// pruneEnded does what a pass over the ended list would: it takes out the
// chats the board forgot, and forgets the first ones beyond MaxEnded (those
// the board forgot count too) and those not updated for KeepEnded. It
// costs O(what it takes out): the chats beyond MaxEnded are at the front,
// the forgotten ones were noted as the board forgot them, and the ones not
// updated for KeepEnded are the oldest of the ended state group.
func (b *Board) pruneEnded(now time.Time) {
	for cut, i := b.endedLive-b.cfg.MaxEnded, 0; cut > 0; i++ {
		c := b.ended[i]
		if c == nil {
			continue
		}
		cut--
		b.takeEnded(c)
		if c.onBoard {
			b.forgetChat(c)
		}
	}
	for _, c := range b.endedGone {
		if c.inEnded && !c.onBoard {
			b.takeEnded(c)
		}
	}
	clear(b.endedGone)
	b.endedGone = b.endedGone[:0]
	for {
		e, ok := b.byState[2].first()
		if !ok || now.Sub(e.c.UpdatedAt) <= b.cfg.KeepEnded {
			break
		}
		c := e.c
		if c.inEnded {
			b.takeEnded(c)
		}
		b.forgetChat(c)
	}
	b.tidyEnded()
}

// endedChats returns the listed chats, in order.
func (b *Board) endedChats() []*Chat {
	out := make([]*Chat, 0, b.endedLive)
	for _, c := range b.ended {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}
