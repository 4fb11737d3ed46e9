package ui

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/version"
	"github.com/lanyard/lanyard/core/wire"
)

// awaitedLine says that n servers may still dial in again until until:
// "12 servers linked before this console started have not dialed in
// again yet: they may take until 08:41:30."
func awaitedLine(n int, until, now time.Time) string {
	verb, they := "have", "they"
	if n == 1 {
		verb, they = "has", "it"
	}
	return fmt.Sprintf("%s linked before this console started %s not dialed in again yet: %s may take until %s.",
		human.Plural(n, "server", "servers"), verb, they, until.In(now.Location()).Format("15:04:05"))
}

// attentionMax is how many servers a summary names; the rest it counts.
const attentionMax = 8

// Texts of the summary page.
const (
	summaryAll         = "All servers"
	summaryAttention   = "Needs a look"
	summaryAllWell     = "Nothing needs a look: no server is offline or in error, and no backup has failed or is overdue."
	summaryPickGroup   = "Select one of its servers to see its details."
	summaryPickAny     = "Select a server in the tree to see its details."
	summaryBackupsNone = "no tasks known yet"
	summarySortByState = "Sort by State"
)

// fleetSummary is what the summary page shows of a group, or of every
// slave when nothing is selected.
type fleetSummary struct {
	title     string // the group's, "" for the fleet
	total     int
	counts    stateCounts
	backup    health.Counts
	agents    map[string]int // servers by the agent version they ran at their last link ("": not known yet)
	attention []*slaveEntry  // the worst first, at most attentionMax
	more      int            // how many more need a look
	outage    health.Outage  // many went offline together
	awaited   int            // offline, but may still dial in again since the console started
	never     int            // never linked: none of their tasks is known
	until     time.Time      // when the last of them may
	outageOK  bool           // outage is one
	byState   bool           // the tree is sorted by state: those come first
}

// Why a slave needs a look, worst first (attentionRank).
const (
	rankNone     = -1
	rankError    = 0
	rankOffline  = 1
	rankFailed   = 2
	rankOverdue  = 3
	rankDamaged  = 4
	rankPassword = 5
	rankFull     = 6
	rankWarned   = 7
)

// attentionRank orders what needs a look at now, worst first; rankNone:
// nothing does. A slave disabled by the user needs none; one connecting
// is on its way. Another agent refused under its name while it may still
// be dialing (a cloned server) needs a person as much as an error does.
func attentionRank(v *master.SlaveView, now time.Time) int {
	switch {
	case v.State == master.StateDisabled:
		return rankNone
	case v.State == master.StateError, v.Rival.Current(now):
		return rankError
	case v.State == master.StateOffline:
		return rankOffline
	case v.Backup.Failed > 0:
		return rankFailed
	case v.Backup.Overdue > 0:
		return rankOverdue
	case v.Backup.Damaged > 0:
		return rankDamaged
	case v.PasswordInDoubt:
		return rankPassword
	case v.Backup.Full > 0:
		return rankFull
	case v.Backup.Warned > 0:
		return rankWarned
	}
	return rankNone
}

// aboutBackups: a slave ranked so needs a look for its backups alone.
func aboutBackups(rank int) bool {
	return rank == rankFailed || rank == rankOverdue || rank == rankDamaged || rank == rankFull || rank == rankWarned
}

// needsFirst: a needs a look before b at now. Of two offline slaves, the
// one away longer, to the minute (never seen the longest of all), so that
// a site that went down at once is listed by name; then by name.
func needsFirst(a, b *slaveEntry, now time.Time) bool {
	ra, rb := attentionRank(&a.view, now), attentionRank(&b.view, now)
	if ra != rb {
		return ra < rb
	}
	sa, sb := a.view.LastSeen.Truncate(time.Minute), b.view.LastSeen.Truncate(time.Minute)
	if ra == rankOffline && !sa.Equal(sb) {
		return sa.Before(sb)
	}
	if c := cmp.Or(strings.Compare(a.sortKey, b.sortKey), strings.Compare(a.lname, b.lname)); c != 0 {
		return c < 0
	}
	return a.view.ID < b.view.ID
}

// summarize counts the slaves of group node id, or every slave for "",
// at now. It keeps only the attentionMax worst, so that it costs one pass
// over the slaves however many need a look. A slave that may still dial
// in again since the console started is counted apart, like one
// connecting: not yet gone, nor part of an outage.
func (m *treeModel) summarize(id string, now time.Time) fleetSummary {
	var s fleetSummary
	var g *groupInfo
	if id != "" {
		s.title = m.groupLabel(id)
		if g = m.groupsAll[id]; g == nil {
			return s
		}
		s.total, s.backup = g.total, g.backup
	} else {
		s.total, s.backup = len(m.slaves), m.backup
	}
	s.byState = m.order == sortByState
	s.agents = map[string]int{}
	var went []time.Time // when each offline slave went
	for _, e := range m.slaves {
		if g != nil && e.group != g {
			continue
		}
		s.counts[stateIndex(e.view.State)]++
		s.agents[e.view.Software]++
		if e.view.NeverLinked() {
			s.never++
		}
		switch {
		case m.awaited(&e.view, now):
			s.awaited++
			s.until = m.relinkUntil
			continue
		case attentionRank(&e.view, now) != rankNone:
			s.addAttention(e, now)
		}
		if e.view.State == master.StateOffline {
			went = append(went, e.view.LastSeen)
		}
	}
	s.outage, s.outageOK = health.FindOutage(went)
	return s
}

