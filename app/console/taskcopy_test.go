package console

import (
	"slices"
	"testing"

	"github.com/lanyard/lanyard/core/master"
)

// The slaves a copy goes to: those named, each once whatever its case,
// then the rest of the group by name, never the one it comes from.
func TestACopysSlavesAreNamedOrAGroups(t *testing.T) {
	views := []master.SlaveView{{Name: "FS01", Group: "Acme"}, {Name: "web", Group: "acme"}, {Name: "DB", Group: "Acme"}, {Name: "NAS", Group: "Globex"}}
	got, err := copyTargets(views, "fs01", []string{"NAS", " nas ", ""}, "ACME")
	if want := []string{"NAS", "DB", "web"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q %v, want %q", got, err, want)
	}
	if _, err := copyTargets(views, "FS01", nil, "Initech"); err == nil || err.Error() != `no server is in the group "Initech": check the name (lanyard group list)` {
		t.Errorf("a group with no server: %v", err)
	}
	if _, err := copyTargets(views, "NAS", nil, "Globex"); err == nil || err.Error() != `no other slave is in the group "Globex": nothing to copy to` {
		t.Errorf("a group of the source alone: %v", err)
	}
}
