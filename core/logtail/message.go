package logtail

import (
	"strconv"
	"strings"
)

// Field is one key=value of a log line other than its time, level and
// message.
type Field struct{ Key, Value string }

// Message splits one logrus text line (time="…" level=info msg="…"
// key=value…) into its message and its other fields, in order, with
// quoted values unquoted: what a person reads. A line in another form (a
// JSON line, a stack trace, plain text) is its own message, whole and
// without fields.
func Message(text string) (msg string, fields []Field) {
	rest, hasMsg := text, false
	for rest = strings.TrimLeft(rest, " "); rest != ""; rest = strings.TrimLeft(rest, " ") {
		key, value, after, ok := nextPair(rest)
		if !ok {
			return text, nil
		}
		switch key {
		case "time", "level":
		case "msg":
			msg, hasMsg = value, true
		default:
			fields = append(fields, Field{key, value})
		}
		rest = after
	}
	if !hasMsg {
		return text, nil
	}
	return msg, fields
}

// nextPair reads key=value or key="quoted value" from the start of s.
func nextPair(s string) (key, value, rest string, ok bool) {
	eq := strings.IndexAny(s, `= "`)
	if eq <= 0 || s[eq] != '=' {
		return "", "", "", false
	}
	key, s = s[:eq], s[eq+1:]
	if !strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		return key, s[:end], s[end:], true
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the escaped character
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", "", false
			}
			return key, v, s[i+1:], true
		}
	}
	return "", "", "", false // no closing quote: a line cut short
}
