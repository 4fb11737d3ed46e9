package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// The Copy To dialog: a task set up on one server, given to others
// (master.CopyTask). Pick a group (it opens on the server's own), tick
// the servers, copy; each server's
// line then says what became of it there, and a bar counts them off.
// Each agent checks the task's paths on its own server, so a server
// without them refuses with its own words, and the others still take it.

// Texts of the Copy To dialog.
const (
	cdReplace   = "Replace a task of the same name"
	cdRun       = "Run it on each server once copied"
	cdCopy      = "Copy"
	cdAllGroups = "All groups"
	cdDest      = "Destination on each server"
	cdDestHint  = "Servers that share a NAS need a folder each on it: " + master.ServerPlaceholder +
		" stands for each server's name (/mnt/nas/" + master.ServerPlaceholder + ")."
	cdCreateDest = "Create the folder where it is missing (its parent must exist)"
)

type copyDialog struct {
	d    *dialog.CustomDialog
	r    runner
	rm   Remote
	from string
	task string
	dest string // the task's destination on from
	ctx  context.Context
	stop context.CancelFunc

	slaves  []master.SlaveView // every slave but from, by group then name
	shown   []int              // those of the group shown, indexes in slaves
	ticked  map[string]bool    // by name, lower case
	results map[string]master.CopyResult
	copying bool
	summary string      // how the last copy went, "" before one
	canvas  fyne.Canvas // the window's it shows on, for its fields (dialogfield.go)

	groups  *dialogSelect
	list    *dialogList
	all     *widget.Button
	none    *widget.Button
	replace *dialogCheck
	run     *dialogCheck
	create  *dialogCheck // create the destination where it is missing
	destTo  *dialogEntry // the destination on each server
	bar     *widget.ProgressBar
	status  *widget.Label
	copyBtn *widget.Button
	close   *widget.Button
}

// showCopyDialog opens the dialog for task of slave from, whose
// destination there is dest; slaves is the fleet.
func showCopyDialog(win fyne.Window, r runner, rm Remote, from, task, dest string, slaves []master.SlaveView) *copyDialog {
	cd := &copyDialog{r: r, rm: rm, from: from, task: task, dest: dest, ticked: map[string]bool{}, results: map[string]master.CopyResult{}, canvas: win.Canvas()}
	cd.ctx, cd.stop = context.WithCancel(context.Background())
	var all []string
	ungrouped := false
	first := cdAllGroups // the source's group, when it has other servers
	for _, s := range slaves {
		if strings.EqualFold(s.Name, from) {
			continue
		}
		cd.slaves = append(cd.slaves, s)
		all = append(all, s.Group)
		ungrouped = ungrouped || s.Group == ""
	}
	groups := master.DistinctGroups(all)
	if ungrouped {
		groups = append(groups, backupsUngrouped)
	}
	for _, s := range slaves {
		if !strings.EqualFold(s.Name, from) {
			continue
		}
		if i := slices.IndexFunc(groups, func(x string) bool { return strings.EqualFold(x, copyGroup(s.Group)) }); i >= 0 {
			first = groups[i]
		}
	}
	cd.groups = newDialogSelect(cd.canvas, append([]string{cdAllGroups}, groups...), cd.showGroup)
	cd.list = newDialogList(cd.canvas, func() int { return len(cd.shown) }, cd.newRow, cd.updateRow)
	cd.list.OnSelected = cd.showResult
	cd.all = widget.NewButton("Tick All", func() { cd.tickShown(true) })
	cd.none = widget.NewButton("Tick None", func() { cd.tickShown(false) })
	cd.replace = newDialogCheck(cd.canvas, cdReplace, nil)
	cd.run = newDialogCheck(cd.canvas, cdRun, nil)
	cd.create = newDialogCheck(cd.canvas, cdCreateDest, nil)
	cd.destTo = newDialogEntry(cd.canvas)
	cd.destTo.SetText(master.PerServerDest(from, dest)) // /mnt/nas/fs01 offered as /mnt/nas/{server}
	destHint := lowNote(cdDestHint)
	cd.bar = widget.NewProgressBar()
	cd.bar.Hide()
	cd.status = widget.NewLabel("")
	cd.status.Wrapping = fyne.TextWrapWord
	cd.copyBtn = widget.NewButtonWithIcon(cdCopy, theme.ContentCopyIcon(), cd.submit)
	cd.copyBtn.Importance = widget.HighImportance
	cancel := func() { cd.stop(); cd.d.Hide() } // a copy under way stops
	cd.close = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), cancel)

	note := widget.NewLabel(fmt.Sprintf("Each server gets %s as it is on %s: its sources, destination, excludes, schedule and retention. "+
		"Its own agent checks the paths there.", task, from))
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	top := container.NewVBox(note, container.NewBorder(nil, nil, widget.NewLabel("Servers of"), container.NewHBox(cd.all, cd.none), cd.groups))
	bottom := container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(cdDest), nil, cd.destTo), destHint,
		cd.create, cd.replace, cd.run, cd.bar, cd.status)
	cd.d = dialog.NewCustomWithoutButtons("Copy "+task+" from "+from+" to other servers",
		container.NewBorder(top, bottom, nil, nil, cd.list), win)
	cd.d.SetButtons([]fyne.CanvasObject{cd.close, cd.copyBtn})
	giveKeysBack := dialogKeys(win.Canvas(), cancel, nil)
	cd.d.SetOnClosed(func() { cd.stop(); giveKeysBack() })
	cd.d.Resize(fyne.NewSize(620, 680))
	cd.groups.SetSelected(first)
	cd.d.Show()
	return cd
}

