package ui

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/wire"
)

// A tree of folders on a server, read one folder at a time as it is
// opened, a large one's first entries shown while the rest are read: a
// snapshot's in the Restore dialog, the server's own in the folder
// picker. Node IDs are full paths as the server writes them
// (/home/alice, C:\Users); "" is the top. With ticks, every row has a
// tick box, a folder ticked takes what is inside, and a folder with
// something ticked inside shows a partial tick.

const (
	// folderTreeMax bounds what one folder shows.
	folderTreeMax = 5000
	// maxShownName is how much of a name a row shows (file systems allow
	// 255 bytes).
	maxShownName = 255
	maxShownPath = 4096 // Linux allows 4,096 bytes a path
)

type folderNode struct {
	entry    backup.BrowseEntry
	children []string
	loaded   bool
	loading  bool
	note     string // a problem reading it
}

// folderTree is the tree and what it has read. list reads one page of
// folder dir ("" for the top), and may be set anew before reset (another
// snapshot); say shows a note under the tree.
type folderTree struct {
	tree   *dialogTree
	r      runner
	ctx    context.Context
	canvas fyne.Canvas
	list   func(ctx context.Context, dir, after string) (backup.BrowsePage, error)
	say    func(string)

	ticks    bool        // rows have a tick box
	all      func() bool // everything is ticked (a whole snapshot); nil: never
	onTicked func()      // the ticks changed
	dirsOnly bool        // files are left out (choosing a folder)
	snapOf   string      // the system of the server whose snapshot the tree shows (TopName)
	want     string      // a path to open the tree down to as its folders are read (reveal)

	nodes  map[string]*folderNode
	ticked map[string]bool
	auto   map[string]bool // folders opened because they were a parent's only entry
	gen    int
}

func newFolderTree(c fyne.Canvas, r runner, ctx context.Context, list func(ctx context.Context, dir, after string) (backup.BrowsePage, error), say func(string)) *folderTree {
	ft := &folderTree{r: r, ctx: ctx, canvas: c, list: list, say: say, ticked: map[string]bool{}}
	ft.tree = newDialogTree(c, ft.childUIDs, ft.isBranch, ft.newNode, ft.updateNode)
	ft.tree.OnBranchOpened = ft.open
	return ft
}

// reset forgets what was read and reads the top again (another snapshot).
func (ft *folderTree) reset() {
	ft.gen++
	ft.nodes = map[string]*folderNode{"": {entry: backup.BrowseEntry{Type: backup.TypeDir}}}
	ft.ticked = map[string]bool{}
	ft.auto = map[string]bool{}
	ft.want = ""
	ft.tree.CloseAllBranches()
	ft.open("")
	ft.tree.Refresh()
}

// reread reads folder id again, as one was made in it, and opens it.
func (ft *folderTree) reread(id string) {
	if n := ft.nodes[id]; n != nil && !n.loading {
		n.loaded = false
		ft.open(id)
		ft.tree.OpenBranch(id)
	}
}

// open reads a folder the first time it is opened.
func (ft *folderTree) open(id string) {
	n := ft.nodes[id]
	if n == nil || n.loaded || n.loading {
		return
	}
	n.loading = true
	gen, list := ft.gen, ft.list
	ft.r.spawn(func(wctx context.Context) {
		ctx, stop := context.WithCancel(ft.ctx) // the dialog's, and the window's
		defer stop()
		defer context.AfterFunc(wctx, stop)()
		fr, err := ft.readAll(ctx, list, id, ft.showPart(id, n, gen))
		ft.r.do(func() {
			if ft.gen != gen {
				return
			}
			ft.show(id, n, fr, err)
		})
	})
}

// showPart shows folder id's pages as readAll hears them, all but the
// last, which show puts with the rest: a large folder's first entries
// show while the others are read.
func (ft *folderTree) showPart(id string, n *folderNode, gen int) func(dir string, part []backup.BrowseEntry) {
	first := true // on the Fyne thread
	return func(dir string, part []backup.BrowseEntry) {
		ft.r.do(func() {
			if ft.gen != gen || !n.loading {
				return
			}
			if first { // what it held before it was read again
				n.children, first = n.children[:0], false
			}
			ft.add(n, folderDir(id, dir), part)
			ft.tree.Refresh()
		})
	}
}

