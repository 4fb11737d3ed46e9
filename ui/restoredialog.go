package ui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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
// opened (or Find a file's versions in every snapshot and choose one),
// tick what to restore, name a target folder on the server, and
// restore (into a folder, or to where the files were), with progress and
// a summary at the end. What to do with a file that exists there already
// is chosen: stop before writing anything (the default), leave it and
// restore the rest, or replace it.

// Texts of the Restore dialog.
const (
	rdTitle     = "Restore"
	rdWhole     = "The whole snapshot"
	rdWhere     = "Restore to"
	rdIntoDir   = "A folder"
	rdOriginal  = "Where the files were"
	rdExisting  = "A file there already"
	rdStop      = "Stops the restore"
	rdSkip      = "Is left as it is"
	rdOverwrite = "Is replaced"
	rdRestore   = "Restore"
	rdFind      = "Find a file"
	rdFindHint  = "its name in any snapshot, e.g. budget*.xlsx"
	rdFindPick  = "Restore This Version"
)

// rdFindLimit is how many files the Find lists.
const rdFindLimit = 200

type restoreDialog struct {
	d     *dialog.CustomDialog
	win   fyne.Window
	r     runner
	rm    Remote
	slave string
	task  string
	eg    serverPaths // the examples, as the slave writes paths

	snaps     []backup.SnapshotInfo
	snapSel   *dialogSelect
	whole     *dialogCheck
	ft        *folderTree  // the snapshot's folders, ticked to restore them
	where     *dialogRadio // into a folder, or to where the files were
	target    *dialogEntry
	browse    *widget.Button
	note      *widget.Label
	existing  *dialogRadio // what becomes of a file there already
	find      *dialogEntry // a name to look for in every snapshot
	findBtn   *findButton
	lastFound *dialog.CustomDialog // the last list of what Find found (tests)
	status    *widget.Label
	restore   *widget.Button
	picker    *folderPicker // the last opened by Browse…

	snapshot  string
	tickFirst string // ticked once the snapshots are read, in snapshot (a file found)
	ctx       context.Context
	cancel    context.CancelFunc
}

// showRestoreDialog opens the dialog on snapshot ("" for the newest).
func showRestoreDialog(win fyne.Window, r runner, rm Remote, slave, task, snapshot string, paths serverPaths) *restoreDialog {
	rd := &restoreDialog{win: win, r: r, rm: rm, slave: slave, task: task, snapshot: snapshot, eg: paths}
	rd.ctx, rd.cancel = context.WithCancel(context.Background())
	rd.snapSel = newDialogSelect(win.Canvas(), nil, rd.pickSnapshot)
	rd.snapSel.PlaceHolder = "Reading the snapshots…"
	rd.whole = newDialogCheck(win.Canvas(), rdWhole, func(bool) { rd.ft.tree.Refresh(); rd.showState() })
	rd.ft = newFolderTree(win.Canvas(), r, rd.ctx, nil, func(s string) { rd.status.SetText(s) })
	rd.ft.ticks, rd.ft.all, rd.ft.onTicked = true, func() bool { return rd.whole.Checked }, rd.showState
	rd.ft.snapOf = paths.goos
	rd.target = newDialogEntry(win.Canvas())
	rd.target.SetPlaceHolder("a folder on the server, e.g. " + paths.restore)
	rd.target.OnChanged = func(string) { rd.showState() }
	rd.browse = browseButton(rd.browseTarget)
	rd.note = widget.NewLabel(paths.intoNote())
	rd.note.Importance = widget.LowImportance
	rd.note.Wrapping = fyne.TextWrapWord
	rd.where = newDialogRadio(win.Canvas(), []string{rdIntoDir, rdOriginal}, func(string) { rd.showState() })
	rd.where.Selected = rdIntoDir
	rd.existing = newDialogRadio(win.Canvas(), []string{rdStop, rdSkip, rdOverwrite}, func(string) { rd.showState() })
	rd.existing.Selected = rdStop
	rd.find = newDialogEntry(win.Canvas())
	rd.find.SetPlaceHolder(rdFindHint)
	rd.find.OnSubmitted = func(string) { rd.findFiles() }
	rd.findBtn = newFindButton(rd.findFiles)
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
		container.NewBorder(nil, nil, bold("What to restore"), nil, rd.whole),
		container.NewBorder(nil, nil, bold(rdFind), rd.findBtn.btn, rd.find))
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, bold(rdWhere), nil, rd.where),
		container.NewBorder(nil, nil, nil, rd.browse, rd.target),
		rd.note,
		container.NewBorder(nil, nil, bold(rdExisting), nil, rd.existing),
		rd.status)
	rd.d = dialog.NewCustomWithoutButtons(rdTitle+" "+task+" on "+slave, container.NewBorder(top, bottom, nil, nil, rd.ft.tree), win)
	rd.d.SetButtons([]fyne.CanvasObject{cancel, rd.restore})
	giveKeysBack := dialogKeys(win.Canvas(), rd.close, nil)
	rd.d.SetOnClosed(func() { rd.cancel(); giveKeysBack() })
	rd.d.Resize(dialogSize(win, 700, 900)) // the tree takes what the window has room for
	rd.d.Show()
	rd.showState()
	rd.loadSnapshots()
	return rd
}

