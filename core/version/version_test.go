package version

import "testing"

func TestStringShowsTheStampedVersion(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })

	Version = "v1.2.3"
	if got := String(); got != "v1.2.3" {
		t.Errorf("String() = %q, want %q", got, "v1.2.3")
	}
	Version = ""
	if got := String(); got != "unknown" {
		t.Errorf("String() with an empty stamp = %q, want %q", got, "unknown")
	}
}
