package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/lanyard/lanyard/core/human"
)

// Task is a backup task as stored: what to copy, where to, when, and how
// many snapshots to keep. The agent persists it as JSON.
type Task struct {
	Name        string    `json:"name"`
	Sources     []string  `json:"sources"`     // absolute paths of files or folders
	Destination string    `json:"destination"` // absolute path of an existing folder
	Excludes    []string  `json:"excludes,omitempty"`
	Schedule    string    `json:"schedule"` // ParseSchedule's canonical form
	Retention   Retention `json:"retention"`
	// OverdueAfter is how long after its last success the task counts as
	// overdue; 0 means twice the schedule's interval (never for manual).
	OverdueAfter Duration `json:"overdue_after,omitempty"`
	// CatchUp runs a task once at start when the agent was down at its
	// scheduled time.
	CatchUp bool `json:"catch_up"`
	// Speed is the most its runs copy a second; 0: no limit.
	Speed Speed `json:"speed,omitempty"`
	// Retries is how many times a failed scheduled run is tried again,
	// RetryWait apart (DefaultRetryWait when 0); see retry.go.
	Retries   int      `json:"retries,omitempty"`
	RetryWait Duration `json:"retry_wait,omitempty"`
	// Paused: the task runs only when asked, as a manual one, until it is
	// resumed; its Schedule is kept (ScheduleInForce).
	Paused bool `json:"paused,omitempty"`
	// VerifyEvery is how often a run also verifies its snapshot, every
	// file re-read against the manifest (verifyevery.go); 0: never.
	VerifyEvery Duration `json:"verify_every,omitempty"`
	// Version grows by one with every save; a save made against an older
	// version is refused (ErrConflict).
	Version  uint64    `json:"version"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
}

// ScheduleInForce is the schedule the task runs on: its own, or manual
// while it is paused. The scheduler, catch-up, retries, the next run and
// whether the task is overdue follow it.
func (t *Task) ScheduleInForce() string {
	if t.Paused {
		return ScheduleManual
	}
	return t.Schedule
}

// Duration is a time.Duration that reads and writes as text ("36h").
type Duration time.Duration

// MarshalText writes d as time.Duration's String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// String is d as a person would type it for --overdue-after: "48h",
// "1h30m", "36h30m", not time.Duration's "48h0m0s".
func (d Duration) String() string { return human.Typed(time.Duration(d)) }

// UnmarshalText reads what time.ParseDuration reads.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// ErrInvalid matches every validation error: the task (or request) is at
// fault, not the machine.
var ErrInvalid = errors.New("invalid backup task")

type invalidError struct {
	msg   string
	field string // the task's field at fault, when one is
	cause error  // what else it is, when more is known (an *OwnerError)
}

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }
func (e *invalidError) Unwrap() error        { return e.cause }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Fields of a task, as FieldOf names them.
const (
	FieldName         = "name"
	FieldSources      = "sources"
	FieldDestination  = "destination"
	FieldExcludes     = "excludes"
	FieldSchedule     = "schedule"
	FieldRetention    = "retention"
	FieldOverdueAfter = "overdue_after"
	FieldSpeed        = "speed"
	FieldRetries      = "retries"
	FieldVerifyEvery  = "verify_every"
)

// inField marks a validation error as the fault of one field, so that a
// form can show it under that field.
func inField(field string, err error) error {
	var ie *invalidError
	if errors.As(err, &ie) {
		return &invalidError{msg: ie.msg, field: field, cause: ie.cause}
	}
	return err
}

// FieldOf is the task field a validation error is about ("" when it is
// about none, or is not a validation error).
func FieldOf(err error) string {
	var ie *invalidError
	if errors.As(err, &ie) {
		return ie.field
	}
	return ""
}

// AbsOnServer says p is an absolute path on a server of either kind
// (/srv/data, C:\Data, \\nas\share), whatever the system that asks: a
// console checks the paths it sends an agent before the agent does, and
// nothing on the console knows the server's working folder.
func AbsOnServer(p string) bool {
	return strings.HasPrefix(p, "/") || len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
}

// CheckGivenPaths refuses a task whose sources or destination are not
// absolute as given: a console sends the paths a person typed for a
// server, and Normalize would make a relative one absolute against the
// agent's working folder, which nobody chose.
func (t *Task) CheckGivenPaths() error {
	for _, s := range t.Sources {
		if s = strings.TrimSpace(s); !AbsOnServer(s) {
			return inField(FieldSources, invalidf("source %q is not an absolute path", s))
		}
	}
	if d := strings.TrimSpace(t.Destination); d != "" && !AbsOnServer(d) {
		return inField(FieldDestination, invalidf("destination %q is not an absolute path", d))
	}
	return nil
}

// MaxNameLen bounds a task's name, which is also a folder name.
const MaxNameLen = 63

// ValidateName checks a task's name: 1–63 letters, digits, '-', '_' or
// '.', starting with a letter or digit. Names are compared without case
// (NameKey), since the name is a folder on disks that ignore case.
func ValidateName(name string) error {
	if name == "" {
		return invalidf("a task needs a name")
	}
	if len(name) > MaxNameLen {
		return invalidf("task name %q is longer than %d characters", name, MaxNameLen)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !ok && i > 0 {
			ok = r == '-' || r == '_' || r == '.'
		}
		if !ok {
			msg := fmt.Sprintf("task name %q: use letters, digits, '-', '_' and '.', starting with a letter or digit", name)
			if s := suggestName(name); s != "" {
				msg += ", such as " + s
			}
			return invalidf("%s", msg)
		}
	}
	return nil
}

// suggestName is a valid name like name, each run of what a name may not
// hold made one '-' ("my docs" → "my-docs", "#1 server" → "1-server"),
// or "" when name holds letters of other scripts (a suggestion would
// lose them) or nothing is left.
func suggestName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		case r > unicode.MaxASCII && unicode.IsLetter(r):
			return ""
		default:
			dash = true
		}
	}
	s := strings.TrimLeft(b.String(), "_.")
	if len(s) > MaxNameLen {
		s = s[:MaxNameLen]
	}
	if s == "" || s == name {
		return ""
	}
	return s
}

// NameKey is the case-insensitive identity of a task name.
func NameKey(name string) string { return strings.ToLower(name) }

// metaDir is the folder at the root of every snapshot that holds its
// manifest and summary; no source may have it as its top folder.
const metaDir = ".lanyard"

// Normalize cleans t in place: absolute, cleaned paths, canonical schedule,
// trimmed excludes. It fails only when a path cannot be made absolute.
func (t *Task) Normalize() error {
	t.Name = strings.TrimSpace(t.Name)
	for i, s := range t.Sources {
		a, err := filepath.Abs(strings.TrimSpace(s))
		if err != nil {
			return invalidf("source %q: %v", s, err)
		}
		t.Sources[i] = a
	}
	if t.Destination != "" {
		a, err := filepath.Abs(strings.TrimSpace(t.Destination))
		if err != nil {
			return invalidf("destination %q: %v", t.Destination, err)
		}
		t.Destination = a
	}
	ex := t.Excludes[:0]
	for _, e := range t.Excludes {
		if e = strings.TrimSpace(e); e != "" {
			ex = append(ex, e)
		}
	}
	t.Excludes = ex
	if s, err := ParseSchedule(t.Schedule); err == nil {
		t.Schedule = s.String()
	}
	return nil
}

// MissingDestination is Validate's warning that destination dest does
// not exist yet.
func MissingDestination(dest string) string {
	return fmt.Sprintf("the destination %s does not exist yet: runs fail until it does (create it, or mount the share)", dest)
}

// MakeDestination creates the destination folder dest when it does not
// exist yet, as MakeFolder does. Errors match ErrInvalid, in
// FieldDestination.
func MakeDestination(dest string) (bool, error) {
	made, err := makeFolder("the destination", dest)
	if err != nil {
		return false, inField(FieldDestination, err)
	}
	return made, nil
}

// MakeFolder creates folder dir when it does not exist yet, as a person
// choosing a task's destination or a restore's target asks: the last
// folder only, owner-only as the snapshots and restored files in it. Its
// parent must exist, so that a mistyped path or a share's folder higher
// up fails here instead of growing a tree on the server's own disk. It
// says whether it created dir; a file of that name is an error. Errors
// that are the request's (a relative path, a missing parent) match
// ErrInvalid.
func MakeFolder(dir string) (bool, error) { return makeFolder("the folder", dir) }

func makeFolder(what, dir string) (bool, error) {
	if !filepath.IsAbs(dir) {
		return false, invalidf("%s %q is not an absolute path", strings.TrimPrefix(what, "the "), dir)
	}
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return false, invalidf("cannot create %s %s: a file of that name is there", what, dir)
		}
		return false, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, invalidf("cannot create %s %s: its parent folder %s does not exist (mount the share, or create the parent first)", what, dir, filepath.Dir(dir))
	}
	return false, invalidf("cannot create %s %s: %v", what, dir, errors.Unwrap(err))
}

// Validate checks everything about t that can be checked before a run:
// the name, that every source exists, that the destination is neither a
// source nor inside one (nor a source inside the destination), the
// exclude patterns, the schedule and the retention. Errors match
// ErrInvalid. Warnings are things that are allowed but probably not meant
// (a destination that does not exist yet: runs fail until it does).
func (t *Task) Validate() (warnings []string, err error) {
	if err := ValidateName(t.Name); err != nil {
		return nil, inField(FieldName, err)
	}
	if len(t.Sources) == 0 {
		return nil, inField(FieldSources, invalidf("task %s needs at least one source (--source PATH)", t.Name))
	}
	if t.Destination == "" {
		return nil, inField(FieldDestination, invalidf("task %s needs a destination folder (--dest DIR)", t.Name))
	}
	if !filepath.IsAbs(t.Destination) {
		return nil, inField(FieldDestination, invalidf("destination %q is not an absolute path", t.Destination))
	}
	seen := map[string]string{}
	for _, s := range t.Sources {
		if !filepath.IsAbs(s) {
			return nil, inField(FieldSources, invalidf("source %q is not an absolute path", s))
		}
		if _, err := os.Lstat(s); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, inField(FieldSources, invalidf("source %s does not exist", s))
			}
			return nil, inField(FieldSources, invalidf("source %s cannot be read: %v", s, err))
		}
		if rel := relRoot(s); rel == "" {
			return nil, inField(FieldSources, invalidf("source %s is the root of the file system: the destination would be inside it; name the folders to back up", s))
		} else if top, _, _ := strings.Cut(rel, "/"); top == metaDir {
			return nil, inField(FieldSources, invalidf("source %s: a top-level folder named %s is reserved for snapshot data", s, metaDir))
		}
		if prev, dup := seen[pathKey(s)]; dup {
			return nil, inField(FieldSources, invalidf("source %s is given twice (also as %s)", s, prev))
		}
		seen[pathKey(s)] = s
	}
	for _, a := range t.Sources {
		for _, b := range t.Sources {
			if a != b && within(b, a) {
				return nil, inField(FieldSources, invalidf("source %s is inside source %s: give only %s", b, a, a))
			}
		}
	}
	if err := CheckDestination(t.Sources, t.Destination); err != nil {
		return nil, inField(FieldDestination, err)
	}
	if fi, err := os.Stat(t.Destination); err != nil {
		warnings = append(warnings, MissingDestination(t.Destination))
	} else if !fi.IsDir() {
		return nil, inField(FieldDestination, invalidf("destination %s is not a folder", t.Destination))
	}
	roots := make([]string, len(t.Sources))
	for i, s := range t.Sources {
		roots[i] = relRoot(s)
	}
	for i, p := range compilePatterns(t.Excludes) {
		e := t.Excludes[i]
		if !p.valid() {
			return nil, inField(FieldExcludes, invalidf("exclude pattern %q is not a valid glob: use *, ** and ? (e.g. **/*.tmp or /home/*/.cache)", e))
		}
		if p.outside(roots) {
			warnings = append(warnings, fmt.Sprintf("exclude %q is inside no source, so it leaves nothing out: give a path below a source, or drop the first separator to match anywhere", e))
		}
	}
	if _, err := ParseSchedule(t.Schedule); err != nil {
		return nil, inField(FieldSchedule, invalidf("%v", err))
	}
	if err := t.Retention.Validate(); err != nil {
		return nil, inField(FieldRetention, err)
	}
	if t.OverdueAfter < 0 {
		return nil, inField(FieldOverdueAfter, invalidf("overdue-after %s is negative", time.Duration(t.OverdueAfter)))
	}
	if err := validSpeed(t.Speed); err != nil {
		return nil, inField(FieldSpeed, err)
	}
	if err := validRetry(t); err != nil {
		return nil, inField(FieldRetries, err)
	}
	if err := validVerifyEvery(t.VerifyEvery); err != nil {
		return nil, inField(FieldVerifyEvery, err)
	}
	return warnings, nil
}

// CheckDestination refuses a destination that is a source, is inside one
// (every run would copy the earlier snapshots again) or contains one. Both
// the paths as given and with symbolic links resolved are compared.
func CheckDestination(sources []string, dest string) error {
	d := dest
	dr := resolve(dest)
	for _, s := range sources {
		sr := resolve(s)
		switch {
		case pathKey(s) == pathKey(d) || pathKey(sr) == pathKey(dr):
			return invalidf("the destination %s is the same folder as the source %s: pick a destination outside every source", dest, s)
		case within(d, s) || within(dr, sr):
			return invalidf("the destination %s is inside the source %s: every run would copy the earlier snapshots again; pick a destination outside every source, or back up the folders beside it", dest, s)
		case within(s, d) || within(sr, dr):
			return invalidf("the source %s is inside the destination %s: pick a destination outside every source", s, dest)
		}
	}
	return nil
}

// resolve is p with symbolic links resolved as far as the path exists.
func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	dir, base := filepath.Split(p)
	if dir == p || dir == "" {
		return p
	}
	return filepath.Join(resolve(filepath.Clean(dir)), base)
}

// within says whether p is strictly inside dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// pathKey compares paths as the platform does (case-insensitively on
// Windows and macOS).
func pathKey(p string) string {
	p = filepath.Clean(p)
	if caseInsensitiveFS {
		return strings.ToLower(p)
	}
	return p
}
