package health

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/store"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func openDB(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{Kind: "console"})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newTracker(t *testing.T, db *store.DB, c *clock) *Tracker {
	t.Helper()
	tr, err := Open(db, Options{Now: c.Now, Grace: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// openTracker is a tracker on a fresh console.db at noon, closed (and
// its database) when the test ends.
func openTracker(t *testing.T) (*Tracker, *clock) {
	t.Helper()
	c := &clock{now: noon}
	db := openDB(t, filepath.Join(t.TempDir(), "console.db"))
	tr := newTracker(t, db, c)
	t.Cleanup(func() {
		_ = tr.Close()
		_ = db.Close()
	})
	return tr, c
}

func dailyTask(name string, created time.Time) Task {
	return Task{Name: name, Schedule: "daily@02:00", OverdueAfter: 48 * time.Hour, Cursor: Cursor{Created: created, Version: 1}}
}

func TestAnOfflineSlaveKeepsItsLastKnownStateAndBecomesOverdue(t *testing.T) {
	tr, c := openTracker(t)

	tr.Linked("id1", "FS01", true)
	tr.Sync("id1", "FS01", []Task{dailyTask("docs", ago(30*24*time.Hour))}, nil, true, 0)
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: noon.Add(-time.Minute), Finished: noon}, 7)
	if rows := tr.Rows(); len(rows) != 1 || rows[0].State != StateOK || rows[0].LastKnown {
		t.Fatalf("linked: %+v", rows)
	}
	c.add(time.Hour)
	tr.Linked("id1", "FS01", false)
	rows := tr.Rows()
	if rows[0].State != StateOK || !rows[0].LastKnown || !rows[0].Seen.Equal(noon.Add(time.Hour)) {
		t.Fatalf("just offline: %+v", rows[0])
	}
	c.add(3 * 24 * time.Hour)
	if rows := tr.Rows(); rows[0].State != StateOverdue || !rows[0].LastKnown {
		t.Fatalf("silent for three days: %+v", rows[0])
	}
	if s := tr.Summary("id1"); s.Worst != StateOverdue || !s.LastKnown || s.Overdue != 1 {
		t.Fatalf("summary %+v", s)
	}
}

func TestTheRecordSurvivesARestartAndTheCursorsSayWhatWasSeen(t *testing.T) {
	c := &clock{now: noon}
	path := filepath.Join(t.TempDir(), "console.db")
	db := openDB(t, path)
	tr := newTracker(t, db, c)
	tr.Sync("id1", "FS01", []Task{dailyTask("docs", ago(time.Hour)), dailyTask("mail", ago(time.Hour))}, nil, true, 3600)
	tr.Started("id1", "FS01", "docs", 4, noon)
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultFailed, Started: noon, Finished: noon.Add(time.Minute), Error: "read-only file system"}, 4)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openDB(t, path)
	defer db.Close()
	tr = newTracker(t, db, c)
	defer tr.Close()
	cur := tr.Cursors("id1")
	if got := cur["docs"]; got.RunSeq != 4 || !got.RunDone || got.Version != 1 {
		t.Fatalf("cursor of docs: %+v", got)
	}
	rows := tr.Rows("id1")
	if len(rows) != 2 || rows[0].Task != "docs" || rows[0].State != StateFailed || rows[0].LastError != "read-only file system" || !rows[0].LastKnown {
		t.Fatalf("rows after a restart: %+v", rows)
	}
	// A sync with changes only: mail removed, docs changed.
	fixed := dailyTask("docs", ago(time.Hour))
	fixed.LastSuccess, fixed.LastResult = noon, backup.ResultCompleted
	tr.Sync("id1", "FS01", []Task{fixed}, []string{"MAIL"}, false, 3600)
	if rows := tr.Rows("id1"); len(rows) != 1 || rows[0].State != StateOK {
		t.Fatalf("after the sync: %+v", rows)
	}
}

