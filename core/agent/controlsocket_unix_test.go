//go:build unix

package agent_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lanyard/lanyard/core/agent"
)

func TestTheControlSocketIsOwnerOnlyWhateverTheUmask(t *testing.T) {
	db := initializedDB(t)
	dir := filepath.Dir(db.Path())
	a := newAgentWith(t, db, func(c *agent.Config) { c.ControlDir = dir })
	// The widest umask, while the socket is made; no other test runs
	// meanwhile (none is parallel).
	old := syscall.Umask(0)
	err := a.Start(context.Background())
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(agent.ControlSocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("the control socket has mode %s under umask 0, want 0600", fi.Mode().Perm())
	}
}

func TestStartRefusesADataDirectoryOthersCanWrite(t *testing.T) {
	for _, mode := range []os.FileMode{0o770, 0o707} {
		t.Run(mode.String(), func(t *testing.T) {
			db := initializedDB(t)
			mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0")})
			dir := filepath.Dir(db.Path())
			if err := os.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}
			a := newAgentWith(t, db, func(c *agent.Config) { c.ControlDir = dir })
			err := a.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), "can be written by other users") || !strings.Contains(err.Error(), "chmod go-w "+dir) {
				t.Fatalf("Start in a %s directory: %v", mode, err)
			}
			if a.ListenAddr() != "" {
				t.Fatal("an agent that refused to start is listening")
			}
			if _, err := os.Lstat(agent.ControlSocketPath(dir)); err == nil {
				t.Fatal("a control socket was created")
			}
		})
	}
}
