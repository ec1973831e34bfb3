package sasl

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// maxMessage bounds a client's response, as Java's DigestMD5Server does.
const maxMessage = 4096

// directives is a parsed DIGEST-MD5 message (RFC 2831 §7.1: a comma
// separated list of name=value, the value a token or a quoted string).
type directives map[string]string

// parseDirectives reads a challenge or response. A directive given twice is
// an error (RFC 2831 allows it only for realm in a challenge, which we never
// parse twice).
func parseDirectives(b []byte) (directives, error) {
	if len(b) > maxMessage {
		return nil, fmt.Errorf("sasl: message of %d bytes is over %d", len(b), maxMessage)
	}
	out := directives{}
	i := 0
	skip := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			i++
		}
	}
	for {
		skip()
		for i < len(b) && b[i] == ',' { // empty list elements are allowed
			i++
			skip()
		}
		if i >= len(b) {
			return out, nil
		}
		start := i
		for i < len(b) && b[i] != '=' && b[i] != ',' && b[i] != ' ' && b[i] != '"' {
			i++
		}
		name := strings.ToLower(string(b[start:i]))
		skip()
		if name == "" || i >= len(b) || b[i] != '=' {
			return nil, errors.New("sasl: malformed directive")
		}
		i++
		skip()
		var val []byte
		if i < len(b) && b[i] == '"' {
			i++
			closed := false
			for i < len(b) {
				c := b[i]
				i++
				if c == '\\' && i < len(b) {
					val = append(val, b[i])
					i++
					continue
				}
				if c == '"' {
					closed = true
					break
				}
				val = append(val, c)
			}
			if !closed {
				return nil, errors.New("sasl: unterminated quoted string")
			}
		} else {
			start := i
			for i < len(b) && b[i] != ',' && b[i] != ' ' && b[i] != '\t' {
				i++
			}
			val = b[start:i]
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("sasl: directive %q given twice", name)
		}
		out[name] = string(val)
		skip()
		if i < len(b) && b[i] != ',' {
			return nil, errors.New("sasl: directives must be separated by commas")
		}
	}
}

// quote writes s as a quoted string, escaping quotes and backslashes.
func quote(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			buf.WriteByte('\\')
		}
		buf.WriteByte(s[i])
	}
	buf.WriteByte('"')
}
