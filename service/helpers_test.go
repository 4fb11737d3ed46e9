package service

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
)

// cli runs the agent's command line in this process.
type cli struct {
	t          *testing.T
	privileged func() bool
	firewall   runner
	taskHold   func(op string, args agent.TaskArgs) bool
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func (c cli) run(stdin string, args ...string) result {
	return c.runContext(context.Background(), stdin, args...)
}

func (c cli) runContext(ctx context.Context, stdin string, args ...string) result {
	var out, errOut syncBuffer
	e := &env{ctx: ctx, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		privileged: c.privileged, firewall: c.firewall, taskHold: c.taskHold}
	code := mainEnv(e, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine,
// which wakes waiters on every write.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the buffer contains want.
func (b *syncBuffer) waitFor(t *testing.T, want string, within time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		s := b.buf.String()
		if strings.Contains(s, want) {
			b.mu.Unlock()
			return s
		}
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %q within %s; got:\n%s", want, within, s)
		}
	}
}

const testPassword = "pw-7d1e-never-in-a-log"

// initAgent runs init in a fresh data directory and returns it.
func initAgent(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	r := cli{t: t}.run(testPassword+"\n", append([]string{"init", "--data-dir", dir, "--name", "FS01", "--password-stdin"}, args...)...)
	if r.code != 0 {
		t.Fatalf("init: %s", r)
	}
	return dir
}
