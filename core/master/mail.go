package master

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/store"
)

// Mail: alerts as they come due (each kind switchable; alertmail.go),
// the daily summary at the chosen time, a report on demand and a test
// message, all through the SMTP server in the mail settings (core/mail).
// Sending runs off the health ticker's goroutine; a failure is logged
// with the server's words, and an alert or a daily summary it kept back
// is tried again.

// mailTimeout bounds one send.
const mailTimeout = 60 * time.Second

// dailyLate is how late after its time a daily summary is still sent (the
// console was not running at the time).
const dailyLate = 12 * time.Hour

// EventMail: how mail is getting through changed (MailStatus); only
// subscribers see it.
const EventMail = "mail"

// MailStatus is how the console's mail is getting through: whether the
// last alert or daily summary it tried was refused or could not be
// delivered, and what waits to be sent.
type MailStatus struct {
	Failing bool      `json:"failing"`
	Error   string    `json:"error,omitempty"`   // the mail server's refusal, or why it was not reached
	Since   time.Time `json:"since,omitzero"`    // the first of the failures in a row
	NextTry time.Time `json:"next_try,omitzero"` // when what failed is tried again
	Alerts  int       `json:"alerts_waiting"`    // alerts waiting in the outbox
	Daily   int       `json:"summaries_waiting"` // the day's summaries not sent yet
}

// Waiting is what waits to be sent, "3 alerts and 1 daily summary"; ""
// for nothing.
func (s MailStatus) Waiting() string {
	var waiting []string
	if s.Alerts > 0 {
		waiting = append(waiting, human.Plural(s.Alerts, "alert", "alerts"))
	}
	if s.Daily > 0 {
		waiting = append(waiting, human.Plural(s.Daily, "daily summary", "daily summaries"))
	}
	return human.List(waiting, len(waiting))
}

// mailFailure is the failing part of MailStatus, kept in memory.
type mailFailure struct {
	mu      sync.Mutex
	err     string
	since   time.Time
	nextTry time.Time
}

// MailStatus is how the console's mail is getting through now.
func (m *Master) MailStatus() MailStatus {
	f := &m.mailFailure
	f.mu.Lock()
	st := MailStatus{Failing: f.err != "", Error: f.err, Since: f.since, NextTry: f.nextTry}
	f.mu.Unlock()
	if n, err := m.outbox.box.Len(); err == nil {
		st.Alerts = n
	}
	if d, err := mail.LoadDaily(m.cfg.DB); err == nil {
		st.Daily = len(d.Pending)
	}
	return st
}

// mailTried notes how a try to send an alert or a daily summary went
// (err nil: the server took it), and publishes EventMail when that
// changes what MailStatus says, or again each time it fails.
func (m *Master) mailTried(err error, nextTry time.Time) {
	f := &m.mailFailure
	now := time.Now()
	f.mu.Lock()
	was := f.err != ""
	switch {
	case err != nil:
		if !was {
			f.since = now
		}
		f.err, f.nextTry = err.Error(), nextTry
	case was:
		f.err, f.since, f.nextTry = "", time.Time{}, time.Time{}
	}
	changed := err != nil || was
	f.mu.Unlock()
	if changed {
		m.hub.publish(Event{Time: now, Kind: EventMail})
	}
}

// MailSettings are the console's mail settings (never the password), and
// whether a password is stored.
func (m *Master) MailSettings() (mail.Settings, bool, error) {
	s, err := mail.Load(m.cfg.DB)
	return s, mail.HasPassword(m.cfg.DB), err
}

// SetMailSettings validates and saves the mail settings; password, when
// not nil, replaces the stored SMTP password ("" removes it).
func (m *Master) SetMailSettings(s mail.Settings, password *string) error {
	if err := mail.Save(m.cfg.DB, s); err != nil {
		return err
	}
	if password != nil {
		if err := mail.SetPassword(m.cfg.DB, *password); err != nil {
			return err
		}
	}
	m.log.WithField("event", "mail_settings").Infof("mail settings saved: server %s, %s, daily summary %s",
		orNone(s.Server), human.Plural(len(s.To), "recipient", "recipients"), orNone(s.DailyAt))
	m.RetryMail() // the settings may be what kept it back
	return nil
}

