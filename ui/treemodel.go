package ui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/version"
)

// The server tree's data, kept apart from its widgets so that it can be
// reasoned about (and benchmarked) on its own. It lives on the Fyne thread.

// Tree node IDs: the root is "", a group is groupPrefix + its name in
// lower case (a group's name matches in any case, as everywhere in the
// console: "Acme" and "acme" are one group), a slave is its entry ID
// (hex, so it never starts with the prefix).
const groupPrefix = "group:"

// ungroupedLabel names the branch of slaves that have no group.
const ungroupedLabel = "Ungrouped"

func groupNodeID(group string) string { return groupPrefix + strings.ToLower(group) }

func isGroupNode(id string) bool { return strings.HasPrefix(id, groupPrefix) }

// isUngrouped: id is the branch of the slaves of no group.
func isUngrouped(id string) bool { return id == groupPrefix }

// groupName is the name of group node id as its slaves' entries spell it
// (the one that joined last), "" for the ungrouped.
func (m *treeModel) groupName(id string) string {
	if g := m.groupsAll[id]; g != nil {
		return g.name
	}
	return strings.TrimPrefix(id, groupPrefix)
}

// groupLabel is group node id's row title: its name, or Ungrouped.
func (m *treeModel) groupLabel(id string) string {
	if g := m.groupName(id); g != "" {
		return g
	}
	return ungroupedLabel
}

// sortOrder is how slaves are ordered within a group.
type sortOrder int

const (
	sortByName  sortOrder = iota
	sortByState           // problems first: error, offline, connecting, connected, disabled
)

// stateRank orders states for sortByState.
func stateRank(s master.State) int {
	switch s {
	case master.StateError:
		return 0
	case master.StateOffline:
		return 1
	case master.StateConnecting:
		return 2
	case master.StateConnected:
		return 3
	default:
		return 4
	}
}

// slaveEntry is a slave's view with the lower-cased text the filter
// compares and the key the sort does, computed once per change, and its
// group.
type slaveEntry struct {
	view                    master.SlaveView
	group                   *groupInfo
	lname, lgroup, laddress string
	lnotes, lagent          string // lagent: its agent's version, "1.4.0"
	sortKey                 string // human.NameKey of its name
}

func (e *slaveEntry) matches(filter string) bool {
	return filter == "" || strings.Contains(e.lname, filter) || strings.Contains(e.lgroup, filter) ||
		strings.Contains(e.laddress, filter) || strings.Contains(e.lnotes, filter) || strings.Contains(e.lagent, filter)
}

// groupCount is a group's size and how many of it are connected, over all
// its slaves (the filter does not change them).
type groupCount struct {
	total, connected int
	backup           health.Counts // its slaves' tasks by backup state
}

type groupInfo struct {
	id   string // node ID
	name string // as the entry of the slave that joined it last spells it
	groupCount
}

// stateCounts counts slaves per state.
type stateCounts [5]int

func stateIndex(s master.State) int {
	switch s {
	case master.StateConnected:
		return 0
	case master.StateConnecting:
		return 1
	case master.StateError:
		return 2
	case master.StateDisabled:
		return 3
	default:
		return 4
	}
}

// of is the number of slaves in state s.
func (c *stateCounts) of(s master.State) int { return c[stateIndex(s)] }

// treeModel holds every slave by ID and the visible shape of the tree.
type treeModel struct {
	slaves map[string]*slaveEntry
	filter string // lower case
	order  sortOrder

	groups []string            // visible group node IDs, in order
	kids   map[string][]string // group node ID → visible slave IDs, in order

	counts    stateCounts
	backup    health.Counts         // every task by backup state, for the status bar
	never     int                   // slaves that never linked, whose tasks nobody knows
	groupsAll map[string]*groupInfo // every group with a slave, by node ID

	// started is when the console started; until relinkUntil, an inbound
	// slave last seen before it may still be dialing in again (awaited).
	started, relinkUntil time.Time
}

