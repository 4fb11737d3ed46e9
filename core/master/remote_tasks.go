package master

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Backup tasks of a linked slave, for the window and the command line.
// Each call is one request to the slave's agent, whose task manager does
// the work; lists arrive in chunks. What the agents push about their
// tasks (progress, runs started and finished, tasks changed and removed)
// reaches every WatchTasks subscriber.

// TaskEvent is an event about a task of one slave.
type TaskEvent struct {
	Slave string
	agent.TaskEvent
}

// TaskEventResync tells a subscriber it missed events (it did not keep
// up, or the agent dropped some for this console): read the tasks again.
const TaskEventResync = "resync"

// newTaskHub fans task events out without ever blocking the link's
// reader: a subscriber that falls behind loses progress first, then is
// told to resync.
func newTaskHub() fanout[TaskEvent] {
	return fanout[TaskEvent]{
		resync: func(e TaskEvent) TaskEvent {
			return TaskEvent{Slave: e.Slave, TaskEvent: agent.TaskEvent{Kind: TaskEventResync}}
		},
		expendable: func(e TaskEvent) bool { return e.Kind == agent.EventProgress },
	}
}

// WatchTasks streams the task events of every slave; cancel ends it and
// closes the channel.
func (m *Master) WatchTasks(buffer int) (<-chan TaskEvent, func()) {
	return m.tasks.subscribe(max(buffer, 16))
}

// remoteEvent takes an event an agent pushed beyond its status.
func (m *Master) remoteEvent(l *link.Link, typ string, body []byte) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(l.Peer().Name)]
	if s == nil || s.link != l {
		m.mu.Unlock()
		return
	}
	slave := s.entry.Name
	m.mu.Unlock()
	ev := TaskEvent{Slave: slave}
	switch typ {
	case wire.EventTaskProgress:
		var p pb.Progress
		if proto.Unmarshal(body, &p) != nil {
			return
		}
		st := progressFromAgent(&p)
		ev.Kind, ev.Task, ev.Status = agent.EventProgress, st.Task, &st
	case wire.EventRunStarted, wire.EventRunFinished:
		var r pb.RunReport
		if proto.Unmarshal(body, &r) != nil {
			return
		}
		rep := reportFromAgent(&r)
		ev.Kind, ev.Task, ev.Report = agent.EventStarted, rep.Task, &rep
		if typ == wire.EventRunFinished {
			ev.Kind = agent.EventFinished
		}
	case wire.EventTaskChanged:
		var ti pb.TaskInfo
		if proto.Unmarshal(body, &ti) != nil {
			return
		}
		info := infoFromAgent(&ti)
		ev.Kind, ev.Task, ev.Info = agent.EventChanged, info.Task.Name, &info
	case wire.EventTaskRemoved:
		var r pb.TaskRemoved
		if proto.Unmarshal(body, &r) != nil {
			return
		}
		ev.Kind, ev.Task = agent.EventRemoved, r.Name
	case wire.EventSnapshotDeleted:
		var r pb.TaskDeleteSnapshotResponse
		if proto.Unmarshal(body, &r) != nil {
			return
		}
		dr := agent.DeleteReportFromPB(&r)
		dr.Warning = wire.PlainUpTo(dr.Warning, maxAgentText)
		ev.Kind, ev.Task, ev.Deleted = agent.EventDeleted, dr.Task, &dr
	case wire.EventResync:
		ev.Kind = TaskEventResync
	default:
		return // a newer agent's event: ignored, as the protocol promises
	}
	m.logTaskEvent(ev)
	m.healthEvent(l, ev, body)
	m.tasks.publish(ev)
}

