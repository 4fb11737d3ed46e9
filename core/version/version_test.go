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

func TestOfAgentIsTheVersionInAnAgentsSoftwareText(t *testing.T) {
	for in, want := range map[string]string{
		"lanyard-agent 1.4.0":      "1.4.0",
		"lanyard-agent v1.2.3-4-g": "v1.2.3-4-g",
		"lanyard 1.4.0":            "lanyard 1.4.0", // a console's: as it is
		"lanyard-agent":            "lanyard-agent",
		"":                         "",
	} {
		if got := OfAgent(in); got != want {
			t.Errorf("OfAgent(%q) = %q, want %q", in, got, want)
		}
	}
}