// folderRead is what readAll read of a folder: the entries kept (its
// folders alone, with dirsOnly), the folder's path as the server wrote
// it, how many entries it holds and how many were read.
type folderRead struct {
	entries     []backup.BrowseEntry
	dir         string
	total, read int
}

// readAll reads folder id with list page by page, up to folderTreeMax
// entries; more hears the entries kept of each page but the last, as the
// server wrote the folder's path.
func (ft *folderTree) readAll(ctx context.Context, list func(ctx context.Context, dir, after string) (backup.BrowsePage, error), id string,
	more func(dir string, part []backup.BrowseEntry)) (folderRead, error) {
	var fr folderRead
	after := ""
	for fr.read < folderTreeMax {
		page, err := list(ctx, id, after)
		if err != nil {
			return fr, err
		}
		kept := len(fr.entries)
		for _, e := range page.Entries {
			if !ft.dirsOnly || e.Type == backup.TypeDir {
				fr.entries = append(fr.entries, e)
			}
		}
		fr.dir, fr.total, fr.read = page.Dir, page.Total, fr.read+len(page.Entries)
		if page.Next == "" || fr.read >= folderTreeMax {
			break
		}
		more(page.Dir, slices.Clone(fr.entries[kept:]))
		after = page.Next
	}
	return fr, nil
}

// folderDir is the path of folder id as its children's IDs begin: the
// top's as the server wrote it (/, or "" for a Windows server's drives).
func folderDir(id, serverDir string) string {
	if id != "" {
		return id
	}
	return serverDir
}

// add puts entries of the folder at path dir under n, after what it
// holds; a child already known (opened while its folder was read, or
// before the folder was read again) keeps what was read of it.
func (ft *folderTree) add(n *folderNode, dir string, entries []backup.BrowseEntry) {
	for _, e := range entries {
		child := joinServerPath(dir, e.Name)
		if c := ft.nodes[child]; c != nil {
			c.entry = e
		} else {
			ft.nodes[child] = &folderNode{entry: e}
		}
		n.children = append(n.children, child)
	}
}

// show puts folder id's entries under it.
func (ft *folderTree) show(id string, n *folderNode, fr folderRead, err error) {
	n.loading, n.loaded = false, true
	if err != nil {
		n.note = capitalize(err.Error())
		ft.say(n.note)
	}
	dir, entries := folderDir(id, fr.dir), fr.entries
	shown := shownPath(dir)
	opened := !ft.auto[id] // by the person, not as a parent's only entry
	switch {
	case err != nil:
	case opened && fr.total == 0:
		ft.say(shown + " is empty.")
	case opened && ft.dirsOnly && len(entries) == 0 && fr.total <= fr.read:
		ft.say(shown + " holds no folders.")
	case fr.total <= fr.read:
	case ft.dirsOnly:
		ft.say(fmt.Sprintf("%s holds %s entries; the folders among the first %s are shown (or type a path).", shown, human.Count(fr.total), human.Count(fr.read)))
	default:
		ft.say(fmt.Sprintf("%s holds %s entries; the first %s are shown (take the folder, or type a path).", shown, human.Count(fr.total), human.Count(fr.read)))
	}
	n.children = n.children[:0]
	ft.add(n, dir, entries)
	ft.tree.Refresh()
	// A folder whose only entry is a folder (/srv, /srv/home … down to a
	// source) opens that one too, so the files show.
	if len(entries) == 1 && entries[0].Type == backup.TypeDir && n.note == "" {
		only := n.children[0]
		ft.auto[only] = true
		ft.tree.OpenBranch(only)
	} else if ft.auto[id] && len(n.children) > 0 {
		// The end of such a chain: show it at the top, its entries below.
		ft.tree.ScrollTo(n.children[len(n.children)-1])
		ft.tree.ScrollTo(id)
	}
	ft.walk(id)
}

