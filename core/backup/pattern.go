package backup

import (
	"runtime"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// pathPattern is an exclude's or a search's pattern as it is compared
// with the slash paths a snapshot holds (see relRoot). Without a slash it
// matches a name anywhere (*.tmp, node_modules); with one, the whole
// original path (/home/*/.cache, C:\Users\*\AppData) or its end
// (Documents/tmp, **/build/**).
type pathPattern struct {
	glob string // in the snapshot's form, without a leading slash
	name bool   // glob matches the last element only
	top  bool   // glob names a place from the top (/home/*/.cache, C:\x)
	fold bool   // glob is in lower case, and so is what it is matched with
}

// compilePattern reads p as a person on the system goos writes paths.
// On Windows a backslash separates, as a slash does, and a path names
// its drive or share as relRoot stores them: C:\Users\** → C/Users/**,
// \\server\share\** → UNC/server/share/**, and \Users\** (no drive) →
// */Users/** (on any drive). Elsewhere a backslash escapes the next
// character, as in any glob. A separator at the end is dropped, as the
// snapshot's paths have none: build/ is a name, /home/*/.cache/ a path.
// A path not named from the top (/, a drive, a share) matches the end of
// the path, as rsync reads it: Documents/tmp is **/Documents/tmp. fold
// compares regardless of case.
func compilePattern(goos, p string, fold bool) pathPattern {
	pp := pathPattern{fold: fold}
	top := strings.HasPrefix(p, "/") // the path is named from the top
	if goos == "windows" {
		p = strings.ReplaceAll(p, `\`, "/")
		top = true
		switch {
		case strings.HasPrefix(p, "//"):
			p = "UNC/" + strings.TrimLeft(p, "/")
		case len(p) >= 2 && p[1] == ':' && isDriveLetter(p[0]):
			p = p[:1] + "/" + strings.TrimLeft(p[2:], "/")
		case strings.HasPrefix(p, "/"):
			p = "*/" + strings.TrimLeft(p, "/")
		default:
			top = false
		}
	}
	// A folder written with a separator after it (Temp\, .cache/,
	// build/) is that folder: the snapshot's paths end without one.
	if t := strings.TrimRight(p, "/"); t != "" {
		p = t
	}
	if fold {
		p = strings.ToLower(p)
	}
	pp.top = top
	pp.name = !top && !strings.Contains(p, "/") // C: is a drive, not a name
	pp.glob = strings.TrimPrefix(p, "/")
	if !pp.name && !top && !strings.HasPrefix(pp.glob, "**/") {
		pp.glob = "**/" + pp.glob // the end of the path, as rsync reads it
	}
	return pp
}

// compilePatterns compiles an agent's patterns: on its own system, and
// regardless of case where that system's file names are.
func compilePatterns(ps []string) []pathPattern {
	out := make([]pathPattern, len(ps))
	for i, p := range ps {
		out[i] = compilePattern(runtime.GOOS, p, caseInsensitiveFS)
	}
	return out
}

func isDriveLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// valid says whether the pattern is a glob doublestar reads.
func (pp pathPattern) valid() bool { return doublestar.ValidatePattern(pp.glob) }

// match says whether the pattern matches the snapshot path rel.
func (pp pathPattern) match(rel string) bool {
	if pp.fold {
		rel = strings.ToLower(rel)
	}
	if pp.name {
		rel = rel[strings.LastIndexByte(rel, '/')+1:]
	}
	ok, _ := doublestar.Match(pp.glob, rel)
	return ok
}

// outside says whether the pattern names a place from the top that is
// inside none of roots (its sources' paths in the snapshot), so it can
// match nothing a run backs up: /home/bob/.cache, or /home, when the
// source is /home/alice (a run walks below its sources, not above).
func (pp pathPattern) outside(roots []string) bool {
	if !pp.top {
		return false
	}
	lit, exact := pp.glob, true
	if i := strings.IndexAny(lit, `*?[{\`); i >= 0 {
		lit, exact = lit[:strings.LastIndexByte(lit[:i], '/')+1], false // the folder it lies in for certain
	} else {
		lit += "/"
	}
	for _, r := range roots {
		if pp.fold {
			r = strings.ToLower(r)
		}
		r += "/"
		if exact && strings.HasPrefix(lit, r) && lit != r || !exact && (strings.HasPrefix(r, lit) || strings.HasPrefix(lit, r)) {
			return false
		}
	}
	return true
}
