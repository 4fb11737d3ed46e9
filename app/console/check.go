package console

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire"
)

// lanyard check: the fleet as a monitoring system reads it (Nagios,
// Icinga, Checkmk, Zabbix, PRTG and the like run plugins of this form):
// one status line with performance data, the alerts in force below it,
// and the exit code 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. It says what
// the console's own alerts say, through the running console: an outage
// or a failed backup past the alert grace is CRITICAL, an overdue backup
// WARNING, and so are a destination that may not take the next runs and
// mail that is not getting through (in a check of the whole fleet: the
// alerts then reach nobody by mail).

const opCheck = "check"

// A monitoring plugin's states, which are its exit codes.
const (
	checkOK       = 0
	checkWarning  = 1
	checkCritical = 2
	checkUnknown  = 3
)

var checkWords = [...]string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}

// check answers opCheck: the console counts its slaves, tasks and alerts
// (of req.Group's and req.Slave's only, when given) and sends the result
// alone, not the fleet's every row, however often a monitoring system
// asks.
func (h *ctlHandler) check(req *ctlRequest) ctlResponse {
	res, err := newCheckResult(h.m.Slaves(), h.m.BackupRows(), h.m.Alerting(), fleetScope{group: req.Group, slave: req.Slave}, time.Now())
	if err != nil {
		return failure(err)
	}
	if st, _, err := h.m.MailSettings(); err == nil && st.Configured() && req.Group == "" && req.Slave == "" {
		res.withMail(h.m.MailStatus())
	}
	return ctlResponse{Check: res}
}

