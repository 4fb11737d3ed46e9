package ui

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
)

// The Restore dialog: pick a snapshot, browse its folders in a
// virtualised tree that reads each folder from the agent only when it is
// opened, tick what to restore, name a target folder on the server, and
// restore, with progress and a summary at the end. Existing files are not
// replaced unless "Replace existing files" is ticked (off by default):
// without it the agent refuses before writing anything.

// Texts of the Restore dialog.
const (
	rdTitle     = "Restore"
	rdWhole     = "The whole snapshot"
	rdTarget    = "Restore into"
	rdOverwrite = "Replace files that already exist there"
	rdRestore   = "Restore"
	// rdMaxEntries bounds what one folder shows.
	rdMaxEntries = 5000
)

type restoreNode struct {
	entry    backup.BrowseEntry
	children []string
	loaded   bool
	loading  bool
	note     string // a problem reading it, or entries left out
}

type restoreDialog struct {
	d     *dialog.CustomDialog
	win   fyne.Window
	r     runner
	rm    Remote
	slave string
	task  string

	snaps     []backup.SnapshotInfo
	snapSel   *dialogSelect
	whole     *dialogCheck
	tree      *widget.Tree
	target    *dialogEntry
	overwrite *dialogCheck
	status    *widget.Label
	restore   *widget.Button

	snapshot string
	nodes    map[string]*restoreNode // by path; "" is the snapshot's top
	ticked   map[string]bool
	auto     map[string]bool // folders opened because they were a parent's only entry
	gen      int
	ctx      context.Context
	cancel   context.CancelFunc
}

// showRestoreDialog opens the dialog on snapshot ("" for the newest).
func showRestoreDialog(win fyne.Window, r runner, rm Remote, slave, task, snapshot string) *restoreDialog {
	rd := &restoreDialog{win: win, r: r, rm: rm, slave: slave, task: task, snapshot: snapshot,
		nodes: map[string]*restoreNode{}, ticked: map[string]bool{}, auto: map[string]bool{}}
	rd.ctx, rd.cancel = context.WithCancel(context.Background())
	rd.snapSel = newDialogSelect(win.Canvas(), nil, rd.pickSnapshot)
	rd.snapSel.PlaceHolder = "Reading the snapshots…"
	rd.whole = newDialogCheck(win.Canvas(), rdWhole, func(bool) { rd.tree.Refresh(); rd.showState() })
	rd.tree = widget.NewTree(rd.childUIDs, rd.isBranch, rd.newNode, rd.updateNode)
	rd.tree.OnBranchOpened = rd.open
	rd.target = newDialogEntry(win.Canvas())
	rd.target.SetPlaceHolder("a folder on the server, e.g. /srv/restore")
	rd.target.OnChanged = func(string) { rd.showState() }
	rd.overwrite = newDialogCheck(win.Canvas(), rdOverwrite, nil)
	rd.status = widget.NewLabel("")
	rd.status.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), rd.close)
	rd.restore = widget.NewButtonWithIcon(rdRestore, theme.DownloadIcon(), rd.submit)
	rd.restore.Importance = widget.HighImportance
	bold := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	top := container.NewVBox(
		container.NewBorder(nil, nil, bold("Snapshot"), nil, rd.snapSel),
		container.NewBorder(nil, nil, bold("What to restore"), nil, rd.whole))
	note := widget.NewLabel("Each path keeps its full path below the target: /home/alice/a.txt goes to TARGET/home/alice/a.txt.")
	note.Importance = widget.LowImportance
	note.Wrapping = fyne.TextWrapWord
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, bold(rdTarget), nil, rd.target),
		note, rd.overwrite, rd.status)
	rd.d = dialog.NewCustomWithoutButtons(rdTitle+" "+task+" on "+slave, container.NewBorder(top, bottom, nil, nil, rd.tree), win)
	rd.d.SetButtons([]fyne.CanvasObject{cancel, rd.restore})
	giveKeysBack := dialogKeys(win.Canvas(), rd.close, nil)
	rd.d.SetOnClosed(func() { rd.cancel(); giveKeysBack() })
	rd.d.Resize(fyne.NewSize(700, 640))
	rd.d.Show()
	rd.showState()
	rd.loadSnapshots()
	return rd
}

