package app_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/internal/testfs"
)

// taskSource is a folder of n files to back up, and an empty destination.
func taskSource(t *testing.T, n int) (src, dest string) {
	t.Helper()
	root := t.TempDir()
	src, dest = filepath.Join(root, "data"), filepath.Join(root, "backups")
	for _, d := range []string{filepath.Join(src, "docs"), dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		body := strings.Repeat(fmt.Sprintf("line %d of a file worth backing up\n", i), 200)
		if err := os.WriteFile(filepath.Join(src, "docs", fmt.Sprintf("file-%04d.txt", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "report.txt"), []byte("the quarterly report"), 0o644); err != nil {
		t.Fatal(err)
	}
	return src, dest
}

// rawConsoleRequest sends one request line to a running console's control
// socket, as a script could, and returns the final answer.
func rawConsoleRequest(t *testing.T, dir, line string) map[string]any {
	t.Helper()
	c, err := net.Dial("unix", filepath.Join(dir, "console.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("answer %q: %v", sc.Text(), err)
		}
		if r["done"] == true {
			return r
		}
	}
	t.Fatalf("no final answer: %v", sc.Err())
	return nil
}

func TestBackupTasksFromTheConsolesCommandLineSeenByTwoConsoles(t *testing.T) {
	one := newFleet(t, true)
	_, addr := one.agent("FS01", "pw-tasks", true, true)
	two := newFleet(t, true)
	one.addSlave("FS09", "pw", deadAddress(t))
	for _, f := range []*fleet{one, two} {
		f.addSlave("FS01", "pw-tasks", addr)
		f.console = start(t, "console", f.consoleBin, "serve", "--data-dir", f.consoleDir, "--log-level", "debug")
		f.console.event("connected", "FS01", 15*time.Second)
	}
	cli := func(f *fleet, stdin string, args ...string) (string, int) {
		t.Helper()
		return runExit(t, stdin, f.consoleBin, append(args, "--data-dir", f.consoleDir)...)
	}
	src, dest := taskSource(t, 400)

	// Added from the first console's command line, with the agent's checks.
	if out, code := cli(one, "", "task", "add", "docs", "--slave", "FS01", "--source", "data", "--dest", dest); code != 2 ||
		!strings.Contains(out, "give an absolute path on the server") {
		t.Fatalf("a relative source: exit %d\n%s", code, out)
	}
	if out, code := cli(one, "", "task", "add", "docs", "--slave", "FS01", "--source", src, "--dest", filepath.Join(src, "docs")); code != 2 ||
		!strings.Contains(out, "inside the source") {
		t.Fatalf("a destination inside the source: exit %d\n%s", code, out)
	}
	out, code := cli(one, "", "task", "add", "docs", "--slave", "FS01", "--source", src, "--dest", dest, "--keep-last", "3")
	if code != 0 || !strings.Contains(out, "task docs added") || !strings.Contains(out, "applied to the running agent") {
		t.Fatalf("task add: exit %d\n%s", code, out)
	}
	two.console.waitLog("the new task", func(l logLine) bool { return l.Event == "task_changed" && l.Slave == "FS01" }, 15*time.Second)

	// Run and wait: progress in the terminal, both consoles hear it.
	out, code = cli(one, "", "task", "run", "docs", "--slave", "FS01", "--wait")
	if code != 0 || !strings.Contains(out, "completed: snapshot") || !strings.Contains(out, "files") {
		t.Fatalf("task run --wait: exit %d\n%s", code, out)
	}
	for _, f := range []*fleet{one, two} {
		f.console.waitLog("the run's progress", func(l logLine) bool { return l.Event == "task_progress" && l.Slave == "FS01" }, 15*time.Second)
		f.console.waitLog("the run's end", func(l logLine) bool { return l.Event == "run_finished" && l.Slave == "FS01" }, 15*time.Second)
	}

	out, code = cli(two, "", "task", "history", "docs", "--slave", "FS01", "--json")
	var hist []struct{ Result, Snapshot, Trigger string }
	if err := json.Unmarshal([]byte(out), &hist); code != 0 || err != nil || len(hist) != 1 || hist[0].Result != "completed" || hist[0].Trigger != "console" {
		t.Fatalf("history: exit %d %v\n%s", code, err, out)
	}
	out, code = cli(two, "", "task", "snapshots", "docs", "--slave", "FS01", "--json")
	var snaps []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &snaps); code != 0 || err != nil || len(snaps) != 1 || snaps[0].ID != hist[0].Snapshot {
		t.Fatalf("snapshots: exit %d %v\n%s", code, err, out)
	}
	if out, code = cli(two, "", "task", "browse", "docs", "latest", src, "--slave", "FS01"); code != 0 || !strings.Contains(out, "report.txt") {
		t.Fatalf("browse: exit %d\n%s", code, out)
	}

	// The server's own folders, where a task's paths are chosen.
	out, code = cli(two, "", "task", "folder", filepath.Dir(src), "--slave", "FS01", "--json")
	var folder struct {
		Dir     string
		Entries []struct{ Name, Type string }
	}
	if err := json.Unmarshal([]byte(out), &folder); code != 0 || err != nil || folder.Dir != filepath.Dir(src) ||
		!slices.ContainsFunc(folder.Entries, func(e struct{ Name, Type string }) bool { return e.Name == filepath.Base(src) && e.Type == "dir" }) {
		t.Fatalf("folder: exit %d %v\n%s", code, err, out)
	}

	// A folder made there, for a restore to go into; its parent must be.
	made := filepath.Join(t.TempDir(), "restored")
	if out, code = cli(two, "", "task", "folder", made, "--create", "--slave", "FS01"); code != 0 ||
		!strings.Contains(out, "created "+made) || !strings.Contains(out, made+" (0 entries)") {
		t.Fatalf("folder --create: exit %d\n%s", code, out)
	}
	if out, code = cli(two, "", "task", "folder", filepath.Join(made, "a", "b"), "--create", "--slave", "FS01"); code != 2 ||
		!strings.Contains(out, "its parent folder") {
		t.Fatalf("folder --create without its parent: exit %d, want 2\n%s", code, out)
	}

	// Restore one file, then verify the snapshot.
	target := t.TempDir()
	report := filepath.Join(src, "report.txt")
	if out, code = cli(two, "", "task", "restore", "docs", snaps[0].ID, "--slave", "FS01", "--target", target, "--path", report); code != 0 ||
		!strings.Contains(out, "restored 1 file ") {
		t.Fatalf("restore: exit %d\n%s", code, out)
	}
	if b, err := os.ReadFile(filepath.Join(target, report)); err != nil || string(b) != "the quarterly report" {
		t.Fatalf("the restored file: %q %v", b, err)
	}
	if out, code = cli(two, "", "task", "restore", "docs", "latest", "--slave", "FS01", "--target", target, "--path", report); code != 2 {
		t.Fatalf("a restore over an existing file: exit %d, want 2\n%s", code, out)
	}
	// Deleted by mistake: the whole snapshot back where it was, leaving
	// every file still there as it is.
	if err := os.Remove(report); err != nil {
		t.Fatal(err)
	}
	if out, code = cli(two, "", "task", "restore", "docs", "latest", "--slave", "FS01", "--original", "--skip-existing"); code != 0 ||
		!strings.Contains(out, "restored 1 file ") || !strings.Contains(out, " to where the files were") || !strings.Contains(out, "there already w") {
		t.Fatalf("restore to where the files were: exit %d\n%s", code, out)
	}
	if b, err := os.ReadFile(report); err != nil || string(b) != "the quarterly report" {
		t.Fatalf("the file put back: %q %v", b, err)
	}
	var found struct {
		Found []struct {
			Snapshot, Path string
			In             int `json:"in_snapshots"`
		}
	}
	if out, code = cli(two, "", "task", "find", "docs", "Report.TXT", "--slave", "FS01", "--json"); code != 0 ||
		json.Unmarshal([]byte(out), &found) != nil || len(found.Found) != 1 || found.Found[0].Path != report || found.Found[0].Snapshot != snaps[0].ID ||
		found.Found[0].In != 1 {
		t.Fatalf("find: exit %d\n%s", code, out)
	}
	if out, code = cli(two, "", "task", "find", "--all-tasks", "Report.TXT", "--slave", "FS01"); code != 0 ||
		!strings.Contains(out, "docs: 1 found in ") || !strings.Contains(out, report) {
		t.Fatalf("find in every task: exit %d\n%s", code, out)
	}
	if out, code = cli(two, "", "task", "restore", "docs", "latest", "--slave", "FS01", "--original", "--target", target); code != 2 ||
		!strings.Contains(out, "not both") {
		t.Fatalf("a restore both into a folder and where the files were: exit %d, want 2\n%s", code, out)
	}
	if out, code = cli(one, "", "task", "verify", "docs", "--slave", "FS01"); code != 0 || !strings.Contains(out, "every file matches its manifest") {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}
	// A copy the disk damaged, its size and time as they were: the verify
	// names it and says the next run copies it afresh.
	testfs.Damage(t, filepath.Join(dest, "docs", snaps[0].ID, report))
	if out, code = cli(one, "", "task", "verify", "docs", "--slave", "FS01"); code != 1 || !strings.Contains(out, report+": content differs from the manifest") ||
		!strings.Contains(out, "the next run copies these files afresh from the server") {
		t.Fatalf("verify of a damaged snapshot: exit %d\n%s", code, out)
	}
	// What deleting it would free, first: the only snapshot shares
	// nothing. Nothing is deleted.
	var est struct {
		Snapshot    string
		Frees       uint64
		OwnFiles    int64 `json:"own_files"`
		SharedFiles int64 `json:"shared_files"`
	}
	if out, code = cli(one, "", "task", "delete-snapshot", "docs", snaps[0].ID, "--slave", "FS01", "--dry-run", "--json"); code != 0 ||
		json.Unmarshal([]byte(out), &est) != nil || est.Snapshot != snaps[0].ID || est.OwnFiles == 0 || est.SharedFiles != 0 || est.Frees == 0 {
		t.Fatalf("delete-snapshot --dry-run: exit %d\n%s", code, out)
	}
	// Delete the snapshot to make room: gone from the list, in the audit.
	if out, code = cli(one, "", "task", "delete-snapshot", "docs", snaps[0].ID, "--slave", "FS01"); code != 0 ||
		!strings.Contains(out, "snapshot "+snaps[0].ID+" of task docs deleted") {
		t.Fatalf("delete-snapshot: exit %d\n%s", code, out)
	}
	if out, code = cli(two, "", "task", "snapshots", "docs", "--slave", "FS01"); code != 0 || !strings.Contains(out, "has no snapshots yet") {
		t.Fatalf("snapshots after the deletion: exit %d\n%s", code, out)
	}

	// A concurrent edit: the second console saves first; the first one's
	// save of what it read earlier is refused.
	out, _ = cli(one, "", "task", "show", "docs", "--slave", "FS01", "--json")
	var shown struct {
		Task map[string]any `json:"task"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	if out, code = cli(two, "", "task", "edit", "docs", "--slave", "FS01", "--keep-last", "9"); code != 0 {
		t.Fatalf("edit from the second console: exit %d\n%s", code, out)
	}
	shown.Task["retention"] = map[string]any{"keep_last": 1}
	def, _ := json.Marshal(shown.Task)
	r := rawConsoleRequest(t, one.consoleDir, `{"op":"task_edit","slave":"FS01","task":{"definition":`+string(def)+`}}`)
	if r["ok"] != false || !strings.Contains(fmt.Sprint(r["error"]), "changed by another console: reload") {
		t.Fatalf("a stale edit: %v", r)
	}
	out, _ = cli(one, "", "task", "show", "docs", "--slave", "FS01")
	if !strings.Contains(out, "keep the last 9") {
		t.Fatalf("the second console's edit was lost:\n%s", out)
	}

	// A slave that is not connected is refused at once.
	if out, code = cli(one, "", "task", "list", "--slave", "FS09"); code != 1 || !strings.Contains(out, "FS09 is offline") {
		t.Fatalf("task list of an offline slave: exit %d\n%s", code, out)
	}
	// FS02 shares FS01's disk here, as servers share a NAS: the task's
	// folder there holds FS01's snapshots, and FS02 refuses the task
	// into it, saying what to do.
	_, addr2 := one.agent("FS02", "pw-two", true, true)
	one.addSlave("FS02", "pw-two", addr2)
	one.console.event("connected", "FS02", 15*time.Second)
	out, code = cli(one, "", "task", "copy", "docs", "--slave", "FS01", "--to", "fs02")
	if code != 1 || !strings.Contains(out, `FS02: not copied: FS02 answered: the folder `+filepath.Join(dest, "docs")+` holds task docs of the server "FS01"`) {
		t.Fatalf("a copy into FS01's folder: exit %d\n%s", code, out)
	}
	// With a destination FS01 has not written to yet, FS02 takes the
	// task as FS01 has it now, FS09 (offline) does not; a second copy
	// leaves FS02's alone unless it replaces it.
	fresh := filepath.Join(filepath.Dir(dest), "nas")
	if err := os.Mkdir(fresh, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, code = cli(one, "", "task", "edit", "docs", "--slave", "FS01", "--dest", fresh); code != 0 {
		t.Fatalf("a new destination: exit %d\n%s", code, out)
	}
	out, code = cli(one, "", "task", "copy", "docs", "--slave", "FS01", "--to", "fs02,FS09")
	if code != 1 || !strings.Contains(out, "FS02: copied\n") || !strings.Contains(out, "FS09: not copied: FS09 is offline") ||
		!strings.Contains(out, "docs copied to 1 of 2 slaves.") {
		t.Fatalf("task copy: exit %d\n%s", code, out)
	}
	if out, _ = cli(one, "", "task", "show", "docs", "--slave", "FS02"); !strings.Contains(out, "keep the last 9") || !strings.Contains(out, src) {
		t.Fatalf("FS02's copy:\n%s", out)
	}
	out, code = cli(one, "", "task", "copy", "docs", "--slave", "FS01", "--to", "FS02", "--json")
	var copied struct {
		Slave  string
		Copied bool
		Exists bool
	}
	if err := json.Unmarshal([]byte(out), &copied); code != 1 || err != nil || copied.Slave != "FS02" || copied.Copied || !copied.Exists {
		t.Fatalf("a second copy: exit %d %v\n%s", code, err, out)
	}
	if out, code = cli(one, "", "task", "copy", "docs", "--slave", "FS01", "--to", "FS02", "--replace", "--run"); code != 0 ||
		!strings.Contains(out, "FS02: replaced, run started") {
		t.Fatalf("a copy that replaces and runs: exit %d\n%s", code, out)
	}
	one.console.waitLog("FS02's run's end", func(l logLine) bool { return l.Event == "run_finished" && l.Slave == "FS02" }, 30*time.Second)
	if out, code = cli(one, "", "task", "copy", "docs", "--slave", "FS01"); code != 2 || !strings.Contains(out, "--to NAME") {
		t.Fatalf("a copy to nowhere: exit %d\n%s", code, out)
	}
	// A folder of its own for each server on a share: {server} is its
	// name, and --create-dest has each server make its folder there.
	if out, code = cli(one, "", "task", "copy", "docs", "--slave", "FS01", "--to", "FS02", "--replace", "--dest", filepath.Join(fresh, "{server}"), "--create-dest"); code != 0 ||
		!strings.Contains(out, "FS02: replaced\n") {
		t.Fatalf("a copy with a folder per server: exit %d\n%s", code, out)
	}
	if fi, err := os.Stat(filepath.Join(fresh, "FS02")); err != nil || !fi.IsDir() {
		t.Fatalf("FS02's folder on the share was not made: %v", err)
	}
	if out, _ = cli(one, "", "task", "show", "docs", "--slave", "FS02"); !strings.Contains(out, filepath.Join(fresh, "FS02")) {
		t.Fatalf("FS02's copy with its own folder:\n%s", out)
	}
	if out, code = cli(one, "", "task", "copy", "docs", "--slave", "FS01", "--to", "FS02", "--dest", "nas/{server}"); code != 2 ||
		!strings.Contains(out, `--dest "nas/{server}": give an absolute path on the server`) {
		t.Fatalf("a relative --dest: exit %d\n%s", code, out)
	}

	out, _ = cli(one, "", "audit", "--slave", "FS01")
	for _, want := range []string{"task add docs: ok", "task run docs: ok", "task verify docs", "task delete-snapshot docs " + snaps[0].ID + ": ok", "task edit docs (version 1): failed: FS01 answered: task docs was changed by another console: reload"} {
		if !strings.Contains(out, want) {
			t.Errorf("the first console's audit lacks %q:\n%s", want, out)
		}
	}
}

// After the cause of failed backups is fixed (a destination mounted
// again), task rerun runs the failed tasks again, each on its own
// server: --dry-run lists them, --slave narrows to one server, and the
// tasks that ran again are ok in the report.
func TestFailedTasksRunAgainFromTheConsolesCommandLine(t *testing.T) {
	f := newFleet(t, false)
	src, dest := taskSource(t, 20)
	gone := func(slave string) string { return filepath.Join(dest, slave) } // each server's share, not mounted yet
	for _, name := range []string{"FS01", "FS02"} {
		_, addr := f.agent(name, "pw-"+name, false, true)
		f.addSlave(name, "pw-"+name, addr)
	}
	f.console = start(t, "console", f.consoleBin, "serve", "--data-dir", f.consoleDir, "--log-level", "debug")
	cli := func(args ...string) (string, int) {
		t.Helper()
		return runExit(t, "", f.consoleBin, append(args, "--data-dir", f.consoleDir)...)
	}
	for _, name := range []string{"FS01", "FS02"} {
		f.console.event("connected", name, 15*time.Second)
		if out, code := cli("task", "add", "docs", "--slave", name, "--source", src, "--dest", gone(name)); code != 0 {
			t.Fatalf("task add on %s: exit %d\n%s", name, code, out)
		}
		if out, code := cli("task", "run", "docs", "--slave", name, "--wait"); code != 1 || !strings.Contains(out, "does not exist") {
			t.Fatalf("the run on %s without its destination: exit %d\n%s", name, code, out)
		}
	}

	if out, code := cli("task", "rerun", "--dry-run"); code != 0 || !strings.Contains(out, "FS01 / docs: would run (failed)") ||
		!strings.Contains(out, "FS02 / docs: would run (failed)") || !strings.Contains(out, "Would run 2 tasks.") {
		t.Fatalf("task rerun --dry-run: exit %d\n%s", code, out)
	}
	if out, code := cli("task", "rerun", "--state", "running"); code != 2 || !strings.Contains(out, "run already") {
		t.Fatalf("task rerun --state running: exit %d\n%s", code, out)
	}
	for _, name := range []string{"FS01", "FS02"} {
		if err := os.MkdirAll(gone(name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ended := func(slave string, from int) {
		t.Helper()
		l := f.console.waitLogFrom(from, slave+"'s run's end", func(l logLine) bool { return l.Event == "run_finished" && l.Slave == slave }, 30*time.Second)
		if l.Result != "completed" {
			t.Fatalf("%s's run again: %s\n%s", slave, l.Result, l.Msg)
		}
	}
	from := f.console.mark()
	out, code := cli("task", "rerun", "--slave", "fs01")
	if code != 0 || out != "FS01 / docs: started\nStarted 1 of 1 task.\n" {
		t.Fatalf("task rerun --slave fs01: exit %d\n%q", code, out)
	}
	ended("FS01", from)
	from = f.console.mark()
	out, code = cli("task", "rerun", "--json")
	var ran struct {
		Slave, Task, State, Outcome string
		Started                     bool
	}
	if err := json.Unmarshal([]byte(out), &ran); code != 0 || err != nil || ran.Slave != "FS02" || !ran.Started || ran.State != "failed" {
		t.Fatalf("task rerun --json of the one failed task left: exit %d %v\n%s", code, err, out)
	}
	ended("FS02", from)
	if out, code = cli("task", "rerun"); code != 0 || out != "No failed task to run again.\n" {
		t.Fatalf("task rerun with every task ok: exit %d\n%q", code, out)
	}
	if out, code = cli("task", "rerun", "--group", "Initech"); code != 2 || !strings.Contains(out, `no server is in the group "Initech"`) {
		t.Fatalf("task rerun of a group with no server: exit %d\n%s", code, out)
	}
}