// logTaskEvent writes what an agent said about its tasks to the console's
// log: runs at info (a failure as an error), progress at debug.
func (m *Master) logTaskEvent(ev TaskEvent) {
	e := m.log.WithField("slave", ev.Slave).WithField("task", ev.Task)
	switch ev.Kind {
	case agent.EventProgress:
		s := ev.Status
		e.WithField("event", "task_progress").Debugf("%s: task %s: %s %d/%d files, %s/%s", ev.Slave, ev.Task, s.Phase,
			s.FilesDone, s.FilesTotal, human.Bytes(s.BytesDone), human.Bytes(s.BytesTotal))
	case agent.EventStarted:
		e.WithField("event", "run_started").Infof("%s: task %s: run started (%s)", ev.Slave, ev.Task, ev.Report.By())
	case agent.EventFinished:
		r := ev.Report
		e.WithField("event", "run_finished").WithField("result", string(r.Result)).
			Logf(r.Result.Level(), "%s: task %s: %s", ev.Slave, ev.Task, r.Ended())
	case agent.EventChanged, agent.EventRemoved:
		e.WithField("event", "task_"+ev.Kind).Infof("%s: task %s %s", ev.Slave, ev.Task, ev.Kind)
	case agent.EventDeleted:
		e.WithField("event", "snapshot_deleted").Infof("%s: %s", ev.Slave, ev.Deleted.Describe())
	}
}

const taskFeature = "backup tasks"

// What an agent says of its tasks and runs reaches the window, the
// command line and this console's log. Its words (an error, warnings, the
// file being read, a snapshot's name) are shown as they are when plain
// and quoted and cut when not (wire.PlainUpTo), as its settings are: a
// hostile agent can write no line of its own into the log or a terminal,
// nor fill them with one message. An agent of ours sends only plain task
// names and snapshot ids, which so pass as they are and still name what
// a console asks for next.

// reportFromAgent reads a run's report off the wire, its words plain.
func reportFromAgent(m *pb.RunReport) backup.Report {
	r := agent.ReportFromPB(m)
	plainReport(&r)
	return r
}

// plainReport makes a report's words plain.
func plainReport(r *backup.Report) {
	plain(&r.Task, &r.Snapshot, &r.Trigger, &r.Error, &r.Destination, &r.Expect, &r.VerifyNote)
	r.Warnings, r.Removed = agentWords(r.Warnings), agentWords(r.Removed)
}

// progressFromAgent reads a progress update off the wire, its words
// plain.
func progressFromAgent(m *pb.Progress) backup.Status {
	s := agent.ProgressFromPB(m)
	plainStatus(&s)
	return s
}

// plainStatus makes a progress update's words plain.
func plainStatus(s *backup.Status) { plain(&s.Task, &s.Phase, &s.Current) }

// infoFromAgent reads a task with its state off the wire, the words of
// its progress and last run plain.
func infoFromAgent(m *pb.TaskInfo) agent.TaskInfo {
	i := agent.InfoFromPB(m)
	if i.Progress != nil {
		plainStatus(i.Progress)
	}
	if i.LastRun != nil {
		plainReport(i.LastRun)
	}
	return i
}

// snapshotFromAgent reads a snapshot off the wire, its words plain (a
// summary the agent could not read says why in its Result).
func snapshotFromAgent(m *pb.Snapshot) backup.SnapshotInfo {
	s := agent.SnapshotFromPB(m)
	result := string(s.Result)
	plain(&s.ID, &s.Path, &result)
	s.Result, s.Sources = backup.Result(result), agentWords(s.Sources)
	return s
}

// collect runs a task stream and merges its parts: those that came, also
// when the stream ends in an error.
func collect(ctx context.Context, l *link.Link, method string, req, resp proto.Message, onProgress func(backup.Status)) (*pb.TaskPart, error) {
	all := &pb.TaskPart{}
	err := eachPart(ctx, l, method, req, resp, onProgress, func(p *pb.TaskPart) { proto.Merge(all, p) })
	return all, err
}

