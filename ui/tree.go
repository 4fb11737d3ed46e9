package ui

import (
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
)

// serverTree is the left pane's tree: groups → slaves, virtualised by
// widget.Tree. Only the rows on screen exist; each remembers which node it
// shows, so a state change redraws that one row (if it is on screen) and
// never the whole tree.
type serverTree struct {
	widget.Tree
	model *treeModel
	looks stateLooks

	// bound maps a node ID to the row currently drawing it. A pooled row
	// may linger here after scrolling away; its id field tells.
	bound map[string]treeRow
	// known are the group nodes seen so far: a new group opens, a group
	// the user closed stays closed.
	known map[string]bool

	now      func() time.Time // for how long a slave has been offline
	selected string           // widget.Tree has no getter for it
	onSelect func(id string)  // a slave ID, a group node ID, or "" for none
	onKey    func(*fyne.KeyEvent) bool
	// onMenu opens the context menu of row id, selected just before, at
	// pos on the canvas (a right click).
	onMenu func(id string, pos fyne.Position)
}

// treeRow is a slave or group row.
type treeRow interface {
	fyne.CanvasObject
	boundID() string
}

func newServerTree(model *treeModel, now func() time.Time) *serverTree {
	t := &serverTree{model: model, now: now, looks: stateLooks{}, bound: map[string]treeRow{}, known: map[string]bool{}}
	t.ChildUIDs = model.children
	t.IsBranch = func(id string) bool { return id == "" || isGroupNode(id) }
	t.CreateNode = func(branch bool) fyne.CanvasObject {
		if branch {
			r := newGroupRow()
			r.tree = t
			return r
		}
		return newSlaveRow(t)
	}
	t.UpdateNode = t.updateNode
	t.HideSeparators = true
	t.OnSelected = func(id string) {
		t.selected = id
		if t.onSelect != nil {
			t.onSelect(id)
		}
	}
	// widget.Tree.Select unselects the old node before it selects the new
	// one: the pane briefly hears "" and then the new ID, on this thread.
	t.OnUnselected = func(id string) {
		if t.selected != id {
			return
		}
		t.selected = ""
		if t.onSelect != nil {
			t.onSelect("")
		}
	}
	t.ExtendBaseWidget(t)
	return t
}

// tapRow selects row id, as a tap on the tree's own node does, and gives
// the tree the keyboard focus. A row that takes a right click takes every
// click: the tree's node under it no longer hears the left ones.
func (t *serverTree) tapRow(id string) {
	if id == "" {
		return
	}
	t.Select(id)
	if c := fyne.CurrentApp().Driver().CanvasForObject(t); c != nil && c.Focused() != fyne.Focusable(t) {
		c.Focus(t)
	}
}

// menuRow selects row id and opens its context menu at pos.
func (t *serverTree) menuRow(id string, pos fyne.Position) {
	t.tapRow(id)
	if id != "" && t.onMenu != nil {
		t.onMenu(id, pos)
	}
}

// TypedKey lets the window's keys (Delete, F5) work while the tree has the
// keyboard focus; everything else goes to widget.Tree (arrows, space).
func (t *serverTree) TypedKey(e *fyne.KeyEvent) {
	if t.onKey != nil && t.onKey(e) {
		return
	}
	t.Tree.TypedKey(e)
}

func (t *serverTree) updateNode(id string, branch bool, o fyne.CanvasObject) {
	switch r := o.(type) {
	case *groupRow:
		t.bind(id, r)
		gc, _ := t.model.group(id)
		r.set(t.model.groupLabel(id), gc)
	case *slaveRow:
		t.bind(id, r)
		if v, ok := t.model.view(id); ok {
			r.set(&v, t.now())
		}
	}
}

func (t *serverTree) bind(id string, r interface {
	treeRow
	setID(string)
}) {
	if old := r.boundID(); old != id {
		if cur, ok := t.bound[old]; ok && cur == treeRow(r) {
			delete(t.bound, old)
		}
		r.setID(id)
	}
	t.bound[id] = r
}

