package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// A write refused as read-only under /etc, by the agent's systemd
// service, says that the unit forbids it and how to allow it; anywhere
// else, or outside the service, to remount.
func TestAReadOnlyRefusalSaysWhatToDo(t *testing.T) {
	etc := &fs.PathError{Op: "open", Path: "/etc/nginx/nginx.conf", Err: syscall.EROFS}
	srv := &fs.PathError{Op: "open", Path: "/srv/backup/docs", Err: syscall.EROFS}
	t.Setenv("INVOCATION_ID", "") // as if not a service, even when the tests run in one
	if got := restoreErr("/etc/nginx/nginx.conf", etc).Error(); !strings.HasSuffix(got, ": remount it read-write") {
		t.Errorf("outside the service: %q", got)
	}
	if runtime.GOOS != "linux" {
		return
	}
	t.Setenv("INVOCATION_ID", "0123456789abcdef")
	want := "/etc is read-only to the agent's service (its systemd unit has ProtectSystem=full): restore into a folder elsewhere and copy from there, or allow it with systemctl edit lanyard-agent (ReadWritePaths=/etc)"
	if got := restoreErr("/etc/nginx/nginx.conf", etc).Error(); !strings.HasSuffix(got, want) {
		t.Errorf("a restore under /etc, by the service: %q", got)
	}
	if got := describeDestErr(fmt.Errorf("write snapshot: %w", etc)); !strings.Contains(got, "choose a destination elsewhere, or allow it with systemctl edit lanyard-agent") {
		t.Errorf("a destination under /etc, by the service: %q", got)
	}
	if got := describeDestErr(srv); !strings.HasSuffix(got, ": remount it read-write") {
		t.Errorf("a destination under /srv: %q", got)
	}
	if got := restoreErr("/etcetera/x", &fs.PathError{Op: "open", Path: "/etcetera/x", Err: syscall.EROFS}).Error(); strings.Contains(got, "ProtectSystem") {
		t.Errorf("a folder that only starts like /etc: %q", got)
	}
}

// A restore that cannot write says why in words a person acts on: the
// disk full, its quota used up, or no right to write there.
func TestARestoreThatCannotWriteSaysWhatToDo(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.ENOSPC: "the disk is full: free some room on it, or restore into a folder on another disk; what was restored before it is kept: restore again, leaving the files already there as they are",
		syscall.EDQUOT: "the agent's disk quota there is used up: raise it, or restore into a folder on another disk; what was restored before it is kept",
		syscall.EACCES: "the agent may not write there: give its user write access, or restore into a folder it may write to",
	} {
		err := restoreErr("/srv/restore/a.txt", &fs.PathError{Op: "write", Path: "/srv/restore/a.txt", Err: errno})
		if !strings.Contains(err.Error(), want) || !errors.Is(err, errno) {
			t.Errorf("%v: %q, want it to say %q", errno, err, want)
		}
	}
}
