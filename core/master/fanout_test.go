package master

import "testing"

// A subscriber that falls behind loses events and is told so with one
// resync in place of the next event it has room for; an expendable event
// is dropped without that; cancel closes the channel and is safe twice.
func TestFanoutTellsASlowSubscriberToResync(t *testing.T) {
	f := fanout[int]{resync: func(int) int { return -1 }, expendable: func(e int) bool { return e >= 100 }}
	ch, cancel := f.subscribe(2)
	f.publish(1)
	f.publish(2)
	f.publish(100) // expendable: lost, no resync owed
	if a, b := <-ch, <-ch; a != 1 || b != 2 {
		t.Fatalf("got %d %d, want 1 2", a, b)
	}
	f.publish(3) // room again, and no resync owed: delivered as it is
	if got := <-ch; got != 3 {
		t.Fatalf("after an expendable loss got %d, want 3", got)
	}
	f.publish(4)
	f.publish(5)
	f.publish(6) // lost: a resync is owed
	<-ch
	<-ch
	f.publish(7)
	if got := <-ch; got != -1 {
		t.Fatalf("after a loss the subscriber got %d, want the resync", got)
	}
	if got := <-ch; got != 7 {
		t.Fatalf("after the resync got %d, want 7", got)
	}
	cancel()
	cancel()
	if _, open := <-ch; open {
		t.Fatal("the channel is open after cancel")
	}
	f.publish(8) // no subscribers: nothing blocks
}
