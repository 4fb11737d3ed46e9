//go:build linux

package service

// The real binary, for the install test and the benchmark (both Linux
// only: they need /proc and a service manager).

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// runBin runs the real binary to completion.
func runBin(t testing.TB, stdin, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func mustRunBin(t testing.TB, stdin, bin string, args ...string) string {
	t.Helper()
	out, err := runBin(t, stdin, bin, args...)
	if err != nil {
		t.Fatalf("lanyard-agent %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}
