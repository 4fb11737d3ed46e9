package agent

import (
	"context"
	"encoding/json"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Backup health for a console that relinks (task.health): the console
// sends what it has seen of each task (health.Cursor: the task's creation
// and version, the newest run record's sequence and whether that run had
// ended), and the agent answers with the tasks whose cursor differs, the
// tasks the console does not know, and the names of those it knows that
// are gone. A console that saw everything gets an empty answer, however
// long the history.

// cursor is task's cursor now, from its newest run record.
func (t *Tasks) cursor(task backup.Task) (health.Cursor, error) {
	c := health.Cursor{Created: task.Created, Version: task.Version}
	recs, err := t.db.Runs(task.Name, 1)
	if err != nil || len(recs) == 0 {
		return c, err
	}
	c.RunSeq = recs[0].Seq
	var rep backup.Report
	c.RunDone = decodeReport(recs[0].Doc, &rep) && rep.Result != backup.ResultRunning
	c.Amended = rep.Amended
	return c, nil
}

// sameCursor compares cursors as the wire carries them (times in
// nanoseconds).
func sameCursor(a, b health.Cursor) bool {
	return nanos(a.Created) == nanos(b.Created) && a.Version == b.Version && a.RunSeq == b.RunSeq && a.RunDone == b.RunDone && a.Amended == b.Amended
}

// Health is the backup health of every task whose cursor differs from
// known's (by backup.NameKey), and the names in known that no longer
// exist.
func (t *Tasks) Health(ctx context.Context, known map[string]health.Cursor) (changed []health.Task, removed []string, unchanged int, err error) {
	tasks, err := t.loadAll()
	if err != nil {
		return nil, nil, 0, err
	}
	seen := map[string]bool{}
	for _, task := range tasks {
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
		key := backup.NameKey(task.Name)
		seen[key] = true
		cur, err := t.cursor(task)
		if err != nil {
			return nil, nil, 0, err
		}
		if k, ok := known[key]; ok && sameCursor(k, cur) {
			unchanged++
			continue
		}
		h, err := t.health(task, cur)
		if err != nil {
			return nil, nil, 0, err
		}
		changed = append(changed, h)
	}
	for key := range known {
		if !seen[key] {
			removed = append(removed, key)
		}
	}
	return changed, removed, unchanged, nil
}

func decodeReport(doc []byte, rep *backup.Report) bool { return json.Unmarshal(doc, rep) == nil }

// health is one task's health, read from its history.
func (t *Tasks) health(task backup.Task, cur health.Cursor) (health.Task, error) {
	info, err := t.info(task)
	if err != nil {
		return health.Task{}, err
	}
	h := health.Task{Name: task.Name, Cursor: cur, Schedule: task.ScheduleInForce(), Paused: task.Paused,
		OverdueAfter: time.Duration(info.OverdueAfter), Running: info.Running, LastSuccess: info.LastSuccess, NextRun: info.NextRun,
		FailuresSinceSuccess: info.FailuresSinceSuccess}
	if info.Running {
		t.mu.Lock()
		if ar := t.active[backup.NameKey(task.Name)]; ar != nil {
			h.RunningSince = ar.since
		}
		t.mu.Unlock()
	}
	if r := info.LastRun; r != nil {
		h.SetLast(*r)
	}
	runs, err := t.history(task.Name, 0)
	if err != nil {
		return h, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Result.Succeeded() {
			h.Dest = health.DestOf(runs[i])
			break
		}
	}
	return h, nil
}

func (a *Agent) handleTaskHealth(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.TaskHealthRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	known := make(map[string]health.Cursor, len(req.Known))
	for _, k := range req.Known {
		known[backup.NameKey(k.GetName())] = CursorFromPB(k)
	}
	changed, removed, unchanged, err := a.tasks.Health(ctx, known)
	if err != nil {
		return nil, taskError(err)
	}
	p, err := newParts(ctx, l)
	if err != nil {
		return nil, err
	}
	for _, h := range changed {
		m := HealthToPB(h)
		if err := p.add(proto.Size(m), func(tp *pb.TaskPart) { tp.Health = append(tp.Health, m) }); err != nil {
			return nil, err
		}
	}
	if err := p.flush(); err != nil {
		return nil, err
	}
	_, off := a.tasks.now().Zone()
	return &pb.TaskHealthResponse{Removed: removed, Unchanged: uint32(unchanged), UtcOffsetS: int32(off)}, nil
}

// CursorToPB is a task's cursor on the wire.
func CursorToPB(name string, c health.Cursor) *pb.TaskCursor {
	return &pb.TaskCursor{Name: name, CreatedUnixNano: nanos(c.Created), Version: c.Version, RunSeq: c.RunSeq, RunDone: c.RunDone, Amended: c.Amended}
}

// CursorFromPB reads a task's cursor off the wire.
func CursorFromPB(m *pb.TaskCursor) health.Cursor {
	return health.Cursor{Created: fromNanos(m.GetCreatedUnixNano()), Version: m.GetVersion(), RunSeq: m.GetRunSeq(), RunDone: m.GetRunDone(), Amended: m.GetAmended()}
}

// HealthToPB is a task's backup health on the wire.
func HealthToPB(h health.Task) *pb.TaskHealth {
	m := &pb.TaskHealth{Cursor: CursorToPB(h.Name, h.Cursor), Schedule: h.Schedule, OverdueAfterMs: h.OverdueAfter.Milliseconds(),
		Running: h.Running, RunningSinceUnixNano: nanos(h.RunningSince), LastSuccessUnixNano: nanos(h.LastSuccess),
		FailuresSinceSuccess: uint32(h.FailuresSinceSuccess), NextRunUnixNano: nanos(h.NextRun),
		DestFree: h.Dest.Free, DestTotal: h.Dest.Total, DestWrote: h.Dest.Wrote, Paused: h.Paused}
	if h.LastResult != "" {
		m.LastRun = &pb.RunReport{Task: h.Name, Result: string(h.LastResult), StartedUnixNano: nanos(h.LastStarted),
			FinishedUnixNano: nanos(h.LastFinished), Error: h.LastError, RetryAtUnixNano: nanos(h.RetryAt),
			WarningCount: int64(h.LastWarnings), VerifyChanged: int32(h.LastDamaged), // the copies known damaged, whoever found them
			FoundAtUnixNano: nanos(h.FoundAt)}
		if h.LastWarning != "" {
			m.LastRun.Warnings = []string{h.LastWarning}
		}
	}
	return m
}

// HealthFromPB reads a task's backup health off the wire.
func HealthFromPB(m *pb.TaskHealth) health.Task {
	h := health.Task{Name: m.GetCursor().GetName(), Cursor: CursorFromPB(m.GetCursor()), Schedule: m.GetSchedule(),
		OverdueAfter: time.Duration(m.GetOverdueAfterMs()) * time.Millisecond, Running: m.GetRunning(),
		RunningSince: fromNanos(m.GetRunningSinceUnixNano()), LastSuccess: fromNanos(m.GetLastSuccessUnixNano()),
		FailuresSinceSuccess: int(m.GetFailuresSinceSuccess()), NextRun: fromNanos(m.GetNextRunUnixNano()),
		Dest: health.DestSpace{Free: m.GetDestFree(), Total: m.GetDestTotal(), Wrote: m.GetDestWrote()}, Paused: m.GetPaused()}
	if r := m.GetLastRun(); r != nil {
		h.LastResult, h.LastStarted, h.LastFinished = backup.Result(r.GetResult()), fromNanos(r.GetStartedUnixNano()), fromNanos(r.GetFinishedUnixNano())
		h.LastError = health.CutError(r.GetError())
		h.RetryAt = fromNanos(r.GetRetryAtUnixNano())
		h.LastWarnings = int(r.GetWarningCount())
		known := backup.Report{VerifyMissing: int(r.GetVerifyMissing()), VerifyChanged: int(r.GetVerifyChanged()), FoundDamaged: int(r.GetFoundDamaged())}
		h.LastDamaged = known.Damaged()
		h.FoundAt = fromNanos(r.GetFoundAtUnixNano())
		if w := r.GetWarnings(); len(w) > 0 {
			h.LastWarning = health.CutError(w[0])
		}
	}
	return h
}