// eachPart runs a task stream and hands onPart each part as it comes,
// its progress taken out (to onProgress, nil: none).
func eachPart(ctx context.Context, l *link.Link, method string, req, resp proto.Message, onProgress func(backup.Status), onPart func(*pb.TaskPart)) error {
	return l.Stream(ctx, method, req, func(chunk []byte) error {
		var p pb.TaskPart
		if err := proto.Unmarshal(chunk, &p); err != nil {
			return fmt.Errorf("a malformed part of the answer: %w", err)
		}
		if p.Progress != nil {
			if onProgress != nil {
				onProgress(progressFromAgent(p.Progress))
			}
			p.Progress = nil
		}
		onPart(&p)
		return nil
	}, resp)
}

// Tasks lists a slave's backup tasks with their state.
func (m *Master) Tasks(ctx context.Context, slave string) ([]agent.TaskInfo, error) {
	var out []agent.TaskInfo
	err := m.run(ctx, slave, command{what: "task list", feature: taskFeature}, func(l *link.Link) error {
		parts, err := collect(ctx, l, wire.MethodTaskList, &pb.TaskListRequest{}, &pb.TaskListResponse{}, nil)
		for _, t := range parts.GetTasks() {
			out = append(out, infoFromAgent(t))
		}
		return err
	})
	if out == nil {
		out = []agent.TaskInfo{}
	}
	return out, err
}

// Task is one task of a slave with its state.
func (m *Master) Task(ctx context.Context, slave, name string) (agent.TaskInfo, error) {
	var out agent.TaskInfo
	err := m.run(ctx, slave, command{what: "task show " + name, feature: taskFeature}, func(l *link.Link) error {
		var ti pb.TaskInfo
		if err := l.Request(ctx, wire.MethodTaskGet, &pb.TaskGetRequest{Name: name}, &ti); err != nil {
			return err
		}
		out = infoFromAgent(&ti)
		return nil
	})
	return out, err
}

// TaskCheck is the agent's verdict on a task's definition before it is
// saved.
type TaskCheck struct {
	Error      string // the first problem, "" when none
	Field      string // its field (backup.Field*)
	Warnings   []string
	NextRuns   []time.Time // on the agent's clock
	Normalized backup.Task
	// DestinationMissing: the destination folder does not exist yet
	// (agent.PutOptions.CreateDestination makes it).
	DestinationMissing bool
	// DestFree and DestTotal: the destination's disk (its parent's when
	// missing); zeros when not known.
	DestFree, DestTotal uint64
	// Retention is what the retention typed would remove at the next run
	// (zero for "keep all", or an agent that does not say).
	Retention backup.RetentionPreview
}

// CheckTask has the slave's agent validate a definition (its paths exist
// there, its clock gives the next runs) without saving it.
func (m *Master) CheckTask(ctx context.Context, slave string, t backup.Task) (TaskCheck, error) {
	var out TaskCheck
	err := m.run(ctx, slave, command{what: "task check " + t.Name, feature: "checking a task on the agent"}, func(l *link.Link) error {
		var resp pb.TaskCheckResponse
		if err := l.Request(ctx, wire.MethodTaskCheck, &pb.TaskCheckRequest{Task: agent.TaskToPB(t)}, &resp); err != nil {
			return err
		}
		out = TaskCheck{Error: wire.PlainUpTo(resp.Error, maxAgentText), Field: resp.Field, Warnings: agentWords(resp.Warnings),
			Normalized: agent.TaskFromPB(resp.Normalized), DestinationMissing: resp.DestinationMissing,
			DestFree: resp.DestFree, DestTotal: resp.DestTotal, Retention: agent.RetentionPreviewOf(&resp)}
		for _, n := range resp.NextRunsUnixNano {
			out.NextRuns = append(out.NextRuns, time.Unix(0, n))
		}
		return nil
	})
	return out, err
}

