package board

// ordered keeps distinct elements sorted by cmp in chunks of at most
// chunkMax: inserting or removing one costs two binary searches and a move
// within one chunk, and reading a page from an offset costs one step per
// chunk skipped plus the page (a board of 100,000 chats skips at most
// ~800 chunks, a few hundred nanoseconds). cmp must be a total order on the
// elements held, and an element's key must not change while it is held:
// remove it, change it, insert it again.
type ordered[T any] struct {
	cmp    func(a, b T) int
	chunks [][]T
	n      int
	spare  []T // an emptied chunk, kept for the next one needed
}

const chunkMax = 128

func newOrdered[T any](cmp func(a, b T) int) ordered[T] { return ordered[T]{cmp: cmp} }

// Len is the number of elements held.
func (o *ordered[T]) Len() int { return o.n }

// search returns the chunk that holds v or would, and v's position in it.
func (o *ordered[T]) search(v T) (ci, i int) {
	// The first chunk whose last element is not before v.
	lo, hi := 0, len(o.chunks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := o.chunks[m]
		if o.cmp(c[len(c)-1], v) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(o.chunks) {
		lo-- // after every element: the last chunk's end
	}
	c := o.chunks[lo]
	a, b := 0, len(c)
	for a < b {
		m := int(uint(a+b) >> 1)
		if o.cmp(c[m], v) < 0 {
			a = m + 1
		} else {
			b = m
		}
	}
	return lo, a
}

// insert adds v, which must not be held already.
func (o *ordered[T]) insert(v T) {
	o.n++
	if len(o.chunks) == 0 {
		o.chunks = append(o.chunks, append(o.newChunk(), v))
		return
	}
	var ci, i int
	if c := o.chunks[len(o.chunks)-1]; o.cmp(c[len(c)-1], v) < 0 {
		// After every element (as most inserts are): no search.
		ci, i = len(o.chunks)-1, len(c)
	} else {
		ci, i = o.search(v)
	}
	c := o.chunks[ci]
	if len(c) == chunkMax && ci == len(o.chunks)-1 && i == len(c) {
		// Appending to a full last chunk: start a new one (lists that
		// grow at the end stay full).
		o.chunks = append(o.chunks, append(o.newChunk(), v))
		return
	}
	if len(c) == chunkMax {
		// Split the full chunk in two halves, then insert into one.
		right := append(o.newChunk(), c[chunkMax/2:]...)
		clear(c[chunkMax/2:])
		c = c[:chunkMax/2]
		o.chunks[ci] = c
		o.chunks = append(o.chunks, nil)
		copy(o.chunks[ci+2:], o.chunks[ci+1:])
		o.chunks[ci+1] = right
		if i > len(c) {
			ci, i, c = ci+1, i-len(c), right
		}
	}
	if len(c) == cap(c) {
		// A chunk that remove started later has run out of room: move
		// it to a whole one.
		c = append(o.newChunk(), c...)
	}
	var zero T
	c = append(c, zero)
	copy(c[i+1:], c[i:])
	c[i] = v
	o.chunks[ci] = c
}

// remove takes out v (compared by cmp) and reports whether it was held.
func (o *ordered[T]) remove(v T) bool {
	if len(o.chunks) == 0 {
		return false
	}
	ci, i := o.search(v)
	c := o.chunks[ci]
	if i >= len(c) || o.cmp(c[i], v) != 0 {
		return false
	}
	o.n--
	var zero T
	if i < len(c)/2 && ci < len(o.chunks)-1 {
		// Nearer the front of a chunk that is not the last, which
		// inserts seldom reach (pruning takes out the first element):
		// move the elements before v up one, and start the chunk one
		// later.
		copy(c[1:i+1], c[:i])
		c[0] = zero
		c = c[1:]
	} else {
		copy(c[i:], c[i+1:])
		c[len(c)-1] = zero
		c = c[:len(c)-1]
	}
	o.chunks[ci] = c
	switch {
	case len(c) == 0:
		if cap(c) == chunkMax {
			o.spare = c
		}
		copy(o.chunks[ci:], o.chunks[ci+1:])
		o.chunks[len(o.chunks)-1] = nil
		o.chunks = o.chunks[:len(o.chunks)-1]
	case len(c) < chunkMax/4:
		// Merge a chunk run low into a neighbour it fits in, so that
		// chunks stay a quarter full or more on average.
		if ci+1 < len(o.chunks) && len(c)+len(o.chunks[ci+1]) <= chunkMax {
			o.merge(ci)
		} else if ci > 0 && len(c)+len(o.chunks[ci-1]) <= chunkMax {
			o.merge(ci - 1)
		}
	}
	return true
}

// newChunk returns an empty chunk with room for chunkMax elements.
func (o *ordered[T]) newChunk() []T {
	if c := o.spare; c != nil {
		o.spare = nil
		return c
	}
	return make([]T, 0, chunkMax)
}

// merge joins chunk ci+1 onto chunk ci.
func (o *ordered[T]) merge(ci int) {
	o.chunks[ci] = append(o.chunks[ci], o.chunks[ci+1]...)
	copy(o.chunks[ci+1:], o.chunks[ci+2:])
	o.chunks[len(o.chunks)-1] = nil
	o.chunks = o.chunks[:len(o.chunks)-1]
}

// each calls fn with the elements from offset on, in order, until fn
// returns false.
func (o *ordered[T]) each(offset int, fn func(T) bool) {
	if offset < 0 {
		offset = 0
	}
	for _, c := range o.chunks {
		if offset >= len(c) {
			offset -= len(c)
			continue
		}
		for _, v := range c[offset:] {
			if !fn(v) {
				return
			}
		}
		offset = 0
	}
}

// eachBack calls fn with the elements from the last but offset back to
// the first, until fn returns false.
func (o *ordered[T]) eachBack(offset int, fn func(T) bool) {
	if offset < 0 {
		offset = 0
	}
	for ci := len(o.chunks) - 1; ci >= 0; ci-- {
		c := o.chunks[ci]
		if offset >= len(c) {
			offset -= len(c)
			continue
		}
		for i := len(c) - 1 - offset; i >= 0; i-- {
			if !fn(c[i]) {
				return
			}
		}
		offset = 0
	}
}

// last returns the last element, if any.
func (o *ordered[T]) last() (T, bool) {
	if len(o.chunks) == 0 {
		var zero T
		return zero, false
	}
	c := o.chunks[len(o.chunks)-1]
	return c[len(c)-1], true
}

// setLast replaces the last element, which must exist, with v, which must
// be in its place there.
func (o *ordered[T]) setLast(v T) {
	c := o.chunks[len(o.chunks)-1]
	c[len(c)-1] = v
}

// first returns the first element, if any.
func (o *ordered[T]) first() (T, bool) {
	if len(o.chunks) == 0 {
		var zero T
		return zero, false
	}
	return o.chunks[0][0], true
}
