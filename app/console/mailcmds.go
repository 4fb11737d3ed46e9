package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/master"
)

// The mail settings on the command line: lanyard settings set --smtp-…
// (with the other settings; settingsedit.go) and lanyard settings
// test-mail (through the running console, or on its own when none runs).

const opTestMail = "mail_test"

type mailFlags struct {
	server, security, user, from, to, daily string
	passwordStdin                           bool
	onFailed, onOverdue, onOffline, onFull  string
	onDamaged                               string
	groupAlerts                             string
	groupTo                                 []string // GROUP=ADDR[,ADDR…], each
}

var mailFlagNames = []string{"smtp-server", "smtp-security", "smtp-user", "smtp-from", "smtp-to", "smtp-password-stdin",
	"daily-report", "mail-failed", "mail-overdue", "mail-offline", "mail-full", "mail-damaged", "group-report", "group-alerts"}

func (f *mailFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.server, "smtp-server", "", "the SMTP server, HOST:PORT (587 for STARTTLS, 465 for TLS); off removes the mail settings' server")
	fl.StringVar(&f.security, "smtp-security", "", "none, starttls (default) or tls")
	fl.StringVar(&f.user, "smtp-user", "", "the SMTP login (\"\" for none)")
	fl.BoolVar(&f.passwordStdin, "smtp-password-stdin", false, "read the SMTP password from standard input (stored in console.db, owner only; never shown)")
	fl.StringVar(&f.from, "smtp-from", "", "the sender's address")
	fl.StringVar(&f.to, "smtp-to", "", "the recipients, ADDR[,ADDR…]")
	fl.StringVar(&f.daily, "daily-report", "", "mail the daily backup summary at HH:MM, or off")
	fl.StringArrayVar(&f.groupTo, "group-report", nil, "GROUP=ADDR[,ADDR…]: also mail that group's own daily summary to these addresses (GROUP= stops it); repeat for more groups")
	fl.StringVar(&f.groupAlerts, "group-alerts", "", "on: each --group-report group's recipients also get its servers' alerts as they come due (default off)")
	fl.StringVar(&f.onFailed, "mail-failed", "", "mail each failed backup: on or off (default on)")
	fl.StringVar(&f.onOverdue, "mail-overdue", "", "mail each overdue backup: on or off (default on)")
	fl.StringVar(&f.onOffline, "mail-offline", "", "mail each slave offline past its grace: on or off (default on)")
	fl.StringVar(&f.onFull, "mail-full", "", "mail each backup destination nearly full: on or off (default on)")
	fl.StringVar(&f.onDamaged, "mail-damaged", "", "mail each backup task with copies found damaged: on or off (default on)")
}