func TestWritesAreBatched(t *testing.T) {
	c := &clock{now: noon}
	db := openDB(t, filepath.Join(t.TempDir(), "console.db"))
	defer db.Close()
	tr := newTracker(t, db, c)
	for i := range 2000 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		tr.Sync(id, "S"+id, []Task{dailyTask("docs", noon)}, nil, true, 0)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := Load(db)
	if err != nil || len(recs) != 2000 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}

func TestAlertsWaitForTheGraceAndDoNotRepeat(t *testing.T) {
	tr, c := openTracker(t)
	tr.Linked("id1", "FS01", true)
	tr.Sync("id1", "FS01", []Task{dailyTask("docs", ago(time.Hour))}, nil, true, 0)
	fail := func() {
		tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultFailed, Started: c.Now(), Finished: c.Now(), Error: "no space"}, 0)
	}
	kinds := func(as []Alert) (out []AlertKind) {
		for _, a := range as {
			out = append(out, a.Kind)
		}
		return out
	}

	fail()
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("within the grace: %v", kinds(a))
	}
	c.add(61 * time.Second)
	a := tr.Tick()
	if len(a) != 1 || a[0].Kind != AlertFailed || a[0].Task != "docs" || a[0].Row.LastError != "no space" {
		t.Fatalf("past the grace: %+v", a)
	}
	fail() // failing again while failed is not news
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("a second failure: %v", kinds(a))
	}
	// A success, then a failure: news again.
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: c.Now(), Finished: c.Now()}, 0)
	tr.Tick()
	fail()
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertFailed {
		t.Fatalf("a failure after a success: %v", kinds(a))
	}
	// A failure fixed within the grace is never announced.
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: c.Now(), Finished: c.Now()}, 0)
	tr.Tick()
	fail()
	c.add(30 * time.Second)
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: c.Now(), Finished: c.Now()}, 0)
	c.add(time.Minute)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("a failure fixed within the grace: %v", kinds(a))
	}
	// Offline past the grace, once; overdue after two silent days, once.
	tr.Linked("id1", "FS01", false)
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertOffline || a[0].Slave != "FS01" {
		t.Fatalf("offline: %v", kinds(a))
	}
	c.add(49 * time.Hour) // overdue for an hour by now
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertOverdue {
		t.Fatalf("overdue: %v", kinds(a))
	}
	c.add(time.Hour)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("overdue again: %v", kinds(a))
	}
}

// A failed run the agent tries again is news only once its last try has
// failed, or once a try promised has not come for the grace after its
// time; one that mends on a retry is never news.
func TestAFailureBeingRetriedIsNewsOnlyOnceTheRetriesFail(t *testing.T) {
	tr, c := openTracker(t)
	tr.Linked("id1", "FS01", true)
	tr.Sync("id1", "FS01", []Task{dailyTask("docs", ago(time.Hour))}, nil, true, 0)
	fail := func(retryIn time.Duration) {
		rep := backup.Report{Task: "docs", Result: backup.ResultFailed, Started: c.Now(), Finished: c.Now(), Error: "the share is not mounted"}
		if retryIn > 0 {
			rep.RetryAt = c.Now().Add(retryIn)
		}
		tr.Finished("id1", "FS01", rep, 0)
	}
	fail(10 * time.Minute)
	retryAt := c.Now().Add(10 * time.Minute)
	c.add(5 * time.Minute)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("before its retry: %+v", a)
	}
	if s := tr.Summary("id1"); s.Failed != 1 || s.Retrying != 1 || !s.RetryAt.Equal(retryAt) {
		t.Fatalf("the summary before its retry: %+v, want 1 failed, retried at %s", s, retryAt)
	}
	// The retry runs (for longer than the grace), and fails for good.
	c.add(5 * time.Minute)
	tr.Started("id1", "FS01", "docs", 0, c.Now())
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("while it is tried again: %+v", a)
	}
	fail(0)
	c.add(61 * time.Second)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertFailed {
		t.Fatalf("its last try failed: %+v", a)
	}
	if s := tr.Summary("id1"); s.Failed != 1 || s.Retrying != 0 || !s.RetryAt.IsZero() {
		t.Fatalf("the summary once its last try failed: %+v", s)
	}

	// Mended by a retry: never news.
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: c.Now(), Finished: c.Now()}, 0)
	tr.Tick()
	fail(10 * time.Minute)
	c.add(10 * time.Minute)
	tr.Started("id1", "FS01", "docs", 0, c.Now())
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: c.Now(), Finished: c.Now()}, 0)
	c.add(time.Hour)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("a failure mended by its retry: %+v", a)
	}

	// A retry that never comes (the agent went away): news the grace
	// after its time.
	fail(10 * time.Minute)
	c.add(10*time.Minute + 30*time.Second)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("a retry late by less than the grace: %+v", a)
	}
	c.add(31 * time.Second)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertFailed {
		t.Fatalf("a retry that never came: %+v", a)
	}
	if s := tr.Summary("id1"); s.Retrying != 0 {
		t.Fatalf("the summary once a retry did not come: %+v", s)
	}
}