func (s *fleetSummary) addAttention(e *slaveEntry, now time.Time) {
	i := sort.Search(len(s.attention), func(i int) bool { return needsFirst(e, s.attention[i], now) })
	if i >= attentionMax {
		s.more++
		return
	}
	if len(s.attention) == attentionMax {
		s.attention = s.attention[:attentionMax-1]
		s.more++
	}
	s.attention = slices.Insert(s.attention, i, e)
}

// backupsLine is the summary's line of the backups' health: "Backups: 2
// ok · 1 failed · 1 server never linked, so not watched."
func backupsLine(c health.Counts, never int) string {
	line := summaryBackupsNone
	if c.Total() > 0 {
		line = c.String()
	}
	if never > 0 {
		line += " · " + notWatched(never)
	}
	return "Backups: " + line + "."
}

// agentsShown is how many agent versions a summary names; the rest it
// counts. agentVersionMax bounds each (an agent's own words).
const (
	agentsShown     = 3
	agentVersionMax = 32
)

// agentsText says which agent versions the servers ran at their last
// link, the most common first: "Agents: 1.4.0 on 412 · 1.3.2 on 3 · not
// known yet on 2", or "Agents: all on 1.4.0".
func agentsText(agents map[string]int) string {
	type ver struct {
		name string
		n    int
	}
	var vs []ver
	unknown := 0
	for sw, n := range agents {
		if sw == "" {
			unknown += n
			continue
		}
		vs = append(vs, ver{wire.PlainUpTo(version.OfAgent(sw), agentVersionMax), n})
	}
	if len(vs) == 0 {
		return ""
	}
	if len(vs) == 1 && unknown == 0 {
		return "Agents: all on " + vs[0].name + "."
	}
	slices.SortFunc(vs, func(a, b ver) int { return cmp.Or(b.n-a.n, strings.Compare(b.name, a.name)) })
	var parts []string
	for i, v := range vs {
		if i == agentsShown {
			rest := 0
			for _, o := range vs[i:] {
				rest += o.n
			}
			parts = append(parts, fmt.Sprintf("%s on %s", human.Plural(len(vs)-i, "other version", "other versions"), human.Count(rest)))
			break
		}
		parts = append(parts, v.name+" on "+human.Count(v.n))
	}
	if unknown > 0 {
		parts = append(parts, "not known yet on "+human.Count(unknown))
	}
	return "Agents: " + strings.Join(parts, " · ") + "."
}

// attentionText is why a slave needs a look: "offline (unreachable), last
// seen 2 Dec 2026 14:03 (1 d 3 h ago) · backups: 1 failed".
func attentionText(v *master.SlaveView, now time.Time) string {
	var parts []string
	switch v.State {
	case master.StateError:
		parts = append(parts, stateWord(v))
	case master.StateOffline:
		off := "offline"
		if why := problemTitle(v.LastCode); why != "" {
			off += " (" + why + ")"
		}
		seen := "never linked to this console"
		if !v.LastSeen.IsZero() {
			seen = "last seen " + human.Ago(v.LastSeen, now)
		}
		parts = append(parts, off+", "+seen)
	}
	if r := v.Rival; r.Current(now) && (v.State != master.StateError || v.LastCode != r.Code) {
		parts = append(parts, r.Line(now)) // an error of its own already says so
	}
	if b := v.Backup; b.Failed+b.Overdue > 0 {
		t := "backups: " + b.Problems(now.Location())
		if b.LastKnown {
			t += " (last known)"
		}
		parts = append(parts, t)
	}
	if v.PasswordInDoubt {
		parts = append(parts, "a password change awaits its answer")
	}
	if v.Backup.Damaged > 0 {
		parts = append(parts, health.WithDamageWords(v.Backup.Damaged))
	}
	if v.Backup.Full > 0 {
		parts = append(parts, health.NearlyFull(v.Backup.Full))
	}
	if v.Backup.Warned > 0 {
		parts = append(parts, health.WithWarningsWords(v.Backup.Warned))
	}
	return strings.Join(parts, " · ")
}

// summaryPane is the detail pane's page for a group, or for the whole
// fleet when nothing is selected: how many servers are in which state,
// their backups, and the servers that need a look, each a click away.
type summaryPane struct {
	obj      fyne.CanvasObject
	title    *widget.Label
	states   *widget.Label
	backups  *widget.Label
	agents   *widget.Label
	heading  *widget.Label
	allWell  *widget.Label
	awaited  *widget.Label // linked before the console started, not yet again
	outage   *widget.Label // many went offline together: the network?
	rows     [attentionMax]*attentionRow
	more     *widget.Label
	sortBtn  *widget.Button // sorts the tree by state, for the rest
	moreRow  fyne.CanvasObject
	hint     *widget.Label
	looks    stateLooks
	node     string            // the group node shown, "" for all
	pick     func(id string)   // shows a slave named in the list
	openList func(node string) // opens the Backups window on node's tasks
	byState  func()            // sorts the tree by state
}