// findFiles looks for the name typed in every snapshot of the task, and
// lists what it found to choose a version from. Its button stops it
// meanwhile (Enter does not), listing what it had found, if anything, and
// leaving the dialog as it was.
func (rd *restoreDialog) findFiles() {
	if rd.findBtn.searching {
		return
	}
	pattern, ok := typedPattern(&rd.find.Entry, rd.status, rd.eg.goos)
	if !ok {
		return
	}
	looking := "Looking for " + pattern + " in every snapshot of " + rd.task + "…"
	rd.status.SetText(looking)
	ctx := rd.findBtn.start(rd.ctx)
	rd.r.spawn(func(wctx context.Context) {
		defer context.AfterFunc(wctx, rd.cancel)()
		fr, err := findShowing(ctx, rd.r, rd.rm, rd.slave, rd.task, pattern, looking, rd.status, nil)
		// Stopped by its button: noted now, as done ends ctx too.
		stopped := err != nil && ctx.Err() != nil && rd.ctx.Err() == nil
		rd.r.do(func() {
			rd.findBtn.done()
			switch {
			case stopped && len(fr.Found) > 0:
				rd.showState()
				rd.showFound(fr, "Stopped partway: "+human.Count(len(fr.Found))+" found so far")
			case stopped:
				rd.status.SetText("Stopped looking for " + pattern + ".")
			case err != nil:
				rd.status.SetText(capitalize(err.Error()))
			case len(fr.Found) == 0:
				rd.status.SetText(capitalize(fr.Summary()) + ".")
			default:
				rd.showState()
				rd.showFound(fr, capitalize(fr.Summary()))
			}
		})
	})
}

// typedPattern is the pattern typed in e to look for, as the slave's
// system goos reads it; when it is not one, status says why.
func typedPattern(e *widget.Entry, status *widget.Label, goos string) (string, bool) {
	pattern := strings.TrimSpace(e.Text)
	if err := backup.ValidFindPattern(goos, pattern); err != nil {
		status.SetText(capitalize(err.Error()) + ".")
		return "", false
	}
	return pattern, true
}

// findShowing asks slave to look for pattern in task's snapshots, status
// saying looking and how far it has got, until the answer; onFound (nil:
// none) hears what each part of the answer adds as it comes. It runs,
// and calls onFound, off the Fyne thread.
func findShowing(ctx context.Context, r runner, rm Remote, slave, task, pattern, looking string, status *widget.Label,
	onFound func(backup.FindPart)) (backup.FindReport, error) {
	pump := newProgressPump(r, func(s backup.Status) { status.SetText(looking + " " + searched(s)) })
	var fr backup.FindReport
	var err error
	pump.during(ctx, func() { fr, err = rm.FindInSnapshots(ctx, slave, task, pattern, rdFindLimit, pump.offer, onFound) })
	return fr, err
}

