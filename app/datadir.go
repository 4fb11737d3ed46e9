package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// ConsoleDataDir is the console's default data directory: the user's
// config directory, e.g. ~/.config/lanyard.
func ConsoleDataDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the user's config directory (%v): pass --data-dir", err)
	}
	return filepath.Join(dir, "lanyard"), nil
}

// AgentDataDir is the agent's default data directory: the system location
// (SystemAgentDataDir) when running with administrator rights, as a
// service does, else the user's config directory.
func AgentDataDir() (string, error) {
	if IsPrivileged() {
		if dir := SystemAgentDataDir(); dir != "" {
			return dir, nil
		}
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the user's config directory (%v): pass --data-dir", err)
	}
	return filepath.Join(dir, "lanyard-agent"), nil
}

// SystemAgentDataDir is where an agent installed as a system service
// keeps agent.db: /var/lib/lanyard-agent, %ProgramData%\Lanyard, or
// /Library/Application Support/Lanyard. "" when Windows does not say
// where ProgramData is.
func SystemAgentDataDir() string {
	switch runtime.GOOS {
	case "windows":
		if pd := os.Getenv("ProgramData"); pd != "" {
			return filepath.Join(pd, "Lanyard")
		}
		return ""
	case "darwin":
		return "/Library/Application Support/Lanyard"
	default:
		return "/var/lib/lanyard-agent"
	}
}

// SystemAgentLogDir is where an agent installed as a system service
// writes its log: /var/log/lanyard-agent, %ProgramData%\Lanyard\logs, or
// /Library/Logs/Lanyard.
func SystemAgentLogDir() string {
	switch runtime.GOOS {
	case "windows":
		if pd := os.Getenv("ProgramData"); pd != "" {
			return filepath.Join(pd, "Lanyard", "logs")
		}
		return ""
	case "darwin":
		return "/Library/Logs/Lanyard"
	default:
		return "/var/log/lanyard-agent"
	}
}

// AgentLogDir is the agent's default log directory for a data directory:
// the system log location when the data directory is the system one, else
// a "log" directory inside the data directory, so that an agent run with
// --data-dir keeps everything in one place.
func AgentLogDir(dataDir string) string {
	sys := SystemAgentDataDir()
	if sys != "" && sameDir(dataDir, sys) {
		if l := SystemAgentLogDir(); l != "" {
			return l
		}
	}
	return filepath.Join(dataDir, "log")
}

func sameDir(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return false
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return equalFold(a, b)
	}
	return a == b
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// EnsurePrivateDir creates dir (and its parents) readable by its owner
// only: mode 0700 on Unix; on Windows a protected access list that admits
// only SYSTEM and Administrators. A directory that already exists is left
// as it is: it may be one the user chose and shares on purpose.
func EnsurePrivateDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot use %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w: check the permissions of its parent, or pick another directory", dir, err)
	}
	// MkdirAll applies the umask; make sure of 0700 (and of the ACL on
	// Windows).
	if err := makePrivate(dir); err != nil {
		return fmt.Errorf("cannot make %s private to its owner: %w", dir, err)
	}
	return nil
}

// IsPrivileged reports whether this process runs with administrator
// rights: root on Unix, an elevated token (Administrator, or LocalSystem as
// a service) on Windows.
func IsPrivileged() bool { return isPrivileged() }
