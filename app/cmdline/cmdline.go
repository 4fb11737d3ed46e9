package cmdline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lanyard/lanyard/core/human"
)

// Exit codes of both command lines.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// UsageError marks a mistake in the command line (exit code 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usage marks err as a mistake in the command line; nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return UsageError{err}
}

// Usagef is a mistake in the command line, in words.
func Usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// usageMarker is implemented by errors from other layers that know they
// are the request's fault (the agent's control errors).
type usageMarker interface{ UsageMistake() bool }

// cobraMistakes are the beginnings of cobra's own argument and flag errors.
var cobraMistakes = []string{
	"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least",
	"required flag", "invalid argument", "flag needs an argument",
}

// IsUsage reports whether err is a mistake in the command line: a
// UsageError, an error that says so of itself, or one of cobra's own.
func IsUsage(err error) bool {
	if err == nil {
		return false
	}
	var ue UsageError
	if errors.As(err, &ue) {
		return true
	}
	var um usageMarker
	if errors.As(err, &um) && um.UsageMistake() {
		return true
	}
	msg := err.Error()
	for _, p := range cobraMistakes {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// CodeError ends a command with its own exit code (such as 3 for a
// backup that completed with warnings) and says why.
type CodeError struct {
	Code int
	Err  error
	// Quiet: the command has said it all on standard output (a monitoring
	// check's status line); Execute prints nothing more.
	Quiet bool
}

func (e *CodeError) Error() string { return e.Err.Error() }
func (e *CodeError) Unwrap() error { return e.Err }

// ExitCode is the process's exit code for what a command returned.
func ExitCode(err error) int {
	var ce *CodeError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ce):
		return ce.Code
	case IsUsage(err):
		return ExitUsage
	}
	return ExitError
}

// NoArgs refuses positional arguments, as a usage error. A command that
// names its slave with --slave says so when given one word, the likely
// slave's name.
func NoArgs(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case len(args) == 1 && slaveUnset(cmd):
		return Usagef("%s takes no arguments, got %q: name the slave with --slave, as in %s --slave %s", cmd.CommandPath(), args[0], cmd.CommandPath(), args[0])
	}
	return Usagef("%s takes no arguments, got %q (see %s --help)", cmd.CommandPath(), args[0], cmd.CommandPath())
}

// ExactArgs wants exactly n positional arguments, as a usage error.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return argCount(cmd, human.Plural(n, "argument", "arguments"), args, n)
		}
		return nil
	}
}

// RangeArgs wants between min and max positional arguments.
func RangeArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= min && len(args) <= max {
			return nil
		}
		wants := fmt.Sprintf("%d to %d arguments", min, max)
		switch {
		case min == 0:
			wants = "at most " + human.Plural(max, "argument", "arguments")
		case max == min+1:
			wants = fmt.Sprintf("%d or %d arguments", min, max)
		}
		return argCount(cmd, wants, args, max)
	}
}

// argCount refuses a command given the wrong number of arguments, with
// its usage line: "prog task history takes 1 argument, got none (usage:
// prog task history NAME)". A command that names its slave with --slave,
// given one word more than it takes, is told to: "… got 2: name the slave
// with --slave, as in prog task run --slave fs01 docs".
func argCount(cmd *cobra.Command, wants string, args []string, max int) error {
	g := "none"
	if len(args) > 0 {
		g = strconv.Itoa(len(args))
	}
	if len(args) == max+1 && slaveUnset(cmd) {
		return Usagef("%s takes %s, got %s: name the slave with --slave, as in %s --slave %s",
			cmd.CommandPath(), wants, g, cmd.CommandPath(), strings.Join(args, " "))
	}
	return Usagef("%s takes %s, got %s (usage: %s)", cmd.CommandPath(), wants, g, cmd.UseLine())
}

// slaveUnset says whether cmd names its slave with a --slave flag not
// given: a first word more than it takes is then likely the slave.
func slaveUnset(cmd *cobra.Command) bool {
	return cmd.Flags().Lookup("slave") != nil && !cmd.Flags().Changed("slave")
}

// ParseOnOff reads an on/off value of the flag or setting named what; ""
// means not given (nil). Anything else is a usage error.
func ParseOnOff(what, v string) (*bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return nil, nil
	case "on", "true", "yes":
		t := true
		return &t, nil
	case "off", "false", "no":
		f := false
		return &f, nil
	}
	return nil, Usagef("%s takes on or off, not %q", what, v)
}

// OrDash prints "-" for an empty table cell.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Execute runs root with args and returns the exit code. An error is
// printed once, after the program's name; flag errors and unknown
// subcommands of a command group are usage errors (exit code 2).
func Execute(ctx context.Context, root *cobra.Command, args []string, stderr io.Writer) int {
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SetFlagErrorFunc(FlagError)
	strictGroups(root)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ce *CodeError
	if err != nil && (!errors.As(err, &ce) || !ce.Quiet) {
		fmt.Fprintf(stderr, "%s: %v\n", root.Name(), err)
	}
	return ExitCode(err)
}

