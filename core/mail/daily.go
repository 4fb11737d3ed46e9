package mail

import (
	"errors"
	"slices"
	"time"

	"github.com/lanyard/lanyard/core/store"
)

// The daily summaries' record: which day's slot was claimed, and which of
// its summaries are still to be sent. A console that stops in the middle,
// or whose SMTP server refuses one, sends the rest when it next tries,
// and a restart neither repeats a summary nor, the same day, misses one.

const (
	dailyKey = "mail_daily"
	// dailySentKey is where builds before the record kept the last
	// slot alone; it is read when there is no record yet.
	dailySentKey = "mail_daily_sent"
)

// FleetSummary is the fleet's summary among a day's (Daily.Pending); a
// group's is the group's name, as Settings.GroupTo spells it.
const FleetSummary = ""

// Daily is the daily summaries' record.
type Daily struct {
	Slot    time.Time `json:"slot"`              // the last slot claimed (zero: never)
	Pending []string  `json:"pending,omitempty"` // its summaries not sent yet
}

// LoadDaily reads the daily summaries' record.
func LoadDaily(db *store.DB) (Daily, error) {
	var d Daily
	found, err := db.GetSettings(dailyKey, &d)
	if err != nil || found {
		return d, err
	}
	_, err = db.GetSettings(dailySentKey, &d.Slot)
	return d, err
}

// MarkDailySent notes every summary of the slot at t as sent, so the
// next one due is the first slot after t.
func MarkDailySent(db *store.DB, t time.Time) error {
	return db.PutSettings(dailyKey, Daily{Slot: t})
}

// errSentAlready leaves the record as it is (ClaimDaily).
var errSentAlready = errors.New("the daily summaries of this slot were claimed already")

// ClaimDaily claims the slot at slot for the summaries named by keys,
// which become the pending ones, unless it or a later slot was claimed,
// in one transaction: it reports whether this caller claimed it. Of
// callers claiming one slot at once, exactly one does.
func ClaimDaily(db *store.DB, slot time.Time, keys []string) (bool, error) {
	d, err := LoadDaily(db) // the older builds' slot, before the first record
	if err != nil {
		return false, err
	}
	err = db.UpdateSettings(dailyKey, &d, func() error {
		if !d.Slot.Before(slot) {
			return errSentAlready
		}
		d = Daily{Slot: slot, Pending: slices.Clone(keys)}
		return nil
	})
	if errors.Is(err, errSentAlready) {
		return false, nil
	}
	return err == nil, err
}

// DailyDone notes the summary key of the slot at slot as sent. A record
// of another slot is left as it is.
func DailyDone(db *store.DB, slot time.Time, key string) error {
	var d Daily
	return db.UpdateSettings(dailyKey, &d, func() error {
		if d.Slot.Equal(slot) {
			d.Pending = slices.DeleteFunc(d.Pending, func(k string) bool { return k == key })
		}
		return nil
	})
}
