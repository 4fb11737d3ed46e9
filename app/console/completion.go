package console

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/master"
)

// Shell completion of the names this console knows (bash, zsh and fish,
// through cobra): a slave's name where a command takes one, as its
// argument or as --slave, and a group's for --group. The names come from
// the running console, else from the data directory's database when
// there is one: a completion never creates a database, and finds nothing
// rather than failing when it cannot read one.

// addNameCompletions completes --slave and --group on every command of
// root's tree that has them.
func (e *env) addNameCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, complete := range map[string]cobra.CompletionFunc{"slave": e.completeSlave, "group": e.completeGroup} {
			if c.LocalFlags().Lookup(name) != nil || c.PersistentFlags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, complete)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeSlaveArg completes a command's first argument, a slave's name.
func (e *env) completeSlaveArg(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return e.completeSlave(cmd, args, toComplete)
}

// completeSlave offers the slaves whose names begin with toComplete (case
// ignored), each described by its group and state.
func (e *env) completeSlave(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	slaves := e.knownSlaves(cmd.Context())
	names := make([]string, len(slaves))
	for i, s := range slaves {
		names[i] = s.Name
	}
	about := func(i int) string {
		var w []string
		for _, s := range []string{slaves[i].Group, slaves[i].State} {
			if s != "" {
				w = append(w, s)
			}
		}
		return strings.Join(w, " · ")
	}
	return cmdline.Offer(toComplete, names, about), cobra.ShellCompDirectiveNoFileComp
}

// completeGroup offers the groups whose names begin with toComplete.
func (e *env) completeGroup(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var all []string
	for _, s := range e.knownSlaves(cmd.Context()) {
		all = append(all, s.Group)
	}
	return cmdline.Offer(toComplete, master.DistinctGroups(all), nil), cobra.ShellCompDirectiveNoFileComp
}

// knownSlaves is the console's slaves, or none when they cannot be read.
func (e *env) knownSlaves(ctx context.Context) []slaveJSON {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, cmdline.CompletionTimeout)
	defer cancel()
	r, err := e.call(ctx, ctlRequest{Op: opSlaveList}, nil)
	if err == nil {
		return r.Slaves
	}
	var nc errNoConsole
	if !errors.As(err, &nc) {
		return nil
	}
	dir, err := e.dir()
	if err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, app.ConsoleDB)); errors.Is(err, fs.ErrNotExist) {
		return nil // nothing to read, and nothing to create for a completion
	}
	db, err := e.openDB(nil)
	if err != nil {
		return nil
	}
	defer db.Close()
	slaves, err := slaveList(db)
	if err != nil {
		return nil
	}
	return slaves
}