// RetryMail makes what the mail server did not take (alerts, the day's
// summaries) due at the next tick, within healthTick, instead of at its
// next try: the server is back, or its settings were mended.
func (m *Master) RetryMail() {
	m.outbox.tryNow()
	m.dailyRetry.Store(0)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sender is a Sender with the stored settings, or s when given.
func sender(db *store.DB, s *mail.Settings) (*mail.Sender, error) { return senderWith(db, s, nil) }

// senderWith is sender with password instead of the stored one when not
// nil.
func senderWith(db *store.DB, s *mail.Settings, password *string) (*mail.Sender, error) {
	st, err := mail.Load(db)
	if err != nil {
		return nil, err
	}
	if s != nil {
		st = *s
	}
	if password != nil {
		return &mail.Sender{Settings: st, Password: *password}, nil
	}
	pw, err := mail.Password(db)
	if err != nil {
		return nil, err
	}
	return &mail.Sender{Settings: st, Password: pw}, nil
}

// TestMail sends a test message with s and password (the stored ones
// when nil) and reports success or the server's refusal. One sent the
// way the stored settings send got through: MailStatus no longer says
// mail is failing, and what waits is due at once (RetryMail).
func (m *Master) TestMail(ctx context.Context, s *mail.Settings, password *string) (string, error) {
	msg, err := TestMail(ctx, m.cfg.DB, s, password)
	if err == nil && password == nil && m.sendsAsStored(s) {
		m.mailTried(nil, time.Time{}) // the server takes mail again
		m.RetryMail()
	}
	return msg, err
}

// sendsAsStored: mail sent with s (nil: the stored settings) goes the
// way the stored settings send it.
func (m *Master) sendsAsStored(s *mail.Settings) bool {
	if s == nil {
		return true
	}
	stored, err := mail.Load(m.cfg.DB)
	return err == nil && s.SendsAs(stored)
}

// TestMail is Master.TestMail on a console's database (no console
// running).
func TestMail(ctx context.Context, db *store.DB, s *mail.Settings, password *string) (string, error) {
	snd, err := senderWith(db, s, password)
	if err != nil {
		return "", err
	}
	host, _ := os.Hostname()
	msg := mail.Message{Subject: "Lanyard test message",
		Text: fmt.Sprintf("This is a test message from the Lanyard console on %s.\n\nIf you can read it, the console can send its alerts and the daily backup summary.\n", host)}
	ctx, cancel := context.WithTimeout(ctx, mailTimeout)
	defer cancel()
	if err := snd.Send(ctx, msg); err != nil {
		return "", err
	}
	return fmt.Sprintf("test message sent through %s to %s", snd.Settings.Server, strings.Join(snd.Settings.To, ", ")), nil
}

// reportMail is the report as a mail: subject, text and HTML.
func reportMail(r health.Report, title string) mail.Message {
	var text, html bytes.Buffer
	_ = r.WriteText(&text, time.Local)
	_ = r.WriteHTML(&html, time.Local)
	return mail.Message{Subject: title + r.Subject(), Text: text.String(), HTML: html.String()}
}

// SendReport mails the backup report now (lanyard report --send): the
// fleet's, to the mail settings' recipients; or, given a group, that
// group's servers alone (a customer's report), to the group's own
// recipients (Group summaries), or to the settings' when it has none.
func (m *Master) SendReport(ctx context.Context, since time.Duration, group string) (string, error) {
	snd, err := sender(m.cfg.DB, nil)
	if err != nil {
		return "", err
	}
	rows, views, now := m.BackupRows(), m.Slaves(), time.Now()
	var r health.Report
	what := "report"
	switch {
	case group == "":
		r = health.NewReport(rows, now, since)
		r.NeverLinked = NeverLinkedNotes(views, nil)
	case !slices.ContainsFunc(views, func(v SlaveView) bool { return strings.EqualFold(v.Group, group) }):
		return "", NoServerIn(group)
	default:
		r, _ = groupReport(rows, views, group, now, since)
		if own := snd.Settings.GroupRecipients(r.Scope); own != nil {
			snd.Settings.To = own
		}
		what = "report of " + r.Scope
	}
	ctx, cancel := context.WithTimeout(ctx, mailTimeout)
	defer cancel()
	if err := snd.Send(ctx, reportMail(r, "Lanyard report: ")); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s sent to %s", what, strings.Join(snd.Settings.To, ", ")), nil
}

// groupReport is the report of group's servers alone, of rows and views
// (every slave, for those that never linked), the group named as its
// entries spell it; some is whether it has anything to say (a task, or
// a server that never linked).
func groupReport(rows []BackupRow, views []SlaveView, group string, now time.Time, since time.Duration) (r health.Report, some bool) {
	var mine []BackupRow
	for _, row := range rows {
		if strings.EqualFold(row.Group, group) {
			mine = append(mine, row)
		}
	}
	ofGroup := func(v *SlaveView) bool { return strings.EqualFold(v.Group, group) }
	never := NeverLinkedNotes(views, ofGroup)
	r = health.NewReport(mine, now, since)
	r.NeverLinked, r.Scope = never, group
	for i := range views {
		if ofGroup(&views[i]) {
			r.Scope = views[i].Group // as the entries spell it
			break
		}
	}
	return r, len(mine) > 0 || len(never) > 0
}

// dailyDue sends the day's summaries when their time has come: those of
// the day's slot not sent yet. One that fails (the SMTP server is down)
// is tried again every dailyRetryEvery until dailyLate after its time;
// the record in the database carries what is left over a restart.
func (m *Master) dailyDue(now time.Time) {
	st, err := mail.Load(m.cfg.DB)
	if err != nil || st.DailyAt == "" || !st.Configured() {
		return
	}
	slot, ok := dailySlot(st.DailyAt, now)
	if !ok || now.Sub(slot) > dailyLate {
		return // not yet, or too late today: the next one is tomorrow
	}
	select {
	case m.daily <- struct{}{}:
	default:
		return // still sending
	}
	held := true
	defer func() {
		if held {
			<-m.daily
		}
	}()
	if now.UnixNano() < m.dailyRetry.Load() {
		return
	}
	d, err := mail.LoadDaily(m.cfg.DB)
	if err == nil && d.Slot.Before(slot) {
		if _, err = mail.ClaimDaily(m.cfg.DB, slot, dailyKeys(st)); err == nil {
			d, err = mail.LoadDaily(m.cfg.DB)
		}
	}
	if err != nil || !d.Slot.Equal(slot) || len(d.Pending) == 0 {
		return
	}
	snd, err := sender(m.cfg.DB, &st)
	if err != nil {
		return
	}
	mails := dailyMails(m.BackupRows(), m.Slaves(), now, st, d.Pending)
	held = false // the sending goroutine lets go
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer func() { <-m.daily }()
		m.sendDaily(snd, now, slot, mails)
	}()
}

