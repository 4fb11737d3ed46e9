package master

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/link"
)

// linkedWithStatus is a console and a linked outbound slave FS01 whose
// status was read at link time; it returns the link and that status's time.
func linkedWithStatus(t *testing.T) (*console, *link.Link, int64) {
	t.Helper()
	c, _ := linked(t, false, nil)
	c.until(t, "the status read at link time", func() bool { v, _ := c.Slave("FS01"); return v.Status != nil })
	v, _ := c.Slave("FS01")
	return c, c.currentLink("FS01"), v.Status.TimeUnixNano
}

func (c *console) holds(l *link.Link) bool {
	c.held.mu.Lock()
	defer c.held.mu.Unlock()
	return slices.Contains(c.held.links, l)
}

// During a storm a new link's first reads wait; once it has passed they
// run, and the status they read is kept.
func TestANewLinksFirstReadsWaitForTheStormToPass(t *testing.T) {
	c, l, before := linkedWithStatus(t)
	var storm atomic.Bool
	storm.Store(true)
	c.wg.Add(1) // the count adopt takes for a link's first reads
	c.firstReads(l, storm.Load)
	if !c.holds(l) {
		t.Fatal("the first reads of a link that came in during a storm were not held")
	}

	storm.Store(false)
	c.until(t, "the held status read, once the storm passed", func() bool {
		v, _ := c.Slave("FS01")
		return v.Status.TimeUnixNano > before
	})
	if c.holds(l) {
		t.Error("the link is still held after its reads ran")
	}
}

// A console stopped during a storm drops the held reads and stops: the
// counts they held are given back.
func TestAConsoleStoppedDuringAStormDropsTheHeldReads(t *testing.T) {
	c, l, _ := linkedWithStatus(t)
	c.wg.Add(1)
	c.firstReads(l, func() bool { return true })
	if !c.holds(l) {
		t.Fatal("not held")
	}
	closed := make(chan struct{})
	go func() { _ = c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return with reads held")
	}
	if c.holds(l) {
		t.Error("the held reads were kept after Close")
	}
}