// PutTask adds a task (Version 0) or saves an edit of the version read;
// an edit of an older version is refused with an error matching
// agent.ErrConflict ("changed by another console: reload").
// opt.CreateDestination has the agent create the destination folder
// first when it is missing.
func (m *Master) PutTask(ctx context.Context, slave string, t backup.Task, opt agent.PutOptions) (agent.TaskInfo, []string, error) {
	what := "task add " + t.Name
	if t.Version != 0 {
		what = fmt.Sprintf("task edit %s (version %d)", t.Name, t.Version)
	}
	if opt.CreateDestination {
		what += " (creating its destination folder)"
	}
	var info agent.TaskInfo
	var warnings []string
	err := m.run(ctx, slave, command{what: what, feature: taskFeature, audit: true}, func(l *link.Link) error {
		var resp pb.TaskPutResponse
		if err := l.Request(ctx, wire.MethodTaskPut, &pb.TaskPutRequest{Task: agent.TaskToPB(t), CreateDestination: opt.CreateDestination}, &resp); err != nil {
			return err
		}
		info, warnings = infoFromAgent(resp.Info), agentWords(resp.Warnings)
		return nil
	})
	return info, warnings, err
}

// RemoveTask removes a task (its snapshots stay). version 0 removes
// whatever is stored; otherwise a task saved since is refused.
func (m *Master) RemoveTask(ctx context.Context, slave, name string, version uint64) (backup.Task, error) {
	var removed backup.Task
	err := m.run(ctx, slave, command{what: "task remove " + name, feature: taskFeature, audit: true}, func(l *link.Link) error {
		var resp pb.TaskDeleteResponse
		if err := l.Request(ctx, wire.MethodTaskDelete, &pb.TaskDeleteRequest{Name: name, Version: version}, &resp); err != nil {
			return err
		}
		removed = agent.TaskFromPB(resp.Removed)
		return nil
	})
	return removed, err
}

// RunTask starts a run and returns at once; its progress and end arrive
// through WatchTasks.
func (m *Master) RunTask(ctx context.Context, slave, name string) (agent.TaskInfo, error) {
	return m.RunTaskWith(ctx, slave, name, agent.RunOptions{})
}

// RunTaskWith is RunTask with options. An agent older than the options
// runs without them: the error says so, and the run goes on.
func (m *Master) RunTaskWith(ctx context.Context, slave, name string, o agent.RunOptions) (agent.TaskInfo, error) {
	info, _, err := m.runTask(ctx, slave, name, o)
	return info, err
}

// TaskRef names one task of one slave.
type TaskRef struct{ Slave, Task string }

// RunTasks starts each of tasks, as RunTask does, on up to slavesAtOnce
// slaves at once (a fleet's failed tasks, run again once their cause is
// fixed). done hears each one's error (nil: started) as it is known,
// one call at a time, also each one not reached because ctx ended.
func (m *Master) RunTasks(ctx context.Context, tasks []TaskRef, done func(i int, err error)) {
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = t.Slave
	}
	m.EachSlave(ctx, names, func(ctx context.Context, i int, slave string) error {
		_, err := m.RunTask(ctx, slave, tasks[i].Task)
		return err
	}, func(i int, _ string, err error) { done(i, err) })
}

// runTask is RunTask, also saying when the run started (the agent's
// clock).
func (m *Master) runTask(ctx context.Context, slave, name string, o agent.RunOptions) (agent.TaskInfo, time.Time, error) {
	var info agent.TaskInfo
	var started time.Time
	what := "task run " + name
	if o.Reread {
		what += " --reread"
	}
	err := m.run(ctx, slave, command{what: what, feature: taskFeature, audit: true}, func(l *link.Link) error {
		var resp pb.TaskRunResponse
		if err := l.Request(ctx, wire.MethodTaskRun, &pb.TaskRunRequest{Name: name, Reread: o.Reread}, &resp); err != nil {
			return err
		}
		rep := reportFromAgent(resp.Started)
		info, started = infoFromAgent(resp.Info), rep.Started
		return olderRun(slave, name, o, rep)
	})
	return info, started, err
}

