package master

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/store"
)

// A group is no entity of its own: it is the name its slaves' entries
// share. Renaming it renames it in every entry and in the mail settings
// (a group's own recipients), in the one place that knows both.

// DistinctGroups are the names among groups, each once whatever its
// case (the first spelling met), sorted without regard to case; "" is
// left out.
func DistinctGroups(groups []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range groups {
		if k := strings.ToLower(g); g != "" && !seen[k] {
			seen[k] = true
			out = append(out, g)
		}
	}
	slices.SortFunc(out, human.CompareNames)
	return out
}

// NoServerIn is the mistake of naming a group no server is in.
func NoServerIn(group string) error {
	return fmt.Errorf("no server is in the group %q: check the name (lanyard group list)", group)
}

// membersOf are the names, in lower case, of the entries in group.
func membersOf(entries iter.Seq[store.Slave], group string) map[string]bool {
	members := map[string]bool{}
	for e := range entries {
		if strings.EqualFold(e.Group, group) {
			members[strings.ToLower(e.Name)] = true
		}
	}
	return members
}

// RenameGroup names the group old (case ignored) new: every slave of it,
// and its own mail recipients, which join those of a group already
// called new. It returns the slaves moved. The CLI calls it on the
// database when no console runs; a running Master wraps it.
func RenameGroup(db *store.DB, old, new string) ([]store.Slave, error) {
	new = strings.TrimSpace(new)
	if new == "" {
		return nil, errors.New("give the group's new name (to take a server out of its group, edit the server)")
	}
	moved, err := db.SetGroup(old, new)
	if err != nil {
		return nil, err
	}
	if len(moved) == 0 {
		return nil, NoServerIn(old)
	}
	return moved, renameGroupTo(db, old, new)
}

// renameGroupTo gives group old's own mail recipients to group new.
func renameGroupTo(db *store.DB, old, new string) error {
	st, err := mail.Load(db)
	if err != nil {
		return err
	}
	from := st.GroupRecipients(old)
	if from == nil {
		return nil
	}
	var to []string
	if !strings.EqualFold(old, new) {
		to = st.GroupRecipients(new)
	}
	for _, a := range from {
		if !slices.Contains(to, a) {
			to = append(to, a)
		}
	}
	st.SetGroupTo(old, nil)
	st.SetGroupTo(new, to)
	return mail.Save(db, st)
}

// RenameGroup renames a group (the package function) and shows its
// slaves under the new name; the log gets one record for it.
func (m *Master) RenameGroup(old, new string) (int, error) {
	moved, err := RenameGroup(m.cfg.DB, old, new)
	if len(moved) == 0 {
		return 0, err
	}
	m.mu.Lock()
	for _, e := range moved {
		if s := m.slaves[e.ID]; s != nil {
			s.entry.Group = e.Group
		}
	}
	m.mu.Unlock()
	m.record(recordArgs{kind: store.KindEdited, severity: store.SeverityInfo,
		reason: fmt.Sprintf("group %s renamed to %s (%s)", old, moved[0].Group, human.Plural(len(moved), "slave", "slaves"))})
	m.hub.publish(Event{Time: time.Now(), Kind: EventResync})
	return len(moved), err
}
