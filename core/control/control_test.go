package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/control"
)

// serve runs a server with h in a fresh private directory until the test
// ends.
func serve(t *testing.T, h control.Handler) *control.Client {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl") // short: socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := control.Listen(control.Config{Dir: dir, File: "c.sock", Owner: "test server"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(h)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	c, err := control.Dial(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestACallGetsOneAnswerLine(t *testing.T) {
	c := serve(t, func(_ context.Context, req []byte, w *control.Writer) {
		_ = w.Send(map[string]string{"echo": string(req)})
	})
	line, err := c.Call([]byte(`{"op":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(line, &got); err != nil || got["echo"] != `{"op":"x"}` {
		t.Fatalf("answer %q (%v)", line, err)
	}
}

func TestAStreamDeliversEveryLineInOrderThenEnds(t *testing.T) {
	const n = 2000
	big := strings.Repeat("x", 100<<10) // longer than bufio's buffer
	c := serve(t, func(_ context.Context, _ []byte, w *control.Writer) {
		for i := range n {
			if err := w.Send(map[string]any{"i": i}); err != nil {
				return
			}
		}
		_ = w.Send(map[string]any{"big": big})
	})
	var got []string
	err := c.Stream(context.Background(), []byte(`{}`), func(line []byte) error {
		got = append(got, string(line))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n+1 {
		t.Fatalf("%d lines, want %d", len(got), n+1)
	}
	for i := range n {
		if want := fmt.Sprintf(`{"i":%d}`, i); got[i] != want {
			t.Fatalf("line %d is %q, want %q", i, got[i], want)
		}
	}
	if !strings.Contains(got[n], big) {
		t.Fatal("the long last line was cut")
	}
}

func TestAWatchedStreamEndsWhenTheClientHangsUp(t *testing.T) {
	ended := make(chan error, 1)
	c := serve(t, func(ctx context.Context, _ []byte, w *control.Writer) {
		w.Watch()
		_ = w.Send(map[string]bool{"ready": true})
		<-ctx.Done() // a log follower with nothing new to say
		ended <- ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	err := c.Stream(ctx, []byte(`{}`), func([]byte) error {
		cancel() // the user pressed Ctrl+C after the first line
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream: %v, want context.Canceled", err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the handler's context ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not notice the client hang up")
	}
}

func TestAnOnLineErrorStopsTheStream(t *testing.T) {
	c := serve(t, func(ctx context.Context, _ []byte, w *control.Writer) {
		w.Watch()
		for ctx.Err() == nil {
			if w.Send(map[string]bool{"more": true}) != nil {
				return
			}
		}
	})
	stop := errors.New("enough")
	n := 0
	err := c.Stream(context.Background(), []byte(`{}`), func([]byte) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("Stream: %v after %d lines", err, n)
	}
}

func TestCloseEndsAStreamInProgress(t *testing.T) {
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o700)
	s, err := control.Listen(control.Config{Dir: dir, File: "c.sock", Owner: "test server"})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var once sync.Once
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(func(ctx context.Context, _ []byte, w *control.Writer) {
			_ = w.Send(map[string]bool{"ok": true})
			once.Do(func() { close(started) })
			<-ctx.Done()
		})
	}()
	c, err := control.Dial(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	go func() { res <- c.Stream(context.Background(), []byte(`{}`), func([]byte) error { return nil }) }()
	<-started
	s.Close()
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("a stream the server ended: %v, want a clean end", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end when the server closed")
	}
	<-done
	if _, err := os.Lstat(filepath.Join(dir, "c.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the socket outlived Close: %v", err)
	}
	if _, err := control.Dial(s.Path()); !errors.Is(err, control.ErrNotRunning) {
		t.Fatalf("Dial after Close: %v, want ErrNotRunning", err)
	}
}

func TestListenNamesTheOwnerOfALiveSocket(t *testing.T) {
	c := serve(t, func(context.Context, []byte, *control.Writer) {})
	_, err := control.Listen(control.Config{Dir: filepath.Dir(c.Path), File: filepath.Base(c.Path), Owner: "lanyard console"})
	if err == nil || !strings.Contains(err.Error(), "another lanyard console already answers on "+c.Path) {
		t.Fatalf("Listen beside a live socket: %v", err)
	}
}
