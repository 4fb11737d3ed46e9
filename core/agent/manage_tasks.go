package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Backup tasks over the link: every request calls the agent's task
// manager (Tasks) directly, the same one the command line and the
// scheduler use, so there is one implementation and one set of words.
// Lists travel as TaskPart chunks under wire.MaxChunk; a verify's or a
// restore's progress too, the newest only when the console reads slower
// than the engine reports. The task manager's events (progress, started,
// finished, changed, removed) are pushed to every linked console.

// nextRunsShown is how many coming runs task.check lists.
const nextRunsShown = 5

// taskError turns a task manager's error into the console's words and
// code: the request's fault is bad_request (files_exist for a restore
// over files), an edit of an older version conflict, a task busy running
// or deleting task_busy.
func taskError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrConflict):
		return &link.RequestError{Code: wire.ErrConflict, Message: err.Error()}
	case errors.Is(err, backup.ErrExists):
		return &link.RequestError{Code: wire.ErrFilesExist, Message: err.Error(), Detail: filesExist(err)}
	case IsUsage(err), errors.Is(err, backup.ErrInvalid), errors.Is(err, ErrUnknownTask):
		return &link.RequestError{Code: wire.ErrBadRequest, Message: err.Error()}
	}
	if errors.Is(err, backup.ErrBusy) {
		return &link.RequestError{Code: wire.ErrTaskBusy, Message: err.Error()}
	}
	return err
}

// filesExist is the detail of a files_exist answer: the files a restore
// found in its way, for the console to name in its own words.
func filesExist(err error) []byte {
	var ex *backup.ExistsError
	if !errors.As(err, &ex) {
		return nil
	}
	b, _ := proto.Marshal(&pb.FilesExist{Paths: ex.Paths, Count: int64(ex.Count)})
	return b
}

// parts packs list items into TaskPart chunks under wire.MaxChunk.
type parts struct {
	ctx  context.Context
	w    *link.ChunkWriter
	part pb.TaskPart
	size int
}

func newParts(ctx context.Context, l *link.Link) (*parts, error) {
	w, err := l.Chunks(ctx)
	if err != nil {
		return nil, err
	}
	return &parts{ctx: ctx, w: w}, nil
}

// add adds one item (its encoded size n) with put, sending the chunk
// first when the item would not fit.
func (p *parts) add(n int, put func(*pb.TaskPart)) error {
	n += 4 // the field's tag and length
	if p.size+n > wire.MaxChunk-64 && p.size > 0 {
		if err := p.flush(); err != nil {
			return err
		}
	}
	put(&p.part)
	p.size += n
	return nil
}

func (p *parts) flush() error {
	if p.size == 0 {
		return nil
	}
	err := p.w.SendMsg(p.ctx, &p.part)
	p.part.Reset()
	p.size = 0
	return err
}

// sendList sends items as TaskPart chunks: each made a message by toPB,
// put in its place in the part by put.
func sendList[T any, M proto.Message](ctx context.Context, l *link.Link, items []T, toPB func(T) M, put func(*pb.TaskPart, M)) error {
	p, err := newParts(ctx, l)
	if err != nil {
		return err
	}
	return sendItems(p, items, toPB, put)
}

// sendItems sends items, as many to a part as fit, and the last part.
func sendItems[T any, M proto.Message](p *parts, items []T, toPB func(T) M, put func(*pb.TaskPart, M)) error {
	if err := addItems(p, items, toPB, put); err != nil {
		return err
	}
	return p.flush()
}

// addItems adds items to p, sending each part that is full.
func addItems[T any, M proto.Message](p *parts, items []T, toPB func(T) M, put func(*pb.TaskPart, M)) error {
	for _, item := range items {
		m := toPB(item)
		if err := p.add(proto.Size(m), func(tp *pb.TaskPart) { put(tp, m) }); err != nil {
			return err
		}
	}
	return nil
}

// cutText keeps one string under what a chunk holds.
func cutText(s string) string { return human.Shorten(s, wire.MaxChunk/4) }

