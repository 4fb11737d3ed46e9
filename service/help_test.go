package service

import (
	"strings"
	"testing"

	"github.com/lanyard/lanyard/app/cmdline"
)

// Help prints a description as written: every line fits a terminal.
func TestEveryAgentCommandsDescriptionFitsATerminal(t *testing.T) {
	if wide := cmdline.WideHelpLines(Command()); len(wide) > 0 {
		t.Errorf("lines wider than %d columns:\n%s", cmdline.HelpWidth, strings.Join(wide, "\n"))
	}
}