// dailyRetryEvery is how often a daily summary the SMTP server did not
// take is tried again.
const dailyRetryEvery = 10 * time.Minute

// dailySlot is the time of today's summary, and whether now is past it.
func dailySlot(at string, now time.Time) (time.Time, bool) {
	h, mi, err := mail.ParseClock(at)
	if err != nil {
		return time.Time{}, false
	}
	local := now.Local()
	slot := time.Date(local.Year(), local.Month(), local.Day(), h, mi, 0, 0, time.Local)
	return slot, !local.Before(slot)
}

// dailyKeys names the day's summaries: the fleet's and each group's with
// recipients of its own.
func dailyKeys(st mail.Settings) []string {
	return append([]string{mail.FleetSummary}, slices.Sorted(maps.Keys(st.GroupTo))...)
}

// sendDaily sends mails, one after another, noting each one sent; after
// a failure the rest wait for the next try, dailyRetryEvery after now.
// Stopping leaves them for the console's next start.
func (m *Master) sendDaily(snd *mail.Sender, now, slot time.Time, mails []dailyMail) {
	for _, dm := range mails {
		if m.ctx.Err() != nil {
			return
		}
		if dm.msg.Subject != "" {
			stopping, err := m.sendTo(snd, dm.to, dm.msg)
			if stopping {
				return // the next start sends it
			}
			if err != nil {
				retry := now.Add(dailyRetryEvery)
				m.dailyRetry.Store(retry.UnixNano())
				m.log.WithError(err).WithField("event", "mail_failed").Errorf("could not mail the daily summary%s (trying again at %s): %v",
					dm.what, retry.Local().Format("15:04"), err)
				m.mailTried(err, retry)
				return
			}
			m.log.WithField("event", "mail_sent").Infof("daily summary%s mailed: %s", dm.what, dm.msg.Subject)
		}
		if err := mail.DailyDone(m.cfg.DB, slot, dm.key); err != nil {
			m.log.WithError(err).Warnf("could not note the daily summary%s as sent: %v", dm.what, err)
		}
		if dm.msg.Subject != "" {
			m.mailTried(nil, time.Time{})
		}
	}
}

// sendTo sends msg through snd to to (nil: the mail settings'
// recipients), within mailTimeout; stopping: the console stopped
// meanwhile, and err says nothing of the mail server.
func (m *Master) sendTo(snd *mail.Sender, to []string, msg mail.Message) (stopping bool, err error) {
	s := *snd
	if to != nil {
		s.Settings.To = to
	}
	ctx, cancel := context.WithTimeout(m.ctx, mailTimeout)
	defer cancel()
	err = s.Send(ctx, msg)
	return err != nil && m.ctx.Err() != nil, err
}

// dailyMail is one daily summary and its recipients (nil: the mail
// settings'). A group with no task has none to send (no subject).
type dailyMail struct {
	key  string // its name in the daily record (mail.Daily)
	to   []string
	what string // " of Acme" for a group's, for the log
	msg  mail.Message
}

// dailyMails are the day's summaries named by keys (mail.Daily.Pending):
// the fleet's, to the mail settings' recipients, and each group's with
// recipients of its own, of that group's servers alone (views: every
// slave, for those that never linked).
func dailyMails(rows []BackupRow, views []SlaveView, now time.Time, st mail.Settings, keys []string) []dailyMail {
	var out []dailyMail
	for _, key := range keys {
		if key == mail.FleetSummary {
			r := health.NewReport(rows, now, 24*time.Hour)
			r.NeverLinked = NeverLinkedNotes(views, nil)
			out = append(out, dailyMail{key: key, msg: reportMail(r, "Lanyard daily report: ")})
			continue
		}
		dm := dailyMail{key: key, what: " of " + key, to: st.GroupRecipients(key)}
		if dm.to == nil {
			out = append(out, dm) // no longer in the settings: none to send
			continue
		}
		if r, some := groupReport(rows, views, key, now, 24*time.Hour); some {
			dm.what, dm.msg = " of "+r.Scope, reportMail(r, "Lanyard daily report: ")
		}
		out = append(out, dm)
	}
	return out
}
