package auth

import (
	"testing"

	"go.uber.org/goleak"
)

// The package starts no goroutines; goleak keeps it that way (and catches
// a test's own goroutines that outlive it).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
