package mail

import (
	"slices"
	"sync"

	"github.com/lanyard/lanyard/core/store"
)

// The alert outbox: each alert due to be mailed is written here before it
// is sent, and taken out once the SMTP server took it (or it is no longer
// worth sending). An SMTP server that is down, or a console that stops
// in between, delays an alert's mail; it does not lose it.

const outboxKey = "mail_alert_outbox"

// Queued is one alert waiting in the outbox: which alert (its kind, its
// slave's entry ID, and its task, "" for an outage) and to whom, named
// as a daily summary is (FleetSummary: the settings' recipients; else a
// group's name, as Settings.GroupTo spells it).
type Queued struct {
	Kind    string `json:"kind"`
	SlaveID string `json:"slave"`
	Task    string `json:"task,omitempty"`
	To      string `json:"to,omitempty"`
}

// LoadOutbox is every alert waiting in db's outbox, oldest first.
func LoadOutbox(db *store.DB) ([]Queued, error) {
	var q []Queued
	_, err := db.GetSettings(outboxKey, &q)
	return q, err
}

// Outbox is a database's alert outbox, with how many alerts wait there
// kept in memory: a window that shows the count asks often, and an
// outbox behind a mail server that is down for a day may hold thousands.
// The one Outbox of a database is the only writer of its outbox.
type Outbox struct {
	db *store.DB
	mu sync.Mutex // held across each change, so n follows the record
	n  int        // alerts waiting; -1 until read
}

// NewOutbox is db's outbox.
func NewOutbox(db *store.DB) *Outbox { return &Outbox{db: db, n: -1} }

// Load is every alert waiting, oldest first.
func (o *Outbox) Load() ([]Queued, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	q, err := LoadOutbox(o.db)
	if err == nil {
		o.n = len(q)
	}
	return q, err
}

// Len is how many alerts wait; it reads the database once, the first
// time.
func (o *Outbox) Len() (int, error) {
	o.mu.Lock()
	n := o.n
	o.mu.Unlock()
	if n >= 0 {
		return n, nil
	}
	q, err := o.Load()
	return len(q), err
}

// Enqueue adds alerts, those not waiting already.
func (o *Outbox) Enqueue(alerts []Queued) error {
	return o.update(func(q []Queued) []Queued {
		in := setOf(q)
		for _, a := range alerts {
			if !in[a] {
				in[a] = true
				q = append(q, a)
			}
		}
		return q
	})
}

// Dequeue takes alerts out.
func (o *Outbox) Dequeue(alerts []Queued) error {
	if len(alerts) == 0 {
		return nil
	}
	out := setOf(alerts)
	return o.update(func(q []Queued) []Queued {
		return slices.DeleteFunc(q, func(a Queued) bool { return out[a] })
	})
}

// update changes the outbox's record by change and counts what it left.
func (o *Outbox) update(change func([]Queued) []Queued) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var q []Queued
	err := o.db.UpdateSettings(outboxKey, &q, func() error {
		q = change(q)
		return nil
	})
	if err == nil {
		o.n = len(q)
	} else {
		o.n = -1 // read again: the record is what it was
	}
	return err
}

func setOf(q []Queued) map[Queued]bool {
	set := make(map[Queued]bool, len(q))
	for _, a := range q {
		set[a] = true
	}
	return set
}