func TestAlertingIsWhatWasAnnouncedAndNotYetOver(t *testing.T) {
	tr, c := openTracker(t)
	tr.Linked("id1", "FS01", true)
	tr.Sync("id1", "FS01", []Task{dailyTask("docs", ago(time.Hour)), dailyTask("mail", ago(time.Hour))}, nil, true, 0)
	kinds := func() (out []string) {
		for _, a := range tr.Alerting() {
			out = append(out, string(a.Kind)+" "+a.Slave+"/"+a.Task)
		}
		return out
	}
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultFailed, Started: c.Now(), Finished: c.Now(), Error: "no space"}, 0)
	tr.Tick()
	if got := kinds(); len(got) != 0 {
		t.Fatalf("within the grace, nothing was announced yet: %v", got)
	}
	c.add(61 * time.Second)
	tr.Tick()
	tr.Linked("id1", "FS01", false)
	c.add(2 * time.Minute)
	tr.Tick()
	got := tr.Alerting()
	if len(got) != 2 || got[0].Kind != AlertOffline || got[1].Kind != AlertFailed || got[1].Task != "docs" ||
		got[1].Row.LastError != "no space" || !got[0].Since.Equal(noon.Add(61*time.Second)) {
		t.Fatalf("in force: %+v", got)
	}
	// Back online; docs fixed: nothing in force, even before the next Tick.
	tr.Linked("id1", "FS01", true)
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: c.Now(), Finished: c.Now()}, 0)
	if got := kinds(); len(got) != 0 {
		t.Fatalf("after the fix: %v", got)
	}
}

func TestRewatchAnnouncesAnOutageAfreshPastTheGrace(t *testing.T) {
	tr, c := openTracker(t)
	tr.Linked("id1", "FS01", true)
	tr.Linked("id1", "FS01", false)
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertOffline {
		t.Fatalf("the outage: %+v", a)
	}
	tr.Rewatch("id1", true)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("at once after Rewatch: %+v", a)
	}
	c.add(61 * time.Second)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertOffline || !a[0].Since.Equal(noon.Add(2*time.Minute)) {
		t.Fatalf("past the grace after Rewatch: %+v", a)
	}
}

func TestWatchAnnouncesAnOutageThatOutlastsARestart(t *testing.T) {
	c := &clock{now: noon}
	db := openDB(t, filepath.Join(t.TempDir(), "console.db"))
	defer db.Close()
	// Before the restart: FS01 and FS02 linked; FS02's outage announced.
	tr := newTracker(t, db, c)
	for _, n := range []string{"FS01", "FS02"} {
		tr.Linked("id-"+n, n, true)
		tr.Sync("id-"+n, n, nil, nil, true, 0)
	}
	tr.Linked("id-FS02", "FS02", false)
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 1 || a[0].Slave != "FS02" {
		t.Fatalf("before the restart: %+v", a)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}

	// The console restarts; FS01 never links again, FS02 is still down,
	// FS03 links within the slack.
	c.add(time.Hour)
	start := c.Now()
	tr = newTracker(t, db, c)
	defer tr.Close()
	lastSeen := noon.Add(-time.Minute)
	for _, n := range []string{"FS01", "FS02", "FS03"} {
		tr.Watch("id-"+n, n, lastSeen, start.Add(90*time.Second))
	}
	c.add(100 * time.Second)
	tr.Linked("id-FS03", "FS03", true)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("within the slack and the grace: %+v", a)
	}
	c.add(time.Minute)
	a := tr.Tick()
	if len(a) != 1 || a[0].Kind != AlertOffline || a[0].Slave != "FS01" || !a[0].Since.Equal(lastSeen) {
		t.Fatalf("past them, only FS01's outage is news, since it was last seen: %+v", a)
	}
	in := tr.Alerting()
	if len(in) != 2 || in[0].Slave != "FS01" || in[1].Slave != "FS02" || !in[1].Since.Equal(lastSeen) {
		t.Fatalf("in force: FS01's and FS02's outages: %+v", in)
	}
	// Watch does not restart a watch already running.
	tr.Watch("id-FS01", "FS01", c.Now(), c.Now())
	if in := tr.Alerting(); !in[0].Since.Equal(lastSeen) {
		t.Fatalf("watched twice: %+v", in[0])
	}
}

