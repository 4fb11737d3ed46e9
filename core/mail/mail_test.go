package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	mailsmtp "github.com/wneessen/go-mail/smtp"

	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/version"
	"github.com/lanyard/lanyard/internal/freeport"
	"github.com/lanyard/lanyard/internal/smtptest"
	"github.com/lanyard/lanyard/internal/testkit"
)

func TestAMessageReachesEveryRecipientWithBothParts(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{User: "ops", Password: "s3cret"})
	s := &Sender{Settings: Settings{Server: srv.Addr, Security: SecurityNone, User: "ops", From: "lanyard@example.com",
		To: []string{"a@example.com", "b@example.com"}}, Password: "s3cret"}
	if err := s.Send(context.Background(), Message{Subject: "Backups: 1 failed of 3 tasks", Text: "FS01 / offsite failed", HTML: "<b>FS01</b>"}); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()[0]
	if m.From != "lanyard@example.com" || strings.Join(m.To, ",") != "a@example.com,b@example.com" || m.Subject() != "Backups: 1 failed of 3 tasks" {
		t.Fatalf("got %+v, subject %q", m, m.Subject())
	}
	if !strings.Contains(m.Data, "multipart/alternative") || !strings.Contains(m.Data, "text/html") || !strings.Contains(m.Data, "FS01 / offsite failed") {
		t.Fatalf("body:\n%s", m.Data)
	}
	if want := "X-Mailer: Lanyard " + version.String() + "\r\n"; !strings.Contains(m.Data, want) {
		t.Errorf("the message does not name its sender's software as %q:\n%s", want, m.Data)
	}
}

