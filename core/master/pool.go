package master

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// slavesAtOnce bounds the slaves one command to many (EachSlave) works
// on at once.
const slavesAtOnce = 16

// EachSlave runs fn on each slave of names, by the name its entry
// spells, at most slavesAtOnce at a time. done hears each one's error
// as it ends, one call at a time, and also each one not reached because
// ctx ended first (its error says so).
func (m *Master) EachSlave(ctx context.Context, names []string, fn func(ctx context.Context, i int, slave string) error,
	done func(i int, slave string, err error)) {
	reached := make([]bool, len(names))
	var mu sync.Mutex
	end := func(i int, slave string, err error) {
		mu.Lock()
		defer mu.Unlock()
		reached[i] = true
		done(i, slave, err)
	}
	forEach(ctx, len(names), slavesAtOnce, func(i int) {
		slave := m.displayName(names[i])
		end(i, slave, fn(ctx, i, slave))
	})
	for i, ok := range reached {
		if !ok {
			end(i, m.displayName(names[i]), fmt.Errorf("not reached: %w", context.Cause(ctx)))
		}
	}
}

// displayName is the slave's name as its entry spells it, or name when
// there is no such slave.
func (m *Master) displayName(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.byName[strings.ToLower(name)]; s != nil {
		return s.entry.Name
	}
	return name
}

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