// redraw shows what a model change did: one tree refresh when the shape
// changed, otherwise only the rows on screen that now differ from the
// model. Its cost follows the rows on screen, not the size of the batch.
func (t *serverTree) redraw(c change) {
	if c.reshaped {
		t.openNewGroups(false)
		t.Refresh()
		return
	}
	if len(c.rows) == 0 {
		return
	}
	for id, r := range t.bound {
		if r.boundID() != id {
			continue // a pooled row, since rebound
		}
		switch r := r.(type) {
		case *slaveRow:
			if e, ok := t.model.slaves[id]; ok && !sameRow(&r.drawn, &e.view) {
				r.set(&e.view, t.now())
			}
		case *groupRow:
			if gc, ok := t.model.group(id); ok && gc != r.drawn {
				r.set(t.model.groupLabel(id), gc)
			}
		}
	}
}

// refreshAges redraws the rows on screen whose slave has been offline
// long enough for its state word to change ("offline 59 min" → "offline
// 1 h", "waiting…" → "offline 10 h" once it may no longer be on its
// way, "copy refused" → "connected" once the copy stopped dialing), or
// whose mute ended; nothing else about them changed.
func (t *serverTree) refreshAges() {
	now := t.now()
	for id, r := range t.bound {
		s, ok := r.(*slaveRow)
		if !ok || s.boundID() != id {
			continue
		}
		if s.mute.Visible() && !muted(&s.drawn, now) {
			s.set(&s.drawn, now) // its mute ended
		}
		if s.drawn.State != master.StateOffline && s.drawn.Rival.At.IsZero() {
			continue
		}
		if w := treeStateWord(&s.drawn, now, t.model.awaited(&s.drawn, now)); w != s.state.Text {
			s.set(&s.drawn, now) // its mark may change too (no longer awaited)
		}
	}
}

// openNewGroups opens the groups the tree has not shown before. all opens
// them in one pass (the first snapshot).
func (t *serverTree) openNewGroups(all bool) {
	var fresh []string
	for _, g := range t.model.groups {
		if !t.known[g] {
			t.known[g] = true
			fresh = append(fresh, g)
		}
	}
	if len(fresh) == 0 {
		return
	}
	if all {
		t.OpenAllBranches()
		return
	}
	for _, g := range fresh {
		t.OpenBranch(g)
	}
}

// ---------------------------------------------------------------------------
// Rows

// Row geometry, in Fyne units.
const (
	rowIcon     = 16
	rowGap      = 6
	stateColumn = 96 // "connecting…", "error" and the like
	badgeWidth  = 44
	lockWidth   = 16
	rowInset    = 10 // keeps the last column clear of the scroll bar
)

// slaveRow draws one slave: state mark, name, state word, direction badge
// and SSL padlock, in fixed columns so rows line up.
type slaveRow struct {
	widget.BaseWidget
	tree  *serverTree
	id    string
	icon  *stateMark
	bmark *backupMark // the worst backup state, beside the link's
	name  *canvas.Text
	full  string // the untruncated name
	state *canvas.Text
	dir   *badge
	lock  *canvas.Image
	ssl   bool          // what lock shows
	mute  *canvas.Image // shown while its alerts are muted, after the name
	width float32
	drawn master.SlaveView // what the row shows
	// The colours of name and state, by name, so that a change of
	// appearance (View > Appearance) redraws them in the new theme.
	nameTone, stateTone fyne.ThemeColorName
}

