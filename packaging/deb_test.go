package packaging

// The Debian packages, built, checked and installed for real: scripts/deb
// builds them, lintian judges them, apt-get installs them, the programs,
// manual pages, completions and desktop entry are tried, and apt-get
// purges them again, leaving nothing behind.
//
// It installs packages on the machine running it, so it runs only as root
// and only when asked: LANYARD_TEST_DEB=full (make test-deb) builds and
// checks both packages; LANYARD_TEST_DEB=quick, or CI=true, only the
// agent's (the console's cgo build would add minutes to make test).

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A deb as the test sees it.
type deb struct {
	name, file string
	paths      []string // what it installs, absolute, directories end in "/"
}

func TestDebianPackages(t *testing.T) {
	mode := os.Getenv("LANYARD_TEST_DEB")
	switch {
	case testing.Short():
		t.Skip("builds and installs the Debian packages")
	case mode == "off":
		t.Skip("LANYARD_TEST_DEB=off")
	case os.Geteuid() != 0:
		t.Skip("installs the packages with apt-get: needs root (CI runs as root; make test-deb as root runs it)")
	case mode == "" && os.Getenv("CI") != "true":
		t.Skip("installs and removes lanyard-agent and lanyard on this machine: make test-deb runs it (LANYARD_TEST_DEB=full); CI=true runs its quick form")
	case mode != "" && mode != "quick" && mode != "full":
		t.Fatalf("LANYARD_TEST_DEB=%q: use quick, full or off", mode)
	}
	full := mode == "full"
	for _, c := range []string{"dpkg", "dpkg-deb", "apt-get"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("not a Debian system (no %s)", c)
		}
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("the agent's package is built for amd64 and arm64, not %s", runtime.GOARCH)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	phase := func(name string, since time.Time) {
		t.Logf("%s: %s", name, time.Since(since).Round(100*time.Millisecond))
	}

	// What the test needs, installed if missing, as make test-deb does.
	step := time.Now()
	tools := []string{"lintian", "man-db"}
	if full {
		tools = append(tools, "desktop-file-utils", "dpkg-dev")
	}
	run(t, root, nil, filepath.Join(root, "scripts", "deps"), tools...)
	phase("tools", step)

	// One test at a time per machine installs these packages.
	unlock := lockMachine(t)
	defer unlock()
	names := []string{"lanyard-agent"}
	if full {
		names = append(names, "lanyard")
	}
	for _, n := range names {
		if installed(n) {
			t.Skipf("%s is installed on this machine: the test would replace and then remove it", n)
		}
	}

	// Build.
	dist := t.TempDir()
	var debs []deb
	for _, n := range names {
		step = time.Now()
		run(t, root, []string{"DIST=" + dist}, filepath.Join(root, "scripts", "deb"), n, runtime.GOARCH)
		phase("scripts/deb "+n, step)
		files, _ := filepath.Glob(filepath.Join(dist, n+"_*_"+runtime.GOARCH+".deb"))
		if len(files) != 1 {
			t.Fatalf("scripts/deb %s made %q in %s, want one .deb", n, files, dist)
		}
		debs = append(debs, deb{name: n, file: files[0], paths: contents(t, files[0])})
	}

	// What each package must hold.
	want := map[string][]string{
		"lanyard-agent": {
			"/usr/bin/lanyard-agent",
			"/usr/share/man/man1/lanyard-agent.1.gz", "/usr/share/man/man1/lanyard-agent-init.1.gz",
			"/usr/share/man/man1/lanyard-agent-install.1.gz", "/usr/share/man/man1/lanyard-agent-masters-add.1.gz",
			"/usr/share/bash-completion/completions/lanyard-agent", "/usr/share/zsh/vendor-completions/_lanyard-agent",
			"/usr/share/fish/vendor_completions.d/lanyard-agent.fish",
			"/usr/share/doc/lanyard-agent/copyright", "/usr/share/doc/lanyard-agent/changelog.gz",
			"/usr/share/lintian/overrides/lanyard-agent",
		},
		"lanyard": {
			"/usr/bin/lanyard", "/usr/share/applications/dev.lanyard.console.desktop", "/usr/share/pixmaps/dev.lanyard.console.png",
			"/usr/share/man/man1/lanyard.1.gz", "/usr/share/man/man1/lanyard-serve.1.gz", "/usr/share/man/man1/lanyard-slave-add.1.gz",
			"/usr/share/bash-completion/completions/lanyard", "/usr/share/zsh/vendor-completions/_lanyard",
			"/usr/share/fish/vendor_completions.d/lanyard.fish",
			"/usr/share/doc/lanyard/copyright", "/usr/share/doc/lanyard/changelog.gz",
		},
	}
	for _, d := range debs {
		for _, p := range want[d.name] {
			if !contains(d.paths, p) {
				t.Errorf("%s does not install %s", filepath.Base(d.file), p)
			}
		}
	}

	// lintian: no error or warning that is not overridden with a reason.
	step = time.Now()
	lint(t, root, debs)
	phase("lintian", step)

	// Install, with what was there before, to check the removal against.
	existed := map[string]bool{}
	for _, d := range debs {
		for _, p := range d.paths {
			if _, err := os.Lstat(p); err == nil {
				existed[p] = true
			}
		}
	}
	step = time.Now()
	args := []string{"install", "-y", "-q", "--no-install-recommends"}
	for _, d := range debs {
		args = append(args, d.file)
	}
	purged := false
	purge := func() {
		purged = true
		run(t, root, []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", append([]string{"purge", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"}, names...)...)
	}
	defer func() {
		if !purged {
			purge()
		}
	}()
	out := run(t, root, []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", append([]string{"-o", "DPkg::Lock::Timeout=300"}, args...)...)
	phase("apt-get install", step)
	if !strings.Contains(out, "lanyard-agent is installed. For Lanyard consoles to manage this server") {
		t.Errorf("the agent's post-install message is missing from apt-get's output:\n%s", out)
	}
	for _, n := range names {
		if !installed(n) {
			t.Fatalf("after apt-get install, dpkg does not list %s as installed", n)
		}
	}

	// The programs run, the manual pages render, the completions load.
	for _, n := range names {
		path, err := exec.LookPath(n)
		if err != nil || path != "/usr/bin/"+n {
			t.Errorf("%s on the PATH is %q (%v), want /usr/bin/%s", n, path, err, n)
			continue
		}
		// Standard output only: what the program logs is not the version.
		if out, err := exec.Command(n, "--version").Output(); err != nil || !strings.HasPrefix(string(out), n+" version ") {
			t.Errorf("%s --version: %v, printed %q", n, err, out)
		}
		manPage(t, n)
		completions(t, n)
	}
	if full {
		desktopEntry(t)
	}
	upgradeRewritesTheUnit(t, root, debs[0])

	// Remove: nothing the packages installed is left.
	step = time.Now()
	purge()
	phase("apt-get purge", step)
	for _, n := range names {
		if out, _ := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status}", n).Output(); len(out) > 0 && string(out) != "not-installed" {
			t.Errorf("after apt-get purge dpkg says %s is %q", n, out)
		}
	}
	for _, d := range debs {
		for _, p := range d.paths {
			if existed[p] {
				continue
			}
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s is left after removing %s", p, d.name)
			}
		}
	}
	t.Logf("the whole test: %s", time.Since(begin).Round(time.Second))
}