// reveal opens the tree down to path p (a folder, or with files a file),
// one folder at a time as each is read, then selects it and scrolls to
// it, its folder above it where the tree has room. A path not there
// leaves the tree where it got to.
func (ft *folderTree) reveal(p string) {
	ft.want = p
	ft.walk("")
}

// walk goes on revealing ft.want from folder id down, through what has
// been read; the reading of the next folder goes on from there.
func (ft *folderTree) walk(id string) {
	for ft.want != "" {
		n := ft.nodes[id]
		if n == nil || !n.loaded {
			return
		}
		i := slices.IndexFunc(n.children, func(c string) bool {
			return c == ft.want || ft.isBranch(c) && isInside(ft.want, c)
		})
		if i < 0 {
			ft.want = "" // not there: the user goes on from here
			return
		}
		next := n.children[i]
		if next == ft.want {
			ft.want = ""
			ft.tree.Select(next)
			ft.tree.ScrollToBottom()
			ft.tree.ScrollTo(id) // its folder at the top, if there is room
			ft.tree.ScrollTo(next)
			return
		}
		ft.tree.OpenBranch(next)
		id = next
	}
}

// shownPath is a path on a server as a line of the window shows it: its
// names are the server's, so one that is not plain (a line break, a
// bidi override) is quoted, and a path too long is cut.
func shownPath(p string) string { return wire.PlainUpTo(p, maxShownPath) }

