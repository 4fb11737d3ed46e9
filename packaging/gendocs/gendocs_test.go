package gendocs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/goleak"

	"github.com/lanyard/lanyard/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testHeader = Header{Source: "Lanyard 1.2.3", Manual: "Lanyard Manual", Date: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}

// tree reads every file under dir: path → contents (man pages unzipped).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return err
			}
			if data, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func write(t *testing.T, root *cobra.Command) string {
	t.Helper()
	dir := t.TempDir()
	if err := Write(root, dir, testHeader); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEveryCommandTheAgentListsHasAManualPage(t *testing.T) {
	files := tree(t, write(t, service.Command()))
	var pages []string
	for f := range files {
		if strings.HasPrefix(f, ManDir+"/") {
			pages = append(pages, strings.TrimSuffix(strings.TrimPrefix(f, ManDir+"/"), ".1.gz"))
		}
	}
	sort.Strings(pages)
	// The commands a person can see (--help), walked afresh from the tree.
	var want []string
	root := service.Command()
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-"))
		for _, sub := range c.Commands() {
			if !sub.Hidden && sub.Name() != "help" {
				walk(sub)
			}
		}
	}
	walk(root)
	sort.Strings(want)
	if strings.Join(pages, " ") != strings.Join(want, " ") {
		t.Errorf("manual pages:\n  %s\nwant one per command:\n  %s", strings.Join(pages, " "), strings.Join(want, " "))
	}
	for _, must := range []string{"lanyard-agent", "lanyard-agent-init", "lanyard-agent-install", "lanyard-agent-masters-add", "lanyard-agent-completion-bash"} {
		if _, ok := files[filepath.Join(ManDir, must+".1.gz")]; !ok {
			t.Errorf("no manual page %s(1)", must)
		}
	}
	init := files[filepath.Join(ManDir, "lanyard-agent-init.1.gz")]
	for _, want := range []string{
		`.TH "LANYARD-AGENT-INIT" "1" "Mar 2024" "Lanyard 1.2.3" "Lanyard Manual"`,
		"--password-stdin", "only a key derived from it is", "--data-dir", "lanyard-agent(1)",
	} {
		if !strings.Contains(init, want) {
			t.Errorf("lanyard-agent-init(1) lacks %q:\n%s", want, init)
		}
	}
	for name, page := range files {
		// Hidden flags have no entry (cobra/doc writes one as \fB--flag\fP).
		for _, hidden := range []string{`\fB--service-name\fP`, `\fB--as-service\fP`, "Auto generated"} {
			if strings.Contains(page, hidden) {
				t.Errorf("%s mentions %q", name, hidden)
			}
		}
	}
}

func TestCompletionsGoWhereEachShellLooks(t *testing.T) {
	files := tree(t, write(t, service.Command()))
	for path, want := range map[string]string{
		BashDir + "/lanyard-agent":      "complete -o default -F __start_lanyard-agent lanyard-agent",
		ZshDir + "/_lanyard-agent":      "#compdef lanyard-agent",
		FishDir + "/lanyard-agent.fish": "complete -c lanyard-agent",
	} {
		if got, ok := files[path]; !ok {
			t.Errorf("no %s", path)
		} else if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}
}

// A package built twice from the same source is the same: no build time
// or file name in the pages.
func TestTheSameTreeGivesTheSameBytes(t *testing.T) {
	a, b := write(t, service.Command()), write(t, service.Command())
	for _, dir := range []string{ManDir, BashDir, ZshDir, FishDir} {
		entries, err := os.ReadDir(filepath.Join(a, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			x, _ := os.ReadFile(filepath.Join(a, dir, e.Name()))
			y, _ := os.ReadFile(filepath.Join(b, dir, e.Name()))
			if !bytes.Equal(x, y) {
				t.Errorf("%s/%s differs between two runs", dir, e.Name())
			}
		}
	}
}

// man itself reads every page without a warning, as lintian's check does.
func TestManReadsEveryPageWithoutAWarning(t *testing.T) {
	man, err := exec.LookPath("man")
	if err != nil {
		t.Skip("man is not installed (Debian: man-db)")
	}
	dir := write(t, service.Command())
	pages, _ := filepath.Glob(filepath.Join(dir, ManDir, "*.1.gz"))
	for _, page := range pages {
		cmd := exec.Command(man, "--warnings", "-E", "UTF-8", "-l", page)
		cmd.Env = append(os.Environ(), "MANWIDTH=80", "LANG=C.UTF-8", "MAN_DISABLE_SECCOMP=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("man %s: %v\n%s", filepath.Base(page), err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "NAME") {
			t.Errorf("man %s rendered no NAME section:\n%s", filepath.Base(page), stdout.String())
		}
	}
}

func TestMainNeedsAnOutputDirectoryAndAReadableDate(t *testing.T) {
	for _, args := range [][]string{{}, {"-out", t.TempDir(), "-date", "yesterday"}, {"-out", t.TempDir(), "extra"}} {
		var stderr bytes.Buffer
		if code := Main(service.Command(), "Lanyard", args, &stderr); code != 2 {
			t.Errorf("Main %q = %d, want 2 (%s)", args, code, stderr.String())
		}
	}
	dir := t.TempDir()
	var stderr bytes.Buffer
	if code := Main(service.Command(), "Lanyard", []string{"-out", dir, "-version", "9.9", "-date", "1709294400"}, &stderr); code != 0 {
		t.Fatalf("Main = %d: %s", code, stderr.String())
	}
	page := tree(t, dir)[filepath.Join(ManDir, "lanyard-agent.1.gz")]
	if !strings.Contains(page, `"Mar 2024" "Lanyard 9.9" "Lanyard Manual"`) {
		t.Errorf("the page's header does not carry the version and date given:\n%s", page)
	}
}
