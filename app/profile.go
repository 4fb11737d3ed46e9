package app

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// ProfileEnv names a directory: when set, the process writes its CPU
// profile there in slices of ProfileSlice, as PROG-PID-SEQ.pprof, so that
// a phase of a load test (a reconnect storm) can be looked at on its own
// with go tool pprof, and a process killed with SIGKILL loses at most its
// last slice. For benchmarks and diagnosis; off unless set.
const ProfileEnv = "LANYARD_CPU_PROFILE_DIR"

// ProfileSlice is how much CPU time each profile file covers.
const ProfileSlice = 5 * time.Second

// ProfileFromEnv starts the sliced CPU profile when ProfileEnv is set and
// returns what stops it (writing the last slice); a no-op otherwise.
func ProfileFromEnv(prog string) (stop func()) {
	dir := os.Getenv(ProfileEnv)
	if dir == "" {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for seq := 0; ; seq++ {
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d-%03d.pprof", prog, os.Getpid(), seq)))
			if err != nil {
				return
			}
			if pprof.StartCPUProfile(f) != nil {
				_ = f.Close()
				return
			}
			t := time.NewTimer(ProfileSlice)
			select {
			case <-quit:
			case <-t.C:
			}
			t.Stop()
			pprof.StopCPUProfile()
			_ = f.Close()
			select {
			case <-quit:
				return
			default:
			}
		}
	}()
	return func() { close(quit); <-done }
}