// olderRun says when the run an agent started is not the one asked for:
// an agent from before run options ignores them, and its report of the
// start says so by leaving them out.
func olderRun(slave, name string, o agent.RunOptions, started backup.Report) error {
	if o.Reread && !started.Reread {
		return fmt.Errorf("%s started an ordinary run of %s, which reads only the files whose size or time changed: its agent is older than this console; upgrade it to read every file", slave, name)
	}
	return nil
}

// waitPoll is how often RunTaskAndWait asks for the task's state, in
// case the end's event was missed.
const waitPoll = 5 * time.Second

// RunTaskAndWait starts a run, hands its progress to onProgress and
// returns its report when it ends. When ctx ends first the run goes on in
// the agent and ctx's error is returned.
func (m *Master) RunTaskAndWait(ctx context.Context, slave, name string, onProgress func(backup.Status)) (backup.Report, error) {
	return m.RunTaskAndWaitWith(ctx, slave, name, agent.RunOptions{}, onProgress)
}

// RunTaskAndWaitWith is RunTaskAndWait with options; see RunTaskWith.
func (m *Master) RunTaskAndWaitWith(ctx context.Context, slave, name string, o agent.RunOptions, onProgress func(backup.Status)) (backup.Report, error) {
	events, stop := m.WatchTasks(256)
	defer stop()
	info, started, err := m.runTask(ctx, slave, name, o)
	if err != nil {
		return backup.Report{}, err
	}
	task := info.Task.Name
	poll := time.NewTicker(waitPoll)
	defer poll.Stop()
	mine := func(e TaskEvent) bool {
		return strings.EqualFold(e.Slave, slave) && backup.NameKey(e.Task) == backup.NameKey(task)
	}
	for {
		select {
		case <-ctx.Done():
			return backup.Report{}, ctx.Err()
		case e := <-events:
			switch {
			case e.Kind == TaskEventResync:
				poll.Reset(time.Millisecond)
			case !mine(e):
			case e.Kind == agent.EventProgress && onProgress != nil:
				onProgress(*e.Status)
			case e.Kind == agent.EventFinished && e.Report.Started.Compare(started) >= 0:
				return *e.Report, nil
			}
		case <-poll.C:
			poll.Reset(waitPoll)
			cur, err := m.Task(ctx, slave, task)
			if err != nil {
				var nl *NotLinkedError
				if errors.As(err, &nl) {
					return backup.Report{}, fmt.Errorf("%s: the link closed during the run; the run goes on in the agent (lanyard task history %s --slave %s shows how it ended)", nl.Reason, task, slave)
				}
				continue
			}
			if !cur.Running && cur.LastRun != nil && cur.LastRun.Started.Compare(started) >= 0 && cur.LastRun.Result != backup.ResultRunning {
				return *cur.LastRun, nil
			}
		}
	}
}

// StopTask stops the task's run in progress; false when none was running.
func (m *Master) StopTask(ctx context.Context, slave, name string) (bool, error) {
	var stopped bool
	err := m.run(ctx, slave, command{what: "task stop " + name, feature: taskFeature, audit: true}, func(l *link.Link) error {
		var resp pb.TaskStopResponse
		if err := l.Request(ctx, wire.MethodTaskStop, &pb.TaskStopRequest{Name: name}, &resp); err != nil {
			return err
		}
		stopped = resp.Stopped
		return nil
	})
	return stopped, err
}

// TaskHistory is the task's newest limit runs (0: all kept), oldest first.
func (m *Master) TaskHistory(ctx context.Context, slave, name string, limit int) ([]backup.Report, error) {
	out := []backup.Report{}
	err := m.run(ctx, slave, command{what: "task history " + name, feature: taskFeature}, func(l *link.Link) error {
		parts, err := collect(ctx, l, wire.MethodTaskHistory, &pb.TaskHistoryRequest{Name: name, Limit: uint32(max(limit, 0))}, nil, nil)
		for _, r := range parts.GetRuns() {
			out = append(out, reportFromAgent(r))
		}
		return err
	})
	return out, err
}

