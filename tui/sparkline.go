package tui

import "strings"

// sparkBlocks are a sparkline's eight heights.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// series is a trend's values, oldest first; known[i] is false where the
// board has no record (drawn as a blank).
type series struct {
	vals  []float64
	known []bool
}

// bucket folds the series into at most w buckets, oldest first, each the
// worst of its points by pick (max for a queue, min for a service level),
// so that a peak of one minute still shows in a narrow tile.
func (s series) bucket(w int, pick func(a, b float64) float64) series {
	n := len(s.vals)
	if w <= 0 || n == 0 {
		return series{}
	}
	if n <= w {
		return s
	}
	out := series{vals: make([]float64, w), known: make([]bool, w)}
	for i := range w {
		from, to := i*n/w, (i+1)*n/w
		for j := from; j < to; j++ {
			if !s.known[j] {
				continue
			}
			if !out.known[i] {
				out.vals[i], out.known[i] = s.vals[j], true
			} else {
				out.vals[i] = pick(out.vals[i], s.vals[j])
			}
		}
	}
	return out
}

// span is the smallest and largest known value; ok is false with none.
func (s series) span() (lo, hi float64, ok bool) {
	for i, v := range s.vals {
		if !s.known[i] {
			continue
		}
		if !ok || v < lo {
			lo = v
		}
		if !ok || v > hi {
			hi = v
		}
		ok = true
	}
	return lo, hi, ok
}

// sparkline draws the series in exactly w cells, right-aligned (the newest
// point in the last cell), scaled from 0 (or below, for negative values)
// to top, or to the largest value if top is 0.
func sparkline(s series, w int, top float64, pick func(a, b float64) float64) string {
	s = s.bucket(w, pick)
	_, hi, ok := s.span()
	if top <= 0 {
		top = hi
	}
	var b strings.Builder
	b.Grow(w * 3)
	b.WriteString(strings.Repeat(" ", max(w-len(s.vals), 0)))
	for i, v := range s.vals {
		switch {
		case !s.known[i] || !ok:
			b.WriteByte(' ')
		case top <= 0 || v <= 0:
			b.WriteRune(sparkBlocks[0])
		default:
			k := int(v/top*float64(len(sparkBlocks)-1) + 0.5)
			b.WriteRune(sparkBlocks[min(max(k, 0), len(sparkBlocks)-1)])
		}
	}
	return b.String()
}

func maxf(a, b float64) float64 { return max(a, b) }
func minf(a, b float64) float64 { return min(a, b) }
