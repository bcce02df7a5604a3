package board

import "hash/maphash"

// keyed is what a table holds: a value that knows the key it is under.
type keyed interface {
	comparable
	tableKey() key
}

// table maps keys to the values that know them, as a map[key]V would, for
// the board's big maps (chats, histories). It keeps the values in a Go map
// by a 64-bit hash of their key, which it computes once per operation: a
// map of hashes grows by moving integers, where a map of keys hashes every
// key again (reading strings scattered over the heap), and hashing an
// integer costs next to nothing. A value whose key's hash another key has
// already goes in spill, a map by key, which is all but always empty.
//
// A key is in one of the two maps at most: in byHash under its hash, or in
// spill.
type table[V keyed] struct {
	seed   maphash.Seed
	byHash map[uint64]V
	spill  map[key]V
}

func newTable[V keyed]() table[V] {
	return table[V]{seed: maphash.MakeSeed(), byHash: map[uint64]V{}}
}

// hash returns k's hash.
func (t *table[V]) hash(k key) uint64 {
	return maphash.String(t.seed, k.id) ^ uint64(k.src)*0x9e3779b97f4a7c15
}

// len is the number of values held.
func (t *table[V]) len() int { return len(t.byHash) + len(t.spill) }

// get returns the value under k, if any (the zero V if none).
func (t *table[V]) get(k key) V {
	v, _ := t.lookup(k)
	return v
}

// lookup returns the value under k, if any (the zero V if none), and k's
// hash, for putHashed.
func (t *table[V]) lookup(k key) (V, uint64) {
	h := t.hash(k)
	if v, ok := t.byHash[h]; ok && v.tableKey() == k {
		return v, h
	}
	var zero V
	if len(t.spill) > 0 {
		return t.spill[k], h
	}
	return zero, h
}

// put puts v under k, in place of any value there, and returns k's hash.
// v.tableKey() must be k.
func (t *table[V]) put(k key, v V) uint64 {
	h := t.hash(k)
	t.putHashed(h, k, v)
	return h
}

// putHashed is put with k's hash h.
func (t *table[V]) putHashed(h uint64, k key, v V) {
	if len(t.spill) > 0 {
		if _, ok := t.spill[k]; ok {
			t.spill[k] = v
			return
		}
	}
	if old, ok := t.byHash[h]; ok && old.tableKey() != k {
		if t.spill == nil {
			t.spill = map[key]V{}
		}
		t.spill[k] = v
		return
	}
	t.byHash[h] = v
}

// delete takes out the value under k, if any.
func (t *table[V]) delete(k key) {
	h := t.hash(k)
	if v, ok := t.byHash[h]; ok && v.tableKey() == k {
		delete(t.byHash, h)
	} else if len(t.spill) > 0 {
		delete(t.spill, k)
	}
}

// remove takes out v, if the table holds it, given the hash of its key:
// delete without hashing the key or comparing it.
func (t *table[V]) remove(h uint64, v V) {
	if cur, ok := t.byHash[h]; ok && cur == v {
		delete(t.byHash, h)
	} else if len(t.spill) > 0 {
		if k := v.tableKey(); t.spill[k] == v {
			delete(t.spill, k)
		}
	}
}

// all calls fn with each key and value, in no particular order. fn must
// not change the table.
func (t *table[V]) all(fn func(key, V)) {
	for _, v := range t.byHash {
		fn(v.tableKey(), v)
	}
	for k, v := range t.spill {
		fn(k, v)
	}
}
