package agent_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// pushed records the events an agent pushes, with their bodies.
type pushed struct {
	*handler
	mu      sync.Mutex
	events  []pushedEvent
	changed chan struct{}
}

type pushedEvent struct {
	typ  string
	body []byte
}

func newPushed() *pushed { return &pushed{handler: newHandler(), changed: make(chan struct{})} }

func (p *pushed) HandleEvent(_ *link.Link, typ string, body []byte) {
	p.mu.Lock()
	p.events = append(p.events, pushedEvent{typ, append([]byte(nil), body...)})
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// wait returns the first event of typ that ok accepts.
func (p *pushed) wait(t *testing.T, typ string, ok func([]byte) bool) []byte {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if e.typ == typ && (ok == nil || ok(e.body)) {
				p.mu.Unlock()
				return e.body
			}
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no %s event within 20s", typ)
		}
	}
}

// sourceTree makes a folder of n files to back up and an empty
// destination.
func sourceTree(t *testing.T, n int) (src, dest string) {
	t.Helper()
	root := t.TempDir()
	src, dest = filepath.Join(root, "data"), filepath.Join(root, "backups")
	for _, d := range []string{filepath.Join(src, "sub"), dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		name := filepath.Join(src, "sub", "file"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+".txt")
		if err := os.WriteFile(name, []byte(strings.Repeat("content ", 100+i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "report.txt"), []byte("the report"), 0o644); err != nil {
		t.Fatal(err)
	}
	return src, dest
}

// stream collects a task stream's parts.
func stream(t *testing.T, l *link.Link, method string, req, resp proto.Message) (*pb.TaskPart, error) {
	t.Helper()
	all := &pb.TaskPart{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.Stream(ctx, method, req, func(chunk []byte) error {
		if len(chunk) > wire.MaxChunk {
			t.Errorf("a chunk of %d bytes", len(chunk))
		}
		var p pb.TaskPart
		if err := proto.Unmarshal(chunk, &p); err != nil {
			return err
		}
		proto.Merge(all, &p)
		return nil
	}, resp)
	return all, err
}

func TestTasksAreManagedOverTheLinkAndEveryConsoleSeesTheRun(t *testing.T) {
	a := startAgent(t, false, true)
	c := newConsole(t)
	one, two := newPushed(), newPushed()
	l := c.linkWith(t, a, false, one)
	c.linkWith(t, a, false, two)
	src, dest := sourceTree(t, 40)

	// The agent checks a definition before it is saved, naming the field.
	var check pb.TaskCheckResponse
	bad := &pb.Task{Name: "docs", Sources: []string{src + "-missing"}, Destination: dest, Schedule: "daily@02:00"}
	if err := request(t, l, wire.MethodTaskCheck, &pb.TaskCheckRequest{Task: bad}, &check); err != nil {
		t.Fatal(err)
	}
	if check.Field != backup.FieldSources || !strings.Contains(check.Error, "does not exist") || len(check.NextRunsUnixNano) != 5 {
		t.Fatalf("check of a missing source: %+v", &check)
	}
	inside := &pb.Task{Name: "docs", Sources: []string{src}, Destination: filepath.Join(src, "sub"), Schedule: "manual"}
	if err := request(t, l, wire.MethodTaskCheck, &pb.TaskCheckRequest{Task: inside}, &check); err != nil || check.Field != backup.FieldDestination {
		t.Fatalf("check of a destination inside a source: %+v, %v", &check, err)
	}

	var put pb.TaskPutResponse
	task := &pb.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual", Retention: &pb.Retention{KeepLast: 3}}
	if err := request(t, l, wire.MethodTaskPut, &pb.TaskPutRequest{Task: task}, &put); err != nil {
		t.Fatal(err)
	}
	if put.Info.GetTask().GetVersion() != 1 {
		t.Fatalf("put: %+v", &put)
	}
	two.wait(t, wire.EventTaskChanged, nil)

	// An edit against an older version is refused, never lost.
	stale := proto.Clone(task).(*pb.Task)
	stale.Version = 1
	if err := request(t, l, wire.MethodTaskPut, &pb.TaskPutRequest{Task: stale}, &put); err != nil {
		t.Fatal(err)
	}
	err := request(t, l, wire.MethodTaskPut, &pb.TaskPutRequest{Task: stale}, &put)
	var re *link.RequestError
	if !errors.As(err, &re) || re.Code != wire.ErrConflict || !strings.Contains(re.Message, "changed by another console: reload") {
		t.Fatalf("a stale edit: %v", err)
	}

	var list pb.TaskListResponse
	parts, err := stream(t, l, wire.MethodTaskList, &pb.TaskListRequest{}, &list)
	if err != nil || list.Count != 1 || len(parts.Tasks) != 1 || parts.Tasks[0].Task.Version != 2 {
		t.Fatalf("list: %v, %+v", err, parts)
	}

	// A run: both consoles see its progress and its end.
	var run pb.TaskRunResponse
	if err := request(t, l, wire.MethodTaskRun, &pb.TaskRunRequest{Name: "docs"}, &run); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*pushed{one, two} {
		p.wait(t, wire.EventTaskProgress, nil)
		p.wait(t, wire.EventRunFinished, func(b []byte) bool {
			var r pb.RunReport
			return proto.Unmarshal(b, &r) == nil && r.Task == "docs" && r.Result == string(backup.ResultCompleted)
		})
	}

	var hist pb.TaskListResponse
	parts, err = stream(t, l, wire.MethodTaskHistory, &pb.TaskHistoryRequest{Name: "docs"}, &hist)
	if err != nil || len(parts.Runs) != 1 || parts.Runs[0].Result != string(backup.ResultCompleted) || parts.Runs[0].Trigger != "console" {
		t.Fatalf("history: %v, %+v", err, parts.Runs)
	}
	parts, err = stream(t, l, wire.MethodTaskSnapshots, &pb.TaskSnapshotsRequest{Name: "docs"}, nil)
	if err != nil || len(parts.Snapshots) != 1 {
		t.Fatalf("snapshots: %v, %+v", err, parts.Snapshots)
	}
	snap := parts.Snapshots[0].Id

	var page pb.TaskBrowseResponse
	parts, err = stream(t, l, wire.MethodTaskBrowse, &pb.TaskBrowseRequest{Name: "docs", Snapshot: "latest", Dir: src}, &page)
	if err != nil || page.Snapshot != snap || len(parts.Entries) != 2 {
		t.Fatalf("browse %s: %v, %+v %+v", src, err, &page, parts.Entries)
	}

	// Restore one file, then verify the snapshot.
	target := t.TempDir()
	var rr pb.TaskRestoreResponse
	_, err = stream(t, l, wire.MethodTaskRestore, &pb.TaskRestoreRequest{Name: "docs", Snapshot: snap, Target: target,
		Paths: []string{filepath.Join(src, "report.txt")}}, &rr)
	if err != nil || rr.Files != 1 {
		t.Fatalf("restore: %v, %+v", err, &rr)
	}
	if b, err := os.ReadFile(filepath.Join(target, src, "report.txt")); err != nil || string(b) != "the report" {
		t.Fatalf("the restored file: %q, %v", b, err)
	}
	// Again without --overwrite: refused, the console's mistake.
	_, err = stream(t, l, wire.MethodTaskRestore, &pb.TaskRestoreRequest{Name: "docs", Snapshot: snap, Target: target,
		Paths: []string{filepath.Join(src, "report.txt")}}, &rr)
	if !errors.As(err, &re) || re.Code != wire.ErrFilesExist {
		t.Fatalf("a restore over an existing file: %v", err)
	}
	var found pb.FilesExist
	if err := proto.Unmarshal(re.Detail, &found); err != nil || found.Count != 1 ||
		len(found.Paths) != 1 || found.Paths[0] != filepath.Join(target, src, "report.txt") {
		t.Fatalf("the files a restore found in its way: %+v, %v", &found, err)
	}
	var vr pb.TaskVerifyResponse
	if _, err := stream(t, l, wire.MethodTaskVerify, &pb.TaskVerifyRequest{Name: "docs", Snapshot: snap}, &vr); err != nil ||
		vr.Missing != 0 || vr.Changed != 0 || vr.Files == 0 {
		t.Fatalf("verify: %v, %+v", err, &vr)
	}

	var del pb.TaskDeleteResponse
	if err := request(t, l, wire.MethodTaskDelete, &pb.TaskDeleteRequest{Name: "docs", Version: 1}, &del); !errors.As(err, &re) || re.Code != wire.ErrConflict {
		t.Fatalf("a removal at an old version: %v", err)
	}
	if err := request(t, l, wire.MethodTaskDelete, &pb.TaskDeleteRequest{Name: "docs"}, &del); err != nil || del.Removed.GetName() != "docs" {
		t.Fatalf("remove: %v", err)
	}
	two.wait(t, wire.EventTaskRemoved, nil)
	if err := request(t, l, wire.MethodTaskGet, &pb.TaskGetRequest{Name: "docs"}, &pb.TaskInfo{}); !errors.As(err, &re) || re.Code != wire.ErrBadRequest {
		t.Fatalf("get of a removed task: %v", err)
	}
}

func TestTheWireFormOfATaskKeepsEveryField(t *testing.T) {
	at := time.Date(2026, 3, 1, 2, 3, 4, 0, time.UTC)
	task := backup.Task{Name: "docs", Sources: []string{"/a", "/b"}, Destination: "/d", Excludes: []string{"*.tmp"},
		Schedule: "daily@02:00", Retention: backup.Retention{KeepLast: 1, KeepDaily: 2, KeepWeekly: 3, KeepMonthly: 4},
		OverdueAfter: backup.Duration(36 * time.Hour), CatchUp: true, Version: 7, Created: at, Modified: at.Add(time.Hour),
		Speed: 20 << 20}
	back := agent.TaskFromPB(agent.TaskToPB(task))
	if back.Name != task.Name || len(back.Sources) != 2 || back.Retention != task.Retention || back.OverdueAfter != task.OverdueAfter || back.Speed != task.Speed ||
		!back.CatchUp || back.Version != 7 || !back.Created.Equal(at) || !back.Modified.Equal(at.Add(time.Hour)) {
		t.Fatalf("round trip: %+v", back)
	}
}