// TaskSnapshots lists the task's complete snapshots, oldest first.
func (m *Master) TaskSnapshots(ctx context.Context, slave, name string) ([]backup.SnapshotInfo, error) {
	out := []backup.SnapshotInfo{}
	err := m.run(ctx, slave, command{what: "task snapshots " + name, feature: taskFeature}, func(l *link.Link) error {
		parts, err := collect(ctx, l, wire.MethodTaskSnapshots, &pb.TaskSnapshotsRequest{Name: name}, nil, nil)
		for _, s := range parts.GetSnapshots() {
			out = append(out, snapshotFromAgent(s))
		}
		return err
	})
	return out, err
}

// BrowseSnapshot lists one page of one folder of a snapshot.
func (m *Master) BrowseSnapshot(ctx context.Context, slave, name, snapshot, dir, after string, limit int) (backup.BrowsePage, error) {
	page := backup.BrowsePage{Entries: []backup.BrowseEntry{}}
	err := m.run(ctx, slave, command{what: "task browse " + name, feature: taskFeature}, func(l *link.Link) error {
		var resp pb.TaskBrowseResponse
		parts, err := collect(ctx, l, wire.MethodTaskBrowse, &pb.TaskBrowseRequest{Name: name, Snapshot: snapshot, Dir: dir,
			After: after, Limit: uint32(max(limit, 0))}, &resp, nil)
		if err != nil {
			return err
		}
		page = browsePage(resp.Snapshot, resp.Dir, resp.Total, resp.Next, parts)
		return nil
	})
	return page, err
}

// browsePage is one page of a folder listing as an agent sent it: where
// and how many from its answer, the entries from its parts.
func browsePage(snapshot, dir string, total uint32, next string, parts *pb.TaskPart) backup.BrowsePage {
	page := backup.BrowsePage{Snapshot: snapshot, Dir: dir, Total: int(total), Next: next,
		Entries: make([]backup.BrowseEntry, 0, len(parts.GetEntries()))}
	for _, e := range parts.GetEntries() {
		page.Entries = append(page.Entries, agent.EntryFromPB(e))
	}
	return page
}

// FindInSnapshots looks for the files pattern matches in a task's
// snapshots on the slave, newest first, each version once; onProgress
// (nil: none) hears how many it has read (backup.Status.Counted), and
// onFound (nil: none) what each part of the answer adds to the report
// (backup.FindReport.Add) as it comes: an agent sends each snapshot's
// once it is searched (an older one all at the end, and a version once
// for each snapshot that holds it). On an error, the search
// called off with ctx or the link lost, the report holds what came
// before it. An agent older than this refuses it: "not supported by this
// agent version".
func (m *Master) FindInSnapshots(ctx context.Context, slave, name, pattern string, limit int, onProgress func(backup.Status), onFound func(backup.FindPart)) (backup.FindReport, error) {
	out := backup.FindReport{Task: name, Pattern: pattern, Found: []backup.FoundFile{}}
	if err := backup.ValidFindPattern("", pattern); err != nil { // the agent reads it by its own system's rules
		return out, err
	}
	onPart := func(p *pb.TaskPart) { // the report holds what came, as it came
		for _, part := range agent.FindPartsFromPB(p) {
			out.Add(part)
			if onFound != nil {
				onFound(part)
			}
		}
	}
	err := m.run(ctx, slave, command{what: "task find " + name + " " + pattern, feature: "finding files in snapshots"}, func(l *link.Link) error {
		var resp pb.TaskFindResponse
		err := eachPart(ctx, l, wire.MethodTaskFind, &pb.TaskFindRequest{Name: name, Pattern: pattern, Limit: uint32(max(limit, 0))},
			&resp, onProgress, onPart)
		if err != nil {
			return err
		}
		agent.FinishFromPB(&out, &resp)
		out.Unreadable = agentWords(out.Unreadable)
		return nil
	})
	return out, err
}

