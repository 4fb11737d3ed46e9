//go:build unix

package service

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/app/taskcli"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/internal/testfs"
)

// taskTree is a source folder with a few files and an empty destination.
func taskTree(t *testing.T) (src, dest string) {
	t.Helper()
	root := t.TempDir()
	src, dest = filepath.Join(root, "data"), filepath.Join(root, "backups")
	for _, d := range []string{filepath.Join(src, "docs"), dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{"docs/report.txt": "the report", "notes.txt": "notes"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src, dest
}

// commandsOn runs commands of the agent in dir, each with the exit code
// it must end with.
func commandsOn(t *testing.T, dir string) func(want int, args ...string) result {
	return func(want int, args ...string) result {
		t.Helper()
		r := cli{t: t}.run("", append(args, "--data-dir", dir)...)
		if r.code != want {
			t.Fatalf("%v: want exit %d, got %s", args, want, r)
		}
		return r
	}
}

// exerciseTasks runs every task command against the agent in dir, as a
// script would; live says whether the agent runs (the words and exit
// codes must be the same either way).
func exerciseTasks(t *testing.T, dir string, live bool) {
	c := cli{t: t}
	src, dest := taskTree(t)
	run := commandsOn(t, dir)
	r := run(0, "task", "add", "docs", "--source", src, "--dest", dest, "--schedule", "daily@02:00", "--keep-last", "5")
	if !strings.Contains(r.stdout, "task docs added") || !strings.Contains(r.stdout, "daily@02:00") {
		t.Fatalf("add: %s", r)
	}
	if live != strings.Contains(r.stdout, "applied to the running agent") {
		t.Fatalf("add says where it went wrongly (live %v): %s", live, r)
	}
	// status counts the tasks by state: never run, it is unknown.
	if r := run(0, "status", "--service-name", unitServiceName()); !strings.Contains(r.stdout, "backups     1 unknown (lanyard-agent task list)\n") {
		t.Fatalf("status with a task never run: %s", r)
	}
	// The shell completes a task's name, with its schedule, where a command
	// takes one, and only there.
	if r := c.run("", "__complete", "--data-dir", dir, "task", "run", "D"); !strings.HasPrefix(r.stdout, "docs\tdaily@02:00\n:4\n") {
		t.Fatalf("completing a task's name: %s", r)
	}
	if r := c.run("", "__complete", "--data-dir", dir, "task", "add", ""); strings.Contains(r.stdout, "docs") {
		t.Fatalf("add offered an existing name: %s", r)
	}

	// Bad input exits 2 and changes nothing.
	for _, bad := range [][]string{
		{"task", "add", "other", "--source", src + "-missing", "--dest", dest},
		{"task", "add", "other", "--source", src, "--dest", filepath.Join(src, "docs")},
		{"task", "add", "other", "--source", src, "--dest", dest, "--schedule", "every day"},
		{"task", "add", "docs", "--source", src, "--dest", dest},
		{"task", "add", "other", "--dest", dest},
		{"task", "add", "other", "--source", src, "--dest", filepath.Join(dest, "nas", "fs01"), "--create-dest"}, // the share is not mounted
		{"task", "run", "nope"},
		{"task", "edit", "docs", "--schedule", "99 * * * *"},
		{"task", "edit", "docs", "--speed-limit", "fast"},
		{"task", "edit", "docs", "--retries", "11"},
		{"task", "edit", "docs", "--retry-wait", "5s"},
		{"task", "edit", "docs", "--verify-every", "30m"},
		{"task", "show", "nope"},
	} {
		r := run(2, bad...)
		if !strings.HasPrefix(r.stderr, "lanyard-agent: ") {
			t.Fatalf("%v: no reason given: %s", bad, r)
		}
	}
	var list []struct {
		Task struct {
			Name     string `json:"name"`
			Schedule string `json:"schedule"`
			Version  int    `json:"version"`
		} `json:"task"`
	}
	if err := json.Unmarshal([]byte(run(0, "task", "list", "--json").stdout), &list); err != nil || len(list) != 1 ||
		list[0].Task.Schedule != "daily@02:00" || list[0].Task.Version != 1 {
		t.Fatalf("list after refusals: %+v %v", list, err)
	}
	if _, err := os.Stat(filepath.Join(dest, "nas")); !os.IsNotExist(err) {
		t.Fatalf("a refused --create-dest made folders: %v", err)
	}

	// A run: with --wait when the agent runs, by itself when it does not.
	r = run(0, "task", "run", "docs", "--wait")
	if !strings.Contains(r.stdout, "completed: snapshot ") || !strings.Contains(r.stdout, "2 files (2 copied, 0 linked)") {
		t.Fatalf("run: %s", r)
	}
	// A snapshot is completed after the task's name, newest first.
	snap := regexp.MustCompile(`snapshot (\S+),`).FindStringSubmatch(r.stdout)
	if snap == nil {
		t.Fatalf("no snapshot named: %s", r)
	}
	if r := c.run("", "__complete", "--data-dir", dir, "task", "restore", "docs", ""); !strings.HasPrefix(r.stdout, "latest\tthe newest snapshot\n"+snap[1]+"\tcompleted\n") {
		t.Fatalf("completing a snapshot: %s", r)
	}
	// Not a terminal: plain progress lines before the result; a run of a
	// few milliseconds has no rate nor time left to show.
	if !regexp.MustCompile(`(?m)^finishing 2/2 files, 15 B/15 B$`).MatchString(r.stdout) {
		t.Fatalf("run printed no progress: %s", r)
	}
	// A FIFO makes the next run complete with a warning: exit 3.
	if err := syscall.Mkfifo(filepath.Join(src, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(taskcli.ExitWarnings, "task", "run", "docs", "--wait")
	if !strings.Contains(r.stdout, "completed with warnings") || !strings.Contains(r.stdout, "FIFO") || !strings.Contains(r.stdout, "2 linked") {
		t.Fatalf("run with a warning: %s", r)
	}
	_ = os.Remove(filepath.Join(src, "pipe"))

	var snaps []map[string]any
	if err := json.Unmarshal([]byte(run(0, "task", "snapshots", "docs", "--json").stdout), &snaps); err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	for _, k := range []string{"id", "path", "time", "result", "files", "bytes"} {
		if _, ok := snaps[0][k]; !ok {
			t.Fatalf("a snapshot has no %q: %v", k, snaps[0])
		}
	}
	first, last := snaps[0]["id"].(string), snaps[1]["id"].(string)
	if snaps[1]["result"] != "completed with warnings" || first >= last {
		t.Fatalf("snapshots out of order or results wrong: %v", snaps)
	}

	r = run(0, "task", "browse", "docs", last, filepath.Join(src, "docs"))
	if !strings.Contains(r.stdout, "report.txt") {
		t.Fatalf("browse: %s", r)
	}
	// The snapshot's top holds the first folder of the source's path alone.
	if r = run(0, "task", "browse", "docs", last); !strings.Contains(r.stdout, "(1 entry)") {
		t.Fatalf("browse of the top: %s", r)
	}
	// The server's own folders, where a task's paths are chosen.
	if r = run(0, "task", "folder", filepath.Join(src, "docs")); !strings.Contains(r.stdout, "report.txt") || !strings.Contains(r.stdout, filepath.Join(src, "docs")+" (") {
		t.Fatalf("folder: %s", r)
	}
	if r = run(1, "task", "folder", "relative/path"); !strings.Contains(r.stderr, "is not an absolute path") {
		t.Fatalf("folder of a relative path: %s", r)
	}
	// A name that could drive the terminal is printed quoted.
	odd := t.TempDir()
	if err := os.WriteFile(filepath.Join(odd, "bad\x1b]0;owned\a.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r = run(0, "task", "folder", odd); strings.Contains(r.stdout, "\x1b") || !strings.Contains(r.stdout, `"bad\x1b]0;owned\a.txt"`) {
		t.Fatalf("folder with an odd name: %q", r.stdout)
	}
	// FOLDER completes from the server's folders.
	if r := c.run("", "__complete", "--data-dir", dir, "task", "folder", filepath.Join(src, "d")); !strings.HasPrefix(r.stdout, filepath.Join(src, "docs")+"/\n") {
		t.Fatalf("completing a folder: %s", r)
	}
	run(0, "task", "verify", "docs")
	run(0, "task", "verify", "docs", first)

	target := filepath.Join(t.TempDir(), "restored")
	report := filepath.Join(src, "docs", "report.txt")
	r = run(0, "task", "restore", "docs", first, "--target", target, "--path", report)
	restored := filepath.Join(target, strings.TrimPrefix(report, "/"))
	if b, err := os.ReadFile(restored); err != nil || string(b) != "the report" || !strings.Contains(r.stdout, "restored 1 file (") {
		t.Fatalf("restore: %s (%q %v)", r, b, err)
	}
	_ = os.WriteFile(restored, []byte("changed since"), 0o644)
	r = run(2, "task", "restore", "docs", first, "--target", target, "--path", report)
	if !strings.Contains(r.stderr, "--overwrite") {
		t.Fatalf("restore over a file: %s", r)
	}
	if b, _ := os.ReadFile(restored); string(b) != "changed since" {
		t.Fatal("a refused restore changed the file")
	}
	run(0, "task", "restore", "docs", first, "--target", target, "--path", report, "--overwrite")
	if b, _ := os.ReadFile(restored); string(b) != "the report" {
		t.Fatalf("restore --overwrite left %q", b)
	}
	// A file deleted by mistake goes back where it was; one edited since
	// is left as it is.
	_ = os.Remove(report)
	notes := filepath.Join(src, "notes.txt")
	notesWere, _ := os.ReadFile(notes)
	_ = os.WriteFile(notes, []byte("edited since"), 0o644)
	if r = run(2, "task", "restore", "docs", first, "--original"); !strings.Contains(r.stderr, "--skip-existing") {
		t.Fatalf("restore to where the files were, over files: %s", r)
	}
	if r = run(0, "task", "restore", "docs", first, "--original", "--skip-existing"); !strings.Contains(r.stdout, "restored 1 file (") ||
		!strings.Contains(r.stdout, "to where the files were") {
		t.Fatalf("restore --original --skip-existing: %s", r)
	}
	if b, _ := os.ReadFile(report); string(b) != "the report" {
		t.Fatalf("the deleted file is back as %q", b)
	}
	// The agent's log has the restore on one line.
	if b, _ := os.ReadFile(filepath.Join(dir, "log", "lanyard-agent.log")); !strings.Contains(string(b), "to where the files were; ") {
		t.Errorf("the restore is not one line in the agent's log:\n%s", b)
	}
	if b, _ := os.ReadFile(notes); string(b) != "edited since" {
		t.Fatalf("the edited file is now %q", b)
	}
	_ = os.WriteFile(notes, notesWere, 0o644)
	if r = run(2, "task", "restore", "docs", first, "--overwrite", "--skip-existing", "--target", target); !strings.Contains(r.stderr, "not both") {
		t.Fatalf("restore --overwrite --skip-existing: %s", r)
	}
	// A copy damaged on the backup disk since: restored as it is, named,
	// and the command exits 3, as a run with warnings does.
	copyOf := filepath.Join(dest, "docs", first, report) // its place in the snapshot
	testfs.Damage(t, copyOf)
	r = run(taskcli.ExitWarnings, "task", "restore", "docs", first, "--target", target, "--path", report, "--overwrite")
	if !strings.Contains(r.stdout, "1 file was restored from a damaged copy: see the warnings") ||
		!strings.Contains(r.stderr, "warning: "+restored+" was restored from a damaged copy") {
		t.Fatalf("restore of a damaged copy: %s", r)
	}
	if r = run(0, "task", "show", "docs"); !regexp.MustCompile(`(?m)^  since then +1 copy found damaged \(\d{4}-\d\d-\d\d \d\d:\d\d\): the next run copies it afresh`).MatchString(r.stdout) {
		t.Fatalf("show after a restore met a damaged copy: %s", r)
	}
	if err := os.WriteFile(copyOf, []byte("the report"), 0o644); err != nil { // mended, in every snapshot that links it
		t.Fatal(err)
	}
	// One gone missing: the rest is restored, it is named, and the
	// command exits 1.
	if err := os.Remove(copyOf); err != nil {
		t.Fatal(err)
	}
	r = run(1, "task", "restore", "docs", first, "--target", target, "--path", report, "--overwrite")
	if !strings.Contains(r.stdout, "1 file was not restored: its copy cannot be read (see the warnings)") ||
		!strings.Contains(r.stderr, "warning: cannot restore "+restored+": its copy in the snapshot cannot be read") {
		t.Fatalf("restore of a copy gone missing: %s", r)
	}
	if err := os.Link(filepath.Join(dest, "docs", last, report), copyOf); err != nil { // put back, for what follows
		t.Fatal(err)
	}
	// Which snapshots hold a file, whatever its case: the one version of
	// it, in both, with the newer; off a terminal, the list alone,
	// without progress.
	if r = run(0, "task", "find", "docs", "REPORT.*"); !strings.Contains(r.stdout, last+"  ") || !strings.Contains(r.stdout, report) ||
		!strings.Contains(r.stdout, "  2 snapshots since ") || strings.Contains(r.stdout, first+" ") ||
		!strings.Contains(r.stdout, "found in ") || strings.Contains(r.stdout, "searching") || r.stderr != "" {
		t.Fatalf("find: %s", r)
	}
	if r = run(0, "task", "find", "docs", "*", "--limit", "1"); !strings.Contains(r.stdout, "the first 1 found, in the newest 1 snapshot; there are more: narrow the pattern, or raise --limit (up to 1,000)") {
		t.Fatalf("find of more than the limit: %s", r)
	}
	if r = run(0, "task", "find", "docs", "no-such-*"); !strings.Contains(r.stdout, `nothing matches "no-such-*" in `) {
		t.Fatalf("find of nothing: %s", r)
	}
	if r = run(2, "task", "find", "docs", "report*", "--limit", "0"); !strings.Contains(r.stderr, "give a number from 1 to 1000") {
		t.Fatalf("find with a limit of 0: %s", r)
	}
	if r = run(2, "task", "find", "docs", "report[.txt"); !strings.Contains(r.stderr, "is not a valid pattern") {
		t.Fatalf("find with a mistyped pattern: %s", r)
	}
	// A file whose task is not known: every task's snapshots, each line
	// naming its task.
	if r = run(0, "task", "find", "--all-tasks", "REPORT.*"); !strings.Contains(r.stdout, "TASK") || !strings.Contains(r.stdout, report) ||
		!strings.Contains(r.stdout, "docs: ") || !strings.Contains(r.stdout, " found in ") {
		t.Fatalf("find in every task: %s", r)
	}
	if r = run(2, "task", "find", "--all-tasks", "docs", "REPORT.*"); !strings.Contains(r.stderr, "argument") {
		t.Fatalf("find in every task, with a task named: %s", r)
	}
	// A task that cannot be searched is named, and the others still are.
	otherDest := t.TempDir()
	run(0, "task", "add", "other", "--source", src, "--dest", otherDest)
	if err := os.WriteFile(filepath.Join(otherDest, "other"), nil, 0o644); err != nil { // its folder, a file
		t.Fatal(err)
	}
	if r = run(1, "task", "find", "--all-tasks", "REPORT.*"); !strings.Contains(r.stdout, report) || !strings.Contains(r.stderr, "1 task not searched: other: ") {
		t.Fatalf("find in every task, one of which cannot be searched: %s", r)
	}
	run(0, "task", "remove", "other")

	// A damaged snapshot fails verify with exit 1 and names the file.
	snapFile := filepath.Join(snaps[0]["path"].(string), strings.TrimPrefix(filepath.Join(src, "notes.txt"), "/"))
	_ = os.Remove(snapFile)
	r = run(1, "task", "verify", "docs", first)
	if !strings.Contains(r.stdout, "notes.txt: missing") {
		t.Fatalf("verify of a damaged snapshot: %s", r)
	}
	// The task's last result says so until the next run, as the
	// console's Tasks tab does.
	if r := run(0, "task", "list"); !strings.Contains(r.stdout, " · 1 copy found damaged ") {
		t.Fatalf("list after a verify found a copy missing: %s", r)
	}

	// A snapshot deleted by hand: named by its ID (latest is refused, and
	// not offered), gone from the list, the other untouched.
	if r := run(2, "task", "delete-snapshot", "docs", "latest"); !strings.Contains(r.stderr, "by its ID") {
		t.Fatalf("delete-snapshot latest: %s", r)
	}
	if r := c.run("", "__complete", "--data-dir", dir, "task", "delete-snapshot", "docs", ""); !strings.HasPrefix(r.stdout, last+"\tcompleted with warnings\n"+first+"\tcompleted\n") {
		t.Fatalf("completing a snapshot to delete: %s", r)
	}
	if r := run(0, "task", "delete-snapshot", "docs", first, "--dry-run"); !strings.Contains(r.stdout, "deleting snapshot "+first+" of task docs would free about ") {
		t.Fatalf("delete-snapshot --dry-run: %s", r)
	}
	if r := run(0, "task", "delete-snapshot", "docs", first); !strings.Contains(r.stdout, "snapshot "+first+" of task docs deleted") ||
		!strings.Contains(r.stdout, "the destination has ") {
		t.Fatalf("delete-snapshot: %s", r)
	}
	if err := json.Unmarshal([]byte(run(0, "task", "snapshots", "docs", "--json").stdout), &snaps); err != nil || len(snaps) != 1 || snaps[0]["id"] != last {
		t.Fatalf("snapshots after the deletion: %v %v", snaps, err)
	}
	run(0, "task", "verify", "docs", last)

	var hist []map[string]any
	if err := json.Unmarshal([]byte(run(0, "task", "history", "docs", "--json").stdout), &hist); err != nil || len(hist) != 2 {
		t.Fatalf("history: %v %v", hist, err)
	}
	run(0, "task", "edit", "docs", "--schedule", "manual")
	if r := run(0, "task", "show", "docs"); !regexp.MustCompile(`version +2\n`).MatchString(r.stdout) {
		t.Fatalf("show after edit: %s", r)
	}
	// A tighter retention says, once saved, what the next run removes.
	if r := run(0, "task", "edit", "docs", "--keep-last", "1"); !strings.Contains(r.stderr,
		"warning: with the new retention (keep the last 1), the next run removes the only snapshot there is now, taken ") {
		t.Fatalf("edit of the retention: %s", r)
	}
	// A speed limit, shown as it was given; none again takes it off.
	run(0, "task", "edit", "docs", "--speed-limit", "20MiB/s")
	if r := run(0, "task", "show", "docs"); !regexp.MustCompile(`(?m)^  speed limit +20\.0 MiB/s$`).MatchString(r.stdout) {
		t.Fatalf("show after --speed-limit 20MiB/s: %s", r)
	}
	run(0, "task", "edit", "docs", "--speed-limit", "none")
	if r := run(0, "task", "show", "docs"); strings.Contains(r.stdout, "speed limit") {
		t.Fatalf("show after --speed-limit none: %s", r)
	}
	// A new task tries a failed scheduled run again twice, ten minutes
	// apart, unless told otherwise.
	if r := run(0, "task", "show", "docs"); !regexp.MustCompile(`(?m)^  retries +2, 10m apart$`).MatchString(r.stdout) {
		t.Fatalf("show of a new task's retries: %s", r)
	}
	run(0, "task", "edit", "docs", "--retries", "3", "--retry-wait", "30m")
	if r := run(0, "task", "show", "docs"); !regexp.MustCompile(`(?m)^  retries +3, 30m apart$`).MatchString(r.stdout) {
		t.Fatalf("show after --retries 3 --retry-wait 30m: %s", r)
	}
	// Verified every week from now on: the verify by hand of its newest
	// snapshot above counts as its last, so the next run does not verify.
	run(0, "task", "edit", "docs", "--verify-every", "7d")
	if r := run(0, "task", "show", "docs"); !regexp.MustCompile(`(?m)^  verify +every week, last \d{4}-\d\d-\d\d \d\d:\d\d$`).MatchString(r.stdout) {
		t.Fatalf("show after --verify-every 7d: %s", r)
	}
	// Paused, it keeps its schedule, says so and has no next run.
	run(0, "task", "edit", "docs", "--schedule", "daily@02:00", "--paused", "on")
	if r := run(0, "task", "show", "docs"); !regexp.MustCompile(`(?m)^  schedule +daily@02:00\n  paused +on: it runs only when asked`).MatchString(r.stdout) {
		t.Fatalf("show after --paused on: %s", r)
	}
	if r := run(0, "task", "list"); !regexp.MustCompile(`(?m)^docs +paused \(daily@02:00\) .* +- +`).MatchString(r.stdout) {
		t.Fatalf("list of a paused task: %s", r)
	}
	run(0, "task", "edit", "docs", "--paused", "off")
	if r := run(0, "task", "show", "docs"); strings.Contains(r.stdout, "paused") || !strings.Contains(r.stdout, "(next run ") {
		t.Fatalf("show after --paused off: %s", r)
	}
	if r := run(0, "task", "stop", "docs"); !strings.Contains(r.stdout, "not running") {
		t.Fatalf("stop: %s", r)
	}
	r = run(0, "task", "remove", "docs")
	if !strings.Contains(r.stdout, "snapshots in "+filepath.Join(dest, "docs")+" are kept") {
		t.Fatalf("remove: %s", r)
	}
	run(2, "task", "history", "docs")
}

func TestTaskCommandsWorkOnTheDatabaseWhenTheAgentIsStopped(t *testing.T) {
	dir := initAgent(t, "--listen", "127.0.0.1:0")
	exerciseTasks(t, dir, false)
}

func TestTaskCommandsReachTheRunningAgent(t *testing.T) {
	dir := initAgent(t, "--listen", "127.0.0.1:0")
	startAgentInProcess(t, dir)
	exerciseTasks(t, dir, true)
}

// A task saved while the agent is stopped says when it will run: on its
// schedule once the agent starts, or, with none (or paused), when asked.
func TestATaskSavedWhileTheAgentIsStoppedSaysWhenItRuns(t *testing.T) {
	dir := initAgent(t, "--listen", "127.0.0.1:0")
	src, dest := taskTree(t)
	run := commandsOn(t, dir)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"task", "add", "docs", "--source", src, "--dest", dest}, "saved; it runs when asked (lanyard-agent task run docs)"},
		{[]string{"task", "edit", "docs", "--schedule", "daily@02:00"}, "saved; the agent runs it on schedule once it runs (lanyard-agent start)"},
		{[]string{"task", "edit", "docs", "--paused", "on"}, "saved; it runs when asked (lanyard-agent task run docs)"},
	} {
		if r := run(0, tt.args...); !strings.Contains(r.stdout, tt.want) {
			t.Errorf("%v: want %q in\n%s", tt.args, tt.want, r)
		}
	}
}

// --reread finds a file rewritten with its size and time kept, which a
// run takes for unchanged; the same words whether the agent runs or not.
func TestTaskRunRereadFindsWhatARunTakesForUnchanged(t *testing.T) {
	for _, live := range []bool{false, true} {
		t.Run(fmt.Sprintf("live=%v", live), func(t *testing.T) {
			dir := initAgent(t, "--listen", "127.0.0.1:0")
			if live {
				startAgentInProcess(t, dir)
			}
			src, dest := taskTree(t)
			run := commandsOn(t, dir)
			run(0, "task", "add", "docs", "--source", src, "--dest", dest)
			run(0, "task", "run", "docs", "--wait")
			report := filepath.Join(src, "docs", "report.txt")
			fi, err := os.Stat(report)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(report, []byte("THE REPORT"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(report, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			if r := run(0, "task", "run", "docs", "--wait"); !strings.Contains(r.stdout, "(0 copied, 2 linked)") {
				t.Fatalf("a run without --reread: %s", r)
			}
			r := run(taskcli.ExitWarnings, "task", "run", "docs", "--wait", "--reread")
			if !strings.Contains(r.stdout, "(1 copied, 1 linked, every file read)") ||
				!strings.Contains(r.stdout, report+" has the size and modification time it had in the previous snapshot but other content") {
				t.Fatalf("run --reread: %s", r)
			}
			var hist []backup.Report
			if err := json.Unmarshal([]byte(run(0, "task", "history", "docs", "--json").stdout), &hist); err != nil || len(hist) != 3 || !hist[2].Reread || hist[1].Reread {
				t.Fatalf("history: %v %+v", err, hist)
			}
			if r := run(0, "task", "history", "docs"); strings.Count(r.stdout, "manual, reread") != 1 {
				t.Fatalf("history names the reread run once: %s", r)
			}
		})
	}
}

func TestTaskRunWithoutWaitLeavesTheRunToTheAgent(t *testing.T) {
	dir := initAgent(t, "--listen", "127.0.0.1:0")
	startAgentInProcess(t, dir)
	src, dest := taskTree(t)
	c := cli{t: t}
	if r := c.run("", "task", "add", "docs", "--source", src, "--dest", dest, "--data-dir", dir); r.code != 0 {
		t.Fatal(r)
	}
	r := c.run("", "task", "run", "docs", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "task docs started in the agent") {
		t.Fatalf("run without --wait: %s", r)
	}
}

func TestTaskCommandsBeforeInitSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	r := cli{t: t}.run("", "task", "list", "--data-dir", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "lanyard-agent init") {
		t.Fatalf("%s", r)
	}
}

// Ctrl+C (here the command's context ending) stops a search of every
// task: what the tasks searched to the end found is printed, and it says
// where it stopped. The second task's search is held once it has begun,
// until the interrupt.
func TestFindInEveryTaskStopsAtCtrlCAndPrintsWhatItFound(t *testing.T) {
	dir := initAgent(t, "--listen", "127.0.0.1:0")
	run := commandsOn(t, dir)
	src, dest := taskTree(t)
	for _, name := range []string{"docs", "other"} {
		run(0, "task", "add", name, "--source", src, "--dest", dest)
		run(0, "task", "run", name)
	}
	reached := make(chan struct{})
	c := cli{t: t, taskHold: func(op string, args agent.TaskArgs) bool {
		if op == agent.OpTaskFind && args.Name == "other" {
			close(reached)
			return true
		}
		return false
	}}

	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	done := make(chan result, 1)
	go func() { done <- c.runContext(ctx, "", "task", "find", "--all-tasks", "REPORT.*", "--data-dir", dir) }()
	select {
	case <-reached:
		interrupt()
	case r := <-done:
		t.Fatalf("the search ended before it reached other: %s", r)
	case <-time.After(time.Minute):
		t.Fatal("the search never reached other")
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the search went on after Ctrl+C")
	}
	if r.code != 1 || !strings.Contains(r.stdout, filepath.Join(src, "docs", "report.txt")) || !strings.Contains(r.stdout, "docs: 1 found in 1 snapshot") ||
		strings.Contains(r.stdout, "other") || !strings.Contains(r.stderr, "interrupted while looking in other: 1 task not searched") {
		t.Fatalf("find in every task, interrupted in the second: %s", r)
	}
}