// awaited: v is an inbound slave, linked before the console started and
// offline since, that may still dial in again at now. It is likelier on
// its way than gone.
func (m *treeModel) awaited(v *master.SlaveView, now time.Time) bool {
	return v.State == master.StateOffline && v.Direction == store.Inbound && now.Before(m.relinkUntil) &&
		!v.LastSeen.IsZero() && v.LastSeen.Before(m.started)
}

func newTreeModel() *treeModel {
	return &treeModel{slaves: map[string]*slaveEntry{}, kids: map[string][]string{}, groupsAll: map[string]*groupInfo{}}
}

// change is what an update did to the tree.
type change struct {
	// reshaped: the visible order or membership changed; the tree must be
	// refreshed as a whole (once).
	reshaped bool
	// rows are the slaves whose row changed but not its place. Their group
	// rows' counts may have changed too.
	rows []string
}

// len is the number of slaves.
func (m *treeModel) len() int { return len(m.slaves) }

// view returns a slave's view by ID.
func (m *treeModel) view(id string) (master.SlaveView, bool) {
	e, ok := m.slaves[id]
	if !ok {
		return master.SlaveView{}, false
	}
	return e.view, true
}

// setRTT sets the round trip of slave id's link, the one connected since
// since; false when the slave has no such link now.
func (m *treeModel) setRTT(id string, since time.Time, rtt time.Duration) bool {
	e, ok := m.slaves[id]
	if !ok || e.view.State != master.StateConnected || !e.view.ConnectedSince.Equal(since) {
		return false
	}
	e.view.RTT = rtt
	return true
}

// idOf is the ID of the slave called name, its case aside.
func (m *treeModel) idOf(name string) (string, bool) {
	lname := strings.ToLower(name)
	for id, e := range m.slaves {
		if e.lname == lname {
			return id, true
		}
	}
	return "", false
}

// group returns a group's counts by node ID.
func (m *treeModel) group(id string) (groupCount, bool) {
	g, ok := m.groupsAll[id]
	if !ok {
		return groupCount{}, false
	}
	return g.groupCount, true
}

// replaceAll makes the model hold exactly views (a snapshot or a resync).
func (m *treeModel) replaceAll(views []master.SlaveView) change {
	var removed []string
	seen := make(map[string]struct{}, len(views))
	for _, v := range views {
		seen[v.ID] = struct{}{}
	}
	for id := range m.slaves {
		if _, ok := seen[id]; !ok {
			removed = append(removed, id)
		}
	}
	return m.apply(views, removed)
}

// apply upserts views and deletes the removed IDs. A batch of state
// changes costs one map lookup per slave.
func (m *treeModel) apply(views []master.SlaveView, removed []string) change {
	var c change
	for i := range views {
		v := &views[i]
		e, ok := m.slaves[v.ID]
		if !ok {
			e = &slaveEntry{}
			m.slaves[v.ID] = e
			m.set(e, v)
			c.reshaped = true
			continue
		}
		if sameRow(&e.view, v) {
			e.view = *v // details (RTT, status) the row does not show
			continue
		}
		regroup := e.view.Group != v.Group
		refilter := e.view.Name != v.Name || regroup || e.view.Address != v.Address
		resort := e.view.Name != v.Name || (m.order == sortByState && e.view.State != v.State)
		m.count(e, -1)
		m.set(e, v)
		switch {
		case regroup || resort || (refilter && m.filter != ""):
			c.reshaped = true
		case !c.reshaped:
			c.rows = append(c.rows, v.ID)
		}
	}
	for _, id := range removed {
		if e, ok := m.slaves[id]; ok {
			m.count(e, -1)
			if e.group.total == 0 {
				delete(m.groupsAll, e.group.id)
			}
			delete(m.slaves, id)
			c.reshaped = true
		}
	}
	if c.reshaped {
		m.rebuild()
		c.rows = nil
	}
	return c
}