// FlagError is a mistake in cmd's flags, as a usage error; an unknown
// flag names the flag of cmd it most likely meant, when one is close
// ("unknown flag: --destination (did you mean --dest?)"). Every command
// line's root takes it as its cobra FlagErrorFunc.
func FlagError(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return Usage(err)
	}
	// Not at the root: there an unknown flag more likely follows a
	// mistyped command ("lanyard edit FS01 --group G") than a command
	// typed as a flag.
	if sub := subcommand(cmd, name); sub != nil && cmd.HasParent() {
		return Usagef("%v (%s is a command, not a flag: %s; see %s --help)", err, sub.Name(), sub.UseLine(), sub.CommandPath())
	}
	if meant := nearestFlag(cmd, name); meant != "" {
		return Usagef("%v (did you mean --%s? see %s --help)", err, meant, cmd.CommandPath())
	}
	return Usagef("%v (see %s --help)", err, cmd.CommandPath())
}

// subcommand is cmd's visible command named typed (a flag's name, with
// any =VALUE after it), for a command typed as a flag: "set --listen
// :16888" for "set listen :16888"; nil when there is none.
func subcommand(cmd *cobra.Command, typed string) *cobra.Command {
	typed, _, _ = strings.Cut(typed, "=")
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() && (c.Name() == typed || slices.Contains(c.Aliases, typed)) {
			return c
		}
	}
	return nil
}

// nearestFlag is the name of the visible flag of cmd (its own and those
// it inherits) that typed is most likely a slip for (human.Nearest); ""
// when none is.
func nearestFlag(cmd *cobra.Command, typed string) string {
	return human.Nearest(typed, func(yield func(string) bool) {
		more := true
		visit := func(f *pflag.Flag) {
			if more && !f.Hidden {
				more = yield(f.Name)
			}
		}
		cmd.LocalFlags().VisitAll(visit)
		cmd.InheritedFlags().VisitAll(visit)
	})
}

// strictGroups makes every command that only groups others (it has
// subcommands and does nothing itself) refuse an unknown subcommand as a
// usage error, naming the subcommands it may have meant as cobra does at
// the root, and print its help when run bare. Cobra's default prints
// the help and exits 0 for both, which hides typos in scripts.
func strictGroups(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		strictGroups(c)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() || !cmd.HasParent() {
		return
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2 // as cobra's own suggestions
		}
		if meant := c.SuggestionsFor(args[0]); len(meant) > 0 {
			return Usagef("unknown command %q for %q (did you mean %s? see %s --help)", args[0], c.CommandPath(),
				strings.Join(meant, " or "), c.CommandPath())
		}
		if show := slaveViewer(c); show != nil {
			return Usagef("unknown command %q for %q: to name a slave, use --slave, as in %s --slave %s (see %s --help)",
				args[0], c.CommandPath(), show.CommandPath(), args[0], c.CommandPath())
		}
		return Usagef("unknown command %q for %q (see %s --help)", args[0], c.CommandPath(), c.CommandPath())
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
}

// slaveViewer is group's show or list command when it names its slave
// with --slave: a word after the group that is no command of it is then
// likely the slave ("lanyard agent-settings fs01"); nil otherwise.
func slaveViewer(group *cobra.Command) *cobra.Command {
	for _, c := range group.Commands() {
		if (c.Name() == "show" || c.Name() == "list") && c.Flags().Lookup("slave") != nil {
			return c
		}
	}
	return nil
}

// ArgsUnexplained lists, as its error, every command under root whose
// check of its arguments, given far too many, does not name the command
// (cobra's own "accepts 1 arg(s), received 20" does not, where this
// package's ExactArgs, RangeArgs and NoArgs say which command takes what);
// nil when all do.
func ArgsUnexplained(root *cobra.Command) error {
	var bad []string
	tooMany := make([]string, 20)
	for i := range tooMany {
		tooMany[i] = "x"
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.HasParent() || c.Args == nil || !c.Runnable() {
			return
		}
		if err := c.Args(c, tooMany); err != nil && !strings.HasPrefix(err.Error(), c.CommandPath()) {
			bad = append(bad, c.CommandPath()+": "+err.Error())
		}
	}
	walk(root)
	if len(bad) > 0 {
		return fmt.Errorf("these commands refuse extra arguments without naming themselves (use cmdline.ExactArgs, RangeArgs or NoArgs):\n%s", strings.Join(bad, "\n"))
	}
	return nil
}

// HelpWidth is how wide a line of a command's description may run: help
// prints it as written, and a terminal is 80 columns.
const HelpWidth = 80

// HelpTooWide lists, as its error, every line of the descriptions (Long)
// of root and the commands under it wider than HelpWidth, each as
// "lanyard serve: the line"; nil when all fit.
func HelpTooWide(root *cobra.Command) error {
	var wide []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for line := range strings.SplitSeq(c.Long, "\n") {
			if utf8.RuneCountInString(line) > HelpWidth {
				wide = append(wide, c.CommandPath()+": "+line)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(wide) == 0 {
		return nil
	}
	return fmt.Errorf("lines wider than %d columns:\n%s", HelpWidth, strings.Join(wide, "\n"))
}
