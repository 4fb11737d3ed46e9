package console

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// `lanyard group list` and `lanyard group rename OLD NEW`: the groups the
// slaves' entries name, through the running console or on its database.

const opGroupRename = "group_rename"

// groupJSON is one group in group list --json.
type groupJSON struct {
	Group   string `json:"group"` // "" for the slaves of none
	Servers int    `json:"servers"`
	// Connected counts its linked servers; absent without a running
	// console, which alone knows.
	Connected *int `json:"connected,omitempty"`
}

func groupCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "List or rename the groups of slaves",
		Args:  cmdline.NoArgs,
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "Every group with its number of servers (and of those connected, with a running console)",
		Args:  cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			slaves, err := readSlaves(cmd.Context(), e)
			if err != nil {
				return err
			}
			groups := groupsOf(slaves)
			if asJSON {
				return writeJSON(e.stdout, groups)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "GROUP\tSERVERS\tCONNECTED")
			for _, g := range groups {
				conn := "-"
				if g.Connected != nil {
					conn = human.Count(*g.Connected)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", cmp.Or(g.Group, "(no group)"), human.Count(g.Servers), conn)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	rename := &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Give a group another name: every server of it, and its own mail recipients",
		Long: `Rename a group: every server in it (whatever the case its entries spell
it in) moves to the new name, and the group's own report recipients
(settings set --group-report) go with it. A group of the new name that
exists already gets the servers and the recipients of both.`,
		Args: cmdline.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return e.completeGroup(cmd, args, typed)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// A name another group has already merges the two: say so.
			into := ""
			if slaves, err := readSlaves(cmd.Context(), e); err == nil {
				into = otherGroup(groupsOf(slaves), args[0], args[1])
			}
			n, err := runningOrStored(cmd.Context(), e, ctlRequest{Op: opGroupRename, Group: args[0], NewGroup: args[1]}, nil,
				func(r ctlResponse) int { return r.Renamed },
				func(db *store.DB) (int, error) {
					moved, err := master.RenameGroup(db, args[0], args[1])
					if len(moved) == 0 {
						err = cmdline.Usage(err)
					}
					return len(moved), err
				})
			if err != nil {
				return err
			}
			if into != "" {
				fmt.Fprintf(e.stdout, "group %s merged into %s, which had servers already: %s moved\n", args[0], into, human.Plural(n, "server", "servers"))
				return nil
			}
			fmt.Fprintf(e.stdout, "group %s renamed to %s: %s\n", args[0], strings.TrimSpace(args[1]), human.Plural(n, "server", "servers"))
			return nil
		},
	}
	cmd.AddCommand(list, rename)
	return cmd
}

// otherGroup is the group of groups named newName (in any case) when it
// is not group old itself: renaming old to it merges the two. "" when
// there is none.
func otherGroup(groups []groupJSON, old, newName string) string {
	newName = strings.TrimSpace(newName)
	if newName == "" || strings.EqualFold(newName, strings.TrimSpace(old)) {
		return ""
	}
	for _, g := range groups {
		if strings.EqualFold(g.Group, newName) {
			return g.Group
		}
	}
	return ""
}

// groupsOf counts the slaves of each group, by name, the ungrouped last.
// The running console gives every slave its state; without one only a
// disconnected slave has one, and none is known to be connected.
func groupsOf(slaves []slaveJSON) []groupJSON {
	running := !slices.ContainsFunc(slaves, func(s slaveJSON) bool { return s.State == "" })
	var out []groupJSON
	for _, s := range slaves {
		i := slices.IndexFunc(out, func(g groupJSON) bool { return strings.EqualFold(g.Group, s.Group) })
		if i < 0 {
			out = append(out, groupJSON{Group: s.Group})
			if running {
				out[len(out)-1].Connected = new(int)
			}
			i = len(out) - 1
		}
		out[i].Servers++
		if s.State == string(master.StateConnected) {
			*out[i].Connected++
		}
	}
	slices.SortFunc(out, func(a, b groupJSON) int {
		switch {
		case a.Group == "":
			return 1
		case b.Group == "":
			return -1
		}
		return human.CompareNames(a.Group, b.Group)
	})
	return out
}

// renameGroup renames a group for the control socket: a group with no
// server is a mistake in the command.
func (h *ctlHandler) renameGroup(req *ctlRequest) ctlResponse {
	n, err := h.m.RenameGroup(req.Group, req.NewGroup)
	switch {
	case err != nil && n == 0:
		return ctlResponse{Error: err.Error(), Usage: true}
	case err != nil:
		return failure(err)
	}
	return ctlResponse{Renamed: n}
}