// joinServerPath is entry name of folder dir as a full path on the
// server: / and \ as the folder writes them; a drive at the top of a
// Windows server is its root (C:\).
func joinServerPath(dir, name string) string {
	switch {
	case (dir == "" || dir == "/") && len(name) == 2 && name[1] == ':':
		return name + `\`
	case dir == "":
		return "/" + name
	case strings.Contains(dir, `\`):
		return strings.TrimSuffix(dir, `\`) + `\` + name
	}
	return path.Join(dir, name)
}

// parentServerPath is the folder holding p; "" above a top (/, C:\).
func parentServerPath(p string) string {
	t := strings.TrimRight(p, `/\`)
	i := strings.LastIndexAny(t, `/\`)
	switch {
	case t == "" || i < 0: // /, C:\, or a bare name
		return ""
	case i == 0: // /home
		return p[:1]
	case t[i-1] == ':': // C:\Users
		return t[:i+1]
	}
	return t[:i]
}

func (ft *folderTree) childUIDs(id string) []string {
	if n := ft.nodes[id]; n != nil {
		return n.children
	}
	return nil
}

func (ft *folderTree) isBranch(id string) bool {
	n := ft.nodes[id]
	return n != nil && n.entry.Type == backup.TypeDir
}

// folderRow is one line of the tree: a tick (with ticks), an icon, the
// name and the size.
type folderRow struct {
	widget.BaseWidget
	check *dialogCheck
	icon  *widget.Icon
	name  *widget.Label
	size  *widget.Label
	id    string
	quiet bool // set by the code, not the user: no callback
}

func (ft *folderTree) newNode(bool) fyne.CanvasObject {
	row := &folderRow{icon: widget.NewIcon(nil), name: widget.NewLabel(""), size: widget.NewLabel("")}
	row.name.Truncation = fyne.TextTruncateEllipsis
	row.size.Importance = widget.LowImportance
	row.check = newDialogCheck(ft.canvas, "", func(on bool) {
		if row.quiet {
			return
		}
		if on {
			ft.ticked[row.id] = true
		} else {
			delete(ft.ticked, row.id)
		}
		ft.tree.Refresh() // what is inside follows
		if ft.onTicked != nil {
			ft.onTicked()
		}
	})
	if !ft.ticks {
		row.check.Hide()
	}
	row.ExtendBaseWidget(row)
	return row
}

func (row *folderRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, container.NewHBox(row.check, row.icon), row.size, row.name))
}

func (ft *folderTree) updateNode(id string, _ bool, o fyne.CanvasObject) {
	row := o.(*folderRow)
	row.id = id
	n := ft.nodes[id]
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
		row.size.SetText("→ " + wire.PlainUpTo(e.Target, maxShownName))
	default:
		row.icon.SetResource(theme.FileIcon())
		row.size.SetText(human.Bytes(max(e.Size, 0)))
	}
	name := ft.shownName(id, n)
	if n.note != "" && n.loaded {
		name += "  (" + n.note + ")"
	}
	row.name.SetText(name)
	if !ft.ticks {
		return
	}
	inherited := (ft.all != nil && ft.all()) || ft.ancestorTicked(id)
	row.quiet = true
	row.check.SetChecked(inherited || ft.ticked[id])
	row.quiet = false
	// A folder with something ticked inside shows a partial tick; ticking
	// it takes the whole folder.
	if !row.check.Checked && ft.descendantTicked(id) {
		row.check.Partial = true
		row.check.Refresh()
	}
	if inherited {
		row.check.Disable()
	} else {
		row.check.Enable()
	}
}

// shownName is node id's name as the server wrote it, quoted when it
// holds what could pass for another name (a line break, a bidi override).
func (ft *folderTree) shownName(id string, n *folderNode) string {
	name := wire.PlainUpTo(n.entry.Name, maxShownName)
	if parentServerPath(id) == "/" {
		name = backup.TopName(ft.snapOf, name) // C:, not C
	}
	return name
}

// ancestorTicked says whether a folder above id is ticked.
func (ft *folderTree) ancestorTicked(id string) bool {
	for p := parentServerPath(id); p != ""; p = parentServerPath(p) {
		if ft.ticked[p] {
			return true
		}
	}
	return false
}

// descendantTicked says whether something inside folder id is ticked.
func (ft *folderTree) descendantTicked(id string) bool {
	for p := range ft.ticked {
		if p != id && isInside(p, id) {
			return true
		}
	}
	return false
}

// isInside says whether path p is dir or inside it.
func isInside(p, dir string) bool {
	for ; p != ""; p = parentServerPath(p) {
		if p == dir {
			return true
		}
	}
	return false
}

// paths are the ticked paths not inside another ticked one, sorted.
func (ft *folderTree) paths() []string {
	var out []string
	for p := range ft.ticked {
		if !ft.ancestorTicked(p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// describe says what paths (ticked, as paths returns them) are in words a
// person checks a restore by: a single one by what it is and its name
// ("the file report.odt (22.5 KiB)", "the folder invoices"), more by
// their count ("3 files (80.2 KiB) and 1 folder"). A path the tree has
// not read (ticked from Find) is named in full, or counted as an item.
// The words never begin with a name, so a sentence may capitalize them.
func (ft *folderTree) describe(paths []string) string {
	if len(paths) == 1 {
		p := paths[0]
		switch n := ft.nodes[p]; {
		case n == nil:
			return wire.PlainUpTo(p, maxShownPath)
		case n.entry.Type == backup.TypeDir:
			return "the folder " + ft.shownName(p, n)
		case n.entry.Type == backup.TypeFile:
			return "the file " + ft.shownName(p, n) + " (" + human.Bytes(max(n.entry.Size, 0)) + ")"
		default:
			return "the link " + ft.shownName(p, n)
		}
	}
	var files, dirs, other int
	var size int64
	for _, p := range paths {
		switch n := ft.nodes[p]; {
		case n != nil && n.entry.Type == backup.TypeDir:
			dirs++
		case n != nil && n.entry.Type == backup.TypeFile:
			files++
			size += max(n.entry.Size, 0)
		default:
			other++
		}
	}
	var parts []string
	if files > 0 {
		parts = append(parts, human.Plural(files, "file", "files")+" ("+human.Bytes(size)+")")
	}
	if dirs > 0 {
		parts = append(parts, human.Plural(dirs, "folder", "folders"))
	}
	if other > 0 {
		parts = append(parts, human.Plural(other, "item", "items"))
	}
	return human.List(parts, len(parts))
}
