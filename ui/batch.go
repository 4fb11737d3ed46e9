package ui

import (
	"context"
	"time"
)

// batchEvents is the one batcher behind every window that follows the
// fleet (the server tree, the log window, the notifier): it hands the
// events from in to flush in batches, at most one batch per every, until
// ctx ends or in closes (a last batch is flushed then). The first event
// after a quiet spell goes out at once; the ones that follow wait for the
// interval, so a burst of ten thousand costs a few batches. flush runs on
// the batcher's goroutine, off the Fyne thread; the batcher never blocks
// on anything else, so the fleet (which drops events for a subscriber that
// lags) sees a fast reader. E is the fleet's events, or the backup alerts
// the notifier shows.
func batchEvents[E any](ctx context.Context, in <-chan E, every time.Duration, flush func([]E)) {
	var pending []E
	var timer *time.Timer
	var due <-chan time.Time
	var last time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-in:
			if !ok {
				if len(pending) > 0 {
					flush(pending)
				}
				return
			}
			pending = append(pending, e)
			if due == nil {
				timer = time.NewTimer(max(every-time.Since(last), 0))
				due = timer.C
			}
		case <-due:
			due, last = nil, time.Now()
			batch := pending
			pending = nil
			flush(batch)
		}
	}
}