// attentionRow is one slave that needs a look: its state's icon and its
// name as a link to it, in a column as wide as the longest name, and why.
type attentionRow struct {
	head fyne.CanvasObject
	icon *widget.Icon
	name *widget.Hyperlink
	why  *widget.Label
	id   string
}

func (r *attentionRow) setVisible(on bool) {
	showIf(r.head, on)
	showIf(r.why, on)
}

func newSummaryPane(looks stateLooks) *summaryPane {
	p := &summaryPane{looks: looks}
	p.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.title.SizeName = theme.SizeNameSubHeadingText
	p.states = widget.NewLabel("")
	p.backups = widget.NewLabel("")
	p.agents = widget.NewLabel("")
	p.agents.Truncation = fyne.TextTruncateEllipsis
	backupsBtn := widget.NewButtonWithIcon("Backups", theme.ListIcon(), func() {
		if p.openList != nil {
			p.openList(p.node)
		}
	})
	p.heading = widget.NewLabelWithStyle(summaryAttention, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.allWell = widget.NewLabel(summaryAllWell)
	p.allWell.Wrapping = fyne.TextWrapWord
	p.allWell.Importance = widget.SuccessImportance
	p.awaited = widget.NewLabel("")
	p.awaited.Wrapping = fyne.TextWrapWord
	p.awaited.Hide()
	p.outage = widget.NewLabel("")
	p.outage.Wrapping = fyne.TextWrapWord
	p.outage.Importance = widget.WarningImportance
	p.outage.Hide()
	list := container.New(layout.NewFormLayout())
	for i := range p.rows {
		r := &attentionRow{icon: widget.NewIcon(nil), why: widget.NewLabel("")}
		r.name = widget.NewHyperlink("", nil)
		r.name.OnTapped = func() {
			if p.pick != nil && r.id != "" {
				p.pick(r.id)
			}
		}
		r.why.Truncation = fyne.TextTruncateEllipsis
		r.head = container.NewHBox(container.NewCenter(r.icon), r.name)
		p.rows[i] = r
		list.Add(r.head)
		list.Add(r.why)
	}
	p.more = widget.NewLabel("")
	p.more.Wrapping = fyne.TextWrapWord
	p.more.Importance = widget.LowImportance
	p.sortBtn = widget.NewButtonWithIcon(summarySortByState, theme.MenuDropDownIcon(), func() {
		if p.byState != nil {
			p.byState()
		}
	})
	p.hint = widget.NewLabel("")
	p.hint.Importance = widget.LowImportance
	p.moreRow = container.NewBorder(nil, nil, nil, p.sortBtn, p.more)
	p.obj = container.NewVScroll(container.NewPadded(container.NewVBox(
		p.title,
		p.states,
		container.NewBorder(nil, nil, nil, backupsBtn, p.backups),
		p.agents,
		widget.NewSeparator(),
		p.heading, p.allWell, p.awaited, p.outage, list, p.moreRow,
		widget.NewSeparator(),
		p.hint,
	)))
	return p
}

// show fills the page with s, of group node ("" for all).
func (p *summaryPane) show(node string, s fleetSummary, now time.Time) {
	p.node = node
	if node == "" {
		p.title.SetText(summaryAll)
		p.hint.SetText(summaryPickAny)
	} else {
		p.title.SetText(s.title)
		p.hint.SetText(summaryPickGroup)
	}
	p.states.SetText(human.Plural(s.total, "server", "servers") + ": " + countsText(&s.counts))
	p.backups.SetText(backupsLine(s.backup, s.never))
	p.agents.SetText(agentsText(s.agents))
	showIf(p.agents, p.agents.Text != "")
	showIf(p.allWell, len(s.attention) == 0 && s.awaited == 0)
	if s.awaited > 0 {
		p.awaited.SetText(awaitedLine(s.awaited, s.until, now))
	}
	showIf(p.awaited, s.awaited > 0)
	if s.outageOK {
		p.outage.SetText(health.OutageLine(s.outage, s.outage.Servers == s.total, now))
	}
	showIf(p.outage, s.outageOK)
	for i, r := range p.rows {
		if i >= len(s.attention) {
			r.id = ""
			r.setVisible(false)
			continue
		}
		v := &s.attention[i].view
		r.id = v.ID
		r.icon.SetResource(p.looks.of(v.State))
		if r.name.Text != v.Name {
			r.name.SetText(v.Name)
		}
		r.why.SetText(attentionText(v, now))
		r.setVisible(true)
	}
	showIf(p.moreRow, s.more > 0)
	showIf(p.sortBtn, !s.byState)
	if s.more > 0 {
		more := "… and " + human.Count(s.more) + " more"
		if s.byState {
			more += ": the tree lists them first, worst first."
		} else {
			more += ". Sorted by State, the tree lists them all first, worst first."
		}
		p.more.SetText(more)
	}
}