// run runs a command in dir and returns its output, failing the test with
// the output when it fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func installed(name string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status}", name).Output()
	return err == nil && string(out) == "installed"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lockMachine holds a lock file in the shared temporary directory, so two
// runs on one machine do not install and remove the packages under each
// other.
func lockMachine(t *testing.T) func() {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "lanyard-deb-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Logf("waited %s for another run of this test on the machine", waited.Round(time.Second))
	}
	return func() { _ = f.Close() }
}

// contents lists what a .deb installs.
func contents(t *testing.T, file string) []string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", "--fsys-tarfile", file).Output()
	if err != nil {
		t.Fatalf("dpkg-deb --fsys-tarfile %s: %v", file, err)
	}
	tar := exec.Command("tar", "-tf", "-")
	tar.Stdin = bytes.NewReader(out)
	list, err := tar.Output()
	if err != nil {
		t.Fatalf("tar -t of %s: %v", file, err)
	}
	var paths []string
	for _, p := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		p = strings.TrimPrefix(p, ".")
		if p != "/" && p != "" {
			paths = append(paths, p)
		}
	}
	// Deepest first, so a directory is checked after what it held.
	sort.Slice(paths, func(i, j int) bool { return paths[i] > paths[j] })
	return paths
}

var lintianLine = regexp.MustCompile(`^([EWIPXO]): (\S+): (\S+)(.*)$`)

// lint runs lintian on the packages and fails on every error and warning;
// what is overridden must be overridden with a reason (a comment above
// the override in packaging/lintian/PACKAGE).
func lint(t *testing.T, root string, debs []deb) {
	t.Helper()
	args := []string{"--display-level", ">=pedantic", "--show-overrides", "--tag-display-limit", "0"}
	for _, d := range debs {
		args = append(args, d.file)
	}
	cmd := exec.Command("lintian", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("lintian:\n%s", out.String())
	tags := 0
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		m := lintianLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		tags++
		switch m[1] {
		case "E", "W":
			t.Errorf("lintian: %s", sc.Text())
		case "O":
			if reason := overrideReason(t, root, m[2], m[3]); reason == "" {
				t.Errorf("lintian override without a reason (a comment above it in packaging/lintian/%s): %s", m[2], sc.Text())
			}
		}
	}
	if err != nil && tags == 0 {
		t.Errorf("lintian failed and reported nothing: %v", err)
	}
}

// overrideReason is the comment above pkg's override of tag.
func overrideReason(t *testing.T, root, pkg, tag string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "packaging", "lintian", pkg))
	if err != nil {
		return ""
	}
	var comment []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "#"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(line, "#")))
		case strings.HasPrefix(line, pkg+": "+tag):
			return strings.Join(comment, " ")
		default:
			comment = nil
		}
	}
	return ""
}

