package master

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/wire"
)

// Copying a task to other slaves: a provider sets a backup task up once
// and gives it to every server of a customer. Each slave gets the task
// as it is on the slave it comes from (its paths, schedule and
// retention), checked and saved by its own agent as an add from the
// window would be; what one slave refuses (a path that is not there, a
// task of that name already, no link) is its own result, not the
// others'.

// ErrTaskExists: the slave has a task of that name and the copy was not
// asked to replace it (TaskExistsError matches it).
var ErrTaskExists = errors.New("a task of that name is there already")

// TaskExistsError is a copy's refusal to overwrite a slave's task.
type TaskExistsError struct{ Slave, Task string }

func (e *TaskExistsError) Error() string {
	// The task's name as the agent sent it: peer's words, quoted.
	return fmt.Sprintf("%s has a task named %s already, left as it is", e.Slave, wire.Quote(e.Task))
}

// Is makes errors.Is(err, ErrTaskExists) true.
func (e *TaskExistsError) Is(target error) bool { return target == ErrTaskExists }

// CopyOptions say what a copy does besides adding the task.
type CopyOptions struct {
	// Replace: a slave's task of the same name is replaced, not left.
	Replace bool
	// Run: each slave that took the task runs it at once, to show it
	// works there.
	Run bool
	// Dest, when set, is the destination on each slave instead of the
	// task's, ServerPlaceholder standing for the slave's name: servers
	// that share a NAS each need a folder of their own on it
	// (/mnt/nas/{server}).
	Dest string
	// CreateDest: each slave creates the destination folder when it is
	// missing (its parent must exist there).
	CreateDest bool
}

// ServerPlaceholder, in CopyOptions.Dest, stands for each slave's name.
const ServerPlaceholder = "{server}"

// destFor is the destination opt gives slave's copy of a task whose
// own is dest.
func (opt CopyOptions) destFor(slave, dest string) string {
	if opt.Dest == "" {
		return dest
	}
	return strings.ReplaceAll(opt.Dest, ServerPlaceholder, folderName(slave))
}

// folderName is slave's name as a folder's: its slashes would make
// folders, so they become dashes.
func folderName(slave string) string {
	return strings.NewReplacer("/", "-", "\\", "-").Replace(slave)
}

// PerServerDest is the destination to offer when slave's task whose own
// is dest is copied: dest with each folder named as the slave is (case
// aside) made ServerPlaceholder, so that /mnt/nas/fs01 becomes
// /mnt/nas/{server} and fs03's copy keeps its backups apart from fs01's.
// A dest that does not name the slave is offered as it is.
func PerServerDest(slave, dest string) string {
	name := folderName(slave)
	var b strings.Builder
	start := 0
	for i := 0; i <= len(dest); i++ {
		if i < len(dest) && dest[i] != '/' && dest[i] != '\\' {
			continue
		}
		if part := dest[start:i]; name != "" && strings.EqualFold(part, name) {
			b.WriteString(ServerPlaceholder)
		} else {
			b.WriteString(part)
		}
		if i < len(dest) {
			b.WriteByte(dest[i])
		}
		start = i + 1
	}
	return b.String()
}

// CopyResult is what became of a task copied to one slave.
type CopyResult struct {
	Slave    string         // as the entry spells it, or as given when unknown
	Info     agent.TaskInfo // the task as saved there
	Warnings []string       // the agent's, about the saved task
	Replaced bool           // it replaced a task of that name
	Err      error
	// Started: the run asked for (CopyOptions.Run) started; RunErr says
	// why not when the copy worked but the run did not start.
	Started bool
	RunErr  error
}

// Outcome says in words what became of the copy there: "copied",
// "replaced", with the agent's warnings after, or "not copied: " and why.
func (r CopyResult) Outcome() string {
	if r.Err != nil {
		return "not copied: " + r.Err.Error()
	}
	out := "copied"
	if r.Replaced {
		out = "replaced"
	}
	if len(r.Warnings) > 0 { // the agent's words: quoted unless plain
		out += " (" + strings.Join(agentWords(slices.Clone(r.Warnings)), "; ") + ")"
	}
	switch {
	case r.Started:
		out += ", run started"
	case r.RunErr != nil:
		out += "; the run did not start: " + r.RunErr.Error()
	}
	return out
}

// CopyTask copies the task name of slave from to each slave of to, at
// most slavesAtOnce at a time, and returns a result per slave, in to's
// order; done, when set, is called as each one ends, one call at a time.
// A slave's task of the same name is replaced with opt.Replace, and left
// as it is (ErrTaskExists) otherwise; with opt.Run each slave that took
// it runs it at once. The error is about reading the task from its
// slave: then nothing was copied.
func (m *Master) CopyTask(ctx context.Context, from, name string, to []string, opt CopyOptions, done func(CopyResult)) ([]CopyResult, error) {
	src, err := m.Task(ctx, from, name)
	if err != nil {
		return nil, err
	}
	fromKey := strings.ToLower(m.displayName(from))
	out := make([]CopyResult, len(to))
	m.EachSlave(ctx, to, func(ctx context.Context, i int, slave string) error {
		if strings.ToLower(slave) == fromKey {
			out[i] = CopyResult{Slave: slave, Err: fmt.Errorf("%s is the slave the task is copied from", slave)}
		} else {
			out[i] = m.copyTaskTo(ctx, slave, src.Task, opt)
		}
		return out[i].Err
	}, func(i int, slave string, err error) {
		if out[i].Slave == "" { // not reached: ctx ended first
			out[i] = CopyResult{Slave: slave, Err: err}
		}
		if done != nil {
			done(out[i])
		}
	})
	return out, nil
}

// copyTaskTo saves t on slave as a new task, or over the task of that
// name there with opt.Replace, and runs it with opt.Run.
func (m *Master) copyTaskTo(ctx context.Context, slave string, t backup.Task, opt CopyOptions) CopyResult {
	r := CopyResult{Slave: slave}
	have, err := m.Tasks(ctx, slave)
	if err != nil {
		r.Err = err
		return r
	}
	t.Version, t.Created, t.Modified = 0, time.Time{}, time.Time{}
	t.Destination = opt.destFor(slave, t.Destination)
	for _, h := range have {
		if backup.NameKey(h.Task.Name) != backup.NameKey(t.Name) {
			continue
		}
		if !opt.Replace {
			r.Err = &TaskExistsError{Slave: slave, Task: h.Task.Name}
			return r
		}
		t.Name, t.Version, r.Replaced = h.Task.Name, h.Task.Version, true
	}
	r.Info, r.Warnings, r.Err = m.PutTask(ctx, slave, t, agent.PutOptions{CreateDestination: opt.CreateDest})
	if r.Err == nil && opt.Run {
		if _, err := m.RunTask(ctx, slave, t.Name); err != nil {
			r.RunErr = err
		} else {
			r.Started = true
		}
	}
	return r
}
