package master

import (
	"slices"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/store"
)

// Renaming a group moves every server of it, whatever the case its
// entries spell it in, and takes its own mail recipients along, into a
// group of that name if there is one; the window hears of it once.
func TestAGroupIsRenamedWithItsServersAndItsRecipients(t *testing.T) {
	c := startConsole(t, false, nil)
	for _, s := range []struct{ name, group string }{{"FS01", "Acme"}, {"FS02", "acme"}, {"WEB", "Globex"}} {
		if _, err := c.AddSlave(SlaveSpec{Name: s.name, Direction: store.Inbound, Password: []byte("pw"), Group: s.group}); err != nil {
			t.Fatal(err)
		}
	}
	st := mail.Defaults()
	st.SetGroupTo("Acme", []string{"it@acme.example"})
	st.SetGroupTo("Acme Corp", []string{"boss@acme.example"})
	if err := mail.Save(c.db, st); err != nil {
		t.Fatal(err)
	}
	n, err := c.RenameGroup("ACME", " Acme Corp ")
	if err != nil || n != 2 {
		t.Fatalf("renamed %d, %v", n, err)
	}
	for _, name := range []string{"FS01", "FS02"} {
		if v, _ := c.Slave(name); v.Group != "Acme Corp" {
			t.Errorf("%s is in %q", name, v.Group)
		}
		if e, _ := c.db.SlaveByName(name); e.Group != "Acme Corp" {
			t.Errorf("%s's entry is in %q", name, e.Group)
		}
	}
	if v, _ := c.Slave("WEB"); v.Group != "Globex" {
		t.Errorf("WEB moved to %q", v.Group)
	}
	got, _ := mail.Load(c.db)
	if len(got.GroupTo) != 1 || !slices.Equal(got.GroupTo["Acme Corp"], []string{"boss@acme.example", "it@acme.example"}) {
		t.Errorf("the groups' recipients: %v", got.GroupTo)
	}
	c.waitFor(t, "the resync", func(e Event) bool { return e.Kind == EventResync })

	if _, err := c.RenameGroup("Initech", "Initrode"); err == nil || !strings.Contains(err.Error(), `no server is in the group "Initech"`) {
		t.Errorf("renaming a group with no server: %v", err)
	}
	if _, err := c.RenameGroup("Globex", "  "); err == nil || !strings.Contains(err.Error(), "new name") {
		t.Errorf("renaming to nothing: %v", err)
	}
}

func TestDistinctGroupsTakeEachNameOnceInAnyCase(t *testing.T) {
	got := DistinctGroups([]string{"globex", "Acme", "", "acme", "Globex", "beta"})
	if want := []string{"Acme", "beta", "globex"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