// newSlaveRow is a row of tree t.
func newSlaveRow(t *serverTree) *slaveRow {
	r := &slaveRow{
		tree:  t,
		icon:  newStateMark(t.looks),
		bmark: newBackupMark(),
		name:  canvas.NewText("", theme.Color(theme.ColorNameForeground)),
		state: canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder)),
		dir:   newBadge(),
		lock:  canvas.NewImageFromResource(lockIcon(true)),
		ssl:   true,
		mute:  canvas.NewImageFromResource(theme.VolumeMuteIcon()),
	}
	r.lock.FillMode = canvas.ImageFillContain
	r.mute.FillMode = canvas.ImageFillContain
	r.mute.Hide()
	r.state.TextSize = theme.CaptionTextSize() + 1
	r.ExtendBaseWidget(r)
	return r
}

func (r *slaveRow) boundID() string { return r.id }
func (r *slaveRow) setID(id string) { r.id = id }

// Tapped selects the row; TappedSecondary opens its context menu.
func (r *slaveRow) Tapped(*fyne.PointEvent) { r.tree.tapRow(r.id) }
func (r *slaveRow) TappedSecondary(e *fyne.PointEvent) {
	r.tree.menuRow(r.id, e.AbsolutePosition)
}

// set shows v, as seen at now.
func (r *slaveRow) set(v *master.SlaveView, now time.Time) {
	r.drawn = *v
	awaited := r.tree.model.awaited(v, now)
	if awaited {
		r.icon.set(string(master.StateConnecting)) // on its way, likelier than gone
	} else {
		r.icon.set(string(v.State))
	}
	setBackupMark(r.bmark, v.Backup.Worst, v.Backup.LastKnown)
	r.full = v.Name
	if m := muted(v, now); m != r.mute.Visible() {
		if m {
			r.mute.Show()
		} else {
			r.mute.Hide()
		}
		r.Refresh() // the name's width changes: lay the row out again
	}
	r.nameTone = theme.ColorNameForeground
	if v.State == master.StateDisabled {
		r.nameTone = theme.ColorNamePlaceHolder
	}
	r.name.Color = theme.Color(r.nameTone)
	r.fitName()
	r.name.Refresh()
	r.placeMute(r.Size())
	r.state.Text = treeStateWord(v, now, awaited)
	r.stateTone = theme.ColorNamePlaceHolder
	switch {
	case v.State == master.StateError:
		r.stateTone = theme.ColorNameError
	case rivalNow(v, now):
		r.stateTone = theme.ColorNameWarning
	}
	r.state.Color = theme.Color(r.stateTone)
	r.state.Refresh()
	if v.Direction == store.Inbound {
		r.dir.set("← in")
	} else {
		r.dir.set("out →")
	}
	// Redrawing an SVG image costs far more than the rest of the row:
	// only when the padlock changes.
	if v.State != master.StateConnected {
		r.lock.Hide()
		return
	}
	if r.ssl != v.SSL {
		r.ssl = v.SSL
		r.lock.Resource = lockIcon(v.SSL)
		r.lock.Refresh()
	}
	r.lock.Show()
}

// treeStateWord is a row's state: stateWord, and for a slave offline
// that was seen before, for how long, to the minute: "offline 3 h"; for
// one that may still dial in again since the console started (awaited),
// "waiting…"; for a linked slave whose rival may still be dialing, that
// it is refused: "copy refused" (the Overview says more).
func treeStateWord(v *master.SlaveView, now time.Time, awaited bool) string {
	if awaited {
		return "waiting…"
	}
	if rivalNow(v, now) {
		if wire.Code(v.Rival.Code) == wire.CodeSharedInstall {
			return "copy refused"
		}
		return "rival refused"
	}
	w := stateWord(v)
	if v.State != master.StateOffline || v.LastSeen.IsZero() {
		return w
	}
	if away := now.Sub(v.LastSeen); away >= time.Minute {
		w += " " + human.Age(away)
	}
	return w
}

// rivalNow: v is linked, and an agent claiming it was refused lately.
func rivalNow(v *master.SlaveView, now time.Time) bool {
	return v.State == master.StateConnected && v.Rival.Current(now)
}