func TestASilencedSlaveIsNoNewsUntilRewatched(t *testing.T) {
	tr, c := openTracker(t)
	tr.Linked("id1", "FS01", true)
	tr.Sync("id1", "FS01", []Task{dailyTask("docs", ago(time.Hour)), dailyTask("mail", ago(time.Hour))}, nil, true, 0)
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultFailed, Started: c.Now(), Finished: c.Now(), Error: "no space"}, 0)
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertFailed {
		t.Fatalf("the failure: %+v", a)
	}
	// Disconnected: its outage, its failure in force, and mail's lateness
	// days later are nobody's news.
	tr.Silence("id1", "FS01")
	tr.Linked("id1", "FS01", false)
	c.add(3 * 24 * time.Hour)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("silenced: %+v", a)
	}
	if in := tr.Alerting(); len(in) != 0 {
		t.Fatalf("in force while silenced: %+v", in)
	}
	if rows := tr.Rows("id1"); len(rows) != 2 || rows[1].State != StateOverdue || !rows[1].LastKnown {
		t.Fatalf("its row stays, as last known: %+v", rows)
	}
	// Connected again, still down: its outage and mail's lateness are news
	// once they lasted the grace from then; docs' failure was news before.
	tr.Rewatch("id1", true)
	c.add(30 * time.Second)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("within the grace after Rewatch: %+v", a)
	}
	c.add(31 * time.Second)
	if a := tr.Tick(); len(a) != 2 || a[0].Kind != AlertOffline || a[1].Kind != AlertOverdue {
		t.Fatalf("past the grace after Rewatch: %+v", a)
	}
	if in := tr.Alerting(); len(in) != 3 {
		t.Fatalf("in force after Rewatch: %+v", in)
	}
	if in := tr.Alerting(); len(in) != 3 {
		t.Fatalf("in force after Rewatch: %+v", in)
	}
}

func TestASlaveThatNeverLinkedIsNotWatchedAfterRewatch(t *testing.T) {
	tr, c := openTracker(t)
	tr.Silence("id1", "NEW") // added, then disconnected, before it ever linked
	tr.Rewatch("id1", false)
	c.add(time.Hour)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("a slave that never linked: %+v", a)
	}
}