// copyGroup is a group's name in the group list.
func copyGroup(g string) string {
	if g == "" {
		return backupsUngrouped
	}
	return g
}

// showGroup lists the servers of group (all of them for cdAllGroups).
func (cd *copyDialog) showGroup(group string) {
	cd.shown = cd.shown[:0]
	for i, s := range cd.slaves {
		if group == cdAllGroups || strings.EqualFold(copyGroup(s.Group), group) {
			cd.shown = append(cd.shown, i)
		}
	}
	cd.list.Refresh()
	cd.showState()
}

// tickShown ticks or unticks every server listed.
func (cd *copyDialog) tickShown(on bool) {
	for _, i := range cd.shown {
		cd.ticked[strings.ToLower(cd.slaves[i].Name)] = on
	}
	cd.list.Refresh()
	cd.showState()
}

func (cd *copyDialog) newRow() fyne.CanvasObject {
	about := widget.NewLabel("")
	about.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil, newDialogCheck(cd.canvas, "", nil), nil, about)
}

func (cd *copyDialog) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(cd.shown) {
		return
	}
	s := cd.slaves[cd.shown[id]]
	key := strings.ToLower(s.Name)
	row := o.(*fyne.Container)
	about, check := row.Objects[0].(*widget.Label), row.Objects[1].(*dialogCheck)
	// Set, not SetChecked: its callback is the row's before, which may
	// have shown another server.
	check.OnChanged = func(on bool) { cd.ticked[key] = on; cd.showState() }
	check.Text, check.Checked = s.Name, cd.ticked[key]
	if cd.copying {
		check.Disable()
	} else {
		check.Enable()
	}
	check.Refresh()
	about.SetText(cd.aboutRow(s))
	about.Importance = cd.rowImportance(key)
	about.Refresh()
}

// aboutRow is what a server's line says beside its name: its group and
// state, then what the copy did there.
func (cd *copyDialog) aboutRow(s master.SlaveView) string {
	r, ok := cd.results[strings.ToLower(s.Name)]
	switch {
	case !ok:
		w := []string{string(s.State)}
		if s.Group != "" {
			w = append([]string{s.Group}, w...)
		}
		return strings.Join(w, " · ")
	case r.Err != nil:
		// The line starts with the name the error starts with.
		return "not copied: " + strings.TrimPrefix(r.Err.Error(), s.Name+" ")
	}
	return r.Outcome()
}

func (cd *copyDialog) rowImportance(key string) widget.Importance {
	r, ok := cd.results[key]
	switch {
	case !ok:
		return widget.LowImportance
	case r.Err != nil:
		return widget.DangerImportance
	}
	return widget.SuccessImportance
}

// targets are the servers ticked, in the list's order.
func (cd *copyDialog) targets() []string {
	var out []string
	for _, s := range cd.slaves {
		if cd.ticked[strings.ToLower(s.Name)] {
			out = append(out, s.Name)
		}
	}
	return out
}

// showState enables what applies and says how many are ticked, after
// how the last copy went. A copy that is done leaves its results on the
// lines until the next one, which may tick other servers or Replace.
func (cd *copyDialog) showState() {
	n := len(cd.targets())
	for _, w := range []fyne.Disableable{cd.groups, cd.all, cd.none, cd.replace, cd.run, cd.create, cd.destTo} {
		if cd.copying {
			w.Disable()
		} else {
			w.Enable()
		}
	}
	if cd.copying || n == 0 {
		cd.copyBtn.Disable()
	} else {
		cd.copyBtn.Enable()
	}
	if !cd.copying {
		cd.status.SetText(strings.TrimSpace(cd.summary + " " + human.Plural(n, "server", "servers") + " ticked" + cd.unlinkedTicked() + "."))
	}
}

