package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/internal/smtptest"
)

// reportTask is one task of lanyard report --format json.
type reportTask struct {
	Slave, Task, State   string
	LastResult           string     `json:"last_result"`
	LastRun              *time.Time `json:"last_run"`
	LastSuccess          *time.Time `json:"last_success"`
	FailuresSinceSuccess int        `json:"failures_since_success"`
	NextRun              *time.Time `json:"next_run"`
}

func readReport(t *testing.T, out string) map[string]reportTask {
	t.Helper()
	tasks := map[string]reportTask{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r reportTask
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("report line %q: %v\n%s", line, err, out)
		}
		tasks[r.Slave+"/"+r.Task] = r
	}
	return tasks
}

func TestTheFleetsBackupHealthIsReportedAndMailed(t *testing.T) {
	const mailPassword = "mail-s3cret-9"
	srv := smtptest.Start(t, smtptest.Options{User: "ops", Password: mailPassword})
	f := newFleet(t, true)
	_, addr := f.agent("FS01", "pw-health", true, true)
	f.addSlave("FS01", "pw-health", addr)
	cli := func(stdin string, args ...string) (string, int) {
		t.Helper()
		return runExit(t, stdin, f.consoleBin, append(args, "--data-dir", f.consoleDir)...)
	}

	// The mail settings, from the command line while no console runs.
	out, code := cli(mailPassword+"\n", "settings", "set", "--smtp-server", srv.Addr, "--smtp-security", "none",
		"--smtp-user", "ops", "--smtp-password-stdin", "--smtp-from", "lanyard@example.com",
		"--smtp-to", "ops@example.com,boss@example.com", "--daily-report", "07:30", "--alert-grace", "1s")
	if code != 0 || !strings.Contains(out, "ops (password stored)") || !strings.Contains(out, "at 07:30") || strings.Contains(out, mailPassword) {
		t.Fatalf("settings set: exit %d\n%s", code, out)
	}
	out, _ = cli("", "settings", "show", "--json")
	var shown struct {
		Mail struct {
			Server         string   `json:"server"`
			To             []string `json:"to"`
			DailyAt        string   `json:"daily_at"`
			PasswordStored bool     `json:"password_stored"`
		} `json:"mail"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Mail.Server != srv.Addr || len(shown.Mail.To) != 2 ||
		shown.Mail.DailyAt != "07:30" || !shown.Mail.PasswordStored || strings.Contains(out, mailPassword) {
		t.Fatalf("settings show --json: %v\n%s", err, out)
	}
	if out, code := cli("", "settings", "set", "--daily-report", "25:00"); code != 2 || !strings.Contains(out, "not a time of day") {
		t.Fatalf("a bad time: exit %d\n%s", code, out)
	}
	f.console = start(t, "console", f.consoleBin, "serve", "--data-dir", f.consoleDir, "--log-level", "debug")
	f.console.event("connected", "FS01", 15*time.Second)

	// One task that succeeds, one whose destination cannot be written:
	// a file stands where its folder was.
	src, dest := taskSource(t, 20)
	blocked := filepath.Join(t.TempDir(), "offsite")
	if err := os.MkdirAll(blocked, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, task := range [][]string{{"docs", dest}, {"offsite", blocked}} {
		if out, code := cli("", "task", "add", task[0], "--slave", "FS01", "--source", src, "--dest", task[1]); code != 0 {
			t.Fatalf("task add %s: exit %d\n%s", task[0], code, out)
		}
	}
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocked, []byte("not a folder"), 0o444); err != nil {
		t.Fatal(err)
	}
	if out, code := cli("", "task", "run", "docs", "--slave", "FS01", "--wait"); code != 0 {
		t.Fatalf("task run docs: exit %d\n%s", code, out)
	}
	// A monitoring system's check: all well.
	if out, code := cli("", "check"); code != 0 || out != "LANYARD OK - 1 server, 1 connected; 2 backup tasks | servers=1 connected=1 offline=0 error=0 disconnected=0 muted=0 tasks=2 failed=0 overdue=0 dest_full=0 warned=0 never_linked=0 mail_waiting=0\n" {
		t.Fatalf("check before the failure: exit %d\n%q", code, out)
	}
	// The running console says how its mail is getting through.
	if out, code := cli("", "settings", "show"); code != 0 || !strings.Contains(out, "mail status        ok\n") {
		t.Fatalf("settings show of the running console: exit %d\n%s", code, out)
	}
	if out, code := cli("", "task", "run", "offsite", "--slave", "FS01", "--wait"); code == 0 {
		t.Fatalf("task run offsite into a file succeeded:\n%s", out)
	}

	// The failure is mailed once its grace has passed (the console checks
	// every ten seconds).
	alert := srv.Wait(t, "about the failure", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "offsite failed") })
	to := append([]string(nil), alert.To...)
	sort.Strings(to)
	if strings.Join(to, ",") != "boss@example.com,ops@example.com" || alert.From != "lanyard@example.com" || !strings.Contains(alert.Data, "FS01 / offsite failed") {
		t.Fatalf("the alert from %s to %v:\n%s", alert.From, alert.To, alert.Data)
	}
	// The check says CRITICAL, naming the failure, once it is mailed; a
	// group that does not exist is UNKNOWN, not OK.
	out, code = cli("", "check")
	if lines := strings.Split(out, "\n"); code != 2 || !strings.HasPrefix(lines[0], "LANYARD CRITICAL - 1 backup failed; 1 server, 1 connected; 2 backup tasks | ") ||
		!strings.HasSuffix(lines[0], " failed=1 overdue=0 dest_full=0 warned=0 never_linked=0 mail_waiting=0") || !strings.HasPrefix(lines[1], "FS01 / offsite: failed since ") {
		t.Fatalf("check after the failure: exit %d\n%s", code, out)
	}
	if out, code := cli("", "check", "--group", "Nobody"); code != 3 || !strings.HasPrefix(out, `LANYARD UNKNOWN - no server is in the group "Nobody"`) {
		t.Fatalf("check of a group that does not exist: exit %d\n%s", code, out)
	}
	// One server, as a monitoring system with a service per server asks.
	if out, code := cli("", "check", "--slave", "fs01"); code != 2 || !strings.HasPrefix(out, "LANYARD CRITICAL - 1 backup failed; 1 server, 1 connected;") {
		t.Fatalf("check of FS01: exit %d\n%s", code, out)
	}
	if out, code := cli("", "check", "--slave", "FS09"); code != 3 || !strings.HasPrefix(out, `LANYARD UNKNOWN - no server is named "FS09"`) {
		t.Fatalf("check of a server that does not exist: exit %d\n%s", code, out)
	}
	// The shell's completion of a name asks the running console, which
	// holds the database, and says each server's state.
	if out, _ := runExit(t, "", f.consoleBin, "__complete", "--data-dir", f.consoleDir, "status", "f"); !strings.HasPrefix(out, "FS01\tconnected\n") {
		t.Fatalf("completing a name:\n%s", out)
	}
	if out, _ := runExit(t, "", f.consoleBin, "__complete", "--data-dir", f.consoleDir, "task", "show", "--slave", "FS01", "o"); !strings.HasPrefix(out, "offsite\t") {
		t.Fatalf("completing a task's name through the console:\n%s", out)
	}
	// lanyard report, through the running console, says the same.
	out, code = cli("", "report", "--format", "json")
	tasks := readReport(t, out)
	docs, offsite := tasks["FS01/docs"], tasks["FS01/offsite"]
	if code != 0 || len(tasks) != 2 || docs.State != "ok" || docs.LastResult != "completed" || docs.LastSuccess == nil || docs.FailuresSinceSuccess != 0 {
		t.Fatalf("docs in the report: %+v (exit %d, all: %v)", docs, code, tasks)
	}
	if offsite.State != "failed" || offsite.LastResult != "failed" || offsite.LastSuccess != nil || offsite.FailuresSinceSuccess != 1 ||
		offsite.LastRun == nil || offsite.NextRun != nil {
		t.Fatalf("offsite in the report: %+v", offsite)
	}
	if out, code := cli("", "report", "--slave", "fs01", "--format", "json"); code != 0 || len(readReport(t, out)) != 2 {
		t.Fatalf("FS01's report: exit %d\n%s", code, out)
	}
	out, _ = cli("", "report")
	if !strings.Contains(out, "2 backup tasks on 1 slave: 1 ok · 1 failed") || !strings.Contains(out, "FS01 / offsite: failed") {
		t.Fatalf("the text report:\n%s", out)
	}
	// The summary is sent on demand, HTML with a plain-text part.
	if out, code := cli("", "report", "--send"); code != 0 || !strings.Contains(out, "report sent to ops@example.com, boss@example.com") {
		t.Fatalf("report --send: exit %d\n%s", code, out)
	}
	sum := srv.Wait(t, "with the summary", func(m smtptest.Message) bool { return strings.HasPrefix(m.Subject(), "Lanyard report: ") })
	if sum.Subject() != "Lanyard report: Backups: 1 failed of 2 tasks" {
		t.Fatalf("summary subject %q", sum.Subject())
	}
	for _, want := range []string{"multipart/alternative", "text/plain", "text/html", "FS01 / offsite"} {
		if !strings.Contains(sum.Data, want) {
			t.Errorf("the summary lacks %q:\n%s", want, sum.Data)
		}
	}
	// A group's alone, asked of the running console: one no server is in
	// is named, and nothing is sent.
	if out, code := cli("", "report", "--send", "--group", "Nobody"); code == 0 || !strings.Contains(out, `no server is in the group "Nobody"`) {
		t.Fatalf("report --send --group Nobody: exit %d\n%s", code, out)
	}
	if out, code := cli("", "settings", "test-mail"); code != 0 || !strings.Contains(out, "test message sent through "+srv.Addr) {
		t.Fatalf("test-mail: exit %d\n%s", code, out)
	}
	f.console.stop()
	if strings.Contains(f.console.dump(), mailPassword) {
		t.Fatal("the console logged the SMTP password")
	}
	if st, err := os.Stat(filepath.Join(f.consoleDir, "console.db")); err != nil {
		t.Error(err)
	} else if st.Mode().Perm() != 0o600 {
		t.Errorf("console.db, which holds the SMTP password, is %v", st.Mode().Perm())
	}

	// Without a console nobody watches the fleet: the check cannot say.
	if out, code := cli("", "check"); code != 3 || !strings.HasPrefix(out, "LANYARD UNKNOWN - no console is running") {
		t.Fatalf("check without a console: exit %d\n%s", code, out)
	}
	// Without a console, the report reads console.db: every slave last known.
	out, code = cli("", "report", "--format", "json")
	if tasks = readReport(t, out); code != 0 || tasks["FS01/offsite"].State != "failed" || tasks["FS01/docs"].State != "ok" {
		t.Fatalf("report from the file: exit %d\n%s", code, out)
	}
}
