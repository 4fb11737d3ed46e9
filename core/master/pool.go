package master

import (
	"context"
	"sync"
	"sync/atomic"
)

// forEach calls fn(i) for every i below n, on at most workers goroutines
// at once, and returns when every call has; once ctx ends no further
// call starts.
func forEach(ctx context.Context, n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
