package app

import (
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
// when running with administrator rights, as a service does, else the
// user's config directory.
func AgentDataDir() (string, error) {
	if isPrivileged() {
		switch runtime.GOOS {
		case "windows":
			if pd := os.Getenv("ProgramData"); pd != "" {
				return filepath.Join(pd, "Lanyard"), nil
			}
		case "darwin":
			return "/Library/Application Support/Lanyard", nil
		default:
			return "/var/lib/lanyard-agent", nil
		}
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the user's config directory (%v): pass --data-dir", err)
	}
	return filepath.Join(dir, "lanyard-agent"), nil
}

func isPrivileged() bool {
	if runtime.GOOS == "windows" {
		// Services run as LocalSystem; without a reliable check, use the
		// system location only when ProgramData is writable.
		f, err := os.CreateTemp(os.Getenv("ProgramData"), ".lanyard-probe-*")
		if err != nil {
			return false
		}
		name := f.Name()
		_ = f.Close()
		_ = os.Remove(name)
		return true
	}
	return os.Geteuid() == 0
}