// A muted slave's failures and outage are not news while it is muted,
// and what was announced before is not in force; what is still wrong
// when the mute ends is announced then, once.
func TestAMutedSlaveIsNotNewsUntilItsMuteEnds(t *testing.T) {
	tr, c := openTracker(t)
	tr.Linked("id1", "FS01", true)
	tr.Sync("id1", "FS01", []Task{dailyTask("docs", ago(time.Hour)), dailyTask("mail", ago(time.Hour))}, nil, true, 0)
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultFailed, Started: c.Now(), Finished: c.Now(), Error: "no space"}, 0)
	c.add(61 * time.Second)
	if a := tr.Tick(); len(a) != 1 || a[0].Task != "docs" {
		t.Fatalf("docs' failure, before the mute: %+v", a)
	}

	tr.Mute("id1", "FS01", c.Now().Add(2*time.Hour)) // maintenance
	if got := tr.Alerting(); len(got) != 0 {
		t.Fatalf("while muted, in force: %+v", got)
	}
	tr.Finished("id1", "FS01", backup.Report{Task: "mail", Result: backup.ResultFailed, Started: c.Now(), Finished: c.Now(), Error: "disk gone"}, 0)
	tr.Linked("id1", "FS01", false) // rebooted
	c.add(time.Hour)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("while muted, announced: %+v", a)
	}

	c.add(time.Hour + time.Second) // the mute ends, the server still down
	a := tr.Tick()
	if len(a) != 2 || a[0].Kind != AlertOffline || a[1].Kind != AlertFailed || a[1].Task != "mail" {
		t.Fatalf("when the mute ends: %+v", a)
	}
	if got := tr.Alerting(); len(got) != 3 {
		t.Fatalf("in force after the mute: %+v", got)
	}
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("announced again: %+v", a)
	}
	// Muted again, then unmuted early: news at once.
	tr.Mute("id1", "FS01", c.Now().Add(time.Hour))
	if got := tr.Alerting(); len(got) != 0 {
		t.Fatalf("muted again, in force: %+v", got)
	}
	tr.Mute("id1", "FS01", time.Time{})
	if got := tr.Alerting(); len(got) != 3 {
		t.Fatalf("unmuted, in force: %+v", got)
	}
}

// docsRun is a completed run of FS01's docs that wrote 10 GiB and left
// free bytes of its 1 TiB destination.
func docsRun(tr *Tracker, c *clock, free uint64) {
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: c.Now(), Finished: c.Now(),
		BytesCopied: 10 << 30, DestFree: free, DestTotal: 1 << 40}, 0)
}

// linkedDocs is FS01 linked, with a daily task docs.
func linkedDocs(tr *Tracker) {
	tr.Linked("id1", "FS01", true)
	tr.Sync("id1", "FS01", []Task{dailyTask("docs", ago(time.Hour))}, nil, true, 0)
}

// announcedFull is FS01's docs destination nearly full past the alert
// grace, and announced so.
func announcedFull(t *testing.T, tr *Tracker, c *clock) {
	t.Helper()
	linkedDocs(tr)
	docsRun(tr, c, 15<<30)
	c.add(61 * time.Second)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertFull {
		t.Fatalf("nearly full: %+v", a)
	}
}

func TestANearlyFullDestinationIsAnnouncedOnceAndTakenBackWhenThereIsRoom(t *testing.T) {
	tr, c := openTracker(t)
	linkedDocs(tr)
	docsRun(tr, c, 15<<30) // room for one run like it, not two
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("within the grace: %+v", a)
	}
	c.add(61 * time.Second)
	a := tr.Tick()
	if len(a) != 1 || a[0].Kind != AlertFull || a[0].Task != "docs" || a[0].Row.Dest.Low() == "" || !a[0].Since.Equal(noon) {
		t.Fatalf("past the grace: %+v", a)
	}
	if in := tr.Alerting(); len(in) != 1 || in[0].Kind != AlertFull {
		t.Fatalf("in force: %+v", in)
	}
	docsRun(tr, c, 14<<30) // still short: not news again
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("still nearly full: %+v", a)
	}
	// Room made: over, and news again the next time it fills.
	docsRun(tr, c, 500<<30)
	if in := tr.Alerting(); len(in) != 0 {
		t.Fatalf("after room was made: %+v", in)
	}
	tr.Tick()
	docsRun(tr, c, 12<<30)
	tr.Mute("id1", "FS01", c.Now().Add(time.Hour))
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("muted: %+v", a)
	}
	c.add(time.Hour)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertFull {
		t.Fatalf("after the mute: %+v", a)
	}
	// A failure of the same task is its own alert, named first.
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultFailed, Started: c.Now(), Finished: c.Now(), Error: "disk full"}, 0)
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 1 || a[0].Kind != AlertFailed {
		t.Fatalf("a failure besides: %+v", a)
	}
	if in := tr.Alerting(); len(in) != 2 || in[0].Kind != AlertFailed || in[1].Kind != AlertFull {
		t.Fatalf("both in force: %+v", in)
	}
}

