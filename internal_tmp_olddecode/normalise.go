//go:build zzdiff

package olddecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Normalise turns a request body into UTF-8 JSON object text: it strips a
// UTF-8 byte-order mark, transcodes UTF-16 (with or without a mark) and
// the Latin-1 family (named in the Content-Type charset, or guessed when the
// bytes are not UTF-8), and removes // and /* */ comments when they are
// what keeps the text from being JSON (Chatlio's documented sample has one).
// Anything else that is not one JSON object is an *Error saying what it is.
func Normalise(body []byte, contentType string) ([]byte, error) {
	body, err := toUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, &Error{Msg: "empty body: expected a JSON object"}
	}
	if !json.Valid(trimmed) {
		stripped := stripComments(trimmed)
		if !json.Valid(stripped) {
			return nil, &Error{Msg: "invalid JSON: " + syntaxError(trimmed)}
		}
		trimmed = bytes.TrimSpace(stripped)
	}
	switch trimmed[0] {
	case '{':
		return trimmed, nil
	case '[':
		return nil, &Error{Msg: "expected a JSON object, got an array"}
	case 'n':
		return nil, &Error{Msg: "expected a JSON object, got null"}
	case '"':
		return nil, &Error{Msg: "expected a JSON object, got a string"}
	case 't', 'f':
		return nil, &Error{Msg: "expected a JSON object, got a boolean"}
	default:
		return nil, &Error{Msg: "expected a JSON object, got a number"}
	}
}

func syntaxError(b []byte) string {
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if err != nil {
		return err.Error()
	}
	return "unknown error"
}

func toUTF8(body []byte, contentType string) ([]byte, error) {
	switch {
	case bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}):
		if body = body[3:]; utf8.Valid(body) {
			return body, nil
		}
		return transcode(body, charmap.Windows1252)
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
		return transcode(body, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM))
	case bytes.HasPrefix(body, []byte{0xFE, 0xFF}):
		return transcode(body, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM))
	case len(body) >= 2 && body[0] == 0 && body[1] != 0:
		return transcode(body, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM))
	case len(body) >= 2 && body[0] != 0 && body[1] == 0:
		return transcode(body, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM))
	}
	if cs := charset(contentType); cs != "" && cs != "utf-8" && cs != "utf8" && cs != "us-ascii" {
		switch cs {
		case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
			return transcode(body, charmap.ISO8859_1)
		case "windows-1252", "cp1252":
			return transcode(body, charmap.Windows1252)
		case "iso-8859-15", "latin9":
			return transcode(body, charmap.ISO8859_15)
		case "utf-16", "utf-16le":
			return transcode(body, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM))
		case "utf-16be":
			return transcode(body, unicode.UTF16(unicode.BigEndian, unicode.UseBOM))
		}
	}
	if !utf8.Valid(body) {
		// Not UTF-8 and not labelled: Windows-1252 is the usual culprit, and
		// it maps every byte, so nothing is lost.
		return transcode(body, charmap.Windows1252)
	}
	return body, nil
}

func charset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(params["charset"]))
}

func transcode(b []byte, enc encoding.Encoding) ([]byte, error) {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return nil, &Error{Msg: "body is not valid text in its encoding: " + err.Error()}
	}
	return out, nil
}

// stripComments removes // line and /* block */ comments outside strings.
func stripComments(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inStr, esc := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out = append(out, c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
			out = append(out, c)
			continue
		}
		if c == '/' && i+1 < len(b) && b[i+1] == '/' {
			for i < len(b) && b[i] != '\n' {
				i++
			}
			if i < len(b) {
				out = append(out, '\n')
			}
			continue
		}
		if c == '/' && i+1 < len(b) && b[i+1] == '*' {
			end := bytes.Index(b[i+2:], []byte("*/"))
			if end < 0 {
				return out
			}
			i += end + 3
			out = append(out, ' ')
			continue
		}
		out = append(out, c)
	}
	return out
}
