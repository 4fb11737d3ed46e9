package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestTasksAreStoredByNameWithoutCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.db")
	db := openTestDBAt(t, path, testOptions())
	put := func(name, doc string) error {
		return db.UpdateTask(name, func([]byte) ([]byte, error) { return []byte(doc), nil })
	}
	if err := put("Docs", `{"name":"Docs"}`); err != nil {
		t.Fatal(err)
	}
	if err := put("alpha", `{"name":"alpha"}`); err != nil {
		t.Fatal(err)
	}
	got, err := db.Task("DOCS")
	if err != nil || string(got) != `{"name":"Docs"}` {
		t.Fatalf("Task: %s %v", got, err)
	}
	all, _ := db.Tasks()
	if len(all) != 2 || string(all[0]) != `{"name":"alpha"}` {
		t.Fatalf("Tasks: %q", all)
	}
	// A refusing fn writes nothing.
	refused := errors.New("no")
	if err := db.UpdateTask("docs", func([]byte) ([]byte, error) { return []byte("x"), refused }); !errors.Is(err, refused) {
		t.Fatal(err)
	}
	if got, _ := db.Task("docs"); string(got) != `{"name":"Docs"}` {
		t.Fatalf("a refused update wrote %s", got)
	}
	if _, err := db.Task("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a missing task: %v", err)
	}
	db.Close()
	db = openTestDBAt(t, path, testOptions())
	if got, _ := db.Task("docs"); string(got) != `{"name":"Docs"}` {
		t.Fatalf("after reopening: %s", got)
	}
}

func TestRunsArePrunedByCountAndGoWithTheirTask(t *testing.T) {
	db := openTestDB(t, testOptions())
	_ = db.UpdateTask("docs", func([]byte) ([]byte, error) { return []byte("{}"), nil })
	var last uint64
	for i := range 7 {
		seq, err := db.AppendRun("Docs", []byte(fmt.Sprintf(`{"n":%d}`, i)), 5)
		if err != nil {
			t.Fatal(err)
		}
		last = seq
	}
	if err := db.PutRun("docs", last, []byte(`{"n":"done"}`)); err != nil {
		t.Fatal(err)
	}
	runs, err := db.Runs("docs", 0)
	if err != nil || len(runs) != 5 || string(runs[0].Doc) != `{"n":2}` || string(runs[4].Doc) != `{"n":"done"}` {
		t.Fatalf("runs: %+v %v", runs, err)
	}
	if newest, _ := db.Runs("docs", 2); len(newest) != 2 || newest[1].Seq != last {
		t.Fatalf("the newest two: %+v", newest)
	}
	if err := db.UpdateTask("docs", func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if runs, _ := db.Runs("docs", 0); len(runs) != 0 {
		t.Fatalf("runs outlived their task: %d", len(runs))
	}
	if err := db.UpdateTask("docs", func([]byte) ([]byte, error) { return nil, nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting a missing task: %v", err)
	}
}