func TestTheServersRefusalIsQuoted(t *testing.T) {
	cases := []struct {
		name string
		opts smtptest.Options
		pw   string
		want string
	}{
		{"a wrong password", smtptest.Options{User: "ops", Password: "right"}, "wrong", `refused: "535 5.7.8 Authentication credentials invalid"`},
		{"a refused recipient", smtptest.Options{RefuseRcpt: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}},
			"", "No such user here"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := smtptest.Start(t, c.opts)
			user := ""
			if c.opts.User != "" {
				user = "ops"
			}
			s := &Sender{Settings: Settings{Server: srv.Addr, Security: SecurityNone, User: user, From: "l@example.com", To: []string{"x@example.com"}}, Password: c.pw}
			err := s.Send(context.Background(), Message{Subject: "test", Text: "test"})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), srv.Addr) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if c.pw != "" && strings.Contains(err.Error(), c.pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

func TestSTARTTLSIsRequiredAndChecked(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil) // for its self-signed certificate
	ts.StartTLS()
	cert := ts.TLS.Certificates[0]
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	ts.Close()
	srv := smtptest.Start(t, smtptest.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	st := Settings{Server: srv.Addr, Security: SecuritySTARTTLS, From: "l@example.com", To: []string{"x@example.com"}}
	ok := &Sender{Settings: st, TLSConfig: &tls.Config{RootCAs: roots, ServerName: "example.com"}}
	if err := ok.Send(context.Background(), Message{Subject: "over TLS", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	untrusted := &Sender{Settings: st, TLSConfig: &tls.Config{ServerName: "example.com"}}
	if err := untrusted.Send(context.Background(), Message{Subject: "x", Text: "x"}); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
	plain := smtptest.Start(t, smtptest.Options{})
	st.Server = plain.Addr
	if err := (&Sender{Settings: st}).Send(context.Background(), Message{Subject: "x", Text: "x"}); err == nil || len(plain.Messages()) != 0 {
		t.Fatalf("STARTTLS required, the server has none: %v", err)
	}
}

func TestSettingsAreCheckedAndThePasswordKeptApart(t *testing.T) {
	bad := []struct {
		name string
		s    Settings
		want string
	}{
		{"a server without a port", Settings{Server: "smtp.example.com", Security: SecurityTLS}, "give the port too"},
		{"a bad sender", Settings{Server: "smtp.example.com:587", Security: SecurityTLS, From: "nobody"}, "is not a mail address"},
		{"a bad recipient", Settings{Security: SecurityTLS, To: []string{"a@b.c", "x y"}}, `recipient "x y"`},
		{"a bad time", Settings{Security: SecurityTLS, DailyAt: "25:00"}, "not a time of day"},
		{"a bad security", Settings{Security: "ssl"}, "use none, starttls or tls"},
	}
	for _, c := range bad {
		if err := c.s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	db := testkit.Store(t, "console", store.Options{})
	s := Defaults()
	s.Server, s.From, s.To, s.User, s.DailyAt = "smtp.example.com:587", "l@example.com", []string{"a@example.com"}, "ops", "07:30"
	if err := Save(db, s); err != nil {
		t.Fatal(err)
	}
	if err := SetPassword(db, "s3cret"); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if _, err := db.GetSettings(settingsKey, &raw); err != nil || strings.Contains(strings.ToLower(strings.Join(keys(raw), ",")), "password") {
		t.Fatalf("the settings hold a password field: %v %v", raw, err)
	}
	got, _ := Load(db)
	if pw, _ := Password(db); pw != "s3cret" || got.DailyAt != "07:30" || !got.OnFailed || !HasPassword(db) {
		t.Fatalf("loaded %+v, password %q", got, pw)
	}
}

func TestSettingsStoredBeforeAnAlertKindExistedMailIt(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	old := map[string]any{"server": "smtp.example.com:587", "from": "l@example.com", "to": []string{"a@example.com"},
		"on_failed": true, "on_overdue": false, "on_offline": true}
	if err := db.PutSettings(settingsKey, old); err != nil {
		t.Fatal(err)
	}
	got, err := Load(db)
	if err != nil || !got.OnFull || got.OnOverdue || !got.OnFailed {
		t.Fatalf("loaded %+v, %v: a kind the stored settings do not name is mailed, as by default", got, err)
	}
}

// Settings stored before damaged copies had a switch of their own mailed
// them with the failures; they still do, until the switch is set.
func TestSettingsStoredBeforeTheDamagedSwitchMailDamageAsFailures(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	for _, failed := range []bool{true, false} {
		old := map[string]any{"server": "smtp.example.com:587", "from": "l@example.com", "to": []string{"a@example.com"}, "on_failed": failed}
		if err := db.PutSettings(settingsKey, old); err != nil {
			t.Fatal(err)
		}
		if got, err := Load(db); err != nil || got.OnDamaged != failed {
			t.Fatalf("failures mailed %v: loaded %+v, %v", failed, got, err)
		}
	}
	s := Defaults()
	s.OnFailed, s.OnDamaged = false, true
	if err := Save(db, s); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(db); err != nil || !got.OnDamaged || got.OnFailed {
		t.Fatalf("the switch set: loaded %+v, %v", got, err)
	}
	if got, err := Load(testkit.Store(t, "console", store.Options{})); err != nil || !got.OnDamaged {
		t.Fatalf("nothing stored: %+v, %v", got, err)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Of the calls that claim one day's summaries at once, exactly one gets
// to send them; a later slot can be claimed again, an earlier one not.
func TestADailySummaryIsClaimedOnce(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	slot := time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)
	keys := []string{FleetSummary, "Acme"}
	var mine atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := ClaimDaily(db, slot, keys)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mine.Add(1)
			}
		})
	}
	wg.Wait()
	if n := mine.Load(); n != 1 {
		t.Fatalf("%d callers claimed one slot", n)
	}
	if ok, _ := ClaimDaily(db, slot.Add(-24*time.Hour), keys); ok {
		t.Error("an earlier slot was claimed after a later one")
	}
	if ok, _ := ClaimDaily(db, slot.Add(24*time.Hour), keys[:1]); !ok {
		t.Error("the next day's slot could not be claimed")
	}
	if d, _ := LoadDaily(db); !d.Slot.Equal(slot.Add(24*time.Hour)) || !slices.Equal(d.Pending, keys[:1]) {
		t.Errorf("record %+v", d)
	}
}

// Each summary sent is struck off its slot's record, so what is left
// after a failure or a stop is sent later, and nothing twice; a late
// note of an older slot changes nothing.
func TestADailySummarySentIsStruckOff(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	slot := time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)
	if _, err := ClaimDaily(db, slot, []string{FleetSummary, "Acme", "Globex"}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Acme", FleetSummary} {
		if err := DailyDone(db, slot, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := DailyDone(db, slot.Add(-24*time.Hour), "Globex"); err != nil {
		t.Fatal(err)
	}
	if d, _ := LoadDaily(db); !d.Slot.Equal(slot) || !slices.Equal(d.Pending, []string{"Globex"}) {
		t.Fatalf("record %+v, want Globex's left", d)
	}
	if err := DailyDone(db, slot, "Globex"); err != nil {
		t.Fatal(err)
	}
	if d, _ := LoadDaily(db); len(d.Pending) != 0 {
		t.Fatalf("record %+v, want none left", d)
	}
}

// A database from a build that kept the last slot alone: that slot
// counts as sent, so the upgrade does not send the day's summary twice.
func TestTheDailySlotOfAnOlderBuildCounts(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	slot := time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)
	if err := db.PutSettings(dailySentKey, slot); err != nil {
		t.Fatal(err)
	}
	if d, _ := LoadDaily(db); !d.Slot.Equal(slot) || len(d.Pending) != 0 {
		t.Fatalf("record %+v", d)
	}
	if ok, _ := ClaimDaily(db, slot, []string{FleetSummary}); ok {
		t.Error("the slot an older build sent was claimed again")
	}
	if ok, _ := ClaimDaily(db, slot.Add(24*time.Hour), []string{FleetSummary}); !ok {
		t.Error("the next day's slot could not be claimed")
	}
}

func TestAGroupsOwnRecipients(t *testing.T) {
	s := Defaults()
	s.SetGroupTo("Acme", []string{"it@acme.example"})
	s.SetGroupTo("ACME", []string{"boss@acme.example"}) // the same group
	s.SetGroupTo("Globex", []string{"it@globex.example"})
	if len(s.GroupTo) != 2 || s.GroupTo["ACME"][0] != "boss@acme.example" {
		t.Fatalf("%v", s.GroupTo)
	}
	s.SetGroupTo("globex", nil)
	if len(s.GroupTo) != 1 {
		t.Fatalf("after removing Globex's: %v", s.GroupTo)
	}
	s.SetGroupTo("Initech", []string{"not an address"})
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), `group Initech's recipient "not an address"`) {
		t.Fatalf("a bad recipient: %v", err)
	}
}

