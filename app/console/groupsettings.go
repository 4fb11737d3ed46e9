package console

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/control"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// `lanyard agent-settings set --group G --master-add A`: the masters of
// every slave of a group changed at once, through the running console
// (master.EachSlave). Only the masters: the other settings can end this
// console's link to each server, and are changed one server at a time.

const opSettingsSetGroup = "settings_set_group"

// slaveChanges is what one slave's change did, a part of the answer.
type slaveChanges struct {
	Slave   string   `json:"slave"`
	Changes []string `json:"changes,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// setGroupMasters adds and removes masters on every slave of group.
func (e *env) setGroupMasters(cmd *cobra.Command, group, slave string, add, remove []string) error {
	if slave != "" {
		return cmdline.Usagef("give --slave or --group, not both")
	}
	for _, f := range []string{"listen", "ssl", "management"} {
		if cmd.Flags().Changed(f) {
			return cmdline.Usagef("--%s cannot be given with --group: it can end this console's link to each server; change it one server at a time (--slave)", f)
		}
	}
	if len(add)+len(remove) == 0 {
		return cmdline.Usagef("nothing to change: give --master-add or --master-remove")
	}
	req := ctlRequest{Op: opSettingsSetGroup, Group: group, MastersAdd: add, MastersRemove: remove}
	r, err := e.call(cmd.Context(), req, func(part ctlResponse) error {
		for _, c := range part.SlaveChanges {
			printSlaveChanges(e.stdout, c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	failed := 0
	for _, c := range r.SlaveChanges {
		if c.Error != "" {
			failed++
		}
	}
	n := len(r.SlaveChanges)
	fmt.Fprintf(e.stdout, "Changed %s of %s of %s.\n", human.Count(n-failed), human.Plural(n, "slave", "slaves"), group)
	if failed > 0 {
		return &cmdline.CodeError{Code: 1, Err: fmt.Errorf("%s not changed", human.Plural(failed, "slave was", "slaves were"))}
	}
	return nil
}

func printSlaveChanges(w io.Writer, c slaveChanges) {
	if c.Error != "" {
		fmt.Fprintf(w, "%s: not changed: %s\n", c.Slave, strings.TrimPrefix(c.Error, c.Slave+" "))
		return
	}
	printChanges(w, c.Slave, c.Changes)
}

// setGroupSettings changes the masters of every slave of req.Group for
// the control socket, sending each slave's changes as it ends.
func (h *ctlHandler) setGroupSettings(ctx context.Context, req *ctlRequest, w *control.Writer) ctlResponse {
	if req.Listen != nil || req.SSL != nil || req.Management != nil {
		return ctlResponse{Error: "a group's slaves have only their masters changed at once", Usage: true}
	}
	names, err := groupSlaves(h.m.Slaves(), req.Group)
	if err != nil {
		return ctlResponse{Error: err.Error(), Usage: true}
	}
	out := make([]slaveChanges, len(names))
	set := &pb.SettingsSetRequest{MastersAdd: req.MastersAdd, MastersRemove: req.MastersRemove}
	h.m.EachSlave(ctx, names, func(ctx context.Context, i int, slave string) error {
		resp, err := h.m.SetAgentSettings(ctx, slave, set)
		if err == nil {
			out[i].Changes = nonNil(resp.Changes)
		}
		return err
	}, func(i int, slave string, err error) {
		out[i].Slave = slave
		if err != nil {
			out[i].Error = err.Error()
		}
		_ = w.Send(ctlResponse{OK: true, SlaveChanges: []slaveChanges{out[i]}})
	})
	return ctlResponse{SlaveChanges: out}
}
