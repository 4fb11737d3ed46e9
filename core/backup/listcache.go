package backup

import (
	"io/fs"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A folder is listed a page at a time, and every page needs the whole
// folder read and sorted (folders first, then by name as people count) to
// know where it starts: for a million names, one to two seconds a page.
// The listing cache keeps the sorted names of the few large folders read
// last, so that a listing's later pages cost only their own entries.
//
// A listing's first page always reads the folder afresh, so opening or
// refreshing a folder shows it as it is. A later page uses the cached
// names only while they are still true: the folder is the same one
// (os.SameFile), its modification time, which moves whenever a name in it
// is added, removed or renamed, has not moved, and that time was at least
// listingSettle older than the reading (on a file system with a coarse
// clock, a folder changed in the same tick as it was read could change
// again unseen). A listing is dropped listingTTL after its last use, and
// the cache holds at most listingMaxNames names in all.
const (
	listingMinNames = 1000
	listingMaxNames = 2_000_000
	listingTTL      = time.Minute
	listingSettle   = 2 * time.Second
)

// listingKey names a cached listing: the folder's path, and whether the
// listing hides the snapshot's own .lanyard folder (a snapshot's top read
// by Browse) or not (the same folder read as a live one by ListFolder).
type listingKey struct {
	path     string
	hideMeta bool
}

type listing struct {
	folder fs.FileInfo // the folder when it was read
	all    []listed    // sorted; shared by readers, never changed
	used   time.Time
	drop   *time.Timer
}

type listingCache struct {
	reads atomic.Int64 // folders read (tests)

	mu      sync.Mutex
	ttl     time.Duration
	onDrop  func() // tests: called after a listing expired and was dropped
	entries map[listingKey]*listing
	names   int // in all the entries
}

var listings = &listingCache{ttl: listingTTL}

// sorted returns the sorted entries of folder f (opened at key.path):
// from the cache for a later page (fresh false) while they are still
// true, else read by ReadDir and kept when the folder is large.
func (c *listingCache) sorted(key listingKey, f *os.File, fresh bool) ([]listed, error) {
	folder, statErr := f.Stat()
	if statErr == nil && !fresh {
		if all, ok := c.get(key, folder); ok {
			return all, nil
		}
	}
	began := time.Now()
	c.reads.Add(1)
	all, err := readListing(f, key.hideMeta)
	if err != nil || statErr != nil {
		return all, err
	}
	if len(all) >= listingMinNames && began.Sub(folder.ModTime()) >= listingSettle {
		c.put(key, folder, all)
	} else {
		c.forget(key)
	}
	return all, nil
}

// readListing reads folder f's entries and sorts them as a listing shows
// them; hideMeta leaves out a snapshot's .lanyard folder.
func readListing(f *os.File, hideMeta bool) ([]listed, error) {
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	all := make([]listed, 0, len(ents))
	for _, e := range ents {
		if hideMeta && e.Name() == metaDir {
			continue
		}
		all = append(all, listed{dir: e.IsDir(), name: e.Name()})
	}
	slices.SortFunc(all, compareListed)
	return all, nil
}

func (c *listingCache) get(key listingKey, folder fs.FileInfo) ([]listed, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return nil, false
	}
	if !os.SameFile(e.folder, folder) || !e.folder.ModTime().Equal(folder.ModTime()) {
		c.remove(key, e)
		return nil, false
	}
	e.used = time.Now()
	e.drop.Reset(c.ttl)
	return e.all, true
}

// put keeps all as key's listing, dropping the least recently used
// listings until the cache holds no more than listingMaxNames names.
func (c *listingCache) put(key listingKey, folder fs.FileInfo, all []listed) {
	if len(all) > listingMaxNames {
		c.forget(key)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old != nil {
		c.remove(key, old)
	}
	for c.names+len(all) > listingMaxNames {
		c.removeOldest()
	}
	if c.entries == nil {
		c.entries = make(map[listingKey]*listing)
	}
	e := &listing{folder: folder, all: all, used: time.Now()}
	e.drop = time.AfterFunc(c.ttl, func() { c.expire(key, e) })
	c.entries[key] = e
	c.names += len(all)
}

// forget drops key's listing, if any.
func (c *listingCache) forget(key listingKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil {
		c.remove(key, e)
	}
}

// expire drops e when its time is up, unless a newer listing took its place.
func (c *listingCache) expire(key listingKey, e *listing) {
	c.mu.Lock()
	dropped := c.entries[key] == e
	if dropped {
		c.remove(key, e)
	}
	onDrop := c.onDrop
	c.mu.Unlock()
	if dropped && onDrop != nil {
		onDrop()
	}
}

func (c *listingCache) removeOldest() {
	var oldest listingKey
	var found *listing
	for k, e := range c.entries {
		if found == nil || e.used.Before(found.used) {
			oldest, found = k, e
		}
	}
	if found != nil {
		c.remove(oldest, found)
	}
}

// remove drops e (key's listing); c.mu is held.
func (c *listingCache) remove(key listingKey, e *listing) {
	e.drop.Stop()
	delete(c.entries, key)
	c.names -= len(e.all)
}
