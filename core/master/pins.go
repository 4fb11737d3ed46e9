package master

import (
	"context"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/store"
)

// Pins and last-seen times are saved off the link's path: adopt starts the
// link first and queues what it pinned, and one writer saves whatever
// queued while its last save ran, in one transaction that reads and writes
// only those entries (store.SavePins). A storm of first links costs a
// handful of commits, not a scan and a commit per link.

// pinSaveEvery is the shortest time between two saves: what arrives
// meanwhile goes into the next one.
const pinSaveEvery = 100 * time.Millisecond

type pinWriter struct {
	db  *store.DB
	log logrus.FieldLogger

	// saving is held while a batch is written, and by hold: an edit of an
	// entry never interleaves with the save of its pin.
	saving sync.Mutex

	mu      sync.Mutex
	pending map[string]store.Pin // by entry ID
	wake    chan struct{}
}

func newPinWriter(db *store.DB, log logrus.FieldLogger) *pinWriter {
	return &pinWriter{db: db, log: log, pending: map[string]store.Pin{}, wake: make(chan struct{}, 1)}
}

// queue notes pins for the next save; each merges with a pin queued for
// the same entry and not yet saved.
func (w *pinWriter) queue(pins ...store.Pin) {
	if len(pins) == 0 {
		return
	}
	w.mu.Lock()
	for _, p := range pins {
		q := w.pending[p.ID]
		q.ID = p.ID
		if p.Cert != "" {
			q.Cert = p.Cert
		}
		if p.InstallID != "" {
			q.InstallID = p.InstallID
		}
		if p.Software != "" {
			q.Software = p.Software
		}
		if p.GhostBoots != nil {
			q.GhostBoots = p.GhostBoots
		}
		if p.LastSeen.After(q.LastSeen) {
			q.LastSeen, q.Linked = p.LastSeen, p.Linked
		}
		w.pending[p.ID] = q
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run saves batches until ctx ends, then saves what is left.
func (w *pinWriter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			w.save()
			return
		case <-w.wake:
		}
		started := time.Now()
		w.save()
		t := time.NewTimer(pinSaveEvery - time.Since(started))
		select {
		case <-ctx.Done():
			t.Stop()
			w.save()
			return
		case <-t.C:
		}
	}
}

// save writes everything queued now.
func (w *pinWriter) save() {
	w.saving.Lock()
	defer w.saving.Unlock()
	w.mu.Lock()
	if len(w.pending) == 0 {
		w.mu.Unlock()
		return
	}
	batch := make([]store.Pin, 0, len(w.pending))
	for _, p := range w.pending {
		batch = append(batch, p)
	}
	clear(w.pending)
	w.mu.Unlock()
	if err := w.db.SavePins(batch); err != nil {
		w.log.WithError(err).WithField("entries", len(batch)).Warn("could not save the pinned certificates and last-seen times; they are pinned for as long as this console runs")
	}
}

// hold saves entry id's queued pin, if any, then runs fn (a change of that
// entry in the store) before any later pin of it is saved: an edit reads
// the pin, and a pin queued before a Trust cannot pin the old certificate
// again after it.
func (w *pinWriter) hold(id string, fn func() error) error {
	w.saving.Lock()
	defer w.saving.Unlock()
	w.mu.Lock()
	p, ok := w.pending[id]
	delete(w.pending, id)
	w.mu.Unlock()
	if ok {
		if err := w.db.SavePins([]store.Pin{p}); err != nil {
			return err
		}
	}
	return fn()
}
