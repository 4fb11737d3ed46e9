package app_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/internal/freeport"
)

// The console's own commands (settings show|set, slave add|edit|remove|
// trust|connect|disconnect|list|import|export) work the same while a
// console runs, through it, as on its database when none runs; a change
// of settings takes effect at once.
func TestTheConsolesOwnCommandsWorkWhileItRuns(t *testing.T) {
	const smtpPassword = "smtp-s3cret-77"
	f := newFleet(t, true)
	_, addr := f.agent("FS01", "pw-running", true, true)
	f.addSlave("FS01", "pw-running", addr)
	cli := func(stdin string, args ...string) (string, int) {
		t.Helper()
		return runExit(t, stdin, f.consoleBin, append(args, "--data-dir", f.consoleDir)...)
	}
	f.startConsole()
	f.console.event("connected", "FS01", 15*time.Second)

	out, code := cli("", "slave", "list", "--json")
	var listed []struct {
		Name, Direction, State string
		LastSeen               time.Time `json:"last_seen"`
	}
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed) != 1 || listed[0].Name != "FS01" ||
		listed[0].State != "connected" || listed[0].LastSeen.IsZero() {
		t.Fatalf("slave list --json with the console running: exit %d, %v\n%s", code, err, out)
	}
	if out, code = cli("", "slave", "list"); code != 0 || !regexp.MustCompile(`(?m)^FS01 +connected +outbound .* now `).MatchString(out) {
		t.Fatalf("slave list with the console running: exit %d\n%s", code, out)
	}
	// A second console on the same data directory says so, and only that.
	if out, code = cli("", "serve"); code != 1 || strings.Count(out, "\n") != 1 ||
		!strings.HasPrefix(out, "lanyard: a console is already running with this data directory (pid ") {
		t.Fatalf("a second lanyard serve: exit %d\n%s", code, out)
	}

	// Disconnect closes the link and keeps it closed; connect links again.
	mark := f.console.mark()
	if out, code = cli("", "slave", "disconnect", "FS01"); code != 0 || !strings.Contains(out, "disconnected FS01") {
		t.Fatalf("slave disconnect with the console running: exit %d\n%s", code, out)
	}
	f.console.eventFrom(mark, "disabled", "FS01", 10*time.Second)
	if out, _ = cli("", "slave", "list", "--json"); !strings.Contains(out, `"state":"disabled"`) {
		t.Fatalf("FS01 after slave disconnect: %s", out)
	}
	mark = f.console.mark()
	if out, code = cli("", "slave", "connect", "FS01"); code != 0 || !strings.Contains(out, "connected FS01: the console dials "+addr) {
		t.Fatalf("slave connect with the console running: exit %d\n%s", code, out)
	}
	f.console.eventFrom(mark, "connected", "FS01", 15*time.Second)
	// Mute keeps the link; the running console writes it in its log.
	mark = f.console.mark()
	if out, code = cli("", "slave", "mute", "FS01", "--for", "90m"); code != 0 || !strings.HasPrefix(out, "FS01: alerts muted until ") {
		t.Fatalf("slave mute with the console running: exit %d\n%s", code, out)
	}
	f.console.eventFrom(mark, "muted", "FS01", 10*time.Second)
	if out, _ = cli("", "slave", "list", "--json"); !strings.Contains(out, `"state":"connected"`) || !strings.Contains(out, `"muted_until":`) {
		t.Fatalf("FS01 after slave mute: %s", out)
	}
	if out, code = cli("", "slave", "mute", "FS01", "--off"); code != 0 || out != "FS01: alerts no longer muted\n" {
		t.Fatalf("slave mute --off with the console running: exit %d\n%s", code, out)
	}
	out, code = cli("", "slave", "export", "--with-keys", "-")
	if code != 0 || !strings.Contains(out, "FS01,outbound,"+addr) || !strings.Contains(out, "warning: the file holds every slave's key") {
		t.Fatalf("slave export with the console running: exit %d\n%s", code, out)
	}
	if out, code = cli("", "slave", "export", filepath.Join(t.TempDir(), "fleet.csv")); code != 0 || !strings.HasPrefix(out, "wrote 1 slave to ") {
		t.Fatalf("slave export of one slave to a file: exit %d\n%s", code, out)
	}

	// A slave added beside the running console is linked at once; edited,
	// trusted and removed the same way.
	// An inbound server added is told the command that sets its agent up.
	if out, code = cli("pw-second\n", "slave", "add", "--name", "FS02", "--inbound", "--password-stdin"); code != 0 || !strings.Contains(out, "added FS02, inbound") ||
		!strings.Contains(out, "on the server, as root: lanyard-agent init --name FS02 --password-stdin --ssl ") || !strings.Contains(out, " --master ") {
		t.Fatalf("slave add with the console running: exit %d\n%s", code, out)
	}
	if out, code = cli("pw\n", "slave", "add", "--name", "fs02", "--inbound", "--password-stdin"); code != 2 {
		t.Fatalf("a second FS02 with the console running: exit %d\n%s", code, out)
	}
	second, _ := f.agent("FS02", "pw-second", true, false, f.consoleAddress)
	f.console.event("connected", "FS02", 15*time.Second)
	if out, code = cli("", "slave", "edit", "FS02", "--group", "Office"); code != 0 {
		t.Fatalf("slave edit with the console running: exit %d\n%s", code, out)
	}
	if out, code = cli("", "slave", "trust", "FS02"); code != 0 || !strings.Contains(out, "will be trusted") {
		t.Fatalf("slave trust with the console running: exit %d\n%s", code, out)
	}
	out, _ = cli("", "slave", "list", "--json")
	if !strings.Contains(out, `"name":"FS02","group":"Office"`) {
		t.Fatalf("FS02 after the edit: %s", out)
	}
	if out, code = cli("", "slave", "remove", "FS02"); code != 0 {
		t.Fatalf("slave remove with the console running: exit %d\n%s", code, out)
	}
	if l := second.event("disconnected", "", 15*time.Second); !strings.Contains(l.Msg, "removed") {
		t.Errorf("FS02 was told %q, want that it was removed", l.Msg)
	}
	if out, code = cli("", "slave", "remove", "FS02"); code != 2 {
		t.Errorf("removing FS02 twice: exit %d\n%s", code, out)
	}

	// An import beside the running console is done by it, with the
	// progress shown here; a bad row is listed by its line, and then
	// nothing is added.
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "more.csv"), filepath.Join(dir, "bad.csv")
	for path, text := range map[string]string{
		good: "name,direction,password\nFS03,inbound,pw-third\n",
		bad:  "name,direction,password\nFS04,inbound,pw-fourth\nFS03,inbound,pw-again\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, code = cli("", "slave", "import", good)
	if code != 0 || !strings.Contains(out, "rows checked: 1 of 1") || !strings.Contains(out, "added 1 of 1 slave (1 key derived from passwords)") {
		t.Fatalf("slave import with the console running: exit %d\n%s", code, out)
	}
	if out, code = cli("", "slave", "import", bad); code != 2 || !strings.Contains(out, bad+": line 3") ||
		!strings.Contains(out, "1 of 2 rows of "+bad+" are refused (listed above); nothing was added: fix them and run again, or add the others with --skip-bad") {
		t.Fatalf("slave import of a bad row with the console running: exit %d\n%s", code, out)
	}
	// The same file twice: nothing in it is new, and nothing is to fix.
	if out, code = cli("", "slave", "import", good); code != 2 || !strings.Contains(out, "the 1 slave in "+good+" is here already; nothing was added\n") {
		t.Fatalf("slave import of a file imported already: exit %d\n%s", code, out)
	}
	out, _ = cli("", "slave", "list", "--json")
	if !strings.Contains(out, `"name":"FS03"`) || strings.Contains(out, "FS04") {
		t.Fatalf("the slaves after the imports: %s", out)
	}

	// A slave in error says why in a few words in its row, and in full
	// under the table and in the JSON.
	web := freeport.StartReplying(t, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
	if out, code = cli("pw-web\n", "slave", "add", "--name", "WEB1", "--address", web.Addr(), "--password-stdin"); code != 0 {
		t.Fatalf("slave add WEB1: exit %d\n%s", code, out)
	}
	f.console.event("not_lanyard", "WEB1", 15*time.Second)
	out, _ = cli("", "slave", "list")
	if !regexp.MustCompile(`(?m)^WEB1 +error \(not Lanyard\) +outbound +`+regexp.QuoteMeta(web.Addr())+` `).MatchString(out) ||
		!strings.Contains(out, "\nWEB1: "+web.Addr()+` is not a Lanyard agent: a web server answered ("HTTP/1.1 400 Bad Request")`) {
		t.Fatalf("slave list with WEB1 in error:\n%s", out)
	}
	out, _ = cli("", "slave", "list", "--json")
	if !strings.Contains(out, `"last_code":"not_lanyard","last_error":"`+web.Addr()+" is not a Lanyard agent") || strings.Count(out, `"last_code"`) != 1 {
		t.Fatalf("slave list --json with WEB1 in error: %s", out)
	}
	if out, code = cli("", "slave", "remove", "WEB1"); code != 0 {
		t.Fatalf("slave remove WEB1: exit %d\n%s", code, out)
	}

	// A new listening address: the running console moves at once.
	moved := deadAddress(t)
	mark = f.console.mark()
	out, code = cli("", "settings", "set", "--listen", moved, "--alert-grace", "5m")
	if code != 0 || !strings.Contains(out, "on, "+moved) || !strings.Contains(out, "alert grace") {
		t.Fatalf("settings set with the console running: exit %d\n%s", code, out)
	}
	f.console.waitLogFrom(mark, "listening on "+moved, func(l logLine) bool {
		return l.Event == "listening" && strings.Contains(l.Msg, moved)
	}, 10*time.Second)
	c, err := net.DialTimeout("tcp", moved, 5*time.Second)
	if err != nil {
		t.Fatalf("the console does not listen on %s after settings set: %v", moved, err)
	}
	_ = c.Close()
	// A port another program holds changes nothing, not even the rest.
	taken := freeport.StartHangUp(t).Addr()
	out, code = cli("", "settings", "set", "--listen", taken, "--alert-grace", "7m")
	if code == 0 || !strings.Contains(out, "cannot listen on "+taken+": the port is already in use") ||
		!strings.Contains(out, "nothing was changed, and the console still listens on "+moved) {
		t.Fatalf("settings set --listen on a port held: exit %d\n%s", code, out)
	}
	if s := shownSettings(t, cli); s.ListenAddress != moved || s.AlertGraceSeconds != 300 || s.ListenError != "" {
		t.Fatalf("settings after a refused move: %+v", s)
	}

	// The SMTP password from standard input: stored, never shown or logged.
	out, code = cli(smtpPassword+"\n", "settings", "set", "--smtp-server", "127.0.0.1:2525", "--smtp-security", "none",
		"--smtp-from", "lanyard@example.com", "--smtp-to", "ops@example.com", "--smtp-user", "ops", "--smtp-password-stdin")
	if code != 0 || !strings.Contains(out, "ops (password stored)") || strings.Contains(out, smtpPassword) {
		t.Fatalf("settings set --smtp-… with the console running: exit %d\n%s", code, out)
	}
	// A mistake exits 2 and changes nothing, not even the valid part.
	if out, code = cli("", "settings", "set", "--daily-report", "25:00", "--alert-grace", "9m"); code != 2 || !strings.Contains(out, "not a time of day") {
		t.Fatalf("a bad time with the console running: exit %d\n%s", code, out)
	}
	running := shownSettings(t, cli)
	f.console.stop()
	if strings.Contains(f.console.dump(), smtpPassword) {
		t.Fatal("the console logged the SMTP password")
	}

	// What the running console saved is what its database holds.
	stored := shownSettings(t, cli)
	for _, s := range []settingsShown{running, stored} {
		if s.ListenAddress != moved || s.AlertGraceSeconds != 300 || s.Mail.Server != "127.0.0.1:2525" || !s.Mail.PasswordStored {
			t.Fatalf("settings: running %+v, stored %+v", running, stored)
		}
	}
}

type settingsShown struct {
	ListenAddress     string `json:"listen_address"`
	ListenError       string `json:"listen_error"`
	AlertGraceSeconds int    `json:"alert_grace_seconds"`
	Mail              struct {
		Server         string `json:"server"`
		PasswordStored bool   `json:"password_stored"`
	} `json:"mail"`
}

func shownSettings(t *testing.T, cli func(string, ...string) (string, int)) settingsShown {
	t.Helper()
	out, code := cli("", "settings", "show", "--json")
	var s settingsShown
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil {
		t.Fatalf("settings show --json: exit %d, %v\n%s", code, err, out)
	}
	return s
}