func (f *mailFlags) changed(cmd *cobra.Command) bool {
	for _, n := range mailFlagNames {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// edit is the change to the mail settings the flags ask for.
func (f *mailFlags) edit(cmd *cobra.Command) (*mailEdit, error) {
	var ed mailEdit
	fl := cmd.Flags()
	trimmed := func(flag, v string, dst **string) {
		if fl.Changed(flag) {
			v = strings.TrimSpace(v)
			if v == "off" && (flag == "smtp-server" || flag == "daily-report") {
				v = ""
			}
			*dst = &v
		}
	}
	trimmed("smtp-server", f.server, &ed.Server)
	trimmed("smtp-user", f.user, &ed.User)
	trimmed("smtp-from", f.from, &ed.From)
	trimmed("daily-report", f.daily, &ed.DailyAt)
	if fl.Changed("smtp-security") {
		sec, err := mail.ParseSecurity(f.security)
		if err != nil {
			return nil, cmdline.Usage(err)
		}
		ed.Security = &sec
	}
	if fl.Changed("smtp-to") {
		to := mail.SplitAddresses(f.to)
		ed.To = &to
	}
	for _, gt := range f.groupTo {
		g, to, err := mail.ParseGroupTo(gt)
		if err != nil {
			return nil, cmdline.Usagef("--group-report %v", err)
		}
		if ed.GroupTo == nil {
			ed.GroupTo = map[string][]string{}
		}
		ed.GroupTo[g] = to
	}
	for _, b := range []struct {
		flag, val string
		dst       **bool
	}{{"mail-failed", f.onFailed, &ed.OnFailed}, {"mail-overdue", f.onOverdue, &ed.OnOverdue}, {"mail-offline", f.onOffline, &ed.OnOffline},
		{"mail-full", f.onFull, &ed.OnFull}, {"mail-damaged", f.onDamaged, &ed.OnDamaged},
		{"group-alerts", f.groupAlerts, &ed.GroupAlerts}} {
		if !fl.Changed(b.flag) {
			continue
		}
		v, err := cmdline.ParseOnOff("--"+b.flag, b.val)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, cmdline.Usagef("--%s: give on or off", b.flag)
		}
		*b.dst = v
	}
	return &ed, nil
}

// mailJSON is the mail settings in settings show --json: whether a
// password is stored, never the password.
type mailJSON struct {
	mail.Settings
	PasswordStored bool `json:"password_stored"`
	// Status is how mail is getting through, from a running console.
	Status *master.MailStatus `json:"status,omitempty"`
}

// printMail prints the mail settings (never the password) to tw, a
// table of two columns.
func printMail(tw io.Writer, m mailJSON) {
	s := m.Settings
	if s.Server == "" {
		fmt.Fprintf(tw, "mail\toff (lanyard settings set --smtp-server HOST:PORT --smtp-from ADDR --smtp-to ADDR)\n")
		return
	}
	login := "none"
	if s.User != "" {
		login = s.User
		if m.PasswordStored {
			login += " (password stored)"
		} else {
			login += " (no password stored)"
		}
	}
	onOff := map[bool]string{true: "on", false: "off"}
	fmt.Fprintf(tw, "smtp server\t%s (%s)\n", s.Server, s.Security)
	fmt.Fprintf(tw, "smtp login\t%s\n", login)
	fmt.Fprintf(tw, "mail from\t%s\n", cmdline.OrDash(s.From))
	fmt.Fprintf(tw, "mail to\t%s\n", cmdline.OrDash(strings.Join(s.To, ", ")))
	fmt.Fprintf(tw, "alerts mailed\tfailed %s, overdue %s, offline %s, destination nearly full %s, damaged copies %s\n",
		onOff[s.OnFailed], onOff[s.OnOverdue], onOff[s.OnOffline], onOff[s.OnFull], onOff[s.OnDamaged])
	fmt.Fprintf(tw, "daily report\t%s\n", map[bool]string{true: "off", false: "at " + s.DailyAt}[s.DailyAt == ""])
	for _, g := range slices.Sorted(maps.Keys(s.GroupTo)) {
		fmt.Fprintf(tw, "group report\t%s to %s\n", g, strings.Join(s.GroupTo[g], ", "))
	}
	if len(s.GroupTo) > 0 {
		fmt.Fprintf(tw, "group alerts\t%s\n", map[bool]string{true: "on: each group's recipients get its alerts too", false: "off"}[s.GroupAlerts])
	}
	if m.Status != nil {
		fmt.Fprintf(tw, "mail status\t%s\n", mailStatusText(*m.Status))
	}
}

// mailStatusText is how mail is getting through, in a line: "ok", or
// since when it is not, why, and what waits for the next try.
func mailStatusText(ms master.MailStatus) string {
	if !ms.Failing {
		return "ok"
	}
	text := fmt.Sprintf("NOT getting through since %s: %s", ms.Since.Local().Format("15:04"), ms.Error)
	if w := ms.Waiting(); w != "" {
		text += fmt.Sprintf("; %s waiting, tried again at %s", w, ms.NextTry.Local().Format("15:04"))
	}
	return text
}

func testMailCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "test-mail",
		Short: "Send a test message with the mail settings",
		Long: `Send a test message to the mail settings' recipients and say whether the
server took it, or quote its refusal. Through the running console, or on
its own when none runs.`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			msg, err := e.testMail(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, msg)
			return nil
		},
	}
}

func (e *env) testMail(ctx context.Context) (string, error) {
	r, err := e.call(ctx, ctlRequest{Op: opTestMail}, nil)
	if err == nil {
		return strings.Join(r.Changes, "\n"), nil
	}
	var nc errNoConsole
	if !errors.As(err, &nc) {
		return "", err
	}
	db, err := e.openDB(nil)
	if err != nil {
		return "", err
	}
	defer db.Close()
	return master.TestMail(ctx, db, nil, nil)
}
