package service

import (
	"context"
	"os"

	"github.com/spf13/cobra"
)

// Command is the agent's command tree as the binary runs it, so its
// manual pages and shell completions can be generated from it when the
// packages are built (packaging/gendocs).
func Command() *cobra.Command {
	return rootCmd(&env{ctx: context.Background(), stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
}