// manPage checks that man finds and renders the program's page, as a
// person typing `man NAME` would see it.
func manPage(t *testing.T, name string) {
	t.Helper()
	if excluded, _ := filepath.Glob("/etc/dpkg/dpkg.cfg.d/*"); len(excluded) > 0 {
		for _, f := range excluded {
			if data, _ := os.ReadFile(f); regexp.MustCompile(`(?m)^path-exclude=/usr/share/man`).Match(data) {
				t.Logf("%s tells dpkg to leave manual pages out: not checking man %s", f, name)
				return
			}
		}
	}
	cmd := exec.Command("man", name)
	cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=80", "LANG=C.UTF-8", "MAN_DISABLE_SECCOMP=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("man %s: %v\n%s", name, err, stderr.String())
		return
	}
	page := stdout.String()
	for _, want := range []string{"NAME", name + " - ", "SYNOPSIS", "OPTIONS", "SEE ALSO"} {
		if !strings.Contains(page, want) {
			t.Errorf("man %s lacks %q:\n%s", name, want, page)
		}
	}
}

// completions checks that bash loads the program's completion and that
// the program answers it.
func completions(t *testing.T, name string) {
	t.Helper()
	script := fmt.Sprintf(". /usr/share/bash-completion/completions/%s && complete -p %s", name, name)
	if out, err := exec.Command("bash", "-c", script).CombinedOutput(); err != nil || !strings.Contains(string(out), name) {
		t.Errorf("bash does not load the completion for %s: %v\n%s", name, err, out)
	}
	// What the completion asks the program for a first word.
	out, err := exec.Command(name, "__complete", "").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "help") {
		t.Errorf("%s __complete answers %v:\n%s", name, err, out)
	}
}

// desktopEntry checks the console's menu entry: valid, named Lanyard, its
// command and icon where they are looked for.
func desktopEntry(t *testing.T) {
	t.Helper()
	const entry = "/usr/share/applications/dev.lanyard.console.desktop"
	if out, err := exec.Command("desktop-file-validate", entry).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", entry, err, out)
	}
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			if _, seen := fields[k]; !seen {
				fields[k] = v
			}
		}
	}
	if fields["Name"] != "Lanyard" || fields["Type"] != "Application" {
		t.Errorf("the menu entry is %q (%s), want an Application named Lanyard", fields["Name"], fields["Type"])
	}
	if exe, err := exec.LookPath(strings.Fields(fields["Exec"] + " ")[0]); err != nil || exe != "/usr/bin/lanyard" {
		t.Errorf("the menu entry runs %q, found as %q (%v)", fields["Exec"], exe, err)
	}
	if _, err := os.Stat("/usr/share/pixmaps/" + fields["Icon"] + ".png"); err != nil {
		t.Errorf("the menu entry's icon %q is not in /usr/share/pixmaps: %v", fields["Icon"], err)
	}
}

// oldAgentUnit is the systemd unit an agent installed by an older version
// runs under (kardianos' template: a restart after 120 s), with data and
// log directories of its own.
const oldAgentUnit = `[Unit]
Description=Lanyard agent
ConditionFileIsExecutable=/usr/bin/lanyard-agent

[Service]
StartLimitInterval=5
StartLimitBurst=10
ExecStart=/usr/bin/lanyard-agent "run" "--data-dir" "/srv/lanyard test data" "--log-dir" "/srv/lanyard test logs" "--as-service"
Restart=on-failure
RestartSec=120

[Install]
WantedBy=multi-user.target
`

// upgradeRewritesTheUnit upgrades the agent's package over a service
// installed by an older version: the postinst rewrites its systemd unit
// as this version writes it, keeping its directories. (Without systemd
// running, daemon-reload fails and is reported; the unit is rewritten
// all the same.)
func upgradeRewritesTheUnit(t *testing.T, root string, agentDeb deb) {
	t.Helper()
	const unit = "/etc/systemd/system/lanyard-agent.service"
	if _, err := os.Stat(filepath.Dir(unit)); err != nil {
		t.Logf("no %s: the unit upgrade is not tried", filepath.Dir(unit))
		return
	}
	if _, err := os.Lstat(unit); err == nil {
		t.Logf("%s exists on this machine: the unit upgrade is not tried", unit)
		return
	}
	if err := os.WriteFile(unit, []byte(oldAgentUnit), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(unit)
	out := run(t, root, []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", "install", "--reinstall", "-y", "-q",
		"-o", "DPkg::Lock::Timeout=300", agentDeb.file)
	if !strings.Contains(out, "Rewrote the systemd unit "+unit) {
		t.Errorf("upgrading the package did not rewrite the old unit:\n%s", out)
	}
	got, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RestartSec=5\n", "StartLimitBurst=5\n",
		`"--data-dir" "/srv/lanyard test data" "--log-dir" "/srv/lanyard test logs"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the upgraded unit lacks %q:\n%s", want, got)
		}
	}
}
