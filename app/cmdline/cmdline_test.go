package cmdline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

type marked struct{ usage bool }

func (m marked) Error() string      { return "marked" }
func (m marked) UsageMistake() bool { return m.usage }

func TestExitCodeSaysWhoseMistakeItWas(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, ExitOK},
		{"a failure", errors.New("disk full"), ExitError},
		{"a usage error", Usagef("bad --port %q", "x"), ExitUsage},
		{"a wrapped usage error", fmt.Errorf("add: %w", Usage(errors.New("bad name"))), ExitUsage},
		{"an error that marks itself as the request's fault", fmt.Errorf("agent: %w", marked{true}), ExitUsage},
		{"an error that marks itself as not the request's fault", marked{false}, ExitError},
		{"cobra's unknown flag", errors.New("unknown flag: --bogus"), ExitUsage},
		{"cobra's unknown command", errors.New(`unknown command "x" for "lanyard"`), ExitUsage},
		{"a command's own exit code", fmt.Errorf("run: %w", &CodeError{Code: 3, Err: errors.New("completed with warnings")}), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ExitCode(c.err); got != c.want {
				t.Fatalf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
			}
		})
	}
	if Usage(nil) != nil {
		t.Fatal("Usage(nil) is not nil")
	}
}

func TestParseOnOffAcceptsTheUsualWordsAndRefusesTheRest(t *testing.T) {
	for v, want := range map[string]*bool{"": nil, "on": ptr(true), "YES": ptr(true), "true": ptr(true), " off ": ptr(false), "no": ptr(false), "false": ptr(false)} {
		got, err := ParseOnOff("--ssl", v)
		if err != nil || (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Fatalf("ParseOnOff(%q) = %v, %v", v, got, err)
		}
	}
	_, err := ParseOnOff("--ssl", "maybe")
	if !IsUsage(err) || !strings.Contains(err.Error(), `--ssl takes on or off, not "maybe"`) {
		t.Fatalf("ParseOnOff(maybe) = %v", err)
	}
	if OrDash("") != "-" || OrDash("x") != "x" {
		t.Fatal("printing an empty cell changed")
	}
}

func ptr(b bool) *bool { return &b }

// tree is a small command line: `prog group leaf [ARG]` and others.
func tree(ran *string) *cobra.Command {
	root := &cobra.Command{Use: "prog"}
	group := &cobra.Command{Use: "group", Short: "a group"}
	leaf := &cobra.Command{Use: "leaf [ARG]", Args: RangeArgs(0, 1), RunE: func(*cobra.Command, []string) error {
		*ran = "leaf"
		return nil
	}}
	fail := &cobra.Command{Use: "fail", Args: NoArgs, RunE: func(*cobra.Command, []string) error { return errors.New("it broke") }}
	two := &cobra.Command{Use: "two A B", Args: ExactArgs(2), RunE: func(*cobra.Command, []string) error { return nil }}
	three := &cobra.Command{Use: "three A [B]", Args: RangeArgs(1, 2), RunE: func(*cobra.Command, []string) error { return nil }}
	remote := &cobra.Command{Use: "remote", Args: NoArgs, RunE: func(*cobra.Command, []string) error { return nil }}
	remote.Flags().String("slave", "", "the slave")
	run := &cobra.Command{Use: "run NAME", Args: ExactArgs(1), RunE: func(*cobra.Command, []string) error { return nil }}
	run.Flags().String("slave", "", "the slave")
	group.AddCommand(leaf, fail, two, three, remote, run)
	settings := &cobra.Command{Use: "settings", Short: "a slave's settings"}
	show := &cobra.Command{Use: "show", Args: NoArgs, RunE: func(*cobra.Command, []string) error { return nil }}
	show.Flags().String("slave", "", "the slave")
	settings.AddCommand(show)
	root.AddCommand(group, settings)
	return root
}