// stateWord is the state in words, beside the mark, for those who cannot
// tell the colours apart.
func stateWord(v *master.SlaveView) string {
	switch v.State {
	case master.StateConnected:
		return "connected"
	case master.StateConnecting:
		return "connecting…"
	case master.StateError:
		if t := problemTitle(v.LastCode); t != "" {
			return t
		}
		return "error"
	case master.StateDisabled:
		return "disabled"
	default:
		return "offline"
	}
}

// fitName truncates the name with an ellipsis to the width it has.
func (r *slaveRow) fitName() {
	r.name.Text = fitText(r.full, r.nameWidth(r.width), r.name.TextSize, r.name.TextStyle)
}

// fitText is s, cut with an ellipsis to the longest prefix that fits in
// width (s whole when it fits, or when width is not known yet).
func fitText(s string, width, size float32, style fyne.TextStyle) string {
	if width <= 0 || fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	runes := []rune(s)
	lo, hi := 0, len(runes)
	for lo < hi { // the longest prefix that fits with "…"
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(string(runes[:mid])+"…", size, style).Width <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(runes[:lo]) + "…"
}

// placeMute puts the mute mark, when shown, just after the name as it
// is drawn now (a row bound to another slave draws another name).
func (r *slaveRow) placeMute(size fyne.Size) {
	if !r.mute.Visible() {
		return
	}
	x := float32(2*(rowIcon+rowGap)) + min(r.nameWidth(size.Width), r.name.MinSize().Width) + rowGap
	r.mute.Resize(fyne.NewSquareSize(rowIcon))
	r.mute.Move(fyne.NewPos(x, (size.Height-rowIcon)/2))
}

func (r *slaveRow) nameWidth(w float32) float32 {
	w -= 2*(rowIcon+rowGap) + (rowGap + stateColumn + rowGap + badgeWidth + rowGap + lockWidth + rowInset)
	if r.mute.Visible() {
		w -= rowGap + rowIcon
	}
	return w
}

func (r *slaveRow) CreateRenderer() fyne.WidgetRenderer {
	return &slaveRowRenderer{r: r}
}

type slaveRowRenderer struct{ r *slaveRow }

func (s *slaveRowRenderer) Layout(size fyne.Size) {
	r := s.r
	if r.width != size.Width {
		r.width = size.Width
		r.fitName()
	}
	r.icon.Resize(fyne.NewSquareSize(rowIcon))
	r.icon.Move(fyne.NewPos(0, (size.Height-rowIcon)/2))
	r.bmark.Resize(fyne.NewSquareSize(rowIcon))
	r.bmark.Move(fyne.NewPos(rowIcon+rowGap, (size.Height-rowIcon)/2))
	x := float32(2 * (rowIcon + rowGap))
	nameH := r.name.MinSize().Height
	r.name.Move(fyne.NewPos(x, (size.Height-nameH)/2))
	r.name.Resize(fyne.NewSize(r.nameWidth(size.Width), nameH))
	r.placeMute(size)

	right := size.Width - rowInset - lockWidth
	r.lock.Resize(fyne.NewSquareSize(lockWidth))
	r.lock.Move(fyne.NewPos(right, (size.Height-lockWidth)/2))
	right -= rowGap + badgeWidth
	bh := r.dir.MinSize().Height
	r.dir.Resize(fyne.NewSize(badgeWidth, bh))
	r.dir.Move(fyne.NewPos(right, (size.Height-bh)/2))
	right -= rowGap + stateColumn
	sh := r.state.MinSize().Height
	r.state.Move(fyne.NewPos(right, (size.Height-sh)/2))
	r.state.Resize(fyne.NewSize(stateColumn, sh))
}

func (s *slaveRowRenderer) MinSize() fyne.Size {
	h := s.r.name.MinSize().Height + 2*theme.Padding()
	return fyne.NewSize(2*(rowIcon+rowGap)+58+rowGap+stateColumn+rowGap+badgeWidth+rowGap+lockWidth+rowInset, h)
}

func (s *slaveRowRenderer) Refresh() {
	s.Layout(s.r.Size()) // the mute mark came or went
	// The theme may have changed: the colours again, by name.
	if s.r.nameTone != "" {
		s.r.name.Color, s.r.state.Color = theme.Color(s.r.nameTone), theme.Color(s.r.stateTone)
	}
	s.r.name.Refresh()
	s.r.state.Refresh()
	s.r.dir.Refresh()
}

func (s *slaveRowRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{s.r.icon, s.r.bmark, s.r.name, s.r.mute, s.r.state, s.r.dir, s.r.lock}
}

func (s *slaveRowRenderer) Destroy() {}

// groupRow draws a group: its name in bold and how many are connected.
type groupRow struct {
	widget.BaseWidget
	tree  *serverTree
	id    string
	name  *canvas.Text
	count *canvas.Text
	drawn groupCount
}

func newGroupRow() *groupRow {
	r := &groupRow{
		name:  canvas.NewText("", theme.Color(theme.ColorNameForeground)),
		count: canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder)),
	}
	r.name.TextStyle.Bold = true
	r.count.TextSize = theme.CaptionTextSize() + 1
	r.count.Alignment = fyne.TextAlignTrailing
	r.ExtendBaseWidget(r)
	return r
}

