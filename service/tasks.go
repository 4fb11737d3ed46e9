package service

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/app/taskcli"
	"github.com/lanyard/lanyard/core/agent"
)

// taskCmd is `lanyard-agent task …`: backup tasks, through the running
// agent's control socket, or on the database (and the engine) in this
// process when the agent is not running. The commands themselves are
// app/taskcli's, shared with the console.
func taskCmd(e *env) *cobra.Command {
	return taskcli.Command(&taskcli.Env{Stdout: e.stdout, Stderr: e.stderr, Do: e.taskDo, Prog: "lanyard-agent"},
		`Backup tasks: what to copy, where to, when, and how many snapshots to keep.
The commands reach the running agent (service or foreground) through its
control socket; when it is not running they work on its database, and
run, verify and restore in this process.`)
}

// taskDo carries out one task operation. logged operations are written to
// the agent's log file when they run in this process.
func (e *env) taskDo(ctx context.Context, op string, args agent.TaskArgs, onEvent func(agent.TaskEvent), logged bool) (*agent.TaskResult, error) {
	if e.taskHold != nil && e.taskHold(op, args) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	dir, err := e.dir()
	if err != nil {
		return nil, err
	}
	var log logrus.FieldLogger
	if logged {
		if log, err = e.offlineLogger(dir); err != nil {
			return nil, err
		}
	}
	return agent.TaskControl(ctx, dir, agent.ControlRequest{Op: op, Task: &args}, onEvent, log)
}

// offlineLogger writes what an in-process operation does to the agent's
// log file, as the running agent would, when that file can be opened.
func (e *env) offlineLogger(dataDir string) (logrus.FieldLogger, error) {
	l := logrus.New()
	l.SetOutput(io.Discard)
	logDir, err := e.logDirectory(dataDir)
	if err != nil {
		return l, nil
	}
	if _, err := os.Stat(filepath.Join(dataDir, agent.DBFile)); err != nil {
		return l, nil
	}
	f, err := app.RotatedFile(logDir, app.AgentLogFile)
	if err != nil {
		return l, nil
	}
	log, err := app.NewLogger(f, e.logLevel, e.logJSON)
	if err != nil {
		return nil, cmdline.Usage(err)
	}
	return log, nil
}