func (rd *restoreDialog) close() {
	rd.cancel()
	rd.d.Hide()
}

// loadSnapshots reads the task's snapshots, newest first.
func (rd *restoreDialog) loadSnapshots() {
	rd.r.spawn(func(wctx context.Context) {
		defer context.AfterFunc(wctx, rd.cancel)()
		snaps, err := rd.rm.TaskSnapshots(rd.ctx, rd.slave, rd.task)
		rd.r.do(func() {
			if err != nil {
				rd.status.SetText(capitalize(err.Error()))
				return
			}
			if len(snaps) == 0 {
				rd.status.SetText(rd.task + " has no snapshots yet: run it first.")
				rd.snapSel.PlaceHolder = "No snapshots"
				rd.snapSel.Refresh()
				return
			}
			sort.Slice(snaps, func(i, j int) bool { return snaps[i].Time.After(snaps[j].Time) })
			rd.snaps = snaps
			var opts []string
			pick := 0
			for i, s := range snaps {
				opts = append(opts, snapshotLabel(s))
				if s.ID == rd.snapshot {
					pick = i
				}
			}
			rd.snapSel.Options = opts
			rd.snapSel.SetSelectedIndex(pick)
		})
	})
}

func snapshotLabel(s backup.SnapshotInfo) string {
	return fmt.Sprintf("%s · %s · %s files, %s", s.Time.Local().Format("2006-01-02 15:04"), s.Result, human.Count(s.Files), human.Bytes(max(s.Bytes, 0)))
}

// pickSnapshot shows another snapshot's folders.
func (rd *restoreDialog) pickSnapshot(string) {
	i := rd.snapSel.SelectedIndex()
	if i < 0 || i >= len(rd.snaps) {
		return
	}
	rd.snapshot = rd.snaps[i].ID
	rd.gen++
	rd.nodes = map[string]*restoreNode{"": {entry: backup.BrowseEntry{Type: backup.TypeDir}}}
	rd.ticked = map[string]bool{}
	rd.auto = map[string]bool{}
	rd.tree.CloseAllBranches()
	rd.open("")
	rd.tree.Refresh()
	rd.showState()
}

// open reads a folder the first time it is opened.
func (rd *restoreDialog) open(id string) {
	n := rd.nodes[id]
	if n == nil || n.loaded || n.loading {
		return
	}
	n.loading = true
	gen, snap := rd.gen, rd.snapshot
	dir := id
	if dir == "" {
		dir = "/"
	}
	rd.r.spawn(func(wctx context.Context) {
		defer context.AfterFunc(wctx, rd.cancel)()
		var entries []backup.BrowseEntry
		var total int
		var err error
		after := ""
		for len(entries) < rdMaxEntries {
			var page backup.BrowsePage
			page, err = rd.rm.BrowseSnapshot(rd.ctx, rd.slave, rd.task, snap, dir, after, backup.BrowseMaxEntries)
			if err != nil {
				break
			}
			entries = append(entries, page.Entries...)
			total = page.Total
			if page.Next == "" {
				break
			}
			after = page.Next
		}
		rd.r.do(func() {
			if rd.gen != gen {
				return
			}
			n.loading, n.loaded = false, true
			if err != nil {
				n.note = capitalize(err.Error())
				rd.status.SetText(n.note)
			}
			if total > len(entries) {
				rd.status.SetText(fmt.Sprintf("%s holds %s entries; the first %s are shown (restore the folder, or type a path).", dir, human.Count(total), human.Count(len(entries))))
			}
			n.children = n.children[:0]
			for _, e := range entries {
				child := path.Join(dir, e.Name)
				rd.nodes[child] = &restoreNode{entry: e}
				n.children = append(n.children, child)
			}
			rd.tree.Refresh()
			// A folder whose only entry is a folder (/srv, /srv/home …
			// down to a source) opens that one too, so the files show.
			if len(entries) == 1 && entries[0].Type == backup.TypeDir && n.note == "" {
				only := n.children[0]
				rd.auto[only] = true
				rd.tree.OpenBranch(only)
			} else if rd.auto[id] && len(n.children) > 0 {
				// The end of such a chain: show it at the top, its
				// entries below.
				rd.tree.ScrollTo(n.children[len(n.children)-1])
				rd.tree.ScrollTo(id)
			}
		})
	})
}