func (a *Agent) handleTaskList(ctx context.Context, l *link.Link, _ []byte) (proto.Message, error) {
	infos, err := a.tasks.List(ctx)
	if err != nil {
		return nil, taskError(err)
	}
	err = sendList(ctx, l, infos, func(info TaskInfo) *pb.TaskInfo {
		m := InfoToPB(info)
		if m.LastRun != nil && proto.Size(m) > wire.MaxChunk/2 {
			m.LastRun.Warnings = nil // the full list is in the history
		}
		return m
	}, func(tp *pb.TaskPart, m *pb.TaskInfo) { tp.Tasks = append(tp.Tasks, m) })
	if err != nil {
		return nil, err
	}
	return &pb.TaskListResponse{Count: uint32(len(infos))}, nil
}

func (a *Agent) handleTaskGet(ctx context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskGetRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	info, err := a.tasks.Get(ctx, req.Name)
	if err != nil {
		return nil, taskError(err)
	}
	return trimInfo(InfoToPB(info)), nil
}

// trimInfo keeps a task's answer small: the last run's warnings are in
// its history.
func trimInfo(m *pb.TaskInfo) *pb.TaskInfo {
	if m.LastRun != nil && len(m.LastRun.Warnings) > 20 {
		m.LastRun.Warnings = m.LastRun.Warnings[:20]
	}
	return m
}

func (a *Agent) handleTaskCheck(ctx context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskCheckRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	task := TaskFromPB(req.Task)
	resp := &pb.TaskCheckResponse{}
	if err := task.CheckGivenPaths(); err != nil {
		resp.Error, resp.Field = err.Error(), backup.FieldOf(err)
		return resp, nil
	}
	if err := task.Normalize(); err != nil {
		resp.Error, resp.Field = err.Error(), backup.FieldOf(err)
		return resp, nil
	}
	warnings, err := a.tasks.validate(&task)
	if err != nil {
		resp.Error, resp.Field = err.Error(), backup.FieldOf(err)
	}
	resp.Warnings = warnings
	resp.DestinationMissing = slices.Contains(warnings, backup.MissingDestination(task.Destination))
	if err == nil {
		on := task.Destination
		if resp.DestinationMissing {
			on = filepath.Dir(on) // where it would be made
		}
		resp.DestFree, resp.DestTotal = backup.DestinationSpace(ctx, on)
		if !resp.DestinationMissing {
			if p, err := a.tasks.PreviewRetention(task); err == nil {
				PutRetentionPreview(resp, p)
			}
		}
	}
	resp.Normalized = TaskToPB(task)
	if s, err := backup.ParseSchedule(task.ScheduleInForce()); err == nil && !s.Manual() {
		at := a.tasks.now()
		for range nextRunsShown {
			at = s.Next(at)
			if at.IsZero() {
				break
			}
			resp.NextRunsUnixNano = append(resp.NextRunsUnixNano, at.UnixNano())
		}
	}
	return resp, nil
}

func (a *Agent) handleTaskPut(ctx context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskPutRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Task == nil {
		return nil, badRequest("task.put needs the task's definition")
	}
	task := TaskFromPB(req.Task)
	if err := task.CheckGivenPaths(); err != nil {
		return nil, taskError(err)
	}
	info, warnings, err := a.tasks.Put(ctx, task, PutOptions{CreateDestination: req.CreateDestination})
	if err != nil {
		return nil, taskError(err)
	}
	return &pb.TaskPutResponse{Info: trimInfo(InfoToPB(info)), Warnings: warnings}, nil
}

func (a *Agent) handleTaskDelete(ctx context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskDeleteRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	removed, err := a.tasks.Remove(ctx, req.Name, req.Version)
	if err != nil {
		return nil, taskError(err)
	}
	return &pb.TaskDeleteResponse{Removed: TaskToPB(removed)}, nil
}

func (a *Agent) handleTaskRun(ctx context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskRunRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	h, err := a.tasks.RunWith(ctx, req.Name, backup.TriggerConsole, RunOptions{Reread: req.Reread})
	if err != nil {
		return nil, taskError(err)
	}
	info, err := a.tasks.Get(ctx, req.Name)
	if err != nil {
		return nil, taskError(err)
	}
	started := backup.Report{Task: h.Task, Trigger: backup.TriggerConsole, Started: h.Since, Result: backup.ResultRunning, Reread: req.Reread}
	return &pb.TaskRunResponse{Info: trimInfo(InfoToPB(info)), Started: ReportToPB(started)}, nil
}