// Copies a run's verify found damaged are announced once, past the grace,
// after the task's failure if it has one; a run whose verify found none
// (or that did not verify: it copied them afresh) takes it back.
func TestDamagedCopiesAreAnnouncedOnceAndTakenBackByTheNextRun(t *testing.T) {
	tr, c := openTracker(t)
	linkedDocs(tr)
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultWarnings, Started: c.Now(), Finished: c.Now(),
		Verified: true, VerifyChanged: 2, VerifyMissing: 1, WarningCount: 3, Warnings: []string{"verify: /docs/a.txt missing"}}, 0)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("within the grace: %+v", a)
	}
	c.add(61 * time.Second)
	a := tr.Tick()
	if len(a) != 1 || a[0].Kind != AlertDamaged || a[0].Row.LastDamaged != 3 || !a[0].Since.Equal(noon) {
		t.Fatalf("past the grace: %+v", a)
	}
	if want := "3 copies found damaged (the destination's disk may be failing; the next run copies them afresh and mends the older snapshots)"; DamagedWords(3) != want {
		t.Errorf("DamagedWords(3) = %q", DamagedWords(3))
	}
	if in := tr.Alerting(); len(in) != 1 || in[0].Kind != AlertDamaged {
		t.Fatalf("in force: %+v", in)
	}
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("announced twice: %+v", a)
	}
	docsRun(tr, c, 500<<30)
	if in := tr.Alerting(); len(in) != 0 {
		t.Fatalf("after a run that found nothing: %+v", in)
	}
}

// Copies a verify or restore by hand found damaged since the last run
// reach the console as the task's change: the same alert, since they
// were found, which the next run takes back. A change that names another
// run than the one the console knows changes nothing.
func TestCopiesFoundDamagedByHandAreAnnouncedFromTheTasksChange(t *testing.T) {
	tr, c := openTracker(t)
	linkedDocs(tr)
	ran := c.Now()
	docsRun(tr, c, 500<<30)
	c.add(time.Hour)
	other := backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: ran.Add(-time.Hour), FoundDamaged: 2, FoundAt: c.Now()}
	tr.Changed("id1", "FS01", Def{Name: "docs", Schedule: "daily@02:00", LastRun: &other})
	c.add(61 * time.Second)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("from another run's record: %+v", a)
	}
	found := c.Now()
	last := backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: ran, Finished: ran, FoundDamaged: 2, FoundAt: found, Amended: 1}
	tr.Changed("id1", "FS01", Def{Name: "docs", Schedule: "daily@02:00", LastRun: &last})
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("within the grace from the find: %+v", a)
	}
	c.add(61 * time.Second)
	a := tr.Tick()
	if len(a) != 1 || a[0].Kind != AlertDamaged || a[0].Row.LastDamaged != 2 || !a[0].Since.Equal(found) {
		t.Fatalf("past the grace: %+v", a)
	}
	if cur := tr.Cursors("id1")["docs"]; cur.Amended != 1 {
		t.Errorf("the cursor after the change: %+v, want the record's amendment", cur)
	}
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultCompleted, Started: c.Now(), Finished: c.Now()}, 7)
	if in := tr.Alerting(); len(in) != 0 {
		t.Fatalf("after the next run: %+v", in)
	}
	if cur := tr.Cursors("id1")["docs"]; cur.Amended != 0 || cur.RunSeq != 7 {
		t.Errorf("the cursor after the next run: %+v, want its new record's, not amended", cur)
	}
}

