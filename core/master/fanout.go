package master

import "sync"

// fanout hands events to subscribers without ever blocking the sender (a
// link's reader, the store's announcer): a subscriber that falls behind
// loses events and is then sent resync(e) in place of the next one it has
// room for, so it knows to read everything again. Events that expendable
// says may be lost (progress that the next one supersedes) are dropped
// without that.
type fanout[E any] struct {
	resync     func(E) E
	expendable func(E) bool

	mu   sync.Mutex
	subs map[*fanoutSub[E]]struct{}
}

type fanoutSub[E any] struct {
	ch     chan E
	lagged bool
}

// subscribe returns a channel of the events published from now on and a
// cancel, safe to call more than once, that closes it.
func (f *fanout[E]) subscribe(buffer int) (<-chan E, func()) {
	s := &fanoutSub[E]{ch: make(chan E, buffer)}
	f.mu.Lock()
	if f.subs == nil {
		f.subs = make(map[*fanoutSub[E]]struct{})
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, s)
			f.mu.Unlock()
			close(s.ch)
		})
	}
}

func (f *fanout[E]) publish(e E) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		if s.lagged {
			select {
			case s.ch <- f.resync(e):
				s.lagged = false
			default:
				continue
			}
		}
		select {
		case s.ch <- e:
		default:
			if f.expendable == nil || !f.expendable(e) {
				s.lagged = true
			}
		}
	}
}
