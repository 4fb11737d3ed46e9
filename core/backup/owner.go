package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lanyard/lanyard/core/wire"
)

// A task's folder is one server's. Two servers that back up a task of the
// same name to one share (a task copied to every server of a customer,
// its destination a NAS mounted on each) would otherwise write into one
// folder: each would list the other's snapshots as its own, remove them
// by its retention, and clean away the other's snapshot in progress as
// a stale one. The first run claims the folder in ownerFile; another
// server's run, and a save of another server's task there, is refused in
// words that say what to do.

// ownerFile, in a task's folder, names the server whose snapshots it holds.
const ownerFile = ".lanyard-owner"

// maxOwnerFile bounds what the owner file is read to (snapfile.go).
const maxOwnerFile = 64 << 10

// Owner is the server a task's snapshots are written by: its agent's name
// (what tells servers apart) and, for the words of a refusal, its host.
// The zero Owner claims nothing (an engine without an identity).
type Owner struct {
	Agent string `json:"agent"`
	Host  string `json:"host,omitempty"`
}

// ErrOtherOwner: a task's folder holds another server's snapshots.
var ErrOtherOwner = errors.New("the task's folder is another server's")

// OwnerError says whose a task's folder is.
type OwnerError struct {
	Dir, Task string
	Owner     Owner
}

// Error names the owner as its file does, quoted and cut (wire.Quote):
// anyone who can write to the destination can write that file.
func (e *OwnerError) Error() string {
	agent := wire.Quote(e.Owner.Agent)
	who := agent
	if e.Owner.Host != "" {
		who += " (host " + wire.PlainUpTo(e.Owner.Host, maxHostWords) + ")"
	}
	return fmt.Sprintf("the folder %s holds task %s of the server %s: give this task a destination of its own (two servers in one folder would remove each other's snapshots), or, if this server was %s before a rename, delete %s in that folder",
		e.Dir, e.Task, who, agent, ownerFile)
}

// maxHostWords bounds the host an owner file names, as it is shown.
const maxHostWords = 255 // the longest DNS name

func (e *OwnerError) Is(target error) bool { return target == ErrOtherOwner }

// CheckOwner says whether o may write task's snapshots under dest: yes
// when the task's folder is not there yet, is unclaimed or is o's. No is
// a validation error of the destination (errors.Is ErrInvalid and
// ErrOtherOwner), as a save of the task is refused.
func CheckOwner(dest, task string, o Owner) error {
	if err := ownedBy(TaskDir(dest, task), task, o); errors.Is(err, ErrOtherOwner) {
		return err
	}
	return nil // o's, or unreadable: the run says why, in its own words
}

// ownedBy says whether o may touch the snapshots in the task's folder
// dir: nil when it is unclaimed or o's, a validation error of the
// destination around an *OwnerError when it is another server's, and
// why not when its claim cannot be read.
func ownedBy(dir, task string, o Owner) error {
	if o.Agent == "" {
		return nil
	}
	cur, err := readOwner(dir)
	switch {
	case err != nil:
		return err
	case cur != nil && !sameOwner(*cur, o):
		oe := &OwnerError{Dir: dir, Task: task, Owner: *cur}
		return &invalidError{msg: oe.Error(), field: FieldDestination, cause: oe}
	}
	return nil
}

// claimTaskDir makes dir o's, unless it is another server's; a known
// owner's new host is written down.
func claimTaskDir(dir, task string, o Owner) error {
	if o.Agent == "" {
		return nil
	}
	cur, err := readOwner(dir)
	if err != nil {
		return err
	}
	if cur != nil && !sameOwner(*cur, o) {
		return &OwnerError{Dir: dir, Task: task, Owner: *cur}
	}
	if cur != nil && *cur == o {
		return nil
	}
	return writeOwner(dir, o)
}

// writeOwner makes dir o's.
func writeOwner(dir string, o Owner) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	// Whole or not at all: a new file, renamed over the old. Readable by
	// all: the other servers on the share must learn whose it is.
	path := filepath.Join(dir, ownerFile)
	if err := os.WriteFile(path+partialSuffix, append(b, '\n'), 0o644); err != nil {
		return destErr(err)
	}
	return destErr(os.Rename(path+partialSuffix, path))
}

// ReclaimTaskDir hands task's folder under dest from the server's old
// name to o, after the server was renamed: only a folder claimed by old
// changes. A destination that is not there now (its share not mounted)
// or a claim that cannot be read or written is an error that says what
// to do; a task that never ran has nothing to hand over.
func ReclaimTaskDir(dest, task, old string, o Owner) error {
	dir := TaskDir(dest, task)
	if _, err := os.Stat(dest); err != nil {
		return fmt.Errorf("the destination %s cannot be read now (is its share mounted?): once it can, delete %s in %s if it names %q", dest, ownerFile, dir, old)
	}
	cur, err := readOwner(dir)
	switch {
	case err != nil:
		return err
	case cur == nil || !sameOwner(*cur, Owner{Agent: old}):
		return nil
	}
	return writeOwner(dir, o)
}

// readOwner reads dir's owner; nil when it has none (or dir is not there).
func readOwner(dir string) (*Owner, error) {
	// Only a file, and no further than a bound (snapfile.go): a fifo
	// there would hold a run for ever, and a link to /dev/zero fill the
	// agent's memory.
	b, err := readOnDest(filepath.Join(dir, ownerFile), maxOwnerFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	switch {
	case notAsWritten(err):
		return nil, fmt.Errorf("cannot tell whose the folder %s is (%w): delete %s there, and the next run claims the folder for its server",
			dir, err, ownerFile)
	case err != nil:
		return nil, destErr(err)
	}
	var o Owner
	if err := json.Unmarshal(b, &o); err != nil || o.Agent == "" {
		return nil, fmt.Errorf("%s does not name a server (it reads %s): delete it, and the next run claims the folder for its server",
			filepath.Join(dir, ownerFile), wire.QuoteUpTo(string(b), maxOwnerWords))
	}
	return &o, nil
}

func sameOwner(a, b Owner) bool { return strings.EqualFold(a.Agent, b.Agent) }

// maxOwnerWords is how much of a damaged owner file an error shows.
const maxOwnerWords = 80
