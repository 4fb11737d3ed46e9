package master

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/store"
)

// Alert mail goes through the outbox (core/mail): the health ticker
// writes each alert that came due there, for the mail settings'
// recipients and, when group alerts are on, for its group's own; one
// sender at a time then mails what waits, each set of recipients' alerts
// in one message, and takes out what the SMTP server took. What it did
// not take is tried again every alertRetryEvery, and at once when new
// alerts come, the mail settings are saved, or the console starts. An
// alert that is over by then (the server came back, the next run
// succeeded) is not sent late: the daily summary tells of it.

// alertRetryEvery is how often alert mail the SMTP server did not take
// is tried again.
const alertRetryEvery = 5 * time.Minute

// alertOutbox is the alert sender's state.
type alertOutbox struct {
	box     *mail.Outbox
	sending chan struct{} // held while the outbox is being sent
	mu      sync.Mutex
	waiting bool      // the outbox may hold alerts
	fresh   bool      // alerts came since the last try: no waiting for retry
	retry   time.Time // when alerts the server did not take are tried again
}

func newAlertOutbox(db *store.DB) alertOutbox {
	return alertOutbox{box: mail.NewOutbox(db), sending: make(chan struct{}, 1), waiting: true} // what a console stopped with
}

// tryNow makes alerts waiting in the outbox due at the next tick.
func (ob *alertOutbox) tryNow() {
	ob.mu.Lock()
	ob.retry = time.Time{}
	ob.mu.Unlock()
}

// queueAlerts writes the alerts the mail settings ask for to the outbox,
// for the settings' recipients and for each one's group's own.
func (m *Master) queueAlerts(alerts []health.Alert) {
	st, err := mail.Load(m.cfg.DB)
	if err != nil || !st.Configured() {
		return
	}
	var q []mail.Queued
	for _, a := range alerts {
		if !mailsKind(st, a.Kind) {
			continue
		}
		q = append(q, queued(a, mail.FleetSummary))
		if st.GroupAlerts && a.Row.Group != "" && st.GroupRecipients(a.Row.Group) != nil {
			q = append(q, queued(a, a.Row.Group))
		}
	}
	if len(q) == 0 {
		return
	}
	if err := m.outbox.box.Enqueue(q); err != nil {
		m.log.WithError(err).WithField("event", "mail_failed").Errorf("could not keep %s to mail: %v", human.Plural(len(q), "alert", "alerts"), err)
		return
	}
	ob := &m.outbox
	ob.mu.Lock()
	ob.waiting, ob.fresh = true, true
	ob.mu.Unlock()
}

// mailsKind: the settings mail alerts of kind.
func mailsKind(st mail.Settings, kind health.AlertKind) bool {
	switch kind {
	case health.AlertFailed:
		return st.OnFailed
	case health.AlertOverdue:
		return st.OnOverdue
	case health.AlertOffline:
		return st.OnOffline
	case health.AlertFull:
		return st.OnFull
	case health.AlertDamaged:
		return st.OnDamaged
	}
	return false
}

func queued(a health.Alert, to string) mail.Queued {
	return mail.Queued{Kind: string(a.Kind), SlaveID: a.SlaveID, Task: a.Task, To: to}
}

// mailQueued starts mailing the outbox, off the caller's goroutine, when
// something waits there and its time has come: at once for alerts that
// came since the last try, else alertRetryEvery after a try that failed.
func (m *Master) mailQueued(now time.Time) {
	ob := &m.outbox
	ob.mu.Lock()
	due := ob.waiting && (ob.fresh || !now.Before(ob.retry))
	ob.mu.Unlock()
	if !due {
		return
	}
	select {
	case ob.sending <- struct{}{}:
	default:
		return // still sending: the next tick looks again
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer func() { <-ob.sending }()
		m.sendQueued(now)
	}()
}

// sendQueued mails what waits in the outbox, one message per set of
// recipients; after a failure the rest wait for the next try. Stopping
// leaves them for the console's next start.
func (m *Master) sendQueued(now time.Time) {
	ob := &m.outbox
	ob.mu.Lock()
	ob.fresh = false
	ob.mu.Unlock()
	later := func() {
		ob.mu.Lock()
		ob.retry = now.Add(alertRetryEvery)
		ob.mu.Unlock()
	}
	q, err := ob.box.Load()
	if err != nil {
		later()
		return
	}
	snd, err := sender(m.cfg.DB, nil)
	if err != nil || len(q) > 0 && !snd.Settings.Configured() {
		later() // until the settings say where to
		return
	}
	mails, over := outboxMails(q, m.Alerting(), snd.Settings, time.Now())
	if len(over) > 0 {
		m.log.WithField("event", "mail_dropped").Infof("not mailed: %s over before the mail server took them (the daily summary tells of them)",
			human.Plural(len(over), "alert", "alerts"))
		if err := ob.box.Dequeue(over); err != nil {
			m.log.WithError(err).Warnf("could not take alerts that are over out of the outbox: %v", err)
		}
	}
	for _, om := range mails {
		if m.ctx.Err() != nil {
			return
		}
		stopping, err := m.sendTo(snd, om.to, om.msg)
		if stopping {
			return // the next start sends it
		}
		if err != nil {
			later()
			m.log.WithError(err).WithField("event", "mail_failed").Errorf("could not mail %s%s (trying again at %s): %v",
				human.Plural(len(om.queued), "alert", "alerts"), om.what, now.Add(alertRetryEvery).Local().Format("15:04"), err)
			m.mailTried(err, now.Add(alertRetryEvery))
			return
		}
		m.log.WithField("event", "mail_sent").Infof("mailed%s: %s", om.what, om.msg.Subject)
		if err := ob.box.Dequeue(om.queued); err != nil {
			m.log.WithError(err).Warnf("could not take mailed alerts out of the outbox: %v", err)
		}
		m.mailTried(nil, time.Time{})
	}
	ob.mu.Lock()
	if !ob.fresh {
		ob.waiting = false
	}
	ob.mu.Unlock()
}