func TestGroupRecipientsReadAsTheyAreWritten(t *testing.T) {
	in := map[string][]string{"globex": {"it@globex.example"}, "Acme": {"it@acme.example", "boss@acme.example"}}
	text := FormatGroupTo(in)
	if text != "Acme = it@acme.example, boss@acme.example; globex = it@globex.example" {
		t.Fatalf("written %q", text)
	}
	out, err := ParseGroupsTo(text + "\nInitech =") // a group with no address is left out
	if err != nil || len(out) != 2 || len(out["Acme"]) != 2 || out["globex"][0] != "it@globex.example" {
		t.Fatalf("read %v, %v", out, err)
	}
	if _, err := ParseGroupsTo("Acme it@acme.example"); err == nil {
		t.Fatal("a group without '=' was read")
	}
}

// The outbox keeps each alert once, in the order it came, and lets go
// of those taken out, counting what waits; its record outlives the
// database's closing.
func TestTheOutboxKeepsEachAlertOnceUntilTakenOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := testkit.StoreAt(t, path, "console", store.Options{})
	box := NewOutbox(db)
	a := Queued{Kind: "failed", SlaveID: "s1", Task: "docs"}
	b := Queued{Kind: "offline", SlaveID: "s2"}
	aToAcme := Queued{Kind: "failed", SlaveID: "s1", Task: "docs", To: "Acme"}
	if err := box.Enqueue([]Queued{a, aToAcme}); err != nil {
		t.Fatal(err)
	}
	if err := box.Enqueue([]Queued{b, a}); err != nil {
		t.Fatal(err)
	}
	if q, err := LoadOutbox(db); err != nil || !slices.Equal(q, []Queued{a, aToAcme, b}) {
		t.Fatalf("outbox %+v (%v), want a, a to Acme, b", q, err)
	}
	if n, err := box.Len(); n != 3 || err != nil {
		t.Fatalf("Len %d (%v), want 3", n, err)
	}
	if err := box.Dequeue([]Queued{a, b}); err != nil {
		t.Fatal(err)
	}
	if n, _ := box.Len(); n != 1 {
		t.Fatalf("after taking two out, Len %d, want 1", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = testkit.StoreAt(t, path, "console", store.Options{})
	if q, err := LoadOutbox(db); err != nil || !slices.Equal(q, []Queued{aToAcme}) {
		t.Fatalf("after reopening, outbox %+v (%v), want a to Acme alone", q, err)
	}
	if n, err := NewOutbox(db).Len(); n != 1 || err != nil {
		t.Fatalf("after reopening, Len %d (%v), want 1", n, err)
	}
}

// A send that never reached a mail server's answer says what to check,
// not the network's words: nothing listening, another program there, a
// port that wants STARTTLS rather than TLS, a server that does not
// answer in time, a name not found.
func TestAServerLackingWhatTheSettingsAskSaysWhatToChange(t *testing.T) {
	plain := smtptest.Start(t, smtptest.Options{}) // no STARTTLS, no login
	cases := []struct {
		name string
		st   Settings
		want string
	}{
		{"STARTTLS asked, none offered", Settings{Security: SecuritySTARTTLS},
			plain.Addr + " does not offer STARTTLS: choose TLS if it is port 465, or none only for a relay inside your own network"},
		{"a login given, none taken", Settings{Security: SecurityNone, User: "ops"},
			plain.Addr + ` takes no login here (user "ops"): leave the user empty if it relays mail without one`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := c.st
			st.Server, st.From, st.To = plain.Addr, "l@example.com", []string{"x@example.com"}
			err := (&Sender{Settings: st, Password: "pw-typed"}).Send(context.Background(), Message{Subject: "x", Text: "x"})
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "pw-typed") {
				t.Errorf("error %v,\nwant it to begin %q", err, c.want)
			}
		})
	}
	if n := len(plain.Messages()); n != 0 {
		t.Errorf("%d messages went through settings the server cannot honour", n)
	}
	// A login over plain SMTP to another machine is refused before the
	// password leaves (made here: loopback counts as safe).
	unencrypted := fmt.Errorf("SMTP AUTH failed: %w", mailsmtp.ErrUnencrypted)
	if err := failed(Settings{Server: "smtp.example.com:25", User: "ops"}, unencrypted); err == nil ||
		!strings.HasPrefix(err.Error(), "smtp.example.com:25 would be sent the mail password unencrypted, so it was not: choose STARTTLS") {
		t.Errorf("a login over plain SMTP: %v", err)
	}
}