// searched says how far a search has got: "12 of 40 snapshots read
// (31 %)", by the bytes of their manifests.
func searched(s backup.Status) string {
	text := fmt.Sprintf("%s of %s read", human.Count(s.FilesDone), human.Plural(s.FilesTotal, "snapshot", "snapshots"))
	if s.BytesTotal > 0 {
		text += fmt.Sprintf(" (%d %%)", min(s.BytesDone*100/s.BytesTotal, 100))
	}
	return text
}

// showFound lists what Find found, one version a line, newest first,
// under head (what it found in a few words); the one chosen is ticked in
// its snapshot.
func (rd *restoreDialog) showFound(fr backup.FindReport, head string) {
	chosen := -1
	// The versions of one file say its path once, above them: a long
	// path would push their times out of sight.
	one := !slices.ContainsFunc(fr.Found, func(f backup.FoundFile) bool { return f.Path != fr.Found[0].Path })
	list := foundList(rd.win.Canvas(), func() int { return len(fr.Found) }, !one, func(i int) (string, string) {
		return foundPlace(fr.Found[i].Path), foundLine(fr.Found[i])
	})
	if one {
		head += ": " + shownPath(fr.Found[0].Path)
	}
	summary := widget.NewLabel(head + ". Choose the version to restore:")
	summary.Wrapping = fyne.TextWrapWord
	d, pick := chooseDialog(rd.win, "Found in "+rd.task+" on "+rd.slave, container.NewBorder(summary, nil, nil, nil, list), rdFindPick,
		theme.DownloadIcon(), func() bool {
			if chosen < 0 {
				return false
			}
			rd.useFound(fr.Found[chosen])
			return true
		}, nil)
	pick.Disable()
	list.OnSelected = func(i widget.ListItemID) { chosen = i; pick.Enable() }
	if len(fr.Found) == 1 {
		list.Select(0) // nothing to choose between
	}
	d.Resize(dialogSize(rd.win, 820, 420))
	d.Show()
	rd.lastFound = d
}

// foundList lists files found, n of them: with place, each one's name
// and folder above what item says of it (its snapshot, size, time), as
// versions of several files need them; else that alone.
func foundList(c fyne.Canvas, n func() int, place bool, item func(i int) (place, about string)) *dialogList {
	return newDialogList(c, n,
		func() fyne.CanvasObject {
			name, about := widget.NewLabel(""), widget.NewLabel("")
			name.Truncation, about.Truncation = fyne.TextTruncateEllipsis, fyne.TextTruncateEllipsis
			name.TextStyle.Bold = true
			if !place {
				return container.NewVBox(about)
			}
			about.Importance = widget.LowImportance
			return container.NewVBox(name, about)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			rows := o.(*fyne.Container).Objects
			p, a := item(i)
			rows[len(rows)-1].(*widget.Label).SetText(a)
			if place {
				rows[0].(*widget.Label).SetText(p)
			}
		})
}

// foundLine is one version Find found: "snapshot of 2026-12-05 02:00 ·
// 48.2 KiB · modified 2026-12-04 17:41:09", or one that several snapshots
// hold "in 12 snapshots, 2026-11-24 02:00 to 2026-12-05 02:00 · …" (or
// "in 3 snapshots of 2026-12-05 02:00", taken within that minute), and
// for a file the newest snapshot no longer holds "· not in newer
// snapshots".
func foundLine(f backup.FoundFile) string {
	size := human.Bytes(max(f.Size, 0))
	if f.Type != backup.TypeFile {
		size = f.Type
	}
	const stamp = "2006-01-02 15:04"
	newest, oldest := f.Time.Local().Format(stamp), f.OldestTime.Local().Format(stamp)
	in := "snapshot of " + newest
	switch n := f.Snapshots(); {
	case n > 1 && oldest == newest: // taken within a minute
		in = fmt.Sprintf("in %s snapshots of %s", human.Count(n), newest)
	case n > 1:
		in = fmt.Sprintf("in %s snapshots, %s to %s", human.Count(n), oldest, newest)
	}
	line := fmt.Sprintf("%s · %s · modified %s", in, size, f.Modified())
	if f.Gone {
		line += " · not in newer snapshots"
	}
	return line
}