// A run that could not read a file is counted in its slave's summary as
// warned (the overview lists it under Needs a look), but is no alert; the
// warnings of a verify that found copies damaged are counted as damage
// alone, and a clean next run ends both.
func TestARunsWarningsAreCountedButNotAnnounced(t *testing.T) {
	tr, c := openTracker(t)
	linkedDocs(tr)
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultWarnings, Started: c.Now(), Finished: c.Now(),
		WarningCount: 1, Warnings: []string{"/docs/locked.pst: permission denied"}}, 0)
	c.add(time.Hour)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("a warning announced: %+v", a)
	}
	if s := tr.Summary("id1"); s.Warned != 1 || s.Damaged != 0 || s.Worst != StateOK {
		t.Fatalf("after an unreadable file: %+v", s)
	}
	tr.Finished("id1", "FS01", backup.Report{Task: "docs", Result: backup.ResultWarnings, Started: c.Now(), Finished: c.Now(),
		Verified: true, VerifyChanged: 1, WarningCount: 2, Warnings: []string{"/docs/locked.pst: permission denied"}}, 0)
	if s := tr.Summary("id1"); s.Warned != 0 || s.Damaged != 1 {
		t.Fatalf("after a verify that found damage: %+v", s)
	}
	docsRun(tr, c, 500<<30)
	if s := tr.Summary("id1"); s.Warned != 0 || s.Damaged != 0 {
		t.Fatalf("after a clean run: %+v", s)
	}
}

// Room made by deleting snapshots by hand is seen at once: the alert is
// over, without waiting for the next run.
func TestRoomMadeByHandEndsANearlyFullAlert(t *testing.T) {
	tr, c := openTracker(t)
	announcedFull(t, tr, c)
	if tr.Room("id1", "FS01", "nope", 1<<30, 1<<40) {
		t.Fatal("room noted for a task that is not known")
	}
	if !tr.Room("id1", "FS01", "DOCS", 300<<30, 1<<40) {
		t.Fatal("room not noted")
	}
	if in := tr.Alerting(); len(in) != 0 {
		t.Fatalf("in force after room was made: %+v", in)
	}
	if r := tr.Rows("id1"); len(r) != 1 || r[0].Dest != (DestSpace{Free: 300 << 30, Total: 1 << 40, Wrote: 10 << 30}) {
		t.Fatalf("rows: %+v", r)
	}
}

// A nearly-full destination announced before a restart is not news
// again after it.
func TestANearlyFullAlertIsNotRepeatedAfterARestart(t *testing.T) {
	c := &clock{now: noon}
	path := filepath.Join(t.TempDir(), "console.db")
	db := openDB(t, path)
	tr := newTracker(t, db, c)
	announcedFull(t, tr, c)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	db = openDB(t, path)
	defer db.Close()
	tr = newTracker(t, db, c)
	defer tr.Close()
	tr.Linked("id1", "FS01", true)
	c.add(2 * time.Minute)
	if a := tr.Tick(); len(a) != 0 {
		t.Fatalf("announced again after the restart: %+v", a)
	}
	if in := tr.Alerting(); len(in) != 1 || in[0].Kind != AlertFull {
		t.Fatalf("in force after the restart: %+v", in)
	}
}

// Needs a look says which failed tasks mend by themselves, and when.
func TestProblemsSayWhichFailedTasksAreTriedAgain(t *testing.T) {
	at := time.Date(2026, 3, 10, 2, 10, 0, 0, time.UTC)
	cases := []struct {
		sum  Summary
		want string
	}{
		{Summary{}, ""},
		{Summary{Counts: Counts{OK: 3}}, ""},
		{Summary{Counts: Counts{Failed: 1, Overdue: 2}}, "1 failed · 2 overdue"},
		{Summary{Counts: Counts{Failed: 1}, Retrying: 1, RetryAt: at}, "1 failed (tried again at 02:10)"},
		{Summary{Counts: Counts{Failed: 1}, Retrying: 1}, "1 failed (being tried again)"},
		{Summary{Counts: Counts{Failed: 3, Overdue: 1}, Retrying: 1, RetryAt: at}, "3 failed (1 tried again at 02:10) · 1 overdue"},
		{Summary{Counts: Counts{Failed: 3}, Retrying: 2, RetryAt: at}, "3 failed (2 tried again, the first at 02:10)"},
		{Summary{Counts: Counts{Failed: 2}, Retrying: 2}, "2 failed (2 being tried again)"},
	}
	for _, c := range cases {
		if got := c.sum.Problems(time.UTC); got != c.want {
			t.Errorf("%+v: %q, want %q", c.sum, got, c.want)
		}
	}
}