// follow takes the servers' states from the fleet as it is now (the
// window hands it each change while the dialog is open): a server that
// links while the dialog is open is no longer named as one that cannot
// take the task, and one that drops is.
func (cd *copyDialog) follow(fleet []master.SlaveView) {
	if cd.ctx.Err() != nil {
		return // closed
	}
	now := make(map[string]master.State, len(fleet))
	for _, v := range fleet {
		now[strings.ToLower(v.Name)] = v.State
	}
	changed := false
	for i := range cd.slaves {
		if st, ok := now[strings.ToLower(cd.slaves[i].Name)]; ok && st != cd.slaves[i].State {
			cd.slaves[i].State, changed = st, true
		}
	}
	if changed {
		cd.list.Refresh()
		cd.showState()
	}
}

// unlinkedTicked names the servers ticked that are not linked, which
// cannot take the task until they are ("; FS03 is not linked now and
// cannot take it"), or is "".
func (cd *copyDialog) unlinkedTicked() string {
	const named = 3
	var names []string
	n := 0
	for _, s := range cd.slaves {
		if cd.ticked[strings.ToLower(s.Name)] && s.State != master.StateConnected {
			if n++; n <= named {
				names = append(names, s.Name)
			}
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return "; " + names[0] + " is not linked now and cannot take it"
	}
	return "; " + human.List(names, n) + " are not linked now and cannot take it"
}

// showResult shows a server's whole result, which its line may cut.
func (cd *copyDialog) showResult(id widget.ListItemID) {
	if id >= len(cd.shown) {
		return
	}
	s := cd.slaves[cd.shown[id]]
	if _, ok := cd.results[strings.ToLower(s.Name)]; ok && !cd.copying {
		cd.status.SetText(s.Name + ": " + cd.aboutRow(s))
	}
}

// submit copies the task to the servers ticked, each line showing its
// result as it comes.
func (cd *copyDialog) submit() {
	to := cd.targets()
	if len(to) == 0 || cd.copying {
		return
	}
	opt := master.CopyOptions{Replace: cd.replace.Checked, Run: cd.run.Checked, CreateDest: cd.create.Checked}
	if d := strings.TrimSpace(cd.destTo.Text); d != cd.dest {
		if !backup.AbsOnServer(d) {
			cd.status.SetText(fmt.Sprintf("%q is not an absolute path on the servers: give the folder there, such as /mnt/nas/%s.", d, master.ServerPlaceholder))
			return
		}
		opt.Dest = d
	}
	cd.copying, cd.summary = true, ""
	clear(cd.results)
	cd.list.UnselectAll()
	cd.bar.Max, cd.bar.Value = float64(len(to)), 0
	cd.bar.Show()
	cd.status.SetText("Copying " + cd.task + " to " + human.Plural(len(to), "server", "servers") + "…")
	cd.showState()
	cd.list.Refresh()
	cd.r.spawn(func(wctx context.Context) {
		ctx, cancel := context.WithCancel(wctx)
		defer cancel()
		stop := context.AfterFunc(cd.ctx, cancel) // the dialog closed: the copy stops
		defer stop()
		res, err := cd.rm.CopyTask(ctx, cd.from, cd.task, to, opt, func(r master.CopyResult) {
			cd.r.do(func() {
				cd.results[strings.ToLower(r.Slave)] = r
				cd.bar.SetValue(float64(len(cd.results)))
				cd.list.Refresh()
			})
		})
		cd.r.do(func() { cd.finish(res, err) })
	})
}

// finish says how the copy went.
func (cd *copyDialog) finish(res []master.CopyResult, err error) {
	cd.copying = false
	for _, r := range res {
		cd.results[strings.ToLower(r.Slave)] = r
	}
	cd.close.SetText("Close")
	cd.close.SetIcon(theme.ConfirmIcon())
	cd.bar.SetValue(float64(len(res)))
	cd.list.Refresh()
	if err != nil {
		cd.bar.Hide()
		cd.summary = "Nothing was copied: " + err.Error() + "."
		cd.showState()
		return
	}
	failed, exists := 0, 0
	for _, r := range res {
		if r.Err != nil {
			failed++
		}
		if errors.Is(r.Err, master.ErrTaskExists) {
			exists++
		}
	}
	msg := fmt.Sprintf("%s copied to %s of %s.", cd.task, human.Count(len(res)-failed), human.Plural(len(res), "server", "servers"))
	if exists > 0 {
		msg += " " + human.Plural(exists, "server has", "servers have") + " a task of that name already: copy again with \"" + cdReplace + "\" ticked to overwrite it."
	}
	if failed > 0 {
		msg += " Click a server for its whole answer."
	}
	cd.summary = msg
	cd.showState()
}