// treePath is a file found as the Restore dialog's tree names it; an
// older agent's gives the original path only, the same on Unix.
func treePath(f backup.FoundFile) string { return cmp.Or(f.InSnapshot, f.Path) }

// foundPlace names a file found by its name, then its folder:
// "budget.xlsx in /home/alice/Documents" (a Windows agent's path too).
func foundPlace(p string) string {
	p = shownPath(p)
	i := strings.LastIndexAny(p, `/\`)
	if i < 0 || i == len(p)-1 {
		return p
	}
	dir := p[:i]
	if dir == "" || strings.HasSuffix(dir, ":") {
		dir = p[:i+1] // the top: /, C:\
	}
	return p[i+1:] + " in " + dir
}

// snapshotGone says a file found is in a snapshot removed since.
func snapshotGone(id string) string {
	return "Snapshot " + id + " is no longer there (retention removed it): find the file again."
}

// useFound chooses the snapshot a found file is in, and ticks the file.
func (rd *restoreDialog) useFound(f backup.FoundFile) {
	i := slices.IndexFunc(rd.snaps, func(s backup.SnapshotInfo) bool { return s.ID == f.Snapshot })
	if i < 0 {
		rd.status.SetText(snapshotGone(f.Snapshot))
		return
	}
	rd.snapSel.SetSelectedIndex(i) // another snapshot: its tree, nothing ticked
	rd.whole.SetChecked(false)
	rd.tick(treePath(f))
}

// tick ticks a file found in the snapshot shown, and opens the tree
// down to it.
func (rd *restoreDialog) tick(p string) {
	rd.ft.ticked[p] = true
	rd.ft.reveal(p)
	rd.ft.tree.Refresh()
	rd.showState()
}

// browseTarget picks the folder on the server to restore into.
func (rd *restoreDialog) browseTarget() {
	rd.picker = showFolderPicker(rd.win, rd.r, rd.rm, rd.slave, "Choose Where to Restore on "+rd.slave, false, rd.target.Text, func(paths []string) {
		rd.target.SetText(paths[0])
	})
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
			want := rd.snapshot
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
			if tick := rd.tickFirst; tick != "" {
				rd.tickFirst = ""
				if snaps[pick].ID != want {
					rd.status.SetText(snapshotGone(want))
					return
				}
				rd.tick(tick)
			}
		})
	})
}

func snapshotLabel(s backup.SnapshotInfo) string {
	return fmt.Sprintf("%s · %s · %s, %s", s.Time.Local().Format("2006-01-02 15:04"), s.Result, human.Plural(s.Files, "file", "files"), human.Bytes(max(s.Bytes, 0)))
}

// pickSnapshot shows another snapshot's folders.
func (rd *restoreDialog) pickSnapshot(string) {
	i := rd.snapSel.SelectedIndex()
	if i < 0 || i >= len(rd.snaps) {
		return
	}
	rd.snapshot = rd.snaps[i].ID
	rd.ft.list = rd.browser(rd.snapshot)
	rd.ft.reset()
	rd.showState()
}

// browser reads snapshot's folders a page at a time; "" is its top.
func (rd *restoreDialog) browser(snapshot string) func(ctx context.Context, dir, after string) (backup.BrowsePage, error) {
	return func(ctx context.Context, dir, after string) (backup.BrowsePage, error) {
		if dir == "" {
			dir = "/"
		}
		return rd.rm.BrowseSnapshot(ctx, rd.slave, rd.task, snapshot, dir, after, backup.BrowseMaxEntries)
	}
}

// paths is what to restore: the ticked paths not inside another; nil for
// the whole snapshot.
func (rd *restoreDialog) paths() []string {
	if rd.whole.Checked {
		return nil
	}
	return rd.ft.paths()
}

// options are the restore the dialog's choices make.
func (rd *restoreDialog) options() backup.RestoreOptions {
	opt := backup.RestoreOptions{Paths: rd.paths(), Original: rd.where.Selected == rdOriginal,
		Overwrite: rd.existing.Selected == rdOverwrite, SkipExisting: rd.existing.Selected == rdSkip}
	if !opt.Original {
		opt.Target = strings.TrimSpace(rd.target.Text)
	}
	return opt
}

func (rd *restoreDialog) showState() {
	opt := rd.options()
	okTarget := opt.Original || backup.AbsOnServer(opt.Target)
	what := rd.whole.Checked || len(rd.ft.ticked) > 0
	if rd.snapshot != "" && okTarget && what {
		rd.restore.Enable()
	} else {
		rd.restore.Disable()
	}
	if opt.Original {
		rd.target.Disable()
		rd.browse.Disable()
		rd.note.SetText(rd.eg.originalNote())
	} else {
		rd.target.Enable()
		rd.browse.Enable()
		rd.note.SetText(rd.eg.intoNote())
	}
	switch {
	case rd.snapshot == "":
	case !what:
		rd.status.SetText("Tick the files and folders to restore, or the whole snapshot.")
	case opt.Target != "" && !okTarget:
		rd.status.SetText(fmt.Sprintf("%q is not an absolute path on the server.", opt.Target))
	case !okTarget:
		rd.status.SetText("Name the folder on the server to restore into.")
	case rd.whole.Checked:
		rd.status.SetText("The whole snapshot will be restored " + opt.Where() + thereAlready(opt) + ".")
	default:
		rd.status.SetText(fmt.Sprintf("%s will be restored %s%s.", capitalize(rd.ft.describe(opt.Paths)), opt.Where(), thereAlready(opt)))
	}
}

// thereAlready says what becomes of a file already there, when the
// restore does not stop before one.
func thereAlready(opt backup.RestoreOptions) string {
	switch {
	case opt.SkipExisting:
		return "; files already there are left as they are"
	case opt.Overwrite:
		return "; files already there are replaced"
	}
	return ""
}

// submit restores; a restore whose files replace those where they were
// waits for a person to confirm it.
func (rd *restoreDialog) submit() {
	opt := rd.options()
	if !opt.Original || !opt.Overwrite {
		rd.start(opt)
		return
	}
	// Old versions over the files in use: a person confirms it.
	msg := widget.NewLabel(fmt.Sprintf(rdReplaceQuestion, rd.snapshot, rd.slave))
	msg.Wrapping = fyne.TextWrapWord
	d, _ := askDialog(rd.win, rdReplaceTitle+" on "+rd.slave, msg, rdReplace, theme.WarningIcon(), widget.DangerImportance,
		func() bool { rd.start(opt); return true })
	d.Resize(fyne.NewSize(520, 200))
	d.Show()
}

// The question before the snapshot's files replace those in use.
const (
	rdReplaceTitle    = "Replace Files"
	rdReplace         = "Replace Them"
	rdReplaceQuestion = "The files of snapshot %s replace those at the same places on %s: what was changed in them since is lost. " +
		"Files the snapshot does not hold are left as they are."
)

// start restores with progress, then says what was done. The progress
// shows over the dialog, which keeps its choices, to fix and try again
// when the restore fails. (Hidden meanwhile, it would have closed: its
// reads, Find and Escape would be gone when it came back.)
func (rd *restoreDialog) start(opt backup.RestoreOptions) {
	snap, task, slave := rd.snapshot, rd.task, rd.slave
	ctx, cancel := context.WithCancel(context.Background())
	pd := showProgress(rd.win, "Restoring "+task, "Restoring from snapshot "+snap+" "+opt.Where()+" on "+slave+"…", cancel)
	pump := newProgressPump(rd.r, pd.update)
	var rr backup.RestoreReport
	spawnCancellable(rd.r, ctx, cancel, func(ctx context.Context) (err error) {
		pump.during(ctx, func() { rr, err = rd.rm.RestoreSnapshot(ctx, slave, task, snap, opt, pump.offer) })
		return err
	}, func(err error, cancelled bool) {
		pd.d.Hide()
		switch {
		case cancelled:
			rd.close()
			showInfo(rd.win, "Restore cancelled", "The restore "+opt.Where()+" was stopped; what was already copied stays there.")
		case errors.Is(err, backup.ErrExists):
			rd.status.SetText(filesExist(opt, err)) // the agent's words name the command line's flags
		case err != nil:
			rd.status.SetText(capitalize(err.Error()))
		default:
			rd.close()
			showRestoreSummary(rd.win, slave, rr)
		}
	})
}

// filesExist says, in the dialog's words, that a restore stopped before
// files already there (naming them when the agent did, err's
// *backup.ExistsError) and how to go on.
func filesExist(opt backup.RestoreOptions, err error) string {
	where := "in " + opt.Target
	if opt.Original {
		where = "where they were"
	}
	some, them := "some of these files already exist "+where, "them"
	var ex *backup.ExistsError
	if errors.As(err, &ex) && len(ex.Paths) > 0 {
		names := make([]string, len(ex.Paths))
		for i, p := range ex.Paths {
			names[i] = shownPath(p)
		}
		exist := " already exist "
		if ex.Count == 1 {
			exist, them = " already exists ", "it"
		}
		sep := ": "
		if ex.Count > len(names) {
			sep = ", "
		}
		some = human.Plural(ex.Count, "file", "files") + exist + where + sep + backup.ListExisting(names, ex.Count)
	}
	return fmt.Sprintf("Nothing was restored: %s. Choose what becomes of %s under “%s” (“%s” restores only what is missing), or restore into an empty folder.",
		some, them, rdExisting, rdSkip)
}

// summaryScrollsFrom is how many lines a restore's summary has before it
// is shown in a scrolled box of its own size.
const summaryScrollsFrom = 10

// restoreTitle heads a restore's summary: what a person must read first
// in its title, files left out, then files restored from damaged copies,
// above other warnings.
func restoreTitle(rr backup.RestoreReport) string {
	switch {
	case rr.Unreadable > 0:
		return "Restore finished: " + human.Plural(rr.Unreadable, "file", "files") + " could not be restored"
	case rr.Damaged > 0:
		return "Restore finished: " + human.Plural(rr.Damaged, "file", "files") + " from damaged copies"
	case len(rr.Warnings) > 0:
		return "Restore finished with warnings"
	}
	return "Restore finished"
}

func showRestoreSummary(win fyne.Window, slave string, rr backup.RestoreReport) {
	var b strings.Builder
	for i, line := range strings.Split(rr.Summary(), "\n") {
		if i == 0 {
			line += " on " + slave
		}
		b.WriteString(capitalize(line) + ".\n")
	}
	if len(rr.Paths) > 0 {
		b.WriteString("\n")
		for i, p := range rr.Paths {
			if i == 20 {
				fmt.Fprintf(&b, "… and %d more\n", len(rr.Paths)-20)
				break
			}
			b.WriteString(shownPath(p) + "\n")
		}
	}
	for _, w := range rr.Warnings {
		b.WriteString("\nWarning: " + w)
	}
	text := strings.TrimSpace(b.String())
	title := restoreTitle(rr)
	harmed := rr.Unreadable > 0 || rr.Damaged > 0
	if !harmed && strings.Count(text, "\n") < summaryScrollsFrom {
		showInfo(win, title, text) // as tall as it needs
		return
	}
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, "Close", container.NewVScroll(l), win)
	if harmed {
		// Files left out or restored damaged: a warning's sign, not an
		// information's, behind the words.
		d.SetIcon(theme.WarningIcon())
	}
	guardDialog(win, d, d.Hide, d.Hide)
	d.Resize(fyne.NewSize(600, 360))
	d.Show()
}