func (r *groupRow) boundID() string { return r.id }
func (r *groupRow) setID(id string) { r.id = id }

// Tapped selects the row; TappedSecondary opens its context menu.
func (r *groupRow) Tapped(*fyne.PointEvent) { r.tree.tapRow(r.id) }
func (r *groupRow) TappedSecondary(e *fyne.PointEvent) {
	r.tree.menuRow(r.id, e.AbsolutePosition)
}

func (r *groupRow) set(name string, gc groupCount) {
	r.drawn = gc
	r.name.Text = name
	r.name.Refresh()
	r.count.Text = human.Count(gc.connected) + " of " + human.Count(gc.total) + " connected"
	if gc.backup.Total() > 0 {
		r.count.Text += " · " + gc.backup.String()
	}
	r.count.Refresh()
}

func (r *groupRow) CreateRenderer() fyne.WidgetRenderer { return &groupRowRenderer{r: r} }

type groupRowRenderer struct{ r *groupRow }

func (g *groupRowRenderer) Layout(size fyne.Size) {
	nh := g.r.name.MinSize().Height
	g.r.name.Move(fyne.NewPos(0, (size.Height-nh)/2))
	g.r.name.Resize(fyne.NewSize(size.Width/2, nh))
	ch := g.r.count.MinSize().Height
	g.r.count.Move(fyne.NewPos(size.Width/2, (size.Height-ch)/2))
	g.r.count.Resize(fyne.NewSize(size.Width/2-rowInset, ch))
}

func (g *groupRowRenderer) MinSize() fyne.Size {
	return fyne.NewSize(200, g.r.name.MinSize().Height+2*theme.Padding())
}

func (g *groupRowRenderer) Refresh() {
	g.r.name.Color = theme.Color(theme.ColorNameForeground) // the theme may have changed
	g.r.count.Color = theme.Color(theme.ColorNamePlaceHolder)
	g.r.name.Refresh()
	g.r.count.Refresh()
}

func (g *groupRowRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{g.r.name, g.r.count}
}

func (g *groupRowRenderer) Destroy() {}

// badge is a small outlined pill of text.
type badge struct {
	widget.BaseWidget
	bg   *canvas.Rectangle
	text *canvas.Text
}

func newBadge() *badge {
	b := &badge{bg: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", theme.Color(theme.ColorNameForeground))}
	b.bg.StrokeWidth = 1
	b.bg.CornerRadius = 7
	b.text.TextSize = theme.CaptionTextSize()
	b.text.Alignment = fyne.TextAlignCenter
	b.ExtendBaseWidget(b)
	return b
}

func (b *badge) set(s string) {
	if b.text.Text == s {
		return
	}
	b.text.Text = s
	b.text.Refresh()
}

func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	r := &badgeRenderer{b: b}
	r.Refresh() // outlined from the start, not only once the theme changes
	return r
}

