package wire

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Types the walk treats as values of their own (read only, never changed).
var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// Sanitise returns a copy of v in which every value JSON cannot encode is
// replaced, and the replacements: a time that time.Time.MarshalJSON
// refuses (a year outside 0–9999 in its own zone, a zone offset of 24
// hours or more) becomes the zero time; a NaN or infinite float becomes 0;
// a json.RawMessage that is not JSON becomes null. Only the parts of v on
// the way to a replaced value are copied; the rest is shared with v, which
// is never changed. Unexported fields are copied as they are (JSON does
// not see them).
func Sanitise(v any) (any, []Fix) {
	if v == nil {
		return nil, nil
	}
	s := &sanitiser{}
	out, changed := s.walk(reflect.ValueOf(v))
	if !changed {
		return v, nil
	}
	return out.Interface(), s.fixes
}

type sanitiser struct {
	path  []string // the way down to the value being walked
	fixes []Fix
}

func (s *sanitiser) fix(reason, detail string) {
	s.fixes = append(s.fixes, Fix{Path: strings.Join(s.path, ""), Reason: reason, Detail: detail})
}

func (s *sanitiser) push(p string) { s.path = append(s.path, p) }
func (s *sanitiser) pop()          { s.path = s.path[:len(s.path)-1] }

// walk returns v, or a copy with its bad values replaced (changed true).
func (s *sanitiser) walk(v reflect.Value) (reflect.Value, bool) {
	t := v.Type()
	switch t {
	case timeType:
		tm := v.Interface().(time.Time)
		if _, err := tm.MarshalJSON(); err != nil {
			s.fix(ReasonTime, err.Error())
			return reflect.Zero(t), true
		}
		return v, false
	case rawType:
		if raw := v.Bytes(); len(raw) > 0 && !json.Valid(raw) {
			s.fix(ReasonPayload, "not JSON")
			return reflect.Zero(t), true
		}
		return v, false
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			s.fix(ReasonFloat, strconv.FormatFloat(f, 'g', -1, 64))
			return reflect.Zero(t), true
		}
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		elem, changed := s.walk(v.Elem())
		if !changed {
			return v, false
		}
		out := reflect.New(t.Elem())
		out.Elem().Set(elem)
		return out, true
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		elem, changed := s.walk(v.Elem())
		if !changed {
			return v, false
		}
		out := reflect.New(t).Elem()
		out.Set(elem)
		return out, true
	case reflect.Struct:
		var out reflect.Value
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			s.push("." + f.Name)
			fv, changed := s.walk(v.Field(i))
			s.pop()
			if !changed {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(t).Elem()
				out.Set(v)
			}
			out.Field(i).Set(fv)
		}
		if out.IsValid() {
			return out, true
		}
	case reflect.Slice, reflect.Array:
		if (t.Kind() == reflect.Slice && v.IsNil()) || t.Elem().Kind() == reflect.Uint8 {
			return v, false
		}
		var out reflect.Value
		for i := range v.Len() {
			s.push("[" + strconv.Itoa(i) + "]")
			ev, changed := s.walk(v.Index(i))
			s.pop()
			if !changed {
				continue
			}
			if !out.IsValid() {
				if t.Kind() == reflect.Slice {
					out = reflect.MakeSlice(t, v.Len(), v.Len())
					reflect.Copy(out, v)
				} else {
					out = reflect.New(t).Elem()
					out.Set(v)
				}
			}
			out.Index(i).Set(ev)
		}
		if out.IsValid() {
			return out, true
		}
	case reflect.Map:
		if v.IsNil() {
			return v, false
		}
		var out reflect.Value
		iter := v.MapRange()
		for iter.Next() {
			s.push("[" + keyText(iter.Key()) + "]")
			mv, changed := s.walk(iter.Value())
			s.pop()
			if !changed {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeMapWithSize(t, v.Len())
				copyIter := v.MapRange()
				for copyIter.Next() {
					out.SetMapIndex(copyIter.Key(), copyIter.Value())
				}
			}
			out.SetMapIndex(iter.Key(), mv)
		}
		if out.IsValid() {
			return out, true
		}
	}
	return v, false
}

// keyText is a map key as a path shows it.
func keyText(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return strconv.Quote(k.String())
	}
	return "?"
}
