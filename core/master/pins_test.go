package master

import (
	"context"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

// onePinWriter is a pin writer on a fresh database holding one entry,
// FS01.
func onePinWriter(t *testing.T) (*store.DB, store.Slave, *pinWriter) {
	t.Helper()
	db := testkit.Store(t, "console", store.Options{})
	e, err := db.AddSlave(store.Slave{Name: "FS01", Direction: store.Inbound, Key: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	log, _ := testkit.Logger()
	return db, e, newPinWriter(db, log)
}

func TestAPinQueuedBeforeATrustIsNeverSavedAfterIt(t *testing.T) {
	db, e, w := onePinWriter(t)
	w.queue(store.Pin{ID: e.ID, Cert: "c1", InstallID: "i1", LastSeen: time.Now()})
	err := w.hold(e.ID, func() error {
		got, err := db.SlaveByID(e.ID)
		if err != nil {
			return err
		}
		if got.PinnedCert != "c1" {
			t.Errorf("inside hold the entry has pin %q, want the queued c1 saved first", got.PinnedCert)
		}
		_, err = Trust(db, "FS01", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w.save()
	got, _ := db.SlaveByID(e.ID)
	if got.PinnedCert != "" || got.PinnedInstallID != "" {
		t.Errorf("after the trust the entry is pinned to %q/%q, want nothing pinned", got.PinnedCert, got.PinnedInstallID)
	}
}

func TestQueuedPinsAreSavedInTheBackgroundAndAtTheEnd(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	var ids []string
	for _, name := range []string{"a", "b", "c"} {
		e, err := db.AddSlave(store.Slave{Name: name, Direction: store.Inbound, Key: make([]byte, 32)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	log, _ := testkit.Logger()
	w := newPinWriter(db, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx) }()
	seen := time.Now().Truncate(time.Second)
	w.queue(store.Pin{ID: ids[0], Cert: "ca"})
	w.queue(store.Pin{ID: ids[0], LastSeen: seen}) // merged with the first
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := db.SlaveByID(ids[0])
		if got.PinnedCert == "ca" && got.LastSeen.Equal(seen) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued pin was not saved within 5s: %+v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, id := range ids[1:] {
		w.queue(store.Pin{ID: id, Cert: "c-" + id})
	}
	cancel()
	<-done
	for _, id := range ids[1:] {
		if got, _ := db.SlaveByID(id); got.PinnedCert != "c-"+id {
			t.Errorf("a pin queued before the end was not saved: %+v", got)
		}
	}
}

// Of the times queued for one slave before a save, the latest is saved,
// and with it whether the slave was linked then: a link's start queued
// late does not undo its end.
func TestTheLatestQueuedTimeIsSavedWithWhetherItWasLinked(t *testing.T) {
	db, e, w := onePinWriter(t)
	up := time.Now().Truncate(time.Second)
	end := up.Add(time.Second)
	w.queue(store.Pin{ID: e.ID, LastSeen: up, Linked: true})
	w.queue(store.Pin{ID: e.ID, LastSeen: end})
	w.queue(store.Pin{ID: e.ID, LastSeen: up, Linked: true})
	w.save()
	if got, _ := db.SlaveByID(e.ID); !got.LastSeen.Equal(end) || got.LastSeenLinked {
		t.Errorf("saved %v linked %v, want the end %v, not linked", got.LastSeen, got.LastSeenLinked, end)
	}
	again := end.Add(time.Second)
	w.queue(store.Pin{ID: e.ID, LastSeen: again, Linked: true})
	w.save()
	if got, _ := db.SlaveByID(e.ID); !got.LastSeen.Equal(again) || !got.LastSeenLinked {
		t.Errorf("saved %v linked %v, want the next start %v, linked", got.LastSeen, got.LastSeenLinked, again)
	}
}