func TestASendThatReachesNoMailServerSaysWhatToCheck(t *testing.T) {
	web := freeport.StartReplying(t, "HTTP/1.1 400 Bad Request\r\n\r\n") // says nothing until asked
	hangUp := freeport.StartHangUp(t)
	closed := freeport.Closed(t)
	cases := []struct {
		name   string
		server string
		sec    Security
		want   string
	}{
		{"nothing listening", closed, SecuritySTARTTLS, "nothing is listening on " + closed + ": check the mail server's address and port (mail from programs goes to port 587 with STARTTLS, or to 465 with TLS)"},
		{"no greeting in time", web.Addr(), SecuritySTARTTLS, web.Addr() + " did not answer as a mail server within 1 s: check the port"},
		{"TLS where there is none", web.Addr(), SecurityTLS, web.Addr() + " does not answer with TLS: TLS is for port 465; for port 587 choose STARTTLS"},
		{"a hang-up", hangUp.Addr(), SecurityNone, hangUp.Addr() + " closed the connection before a mail session began: check the port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Sender{Settings: Settings{Server: c.server, Security: c.sec, From: "l@example.com", To: []string{"x@example.com"}}, Timeout: time.Second}
			err := s.Send(context.Background(), Message{Subject: "x", Text: "x"})
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "dial failed") {
				t.Errorf("error %v,\nwant it to begin %q", err, c.want)
			}
		})
	}
	// A name not found (made here: the tests send nothing beyond this
	// machine, not even to a name server).
	notFound := fmt.Errorf("dial failed: %w", &net.DNSError{Err: "no such host", Name: "smtp.exmaple.com", IsNotFound: true})
	if err := unreached(Settings{Server: "smtp.exmaple.com:587"}, time.Second, notFound); err == nil ||
		err.Error() != "the mail server's name in smtp.exmaple.com:587 is not found: check its spelling" {
		t.Errorf("a name not found: %v", err)
	}
}