func (rd *restoreDialog) childUIDs(id string) []string {
	if n := rd.nodes[id]; n != nil {
		return n.children
	}
	return nil
}

func (rd *restoreDialog) isBranch(id string) bool {
	n := rd.nodes[id]
	return n != nil && n.entry.Type == backup.TypeDir
}

// restoreRow is one line of the tree: a tick, an icon, the name and size.
type restoreRow struct {
	widget.BaseWidget
	check *dialogCheck
	icon  *widget.Icon
	name  *widget.Label
	size  *widget.Label
	id    string
	quiet bool // set by the code, not the user: no callback
}

func (rd *restoreDialog) newNode(bool) fyne.CanvasObject {
	row := &restoreRow{icon: widget.NewIcon(nil), name: widget.NewLabel(""), size: widget.NewLabel("")}
	row.name.Truncation = fyne.TextTruncateEllipsis
	row.size.Importance = widget.LowImportance
	row.check = newDialogCheck(rd.win.Canvas(), "", func(on bool) {
		if row.quiet {
			return
		}
		if on {
			rd.ticked[row.id] = true
		} else {
			delete(rd.ticked, row.id)
		}
		rd.tree.Refresh() // what is inside follows
		rd.showState()
	})
	row.ExtendBaseWidget(row)
	return row
}

func (row *restoreRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, container.NewHBox(row.check, row.icon), row.size, row.name))
}

func (rd *restoreDialog) updateNode(id string, _ bool, o fyne.CanvasObject) {
	row := o.(*restoreRow)
	row.id = id
	n := rd.nodes[id]
	if n == nil {
		return
	}
	e := n.entry
	switch e.Type {
	case backup.TypeDir:
		row.icon.SetResource(theme.FolderIcon())
		row.size.SetText("")
	case backup.TypeSymlink:
		row.icon.SetResource(theme.FileIcon())
		row.size.SetText("→ " + e.Target)
	default:
		row.icon.SetResource(theme.FileIcon())
		row.size.SetText(human.Bytes(max(e.Size, 0)))
	}
	name := e.Name
	if n.note != "" && n.loaded {
		name += "  (" + n.note + ")"
	}
	row.name.SetText(name)
	inherited := rd.whole.Checked || rd.ancestorTicked(id)
	row.quiet = true
	row.check.SetChecked(inherited || rd.ticked[id])
	row.quiet = false
	// A folder with something ticked inside shows a partial tick; ticking
	// it takes the whole folder.
	if !row.check.Checked && rd.descendantTicked(id) {
		row.check.Partial = true
		row.check.Refresh()
	}
	if inherited {
		row.check.Disable()
	} else {
		row.check.Enable()
	}
}

// ancestorTicked says whether a folder above id is ticked.
func (rd *restoreDialog) ancestorTicked(id string) bool {
	for p := path.Dir(id); p != "/" && p != "." && p != ""; p = path.Dir(p) {
		if rd.ticked[p] {
			return true
		}
	}
	return false
}