type badgeRenderer struct{ b *badge }

func (r *badgeRenderer) Layout(size fyne.Size) {
	r.b.bg.Resize(size)
	th := r.b.text.MinSize().Height
	r.b.text.Move(fyne.NewPos(0, (size.Height-th)/2))
	r.b.text.Resize(fyne.NewSize(size.Width, th))
}

func (r *badgeRenderer) MinSize() fyne.Size {
	m := r.b.text.MinSize()
	return fyne.NewSize(m.Width+10, m.Height+2)
}

func (r *badgeRenderer) Refresh() {
	r.b.bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	r.b.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.b.text.Color = theme.Color(theme.ColorNameForeground)
	r.b.bg.Refresh()
	r.b.text.Refresh()
}

func (r *badgeRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.b.bg, r.b.text} }

func (r *badgeRenderer) Destroy() {}

// stateMark shows a slave's link state; backupMark its worst backup
// state, beside it.
type (
	stateMark  = mark
	backupMark = mark
)

func newStateMark(looks stateLooks) *stateMark {
	return newMark(func(k string) fyne.Resource { return looks.of(master.State(k)) })
}

func newBackupMark() *backupMark {
	return newMark(func(k string) fyne.Resource {
		s, lastKnown := strings.CutSuffix(k, lastKnownKey)
		return backupIcon(health.State(s), lastKnown)
	})
}

// lastKnownKey marks the key of a backup mark that is last known.
const lastKnownKey = "~last-known"

// setBackupMark shows state s, in grey when it is last known (the slave
// is not linked): its shape still says what it was.
func setBackupMark(m *backupMark, s health.State, lastKnown bool) {
	k := string(s)
	if lastKnown && s != "" {
		k += lastKnownKey
	}
	m.set(k)
}

// mark shows one of a few icons, by key. It keeps one image per key, each
// drawn once, and shows the one that applies: a row whose state flips
// costs no SVG rendering.
type mark struct {
	widget.BaseWidget
	looks  func(string) fyne.Resource
	images map[string]*canvas.Image
	shown  string
	objs   []fyne.CanvasObject
}

func newMark(looks func(string) fyne.Resource) *mark {
	m := &mark{looks: looks, images: map[string]*canvas.Image{}}
	m.ExtendBaseWidget(m)
	return m
}

func (m *mark) set(s string) {
	if s == m.shown && m.images[s] != nil {
		return
	}
	if cur := m.images[m.shown]; cur != nil {
		cur.Hide()
	}
	m.shown = s
	img := m.images[s]
	if img == nil {
		res := m.looks(s)
		if res == nil {
			return
		}
		img = canvas.NewImageFromResource(res)
		img.FillMode = canvas.ImageFillContain
		img.Resize(m.Size())
		m.images[s] = img
		m.objs = append(m.objs, img)
		m.Refresh() // the renderer learns of the new image
		return
	}
	img.Show()
}

func (m *mark) CreateRenderer() fyne.WidgetRenderer { return &markRenderer{m: m} }

type markRenderer struct{ m *mark }

func (r *markRenderer) Layout(size fyne.Size) {
	for _, o := range r.m.objs {
		o.Resize(size)
	}
}

func (r *markRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(rowIcon) }

func (r *markRenderer) Refresh() {
	for _, o := range r.m.objs {
		o.Resize(r.m.Size())
	}
	for s, img := range r.m.images {
		if s != r.m.shown {
			img.Hide()
		} else if !img.Visible() {
			img.Show()
		}
	}
}

func (r *markRenderer) Objects() []fyne.CanvasObject { return r.m.objs }

func (r *markRenderer) Destroy() {}
