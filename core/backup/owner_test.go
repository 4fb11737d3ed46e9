//go:build unix

package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/backup"
)

// Two servers given one task with one destination on a shared NAS: the
// first run claims the task's folder, the other server's run is refused
// in words that say what to do, and the first server's snapshots, and
// its snapshot in progress, are left alone. A server renamed only in
// case, or that moved host, is the same server.
func TestATasksFolderIsOneServersOwn(t *testing.T) {
	f := newFixture(t)
	f.write("a.txt", "alpha", 0o644)
	e := backup.New(backup.Options{})
	fs01 := backup.Owner{Agent: "FS01", Host: "fs01.acme.lan"}
	fs02 := backup.Owner{Agent: "FS02", Host: "fs02.acme.lan"}
	run := func(o backup.Owner) backup.Report {
		t.Helper()
		rep, err := e.Run(context.Background(), f.task, backup.StartOptions{Owner: o})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if err := backup.CheckOwner(f.dest, "docs", fs02); err != nil {
		t.Fatalf("a folder not there yet is nobody's: %v", err)
	}
	if rep := run(fs01); rep.Result != backup.ResultCompleted {
		t.Fatalf("FS01's first run: %s %s", rep.Result, rep.Error)
	}
	// FS01's next snapshot is under way when FS02 comes.
	inProgress := filepath.Join(backup.TaskDir(f.dest, "docs"), "2030-01-01T000000Z.partial")
	if err := os.Mkdir(inProgress, 0o700); err != nil {
		t.Fatal(err)
	}
	rep := run(fs02)
	if rep.Result != backup.ResultFailed || !strings.Contains(rep.Error, `holds task docs of the server "FS01" (host fs01.acme.lan): give this task a destination of its own`) ||
		!strings.Contains(rep.Error, "remove each other's snapshots") || !strings.Contains(rep.Error, ".lanyard-owner") {
		t.Fatalf("FS02's run into FS01's folder: %s %q", rep.Result, rep.Error)
	}
	if _, err := os.Stat(inProgress); err != nil {
		t.Fatalf("FS02's refused run touched FS01's snapshot in progress: %v", err)
	}
	if got := f.snapshots(); len(got) != 1 {
		t.Fatalf("FS01's snapshots after FS02's refused run: %d, want 1", len(got))
	}
	if err := backup.CheckOwner(f.dest, "docs", fs02); !errors.Is(err, backup.ErrOtherOwner) {
		t.Fatalf("FS02's task saved into FS01's folder: %v", err)
	}
	if err := os.Remove(inProgress); err != nil {
		t.Fatal(err)
	}

	// The same server, its name in another case, on a new host.
	moved := backup.Owner{Agent: "fs01", Host: "fs01-new.acme.lan"}
	if err := backup.CheckOwner(f.dest, "docs", moved); err != nil {
		t.Fatalf("FS01 by another case: %v", err)
	}
	if rep := run(moved); rep.Result != backup.ResultCompleted {
		t.Fatalf("FS01 on its new host: %s %s", rep.Result, rep.Error)
	}
	rep = run(fs02)
	if !strings.Contains(rep.Error, "(host fs01-new.acme.lan)") {
		t.Fatalf("the refusal names the old host: %q", rep.Error)
	}
	// Deleting the claim, as the refusal says, gives the folder to the
	// next server that runs.
	if err := os.Remove(filepath.Join(backup.TaskDir(f.dest, "docs"), ".lanyard-owner")); err != nil {
		t.Fatal(err)
	}
	if rep := run(fs02); rep.Result != backup.ResultCompleted {
		t.Fatalf("FS02 once the claim is deleted: %s %s", rep.Result, rep.Error)
	}
	if got := f.taskDirNames(); strings.Contains(strings.Join(got, " "), ".partial") {
		t.Fatalf("the folder keeps a partial file: %v", got)
	}

	// A claim that names nobody is not taken for anybody's: the run
	// says to delete it.
	if err := os.WriteFile(filepath.Join(backup.TaskDir(f.dest, "docs"), ".lanyard-owner"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep := run(fs02); rep.Result != backup.ResultFailed || !strings.Contains(rep.Error, "does not name a server") ||
		!strings.Contains(rep.Error, "delete it, and the next run claims the folder") {
		t.Fatalf("a damaged claim: %s %q", rep.Result, rep.Error)
	}

	// Anyone who can write to the share can write the claim: what it says
	// is quoted and cut, so it can neither forge a line of the log nor
	// fill it.
	long := strings.Repeat("x", 10_000)
	for what, claim := range map[string]string{
		"a claim that names nobody": "\n" + long + "\n",
		"another server's claim":    `{"agent":"FS03\ntime=forged` + long + `","host":"nas\nlevel=error` + long + `"}`,
	} {
		if err := os.WriteFile(filepath.Join(backup.TaskDir(f.dest, "docs"), ".lanyard-owner"), []byte(claim), 0o644); err != nil {
			t.Fatal(err)
		}
		rep := run(fs02)
		if rep.Result != backup.ResultFailed || strings.Contains(rep.Error, "\n") || len(rep.Error) > 1000 {
			t.Errorf("%s: %s, %d bytes: %.300q", what, rep.Result, len(rep.Error), rep.Error)
		}
	}
}