func TestExecuteEndsEveryMistakeWithExitCode2(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"group", "leaf"}, ExitOK, ""},
		{[]string{"group", "bogus"}, ExitUsage, `prog: unknown command "bogus" for "prog group" (see prog group --help)`},
		{[]string{"group", "lef"}, ExitUsage, `prog: unknown command "lef" for "prog group" (did you mean leaf? see prog group --help)`},
		{[]string{"bogus"}, ExitUsage, `unknown command "bogus"`},
		{[]string{"group", "leaf", "--nope"}, ExitUsage, "prog: unknown flag: --nope (see prog group leaf --help)"},
		{[]string{"group", "remote", "--slaves", "fs01"}, ExitUsage, "unknown flag: --slaves (did you mean --slave? see prog group remote --help)"},
		{[]string{"group", "remote", "--sl", "fs01"}, ExitUsage, "unknown flag: --sl (did you mean --slave? see prog group remote --help)"},
		{[]string{"group", "remote", "--verbose"}, ExitUsage, "unknown flag: --verbose (see prog group remote --help)"},
		{[]string{"group", "remote", "--slave-name", "fs01"}, ExitUsage, "unknown flag: --slave-name (did you mean --slave? see prog group remote --help)"},
		{[]string{"group", "remote", "--hlep"}, ExitUsage, "unknown flag: --hlep (did you mean --help? see prog group remote --help)"},
		{[]string{"group", "--leaf", "x"}, ExitUsage, "prog: unknown flag: --leaf (leaf is a command, not a flag: prog group leaf [ARG]; see prog group leaf --help)"},
		{[]string{"group", "--remote=fs01"}, ExitUsage, "unknown flag: --remote (remote is a command, not a flag: prog group remote [flags]; see prog group remote --help)"},
		{[]string{"group", "leaf", "a", "b"}, ExitUsage, "prog group leaf takes at most 1 argument, got 2 (usage: prog group leaf [ARG] [flags])"},
		{[]string{"group", "two", "a"}, ExitUsage, "prog group two takes 2 arguments, got 1 (usage: prog group two A B [flags])"},
		{[]string{"group", "two"}, ExitUsage, "prog group two takes 2 arguments, got none (usage: prog group two A B [flags])"},
		{[]string{"group", "three"}, ExitUsage, "prog group three takes 1 or 2 arguments, got none (usage: prog group three A [B] [flags])"},
		{[]string{"group", "fail", "x"}, ExitUsage, `takes no arguments, got "x" (see prog group fail --help)`},
		{[]string{"group", "remote", "fs01"}, ExitUsage, `prog group remote takes no arguments, got "fs01": name the slave with --slave, as in prog group remote --slave fs01`},
		{[]string{"group", "remote", "fs01", "--slave", "fs01"}, ExitUsage, `takes no arguments, got "fs01" (see prog group remote --help)`},
		{[]string{"group", "fail"}, ExitError, "prog: it broke"},
		// The slave typed where a command names it with --slave.
		{[]string{"group", "run", "fs01", "docs"}, ExitUsage, "prog group run takes 1 argument, got 2: name the slave with --slave, as in prog group run --slave fs01 docs"},
		{[]string{"group", "run", "--slave", "fs01", "a", "b"}, ExitUsage, "prog group run takes 1 argument, got 2 (usage: prog group run NAME [flags])"},
		{[]string{"group", "run", "a", "b", "c"}, ExitUsage, "prog group run takes 1 argument, got 3 (usage:"},
		{[]string{"settings", "fs01"}, ExitUsage, `unknown command "fs01" for "prog settings": to name a slave, use --slave, as in prog settings show --slave fs01 (see prog settings --help)`},
		{[]string{"settings", "shwo"}, ExitUsage, `unknown command "shwo" for "prog settings" (did you mean show?`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var ran string
			var stderr bytes.Buffer
			root := tree(&ran)
			root.SetOut(&bytes.Buffer{})
			code := Execute(context.Background(), root, c.args, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), c.code, c.stderr)
			}
		})
	}
}

func TestABareGroupPrintsItsHelp(t *testing.T) {
	var ran string
	var out, stderr bytes.Buffer
	root := tree(&ran)
	root.SetOut(&out)
	if code := Execute(context.Background(), root, []string{"group"}, &stderr); code != ExitOK || !strings.Contains(out.String(), "leaf") {
		t.Fatalf("exit %d, out %q", code, out.String())
	}
}

func TestAQuietCodeErrorEndsWithItsCodeAndPrintsNothingMore(t *testing.T) {
	for _, quiet := range []bool{true, false} {
		root := &cobra.Command{Use: "prog", RunE: func(*cobra.Command, []string) error {
			return &CodeError{Code: 3, Err: errors.New("UNKNOWN"), Quiet: quiet}
		}}
		var stderr bytes.Buffer
		code := Execute(context.Background(), root, nil, &stderr)
		if code != 3 || (stderr.Len() == 0) != quiet {
			t.Errorf("quiet %v: exit %d, stderr %q", quiet, code, stderr.String())
		}
	}
}

func TestHelpTooWideNamesTheCommandAndTheLine(t *testing.T) {
	root := &cobra.Command{Use: "tool", Long: "fits\n" + strings.Repeat("é", HelpWidth)}
	sub := &cobra.Command{Use: "sub", Long: "fits too\n" + strings.Repeat("x", HelpWidth+1) + "\nand fits", Run: func(*cobra.Command, []string) {}}
	root.AddCommand(sub)
	err := HelpTooWide(root)
	if want := "lines wider than 80 columns:\ntool sub: " + strings.Repeat("x", HelpWidth+1); err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	sub.Long = "fits"
	if err := HelpTooWide(root); err != nil {
		t.Errorf("all fit: %v", err)
	}
}

// A command checking its arguments with cobra's own checks, which do not
// say which command refused them, is found; this package's are not.
func TestArgsUnexplainedFindsCobrasOwnChecks(t *testing.T) {
	var ran string
	root := tree(&ran)
	if err := ArgsUnexplained(root); err != nil {
		t.Fatalf("this package's checks: %v", err)
	}
	root.AddCommand(&cobra.Command{Use: "bare FILE", Args: cobra.ExactArgs(1), RunE: func(*cobra.Command, []string) error { return nil }})
	if err := ArgsUnexplained(root); err == nil || !strings.Contains(err.Error(), "prog bare: accepts 1 arg(s), received 20") {
		t.Fatalf("cobra's ExactArgs: %v", err)
	}
}

// At the root an unknown flag more likely follows a mistyped command
// than a command typed as a flag: it is not said to be one.
func TestAnUnknownFlagAtTheRootIsNotTakenForACommand(t *testing.T) {
	var ran string
	root := tree(&ran)
	root.Args = cobra.NoArgs // as a command line's root that opens a window
	root.RunE = func(*cobra.Command, []string) error { return nil }
	var stderr bytes.Buffer
	code := Execute(context.Background(), root, []string{"edit", "x", "--group", "g"}, &stderr)
	if code != ExitUsage || stderr.String() != "prog: unknown flag: --group (see prog --help)\n" {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
