package backup_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

// bigFolder makes a folder of n files (and, first in a listing, one
// folder) that was last changed an hour ago, as a large folder on a
// server usually was.
func bigFolder(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("scan%d.pdf", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "zz-folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	settle(t, dir)
	return dir
}

// settle sets dir's modification time an hour back.
func settle(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
}

// listAll reads every page of dir and returns its names and how many
// times the folder itself was read from disk meanwhile.
func listAll(t *testing.T, dir string) (names []string, reads int64) {
	t.Helper()
	before := backup.FolderReads()
	names, err := readPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	return names, backup.FolderReads() - before
}

// readPages reads every page of dir and returns its names.
func readPages(dir string) (names []string, err error) {
	for after := ""; ; {
		page, err := backup.ListFolder(dir, after, backup.BrowseMaxEntries)
		if err != nil {
			return names, err
		}
		for _, e := range page.Entries {
			names = append(names, e.Name)
		}
		if after = page.Next; after == "" {
			return names, nil
		}
	}
}

// A large folder is read from disk once for a whole listing: its later
// pages come from the names its first page sorted. Opening it again reads
// it again.
func TestALargeFolderIsReadOncePerListing(t *testing.T) {
	backup.ForgetListings()
	n := backup.ListingMinNames + 100
	dir := bigFolder(t, n)
	names, reads := listAll(t, dir)
	if len(names) != n+1 || names[0] != "zz-folder" || names[1] != "scan0.pdf" || names[n] != fmt.Sprintf("scan%d.pdf", n-1) {
		t.Fatalf("listed %d names, %q first, want %d with the folder first", len(names), names[:2], n+1)
	}
	if reads != 1 {
		t.Errorf("the folder was read %d times for %d pages, want once", reads, (n+1)/backup.BrowseMaxEntries+1)
	}
	if _, reads = listAll(t, dir); reads != 1 {
		t.Errorf("listed again: read %d times, want once (a first page reads afresh)", reads)
	}
	if folders, cached := backup.CachedListings(); folders != 1 || cached != n+1 {
		t.Errorf("cache holds %d folders of %d names, want 1 of %d", folders, cached, n+1)
	}
}

// A folder that changed since its first page was read is read again, so
// a later page never misses what was added or shows what was removed.
func TestALargeFolderThatChangedIsReadAgain(t *testing.T) {
	dir := bigFolder(t, backup.ListingMinNames+100)
	first, err := backup.ListFolder(dir, "", backup.BrowseMaxEntries)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scan999999.pdf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "scan1000.pdf")); err != nil {
		t.Fatal(err)
	}
	before := backup.FolderReads()
	var names []string
	for after := first.Next; after != ""; {
		page, err := backup.ListFolder(dir, after, backup.BrowseMaxEntries)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			names = append(names, e.Name)
		}
		after = page.Next
	}
	if !slices.Contains(names, "scan999999.pdf") || slices.Contains(names, "scan1000.pdf") {
		t.Errorf("later pages miss the new file or show the removed one")
	}
	if reads := backup.FolderReads() - before; reads == 0 {
		t.Errorf("the later pages were not read again after the change")
	}
}

// A folder changed moments before it was read may change again within
// the same tick of a coarse file system clock, unseen: it is not cached.
func TestAFolderChangedMomentsAgoIsNotCached(t *testing.T) {
	dir := bigFolder(t, backup.ListingMinNames+100)
	if err := os.WriteFile(filepath.Join(dir, "new.pdf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, reads := listAll(t, dir); reads < 2 {
		t.Errorf("a folder just changed was read %d times for its pages, want every page", reads)
	}
}

// A small folder costs little to read, and is never kept.
func TestASmallFolderIsNotCached(t *testing.T) {
	dir := bigFolder(t, backup.ListingMinNames/2)
	before, _ := backup.CachedListings()
	if _, reads := listAll(t, dir); reads < 2 {
		t.Errorf("read %d times, want every page", reads)
	}
	if after, _ := backup.CachedListings(); after != before {
		t.Errorf("cached folders went from %d to %d", before, after)
	}
}

// A listing nobody reads is dropped after a while, so the agent gives its
// memory back.
func TestAnUnusedListingIsDropped(t *testing.T) {
	expired := backup.ExpireListingsAfter(t, 50*time.Millisecond)
	dir := bigFolder(t, backup.ListingMinNames)
	if _, err := backup.ListFolder(dir, "", 1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-expired:
	case <-time.After(10 * time.Second):
		t.Fatal("the listing was not dropped")
	}
	if folders, names := backup.CachedListings(); folders != 0 || names != 0 {
		t.Errorf("after it expired the cache holds %d folders of %d names", folders, names)
	}
}

// A snapshot's top and the same folder listed as a live one differ by
// the snapshot's own .lanyard folder: each listing keeps its own, so a
// later page of one, read after the other's first, counts its own
// entries and never shows .lanyard where it does not belong.
func TestASnapshotsTopAndTheLiveFolderAreCachedApart(t *testing.T) {
	n := backup.ListingMinNames
	dir := bigFolder(t, n)
	if err := os.Mkdir(filepath.Join(dir, ".lanyard"), 0o755); err != nil {
		t.Fatal(err)
	}
	settle(t, dir)
	snap := backup.SnapshotInfo{ID: "2025-06-01T020000Z", Path: dir}
	browse := func(after string) backup.BrowsePage {
		page, err := backup.Browse(snap, "/", after, 1)
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	live := func(after string) backup.BrowsePage {
		page, err := backup.ListFolder(dir, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	// Each first page reads afresh and is kept; the later pages come
	// after the other listing's first.
	b1, l1 := browse(""), live("")
	b2, l2 := browse(b1.Next), live(l1.Next)
	for _, c := range []struct {
		name  string
		page  backup.BrowsePage
		total int
		want  string
	}{
		{"the snapshot's first page", b1, n + 1, "zz-folder"},
		{"the live first page", l1, n + 2, ".lanyard"},
		{"the snapshot's second page", b2, n + 1, "scan0.pdf"},
		{"the live second page", l2, n + 2, "zz-folder"},
	} {
		if c.page.Total != c.total || len(c.page.Entries) != 1 || c.page.Entries[0].Name != c.want {
			t.Errorf("%s: %d entries in all, %+v; want %d, %s", c.name, c.page.Total, c.page.Entries, c.total, c.want)
		}
	}
}

// Pages of large folders read at once from many goroutines are each
// whole and in order.
func TestLargeFoldersListedConcurrently(t *testing.T) {
	dirs := []string{bigFolder(t, backup.ListingMinNames), bigFolder(t, backup.ListingMinNames+7)}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			names, err := readPages(dirs[i%2])
			if want := backup.ListingMinNames + 1 + 7*(i%2); err != nil || len(names) != want {
				t.Errorf("listed %d names (%v), want %d", len(names), err, want)
			}
		})
	}
	wg.Wait()
}
