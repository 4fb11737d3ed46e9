//go:build windows

package service

import (
	"fmt"

	"golang.org/x/sys/windows/svc/mgr"
)

// afterInstall makes the recovery action (restart) apply when the agent
// stops with an error, not only when it crashes: a port in use ends the
// service with an exit code rather than a crash.
func afterInstall(name string) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("cannot set the service's recovery: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("cannot set the service's recovery: %w", err)
	}
	defer s.Close()
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("cannot set the service's recovery: %w", err)
	}
	return nil
}