// ListFolder lists one page of one folder of the slave itself (dir "" is
// its top: /, or its drives), to choose a task's sources and destination
// from. An agent older than this refuses it: "not supported by this agent
// version".
func (m *Master) ListFolder(ctx context.Context, slave, dir, after string, limit int) (backup.BrowsePage, error) {
	page := backup.BrowsePage{Entries: []backup.BrowseEntry{}}
	err := m.run(ctx, slave, command{what: "task folder " + dir, feature: "browsing the server's folders"}, func(l *link.Link) error {
		var resp pb.TaskListFolderResponse
		parts, err := collect(ctx, l, wire.MethodTaskListFolder, &pb.TaskListFolderRequest{Dir: dir, After: after,
			Limit: uint32(max(limit, 0))}, &resp, nil)
		if err != nil {
			return err
		}
		page = browsePage("", resp.Dir, resp.Total, resp.Next, parts)
		return nil
	})
	return page, err
}

// MakeFolder creates folder dir on the slave itself (its parent must
// exist), where a task's destination or a restore may go, and says
// whether it did (false: it was there). It is audited. An agent older
// than this refuses it: "not supported by this agent version".
func (m *Master) MakeFolder(ctx context.Context, slave, dir string) (bool, error) {
	var created bool
	err := m.run(ctx, slave, command{what: "task folder --create " + dir, feature: "making folders on the server", audit: true}, func(l *link.Link) error {
		var resp pb.TaskMakeFolderResponse
		if err := l.Request(ctx, wire.MethodTaskMakeFolder, &pb.TaskMakeFolderRequest{Dir: dir}, &resp); err != nil {
			return err
		}
		created = resp.Created
		return nil
	})
	return created, err
}

// VerifySnapshot re-hashes a snapshot on the agent against its manifest.
func (m *Master) VerifySnapshot(ctx context.Context, slave, name, snapshot string, onProgress func(backup.Status)) (backup.VerifyReport, error) {
	var out backup.VerifyReport
	err := m.run(ctx, slave, command{what: strings.TrimSpace("task verify " + name + " " + snapshot), feature: taskFeature, audit: true, long: true}, func(l *link.Link) error {
		var resp pb.TaskVerifyResponse
		parts, err := collect(ctx, l, wire.MethodTaskVerify, &pb.TaskVerifyRequest{Name: name, Snapshot: snapshot}, &resp, onProgress)
		if err != nil {
			return err
		}
		out = backup.VerifyReport{Task: resp.Task, Snapshot: resp.Snapshot, Files: resp.Files, Bytes: resp.Bytes,
			Missing: int(resp.Missing), Changed: int(resp.Changed), Recopy: resp.Recopy, RecopyError: wire.PlainUpTo(resp.RecopyError, maxAgentText)}
		for _, p := range parts.GetProblems() {
			out.Problems = append(out.Problems, backup.Problem{Path: p.Path, Reason: p.Reason})
		}
		return nil
	})
	return out, err
}

// DeleteSnapshot deletes one snapshot of the task on the slave (by its
// ID), to make room on its destination at once. A big snapshot takes a
// while to delete: the audit has it as started before it is sent. The
// agent tells every console what the deletion did (EventDeleted), so
// that the room it left goes into each one's backup health at once, and
// a nearly full destination is seen to have room before the next run.
func (m *Master) DeleteSnapshot(ctx context.Context, slave, name, snapshot string) (backup.DeleteReport, error) {
	var out backup.DeleteReport
	err := m.run(ctx, slave, command{what: "task delete-snapshot " + name + " " + snapshot, feature: "deleting a snapshot", audit: true, long: true}, func(l *link.Link) error {
		var resp pb.TaskDeleteSnapshotResponse
		if err := l.Request(ctx, wire.MethodTaskDeleteSnapshot, &pb.TaskDeleteSnapshotRequest{Name: name, Snapshot: snapshot}, &resp); err != nil {
			return err
		}
		out = agent.DeleteReportFromPB(&resp)
		out.Warning = wire.PlainUpTo(out.Warning, maxAgentText)
		return nil
	})
	return out, err
}