func (a *Agent) handleTaskStop(ctx context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskStopRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	stopped, err := a.tasks.Stop(ctx, req.Name)
	if err != nil {
		return nil, taskError(err)
	}
	return &pb.TaskStopResponse{Stopped: stopped}, nil
}

func (a *Agent) handleTaskHistory(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskHistoryRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	runs, err := a.tasks.History(ctx, req.Name, int(req.Limit))
	if err != nil {
		return nil, taskError(err)
	}
	err = sendList(ctx, l, runs, func(r backup.Report) *pb.RunReport {
		m := ReportToPB(r)
		for i := range m.Warnings {
			m.Warnings[i] = cutText(m.Warnings[i])
		}
		for proto.Size(m) > wire.MaxChunk-128 && len(m.Warnings) > 0 {
			m.Warnings = m.Warnings[:len(m.Warnings)/2]
		}
		return m
	}, func(tp *pb.TaskPart, m *pb.RunReport) { tp.Runs = append(tp.Runs, m) })
	if err != nil {
		return nil, err
	}
	return &pb.TaskListResponse{Count: uint32(len(runs))}, nil
}

func (a *Agent) handleTaskSnapshots(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskSnapshotsRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	snaps, err := a.tasks.Snapshots(ctx, req.Name)
	if err != nil {
		return nil, taskError(err)
	}
	err = sendList(ctx, l, snaps, SnapshotToPB, func(tp *pb.TaskPart, m *pb.Snapshot) { tp.Snapshots = append(tp.Snapshots, m) })
	if err != nil {
		return nil, err
	}
	return &pb.TaskListResponse{Count: uint32(len(snaps))}, nil
}

func (a *Agent) handleTaskBrowse(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskBrowseRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	page, err := a.tasks.Browse(ctx, req.Name, req.Snapshot, req.Dir, req.After, int(req.Limit))
	if err != nil {
		return nil, taskError(err)
	}
	if err := sendEntries(ctx, l, page.Entries); err != nil {
		return nil, err
	}
	return &pb.TaskBrowseResponse{Snapshot: page.Snapshot, Dir: page.Dir, Total: uint32(page.Total), Next: page.Next}, nil
}

// handleTaskFind looks for files in a task's snapshots. Read-only, as
// task.browse. What each snapshot holds is sent once it is searched, so
// that the console lists it as the search goes and keeps it when the
// search is called off: the versions found in it first, and which of
// those found before it holds too.
func (a *Agent) handleTaskFind(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskFindRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	var rep backup.FindReport
	_, err := a.withProgress(ctx, l, func(p *parts, pr backup.Progress) (err error) {
		var sent error
		rep, err = a.tasks.Find(ctx, req.Name, req.Pattern, int(req.Limit), pr, func(part backup.FindPart) {
			if sent == nil {
				sent = sendFindPart(p, part)
			}
		})
		return cmp.Or(err, sent)
	})
	if err != nil {
		return nil, err
	}
	return FindEndToPB(rep), nil
}

// sendFindPart sends what searching one snapshot found: the new
// versions, their paths cut to what a console shows, then the places of
// those found before.
func sendFindPart(p *parts, part backup.FindPart) error {
	err := addItems(p, part.New, func(f backup.FoundFile) *pb.FoundFile {
		m := FoundToPB(f)
		m.Path, m.InSnapshot = cutText(m.Path), cutText(m.InSnapshot)
		return m
	}, func(tp *pb.TaskPart, m *pb.FoundFile) { tp.Found = append(tp.Found, m) })
	if err != nil {
		return err
	}
	if len(part.Again) > 0 {
		m := AgainToPB(part)
		if err := p.add(proto.Size(m), func(tp *pb.TaskPart) { tp.FoundAgain = append(tp.FoundAgain, m) }); err != nil {
			return err
		}
	}
	return p.flush()
}

