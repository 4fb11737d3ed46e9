package mail

import (
	"slices"

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

// LoadOutbox is every alert waiting in the outbox, oldest first.
func LoadOutbox(db *store.DB) ([]Queued, error) {
	var q []Queued
	_, err := db.GetSettings(outboxKey, &q)
	return q, err
}

// Enqueue adds alerts to the outbox, those not waiting there already.
func Enqueue(db *store.DB, alerts []Queued) error {
	var q []Queued
	return db.UpdateSettings(outboxKey, &q, func() error {
		in := setOf(q)
		for _, a := range alerts {
			if !in[a] {
				in[a] = true
				q = append(q, a)
			}
		}
		return nil
	})
}

// Dequeue takes alerts out of the outbox.
func Dequeue(db *store.DB, alerts []Queued) error {
	if len(alerts) == 0 {
		return nil
	}
	var q []Queued
	return db.UpdateSettings(outboxKey, &q, func() error {
		out := setOf(alerts)
		q = slices.DeleteFunc(q, func(a Queued) bool { return out[a] })
		return nil
	})
}

func setOf(q []Queued) map[Queued]bool {
	set := make(map[Queued]bool, len(q))
	for _, a := range q {
		set[a] = true
	}
	return set
}
