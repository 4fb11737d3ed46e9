package link

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lanyard/lanyard/core/wire"
)

// A dial's failure is named by its code, and one that never reached a
// handshake (it carries none) is dial_failed.
func TestADialsFailureIsNamedByItsCodeOrDialFailed(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want wire.Code
	}{
		{errors.New("connection refused"), wire.CodeDialFailed},
		{&Error{Code: wire.CodeAuthFailed}, wire.CodeAuthFailed},
		{fmt.Errorf("dialing: %w", &Error{Code: wire.CodeTimeout}), wire.CodeTimeout},
	} {
		if got := DialCode(tt.err); got != tt.want {
			t.Errorf("DialCode(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