// set gives e the view v and counts it.
func (m *treeModel) set(e *slaveEntry, v *master.SlaveView) {
	if e.view.Name != v.Name || e.lname == "" {
		e.lname, e.sortKey = strings.ToLower(v.Name), human.NameKey(v.Name)
	}
	if e.view.Address != v.Address {
		e.laddress = strings.ToLower(v.Address)
	}
	if e.view.Notes != v.Notes {
		e.lnotes = strings.ToLower(v.Notes)
	}
	if e.view.Software != v.Software {
		e.lagent = strings.ToLower(version.OfAgent(v.Software))
	}
	if e.group == nil || e.view.Group != v.Group {
		if old := e.group; old != nil && old.total == 0 {
			delete(m.groupsAll, old.id) // its last slave moved out
		}
		e.lgroup = strings.ToLower(v.Group)
		id := groupNodeID(v.Group)
		g, ok := m.groupsAll[id]
		if !ok {
			g = &groupInfo{id: id}
			m.groupsAll[id] = g
		}
		g.name = v.Group // the spelling of the slave that joined last
		e.group = g
	}
	e.view = *v
	m.count(e, +1)
}

// sameRow is whether two views of a slave draw the same tree row.
func sameRow(a, b *master.SlaveView) bool {
	return a.Name == b.Name && a.Group == b.Group && a.Address == b.Address && a.State == b.State &&
		a.Direction == b.Direction && a.SSL == b.SSL && a.LastCode == b.LastCode &&
		a.Backup.Counts == b.Backup.Counts && a.Backup.LastKnown == b.Backup.LastKnown && a.MutedUntil.Equal(b.MutedUntil) &&
		a.Rival.Code == b.Rival.Code && a.Rival.At.Equal(b.Rival.At) &&
		(a.State != master.StateOffline || a.LastSeen.Equal(b.LastSeen))
}

func (m *treeModel) count(e *slaveEntry, d int) {
	m.counts[stateIndex(e.view.State)] += d
	if e.view.NeverLinked() {
		m.never += d
	}
	g := e.group
	g.total += d
	if e.view.State == master.StateConnected {
		g.connected += d
	}
	for _, st := range health.States {
		if n := e.view.Backup.Of(st); n > 0 {
			g.backup.Add(st, d*n)
			m.backup.Add(st, d*n)
		}
	}
}

// setFilter shows only slaves whose name, group or address contains f
// (case-insensitive). It reports whether anything changed.
func (m *treeModel) setFilter(f string) bool {
	f = strings.ToLower(strings.TrimSpace(f))
	if f == m.filter {
		return false
	}
	m.filter = f
	m.rebuild()
	return true
}

func (m *treeModel) setOrder(o sortOrder) bool {
	if o == m.order {
		return false
	}
	m.order = o
	m.rebuild()
	return true
}

// rebuild recomputes the visible groups and their ordered children.
func (m *treeModel) rebuild() {
	byGroup := make(map[string][]*slaveEntry, len(m.kids))
	for _, e := range m.slaves {
		if e.matches(m.filter) {
			byGroup[e.group.id] = append(byGroup[e.group.id], e)
		}
	}
	kids := make(map[string][]string, len(byGroup))
	groups := make([]string, 0, len(byGroup))
	for g, es := range byGroup {
		groups = append(groups, g)
		slices.SortFunc(es, m.compare)
		ids := make([]string, len(es))
		for i, e := range es {
			ids[i] = e.view.ID
		}
		kids[g] = ids
	}
	// Named groups by name (their IDs are lower case); Ungrouped
	// last.
	slices.SortFunc(groups, func(a, b string) int {
		if isUngrouped(a) != isUngrouped(b) {
			if isUngrouped(a) {
				return 1
			}
			return -1
		}
		return human.CompareNames(a, b)
	})
	m.groups, m.kids = groups, kids
}

func (m *treeModel) compare(a, b *slaveEntry) int {
	if m.order == sortByState {
		if c := cmp.Compare(stateRank(a.view.State), stateRank(b.view.State)); c != 0 {
			return c
		}
	}
	return cmp.Or(strings.Compare(a.sortKey, b.sortKey), strings.Compare(a.lname, b.lname), strings.Compare(a.view.ID, b.view.ID))
}

// children is the tree's ChildUIDs.
func (m *treeModel) children(id string) []string {
	if id == "" {
		return m.groups
	}
	return m.kids[id]
}
