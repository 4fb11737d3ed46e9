package backup

import (
	"path/filepath"
	"runtime"
	"strings"
)

// caseInsensitiveFS: the platform's usual file systems ignore case.
var caseInsensitiveFS = runtime.GOOS == "windows" || runtime.GOOS == "darwin"

// relRoot maps an absolute source path to where it lives inside a
// snapshot, as a slash-separated relative path: /home/alice → home/alice,
// C:\Users\alice → C/Users/alice, \\server\share\dir → UNC/server/share/dir.
// Every source keeps its full path, so two sources never collide and a
// person finds a file where it was.
func relRoot(abs string) string {
	p := filepath.Clean(abs)
	vol := filepath.VolumeName(p)
	rest := strings.TrimLeft(filepath.ToSlash(p[len(vol):]), "/")
	switch {
	case vol == "":
	case strings.HasPrefix(vol, `\\`) || strings.HasPrefix(vol, "//"):
		v := strings.Trim(filepath.ToSlash(vol), "/")
		rest = strings.TrimSuffix("UNC/"+v+"/"+rest, "/")
	default:
		rest = strings.TrimSuffix(strings.TrimSuffix(vol, ":")+"/"+rest, "/")
	}
	return rest
}

// originalPath is where the snapshot-relative path rel was backed up
// from: relRoot's inverse, home/alice → /home/alice, C/Users/alice →
// C:\Users\alice, UNC/server/share/dir → \\server\share\dir.
func originalPath(rel string) string { return originalPathOn(runtime.GOOS, rel) }

// originalPathOn is originalPath on the system goos.
func originalPathOn(goos, rel string) string {
	if goos != "windows" {
		return "/" + rel
	}
	first, rest, _ := strings.Cut(rel, "/")
	rest = strings.ReplaceAll(rest, "/", `\`)
	if first == "UNC" {
		return `\\` + rest
	}
	return first + `:\` + rest
}

// nativeRel turns a snapshot-relative slash path into an OS path below base.
func nativeRel(base, rel string) string {
	if rel == "" {
		return base
	}
	return filepath.Join(base, filepath.FromSlash(rel))
}

// inRoot is rel, a path as a manifest records it, as an os.Root of
// the snapshot names it (nativeRel without the snapshot's folder).
func inRoot(rel string) string {
	if rel == "" {
		return "."
	}
	return filepath.FromSlash(rel)
}

// inSnapshot reports whether p, a path as a manifest records it, names
// something inside the snapshot: relative, and without a ".." part
// (split at '/', and at the system's own separator), so that joined to
// any folder (nativeRel) it stays below that folder. Unlike cleanRel it
// cleans nothing first: " /../../x" has a ".." part although cleaned as
// an absolute path it would not.
func inSnapshot(p string) bool {
	if strings.HasPrefix(p, "/") || filepath.IsAbs(p) || filepath.VolumeName(p) != "" {
		return false
	}
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == filepath.Separator }) {
		if part == ".." {
			return false
		}
	}
	return true
}

// cleanRel normalises a path a user gave for something inside a snapshot:
// an original absolute path (/home/alice/x) or a snapshot-relative one
// (home/alice/x) both become home/alice/x. ok is false for a path that
// leaves the snapshot.
func cleanRel(p string) (string, bool) {
	p = strings.TrimSpace(p)
	if p == "" || p == "/" || p == "." {
		return "", true
	}
	if filepath.IsAbs(p) || filepath.VolumeName(p) != "" {
		p = relRoot(p)
	}
	p = strings.Trim(filepath.ToSlash(p), "/")
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", false
		}
	}
	c := filepath.ToSlash(filepath.Clean(filepath.FromSlash(p)))
	if c == "." {
		c = ""
	}
	return c, true
}

// TopName is how a person on the system goos names a folder at the top
// of a snapshot's tree (relRoot's first element): on Windows the drive C
// is C:, and UNC holds the network shares (\\server\share). Elsewhere,
// and for any other name, it is the name.
func TopName(goos, name string) string {
	switch {
	case goos != "windows":
	case len(name) == 1 && isDriveLetter(name[0]):
		return name + ":"
	case name == "UNC":
		return `\\ (network shares)`
	}
	return name
}
