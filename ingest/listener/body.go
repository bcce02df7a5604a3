package listener

import (
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// acceptEncoding is what a 415 for an unknown content coding offers
// instead (RFC 9110 §15.5.16).
const acceptEncoding = "gzip, deflate, identity"

// bodyError is a body that cannot be taken, with the status that says why.
type bodyError struct {
	status int
	msg    string
}

func (e *bodyError) Error() string { return e.msg }

// readBody reads a request body of at most limit bytes, decoding a gzip
// or deflate Content-Encoding. The limit holds for the bytes on the wire
// and again for the decoded body, so that a small compressed body cannot
// inflate past it. A declared Content-Length over the limit is refused
// before any byte is read.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *bodyError) {
	if r.ContentLength > limit {
		// The rest is not worth reading: the connection closes after the answer.
		w.Header().Set("Connection", "close")
		return nil, tooLarge(limit, "Content-Length "+strconv.FormatInt(r.ContentLength, 10))
	}
	coding, berr := contentCoding(r.Header.Values("Content-Encoding"))
	if berr != nil {
		w.Header().Set("Accept-Encoding", acceptEncoding)
		return nil, berr
	}
	wire := &countingReader{r: http.MaxBytesReader(w, r.Body, limit)}
	body, err := decodeBody(wire, coding, limit)
	if err == nil {
		return body, nil
	}
	if wire.err != nil {
		// The connection failed, whatever the decoder made of it.
		err = wire.err
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, tooLarge(limit, "body")
	case errors.Is(err, errDecodedTooLarge):
		return nil, tooLarge(limit, "decoded "+coding+" body")
	case isTimeout(err):
		w.Header().Set("Connection", "close")
		return nil, &bodyError{http.StatusRequestTimeout, "body not received in time: " +
			strconv.FormatInt(wire.n, 10) + " bytes came before the server's read timeout; send the whole body at once"}
	case wire.err == nil && coding != "":
		// The wire was read whole: the coding itself is broken.
		return nil, &bodyError{http.StatusBadRequest, "body: Content-Encoding " + coding + " but the body is not " +
			coding + " data: " + err.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg := "body cut short after " + strconv.FormatInt(wire.n, 10) + " bytes"
		if r.ContentLength >= 0 {
			msg += " of " + strconv.FormatInt(r.ContentLength, 10)
		}
		return nil, &bodyError{http.StatusBadRequest, msg}
	}
	return nil, &bodyError{http.StatusBadRequest, "reading body: " + netReason(err)}
}

func tooLarge(limit int64, what string) *bodyError {
	return &bodyError{http.StatusRequestEntityTooLarge, what + " larger than " + strconv.FormatInt(limit, 10) + " bytes"}
}

// contentCoding is the one coding a Content-Encoding asks to undo: "" for
// none (or identity), "gzip" or "deflate". More than one coding, or any
// other, is a 415.
func contentCoding(values []string) (string, *bodyError) {
	var codings []string
	for _, v := range values {
		for c := range strings.SplitSeq(v, ",") {
			switch c = strings.ToLower(strings.TrimSpace(c)); c {
			case "", "identity":
			case "x-gzip":
				codings = append(codings, "gzip")
			default:
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		return "", nil
	case len(codings) > 1:
		return "", &bodyError{http.StatusUnsupportedMediaType, "Content-Encoding " + strconv.Quote(strings.Join(codings, ", ")) +
			": one coding at most (gzip or deflate)"}
	case codings[0] == "gzip", codings[0] == "deflate":
		return codings[0], nil
	}
	return "", &bodyError{http.StatusUnsupportedMediaType, "Content-Encoding " + strconv.Quote(codings[0]) +
		" is not supported: send the body as it is, or with gzip or deflate"}
}

// errDecodedTooLarge is a compressed body that inflates past the limit.
var errDecodedTooLarge = errors.New("decoded body over the limit")

// decodeBody reads wire whole, undoing coding, and stops with
// errDecodedTooLarge as soon as the decoded body passes limit.
func decodeBody(wire io.Reader, coding string, limit int64) ([]byte, error) {
	var dec io.Reader
	switch coding {
	case "":
		return io.ReadAll(wire)
	case "gzip":
		zr, err := gzip.NewReader(wire)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		dec = zr
	case "deflate":
		// zlib, as RFC 9110 defines "deflate". Raw deflate is not
		// guessed at: nearly any bytes inflate to something as raw
		// deflate, so a mislabelled body would read as garbage JSON.
		zr, err := zlib.NewReader(wire)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		dec = zr
	}
	body, err := io.ReadAll(io.LimitReader(dec, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, errDecodedTooLarge
	}
	// What follows the compressed data is read too, so that a wire over
	// the limit or a stalled sender is told as such.
	if _, err := io.Copy(io.Discard, wire); err != nil {
		return nil, err
	}
	return body, nil
}

// countingReader counts the bytes read from the wire and keeps its first
// error (to tell a broken coding from a broken connection).
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// netReason is a read error without the socket addresses a net.OpError
// carries (they say nothing to the sender and leak the server's).
func netReason(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
