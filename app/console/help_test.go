package console

import (
	"testing"

	"github.com/lanyard/lanyard/app/cmdline"
)

// Help prints a description as written: every line fits a terminal.
func TestEveryConsoleCommandsDescriptionFitsATerminal(t *testing.T) {
	if err := cmdline.HelpTooWide(Command()); err != nil {
		t.Error(err)
	}
}

// A command given too many arguments says which command takes what.
func TestEveryConsoleCommandNamesItselfWhenGivenTooManyArguments(t *testing.T) {
	if err := cmdline.ArgsUnexplained(Command()); err != nil {
		t.Error(err)
	}
}