func checkCmd(e *env) *cobra.Command {
	var group, slave string
	cmd := &cobra.Command{
		Use:   "check [--group G] [--slave NAME]",
		Short: "The fleet's state for a monitoring system: one line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
		Long: `Print the fleet's state as monitoring plugins do (Nagios, Icinga,
Checkmk, Zabbix, PRTG): a status line with performance data, then each
alert in force, and exit 0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN. It
says what the console's alerts say: a server offline, or a backup failed,
for longer than the alert grace is CRITICAL; a backup overdue is WARNING,
and so are a task's destination that may not take its next runs
(dest_full= counts them), a server that keeps refusing another agent
under its name (a copy of it, as a cloned VM is, or a second
installation), one that never linked because it refuses this console (a
wrong password; error= counts every server in error) and the console's
mail not getting through (in a check of the whole fleet, with mail set
up; mail_waiting counts what waits). A
server whose alerts are muted (slave mute) raises none until its mute
ends; muted= counts them. A run that completed with warnings (a file it
could not read) raises none either; warned= counts those tasks, and
never_linked= the servers that never linked (whose backups nobody
watches; only those refusing this console are a WARNING). --group
checks one group (one customer) only, --slave one server (for a
monitoring system that has a service per server). It asks the running
console; when none runs, nobody is watching the fleet, and the check is
UNKNOWN. Mistakes in the command are UNKNOWN too, as monitoring expects.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return checkFailed(e.stdout, fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := e.call(cmd.Context(), ctlRequest{Op: opCheck, Group: group, Slave: slave}, nil)
			if err != nil {
				var nc errNoConsole
				if errors.As(err, &nc) {
					err = errors.New("no console is running with this data directory, so no server is watched: start it (lanyard, or lanyard serve)")
				}
				return checkFailed(e.stdout, err)
			}
			res := r.Check
			if res == nil || res.Code < checkOK || res.Code > checkUnknown {
				return checkFailed(e.stdout, errors.New("the console's answer holds no check: restart it so that it runs this version"))
			}
			res.write(e.stdout, time.Now())
			if res.Code == checkOK {
				return nil
			}
			return &cmdline.CodeError{Code: res.Code, Err: errors.New(checkWords[res.Code]), Quiet: true}
		},
	}
	cmd.Flags().StringVar(&group, "group", "", "check only the servers of this group (case does not matter)")
	cmd.Flags().StringVar(&slave, "slave", "", "check only this server (case does not matter)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return checkFailed(e.stdout, err) })
	return cmd
}

// checkFailed prints an UNKNOWN status line for err and ends the check
// with its exit code.
func checkFailed(w io.Writer, err error) error {
	fmt.Fprintf(w, "LANYARD UNKNOWN - %s\n", err)
	return &cmdline.CodeError{Code: checkUnknown, Err: err, Quiet: true}
}

// checkResult is what a check found; the console sends it as it is.
type checkResult struct {
	Code      int `json:"code"`
	Servers   int `json:"servers"`
	Connected int `json:"connected"`
	Offline   int `json:"offline"`
	Errors    int `json:"errors"`
	// Disconnected counts the servers the user disconnected: not
	// watched, and their tasks not in Tasks and Backup.
	Disconnected int `json:"disconnected"`
	// Muted counts the servers whose alerts the user muted: watched, and
	// their tasks counted, but none of their alerts in Alerts.
	Muted  int            `json:"muted"`
	Tasks  int            `json:"tasks"`
	Backup health.Counts  `json:"backup"`
	Alerts []health.Alert `json:"alerts,omitempty"`
	// States is the link's state of each slave an outage alert names, by
	// its name in lower case.
	States map[string]master.State `json:"states,omitempty"`
	// Mail is how the console's mail is getting through, in a check of
	// the whole fleet by a console that mails.
	Mail *master.MailStatus `json:"mail,omitempty"`
	// Full says of each task whose destination may not take the next
	// runs (of a server not muted) how it is short of room.
	Full []string `json:"full,omitempty"`
	// Rivals names each server (not muted) that keeps refusing another
	// agent under its name, a copy of itself or a second installation,
	// as the window's Needs a look does.
	Rivals []string `json:"rivals,omitempty"`
	// Refusing names each server (not muted) that has never linked to
	// this console because it answers and refuses it (a wrong password,
	// another certificate, SSL on one end only), with why: no outage
	// alert is raised for a server that never linked, yet it needs a
	// person, as the window's Needs a look says.
	Refusing []string `json:"refusing,omitempty"`
	// Warned counts the tasks whose last run completed with warnings
	// other than damaged copies (a file it could not read): no alert,
	// and so no WARNING, but performance data a monitoring system may
	// put a threshold on.
	Warned int `json:"warned"`
	// NeverLinked counts the servers that never linked to this console
	// (master.SlaveView.NeverLinked): none of their tasks is known, so
	// their backups are not watched.
	NeverLinked int `json:"never_linked"`
}

// withMail adds how mail is getting through: mail that does not is a
// warning, as alerts then reach nobody.
func (c *checkResult) withMail(ms master.MailStatus) {
	c.Mail = &ms
	if ms.Failing {
		c.Code = max(c.Code, checkWarning)
	}
}

// newCheckResult counts the slaves, the tasks and the alerts in force in
// scope.
func newCheckResult(views []master.SlaveView, rows []health.Row, alerts []health.Alert, scope fleetScope, now time.Time) (*checkResult, error) {
	res := &checkResult{States: map[string]master.State{}}
	for _, a := range alerts {
		if !scope.in(a.Slave, a.Row.Group) || a.Kind == health.AlertFull {
			continue // a full destination is counted from the rows, below
		}
		res.Alerts = append(res.Alerts, a)
		if a.Kind == health.AlertOverdue || a.Kind == health.AlertDamaged {
			res.Code = max(res.Code, checkWarning)
		} else {
			res.Code = checkCritical
		}
		if a.Kind == health.AlertOffline {
			res.States[strings.ToLower(a.Slave)] = ""
		}
	}
	for i := range views {
		v := &views[i]
		if !scope.in(v.Name, v.Group) {
			continue
		}
		res.Servers++
		if v.NeverLinked() {
			res.NeverLinked++
		}
		if v.MutedUntil.After(now) {
			res.Muted++
		} else if v.State != master.StateDisabled && v.Rival.Current(now) {
			res.Rivals = append(res.Rivals, v.Name+": "+v.Rival.Line(now))
			res.Code = max(res.Code, checkWarning)
		}
		if _, named := res.States[strings.ToLower(v.Name)]; named {
			res.States[strings.ToLower(v.Name)] = v.State
		} else if v.State == master.StateError && v.NeverLinked() && !v.MutedUntil.After(now) {
			res.Refusing = append(res.Refusing, v.Name+": never linked: "+strings.Join(strings.Fields(v.LastError), " "))
			res.Code = max(res.Code, checkWarning)
		}
		switch v.State {
		case master.StateConnected:
			res.Connected++
		case master.StateOffline:
			res.Offline++
		case master.StateError:
			res.Errors++
		case master.StateDisabled:
			res.Disconnected++
		}
	}
	if res.Servers == 0 {
		if err := scope.empty(); err != nil {
			return nil, err
		}
	}
	for _, row := range rows {
		if !scope.in(row.Slave, row.Group) || row.Disconnected {
			continue
		}
		res.Tasks++
		res.Backup.Add(row.State, 1)
		if row.Warned() {
			res.Warned++
		}
		if low := row.Dest.Low(); low != "" && !row.MutedUntil.After(now) {
			res.Full = append(res.Full, fmt.Sprintf("%s / %s: the destination %s", row.Slave, row.Task, low))
			res.Code = max(res.Code, checkWarning)
		}
	}
	return res, nil
}

// write prints the status line, with the performance data after "|",
// then one line per alert.
func (c *checkResult) write(w io.Writer, now time.Time) {
	var news []string
	var failed, overdue, damaged, down int
	for _, a := range c.Alerts {
		switch a.Kind {
		case health.AlertFailed:
			failed++
		case health.AlertOverdue:
			overdue++
		case health.AlertDamaged:
			damaged++
		default:
			down++
		}
	}
	if down > 0 {
		news = append(news, human.Plural(down, "server offline", "servers offline"))
	}
	if failed > 0 {
		news = append(news, human.Plural(failed, "backup failed", "backups failed"))
	}
	if overdue > 0 {
		news = append(news, human.Plural(overdue, "backup overdue", "backups overdue"))
	}
	if damaged > 0 {
		news = append(news, human.Plural(damaged, "backup with damaged copies", "backups with damaged copies"))
	}
	if len(c.Full) > 0 {
		news = append(news, health.NearlyFull(len(c.Full)))
	}
	if len(c.Rivals) > 0 {
		news = append(news, human.Plural(len(c.Rivals), "server claimed by another agent", "servers claimed by another agent"))
	}
	if len(c.Refusing) > 0 {
		news = append(news, human.Plural(len(c.Refusing), "server refusing this console", "servers refusing this console"))
	}
	servers := fmt.Sprintf("%s, %s connected", human.Plural(c.Servers, "server", "servers"), human.Count(c.Connected))
	if c.Disconnected > 0 {
		servers += ", " + human.Count(c.Disconnected) + " disconnected"
	}
	if c.Muted > 0 {
		servers += ", " + human.Count(c.Muted) + " muted"
	}
	if c.Mail != nil && c.Mail.Failing {
		news = append(news, "mail not getting through")
	}
	summary := servers + "; " + human.Plural(c.Tasks, "backup task", "backup tasks")
	if len(news) > 0 {
		summary = strings.Join(news, ", ") + "; " + summary
	}
	perf := fmt.Sprintf("servers=%d connected=%d offline=%d error=%d disconnected=%d muted=%d tasks=%d failed=%d overdue=%d dest_full=%d warned=%d never_linked=%d",
		c.Servers, c.Connected, c.Offline, c.Errors, c.Disconnected, c.Muted, c.Tasks, c.Backup.Failed, c.Backup.Overdue, len(c.Full), c.Warned,
		c.NeverLinked)
	if c.Mail != nil {
		perf += fmt.Sprintf(" mail_waiting=%d", c.Mail.Alerts+c.Mail.Daily)
	}
	fmt.Fprintf(w, "LANYARD %s - %s | %s\n", checkWords[c.Code], summary, perf)
	if c.Mail != nil && c.Mail.Failing {
		fmt.Fprintf(w, "mail: %s\n", mailStatusText(*c.Mail))
	}
	if o, ok := health.AlertsOutage(c.Alerts); ok {
		fmt.Fprintln(w, health.OutageLine(o, false, now))
	}
	for _, a := range c.Alerts {
		line := alertLine(a, now)
		switch st := c.States[strings.ToLower(a.Slave)]; {
		case a.Kind != health.AlertOffline:
		case st == master.StateError:
			line += ", now in error: it answers but refuses this console"
		case st == master.StateConnecting:
			line += ", now connecting"
		}
		fmt.Fprintln(w, line)
	}
	for _, line := range c.Full {
		fmt.Fprintln(w, line)
	}
	for _, line := range c.Rivals {
		fmt.Fprintln(w, line)
	}
	for _, line := range c.Refusing {
		fmt.Fprintln(w, line)
	}
}

// alertLine is one alert in force, for a person reading the check's
// details.
func alertLine(a health.Alert, now time.Time) string {
	since := "since " + human.Ago(a.Since, now)
	if a.Since.IsZero() {
		since = "since before this console started"
	}
	switch a.Kind {
	case health.AlertOffline:
		return fmt.Sprintf("%s: offline %s", a.Slave, since)
	case health.AlertFailed:
		// The agent's words, quoted: a line of theirs is not the check's.
		return fmt.Sprintf("%s / %s: failed %s: %s", a.Slave, a.Task, since, wire.Quote(a.Row.LastError))
	case health.AlertDamaged:
		return fmt.Sprintf("%s / %s: damaged copies %s: %s", a.Slave, a.Task, since, health.DamagedWords(a.Row.LastDamaged))
	default:
		last := "never"
		if !a.Row.LastSuccess.IsZero() {
			last = human.Ago(a.Row.LastSuccess, now)
		}
		return fmt.Sprintf("%s / %s: overdue %s, last success %s", a.Slave, a.Task, since, last)
	}
}