// handleTaskListFolder lists one folder of this server, for choosing a
// task's paths from a console. Read-only, as task.browse: whoever may
// manage the agent may back any folder up, so may see its names.
func (a *Agent) handleTaskListFolder(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskListFolderRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	page, err := backup.ListFolder(req.Dir, req.After, int(req.Limit))
	if err != nil {
		return nil, taskError(err)
	}
	if err := sendEntries(ctx, l, page.Entries); err != nil {
		return nil, err
	}
	return &pb.TaskListFolderResponse{Dir: page.Dir, Total: uint32(page.Total), Next: page.Next}, nil
}

// handleTaskMakeFolder creates one folder on this server, where a task's
// destination or a restore may go (backup.MakeFolder). A console may
// restore files anywhere, so may make a folder.
func (a *Agent) handleTaskMakeFolder(_ context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskMakeFolderRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	created, err := a.tasks.MakeFolder(req.Dir)
	if err != nil {
		return nil, taskError(err)
	}
	return &pb.TaskMakeFolderResponse{Created: created}, nil
}

// sendEntries sends a folder's entries as TaskPart chunks, their names
// cut to what a console shows.
func sendEntries(ctx context.Context, l *link.Link, entries []backup.BrowseEntry) error {
	return sendList(ctx, l, entries, func(e backup.BrowseEntry) *pb.BrowseEntry {
		m := EntryToPB(e)
		m.Name, m.Target = cutText(m.Name), cutText(m.Target)
		return m
	}, func(tp *pb.TaskPart, m *pb.BrowseEntry) { tp.Entries = append(tp.Entries, m) })
}

// progressSender sends the newest progress of a verify, restore or find
// as a chunk, without ever making the engine wait for the console; the
// last one reported is sent before the answer, so the console hears
// where the work ended.
type progressSender struct {
	mu     sync.Mutex
	latest *pb.Progress
	wake   chan struct{}
	done   chan struct{}
}

func (a *Agent) sendProgress(ctx context.Context, p *parts) (*progressSender, func()) {
	ps := &progressSender{wake: make(chan struct{}, 1), done: make(chan struct{})}
	stop := make(chan struct{})
	go func() {
		defer close(ps.done)
		for last := false; !last; {
			select {
			case <-stop:
				last = true
			case <-ctx.Done():
				return
			case <-ps.wake:
			}
			ps.mu.Lock()
			m := ps.latest
			ps.latest = nil
			ps.mu.Unlock()
			if m != nil {
				_ = p.w.SendMsg(ctx, &pb.TaskPart{Progress: m})
			}
		}
	}()
	return ps, func() { close(stop); <-ps.done }
}

// withProgress opens the answer's parts and runs op, streaming the
// progress it reports in them; op may send parts of its own through p as
// it goes (sendItems), and p then takes the rest of the answer. op's
// error comes back as taskError words it.
func (a *Agent) withProgress(ctx context.Context, l *link.Link, op func(p *parts, pr backup.Progress) error) (*parts, error) {
	p, err := newParts(ctx, l)
	if err != nil {
		return nil, err
	}
	ps, stop := a.sendProgress(ctx, p)
	err = op(p, backup.ProgressFunc(ps.update))
	stop()
	if err != nil {
		return nil, taskError(err)
	}
	return p, nil
}

func (ps *progressSender) update(s backup.Status) {
	ps.mu.Lock()
	ps.latest = ProgressToPB(s)
	ps.mu.Unlock()
	select {
	case ps.wake <- struct{}{}:
	default:
	}
}