// descendantTicked says whether something inside folder id is ticked.
func (rd *restoreDialog) descendantTicked(id string) bool {
	prefix := strings.TrimSuffix(id, "/") + "/"
	for p := range rd.ticked {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// paths is what to restore: the ticked paths not inside another; nil for
// the whole snapshot.
func (rd *restoreDialog) paths() []string {
	if rd.whole.Checked {
		return nil
	}
	var out []string
	for p := range rd.ticked {
		if !rd.ancestorTicked(p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (rd *restoreDialog) showState() {
	target := strings.TrimSpace(rd.target.Text)
	okTarget := backup.AbsOnServer(target)
	what := rd.whole.Checked || len(rd.ticked) > 0
	if rd.snapshot != "" && okTarget && what {
		rd.restore.Enable()
	} else {
		rd.restore.Disable()
	}
	switch {
	case rd.snapshot == "":
	case !what:
		rd.status.SetText("Tick the files and folders to restore, or the whole snapshot.")
	case target != "" && !okTarget:
		rd.status.SetText(fmt.Sprintf("%q is not an absolute path on the server.", target))
	case target == "":
		rd.status.SetText("Name the folder on the server to restore into.")
	default:
		n := len(rd.paths())
		if rd.whole.Checked {
			rd.status.SetText("The whole snapshot will be restored into " + target + ".")
		} else {
			rd.status.SetText(fmt.Sprintf("%s will be restored into %s.", human.Plural(n, "path", "paths"), target))
		}
	}
}

// submit restores with progress, then says what was done.
func (rd *restoreDialog) submit() {
	opt := backup.RestoreOptions{Target: strings.TrimSpace(rd.target.Text), Paths: rd.paths(), Overwrite: rd.overwrite.Checked}
	snap, task, slave := rd.snapshot, rd.task, rd.slave
	rd.d.Hide()
	ctx, cancel := context.WithCancel(context.Background())
	pd := showProgress(rd.win, "Restoring "+task, "Restoring from snapshot "+snap+" into "+opt.Target+" on "+slave+"…", cancel)
	pump := newProgressPump(rd.r, pd.update)
	rd.r.spawn(func(wctx context.Context) {
		defer cancel()
		defer context.AfterFunc(wctx, cancel)()
		pctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); pump.run(pctx) }()
		rr, err := rd.rm.RestoreSnapshot(ctx, slave, task, snap, opt, pump.offer)
		stop()
		<-done
		rd.r.do(func() {
			pd.d.Hide()
			switch {
			case err != nil && ctx.Err() != nil:
				showInfo(rd.win, "Restore cancelled", "The restore into "+opt.Target+" was stopped; what was already copied stays there.")
			case err != nil:
				rd.status.SetText(capitalize(err.Error()))
				rd.d.Show() // keep the choices; fix and try again
			default:
				showRestoreSummary(rd.win, slave, rr)
			}
		})
	})
}

func showRestoreSummary(win fyne.Window, slave string, rr backup.RestoreReport) {
	var b strings.Builder
	fmt.Fprintf(&b, "Restored %s (%s), %s and %s from snapshot %s into %s on %s.",
		human.Plural(rr.Files, "file", "files"), human.Bytes(max(rr.Bytes, 0)), human.Plural(rr.Dirs, "folder", "folders"),
		human.Plural(rr.Symlinks, "link", "links"), rr.Snapshot, rr.Target, slave)
	if rr.Replaced > 0 {
		fmt.Fprintf(&b, "\n%s.", human.Plural(rr.Replaced, "existing file was replaced", "existing files were replaced"))
	}
	if len(rr.Paths) > 0 {
		b.WriteString("\n\n")
		for i, p := range rr.Paths {
			if i == 20 {
				fmt.Fprintf(&b, "… and %d more\n", len(rr.Paths)-20)
				break
			}
			b.WriteString(p + "\n")
		}
	}
	for _, w := range rr.Warnings {
		b.WriteString("\nWarning: " + w)
	}
	l := widget.NewLabel(strings.TrimSpace(b.String()))
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Restore finished", "Close", container.NewVScroll(l), win)
	guardDialog(win, d, d.Hide, d.Hide)
	d.Resize(fyne.NewSize(600, 360))
	d.Show()
}
