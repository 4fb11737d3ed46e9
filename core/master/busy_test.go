package master

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

// A run or a deletion refused because the task is running is the agent
// saying "not now", not the console's mistake: errors.Is finds
// backup.ErrBusy in it, as it does on the agent, so the command line
// exits 1 through the console as it does on the server.
func TestABusyTaskIsRefusedAsBusyNotAsAMistake(t *testing.T) {
	hold := testkit.NewTaskHold(t)
	a := startAgentWith(t, "FS01", "pw-one", false, func(c *agent.Config) {
		c.Engine = backup.New(backup.Options{Claiming: hold.Claiming})
	})
	c := startConsole(t, false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	ctx := context.Background()
	_, dest := docsTask(t, c, 3)
	first, err := c.RunTaskAndWait(ctx, "FS01", "docs", nil)
	if err != nil || first.Result != backup.ResultCompleted {
		t.Fatalf("the first run: %+v, %v", first, err)
	}

	// The second run is held as it claims the task's folder: running.
	hold.Hold(filepath.Join(dest, "docs"))
	if _, err := c.RunTask(ctx, "FS01", "docs"); err != nil {
		t.Fatal(err)
	}
	hold.WaitHeld(t, nil)
	for what, err := range map[string]error{
		"a run": func() error { _, err := c.RunTask(ctx, "FS01", "docs"); return err }(),
		"a deletion": func() error {
			_, err := c.DeleteSnapshot(ctx, "FS01", "docs", first.Snapshot)
			return err
		}(),
	} {
		var ae *AgentError
		if !errors.Is(err, backup.ErrBusy) || !errors.As(err, &ae) || ae.Mistake() || !strings.Contains(err.Error(), "is already running since") {
			t.Errorf("%s while the task runs: %v", what, err)
		}
	}
	events, unsubscribe := c.WatchTasks(16)
	defer unsubscribe()
	hold.Let()
	waitTaskEvent(t, events, func(e TaskEvent) bool { return e.Kind == agent.EventFinished })
}