// outMail is one alert message: its recipients (nil: the mail
// settings'), to whom for the log, and the queued alerts it tells of.
type outMail struct {
	to     []string
	what   string
	msg    mail.Message
	queued []mail.Queued
}

// alertID names an alert as the outbox does.
type alertID struct{ kind, slave, task string }

// outboxMails words what waits in q: one message for the settings'
// recipients, then one for each group's own, of the alerts still in force
// (inForce, as Master.Alerting has them) and of kinds the settings mail;
// over are the rest. An alert queued for a group goes to the group its
// server is in now, so a group renamed, or a server moved, while the
// mail waited does not lose it; no message tells of one alert twice.
func outboxMails(q []mail.Queued, inForce []health.Alert, st mail.Settings, now time.Time) (mails []outMail, over []mail.Queued) {
	force := make(map[alertID]health.Alert, len(inForce))
	for _, a := range inForce {
		force[alertID{string(a.Kind), a.SlaveID, backup.NameKey(a.Task)}] = a
	}
	type bucket struct {
		alerts []health.Alert
		queued []mail.Queued
		told   map[alertID]bool
	}
	buckets := map[string]*bucket{}
	for _, e := range q {
		id := alertID{e.Kind, e.SlaveID, backup.NameKey(e.Task)}
		a, ok := force[id]
		to := e.To
		if ok && to != mail.FleetSummary {
			to = a.Row.Group
			ok = st.GroupAlerts && to != "" && st.GroupRecipients(to) != nil
		}
		if !ok || !mailsKind(st, a.Kind) {
			over = append(over, e)
			continue
		}
		to = strings.ToLower(to) // one message to a group, however its entries spell it
		b := buckets[to]
		if b == nil {
			b = &bucket{told: map[alertID]bool{}}
			buckets[to] = b
		}
		b.queued = append(b.queued, e)
		if !b.told[id] {
			b.told[id] = true
			b.alerts = append(b.alerts, a)
		}
	}
	for _, to := range slices.Sorted(maps.Keys(buckets)) { // the fleet's ("") first
		b := buckets[to]
		om := outMail{msg: alertMail(b.alerts, now, to == mail.FleetSummary), queued: b.queued}
		if to != mail.FleetSummary {
			group := b.alerts[0].Row.Group
			om.to, om.what = st.GroupRecipients(group), " to "+group
		}
		mails = append(mails, om)
	}
	return mails, over
}

// alertMail words alerts: one line each, the subject naming the one or
// counting many; console adds where the console's user sees them all
// (not in a group's mail, whose readers have no console).
func alertMail(alerts []health.Alert, now time.Time, console bool) mail.Message {
	line := func(a health.Alert) string {
		switch a.Kind {
		case health.AlertOffline:
			return fmt.Sprintf("%s is offline since %s", a.Slave, health.When(a.Since, time.Local))
		case health.AlertFailed:
			return fmt.Sprintf("%s / %s failed: %s", a.Slave, a.Task, a.Row.Detail(now, time.Local))
		case health.AlertFull:
			return fmt.Sprintf("%s / %s has its destination nearly full: it %s; %s", a.Slave, a.Task, a.Row.Dest.Low(), backup.SpaceAdvice)
		case health.AlertDamaged:
			return fmt.Sprintf("%s / %s has damaged copies: %s", a.Slave, a.Task, health.DamagedWords(a.Row.LastDamaged))
		}
		return fmt.Sprintf("%s / %s is overdue: %s", a.Slave, a.Task, a.Row.Detail(now, time.Local))
	}
	var b strings.Builder
	if o, ok := health.AlertsOutage(alerts); ok {
		b.WriteString(health.OutageLine(o, false, now))
		b.WriteString("\n\n")
	}
	for _, a := range alerts {
		b.WriteString(line(a))
		b.WriteString("\n")
	}
	if console {
		b.WriteString("\nlanyard report shows the whole fleet; the Backups window (Ctrl+B) too.\n")
	}
	subject := "Lanyard: " + strings.SplitN(line(alerts[0]), ":", 2)[0]
	if len(alerts) > 1 {
		subject = fmt.Sprintf("Lanyard: %s backup alerts (%s, …)", human.Count(len(alerts)), strings.SplitN(line(alerts[0]), ":", 2)[0])
	}
	return mail.Message{Subject: subject, Text: b.String()}
}