func (a *Agent) handleTaskVerify(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskVerifyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	var vr backup.VerifyReport
	p, err := a.withProgress(ctx, l, func(_ *parts, pr backup.Progress) (err error) {
		vr, err = a.tasks.Verify(ctx, req.Name, req.Snapshot, pr)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = sendItems(p, vr.Problems, func(pr backup.Problem) *pb.VerifyProblem {
		return &pb.VerifyProblem{Path: cutText(pr.Path), Reason: cutText(pr.Reason)}
	}, func(tp *pb.TaskPart, m *pb.VerifyProblem) { tp.Problems = append(tp.Problems, m) })
	if err != nil {
		return nil, err
	}
	return &pb.TaskVerifyResponse{Task: vr.Task, Snapshot: vr.Snapshot, Files: vr.Files, Bytes: vr.Bytes,
		Missing: int64(vr.Missing), Changed: int64(vr.Changed), Recopy: vr.Recopy, RecopyError: cutText(vr.RecopyError)}, nil
}

func (a *Agent) handleTaskDeleteSnapshot(ctx context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskDeleteSnapshotRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	dr, err := a.tasks.DeleteSnapshot(ctx, req.Name, req.Snapshot)
	if err != nil {
		return nil, taskError(err)
	}
	return DeleteReportToPB(dr), nil
}

func (a *Agent) handleTaskEstimateDeletion(ctx context.Context, _ *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskEstimateDeletionRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	est, err := a.tasks.EstimateDeletion(ctx, req.Name, req.Snapshot)
	if err != nil {
		return nil, taskError(err)
	}
	return &pb.TaskEstimateDeletionResponse{Task: est.Task, Snapshot: est.Snapshot, Frees: est.Frees,
		OwnFiles: est.OwnFiles, SharedFiles: est.SharedFiles}, nil
}

func (a *Agent) handleTaskRestore(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskRestoreRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	opt := backup.RestoreOptions{Target: req.Target, Original: req.Original, Paths: req.Paths, Overwrite: req.Overwrite, SkipExisting: req.SkipExisting}
	var rr backup.RestoreReport
	p, err := a.withProgress(ctx, l, func(_ *parts, pr backup.Progress) (err error) {
		rr, err = a.tasks.Restore(ctx, req.Name, req.Snapshot, opt, pr)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, path := range rr.Paths {
		path = cutText(path)
		if err := p.add(len(path), func(tp *pb.TaskPart) { tp.Paths = append(tp.Paths, path) }); err != nil {
			return nil, err
		}
	}
	for _, w := range rr.Warnings {
		w = cutText(w)
		if err := p.add(len(w), func(tp *pb.TaskPart) { tp.Warnings = append(tp.Warnings, w) }); err != nil {
			return nil, err
		}
	}
	if err := p.flush(); err != nil {
		return nil, err
	}
	return &pb.TaskRestoreResponse{Task: rr.Task, Snapshot: rr.Snapshot, Target: rr.Target, Files: rr.Files, Bytes: rr.Bytes,
		Dirs: rr.Dirs, Symlinks: rr.Symlinks, Replaced: rr.Replaced, Skipped: rr.Skipped, Damaged: rr.Damaged, Unreadable: rr.Unreadable}, nil
}

// pushTaskEvents forwards the task manager's events to every linked
// console until ctx ends: progress coalesced per task (a console that
// reads slowly gets the newest), the rest in order.
func (a *Agent) pushTaskEvents(ctx context.Context) {
	events, unsubscribe := a.tasks.Subscribe(256)
	defer unsubscribe()
	for {
		var ev TaskEvent
		select {
		case <-ctx.Done():
			return
		case ev = <-events:
		}
		key := backup.NameKey(ev.Task)
		switch {
		case ev.Kind == EventProgress && ev.Status != nil:
			a.pushAll(wire.EventTaskProgress, ProgressToPB(*ev.Status), "progress/"+key)
		case ev.Kind == EventStarted && ev.Report != nil:
			m := ReportToPB(*ev.Report)
			m.RunSeq = ev.Seq
			a.pushAll(wire.EventRunStarted, m, "")
		case ev.Kind == EventFinished && ev.Report != nil:
			m := ReportToPB(*ev.Report)
			m.RunSeq = ev.Seq
			a.pushAll(wire.EventRunFinished, m, "")
		case ev.Kind == EventChanged && ev.Info != nil:
			a.pushAll(wire.EventTaskChanged, trimInfo(InfoToPB(*ev.Info)), "changed/"+key)
		case ev.Kind == EventRemoved:
			a.pushAll(wire.EventTaskRemoved, &pb.TaskRemoved{Name: ev.Task}, "")
		case ev.Kind == EventDeleted && ev.Deleted != nil:
			a.pushAll(wire.EventSnapshotDeleted, DeleteReportToPB(*ev.Deleted), "")
		default:
			a.log.Debugf("task event %q not pushed", fmt.Sprint(ev.Kind))
		}
	}
}

// startTaskPushLocked runs pushTaskEvents for the agent's life. a.mu is
// held.
func (a *Agent) startTaskPushLocked() {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.pushTaskEvents(a.ctx)
	}()
}