// EstimateDeletion says what deleting one snapshot of the task on the
// slave would free, deleting nothing. It reads the whole snapshot on the
// slave: ctx bounds it, and ending ctx stops it there.
func (m *Master) EstimateDeletion(ctx context.Context, slave, name, snapshot string) (backup.DeletionEstimate, error) {
	var out backup.DeletionEstimate
	err := m.run(ctx, slave, command{what: "task estimate-deletion " + name + " " + snapshot, feature: "estimating what a deletion frees"}, func(l *link.Link) error {
		var resp pb.TaskEstimateDeletionResponse
		if err := l.Request(ctx, wire.MethodTaskEstimateDeletion, &pb.TaskEstimateDeletionRequest{Name: name, Snapshot: snapshot}, &resp); err != nil {
			return err
		}
		out = backup.DeletionEstimate{Task: resp.Task, Snapshot: resp.Snapshot, Frees: resp.Frees, OwnFiles: resp.OwnFiles, SharedFiles: resp.SharedFiles}
		return nil
	})
	return out, err
}

// RestoreSnapshot copies a snapshot, or paths of it, into a folder on the
// slave, or to where the files were.
func (m *Master) RestoreSnapshot(ctx context.Context, slave, name, snapshot string, opt backup.RestoreOptions, onProgress func(backup.Status)) (backup.RestoreReport, error) {
	var out backup.RestoreReport
	what := fmt.Sprintf("task restore %s %s %s", name, snapshot, opt.Where())
	if len(opt.Paths) > 0 {
		what += " (" + human.Plural(len(opt.Paths), "path", "paths") + ")"
	}
	switch {
	case opt.Overwrite:
		what += " overwriting"
	case opt.SkipExisting:
		what += " skipping existing files"
	}
	err := m.run(ctx, slave, command{what: what, feature: taskFeature, audit: true, long: true}, func(l *link.Link) error {
		var resp pb.TaskRestoreResponse
		parts, err := collect(ctx, l, wire.MethodTaskRestore, &pb.TaskRestoreRequest{Name: name, Snapshot: snapshot, Target: opt.Target,
			Original: opt.Original, Paths: opt.Paths, Overwrite: opt.Overwrite, SkipExisting: opt.SkipExisting}, &resp, onProgress)
		if err != nil {
			return olderRestore(slave, opt, err)
		}
		out = backup.RestoreReport{Task: resp.Task, Snapshot: resp.Snapshot, Target: resp.Target, Original: opt.Original, Files: resp.Files,
			Bytes: resp.Bytes, Dirs: resp.Dirs, Symlinks: resp.Symlinks, Replaced: resp.Replaced, Skipped: resp.Skipped, Damaged: resp.Damaged, Unreadable: resp.Unreadable,
			Paths: parts.GetPaths(), Warnings: parts.GetWarnings()}
		if out.Paths == nil {
			out.Paths = []string{}
		}
		return nil
	})
	return out, err
}

// olderRestore says what an agent older than restoring to where the files
// were meant by refusing one: it took the empty target for a mistake.
func olderRestore(slave string, opt backup.RestoreOptions, err error) error {
	if opt.Original && strings.Contains(err.Error(), `restore target "" must be`) {
		return fmt.Errorf("the agent on %s is older than this console and cannot restore to where the files were: update it, or restore into a folder", slave)
	}
	return err
}
