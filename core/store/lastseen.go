package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// When each slave was last seen lives in a bucket of its own, apart from
// the slave's entry: a link's every start and end changes it, thousands at
// a time when a console stops or a fleet relinks, and a change then writes
// eight bytes rather than decoding and encoding the whole entry.
//
// Key: the slave's entry ID; value: the time in Unix nanoseconds, int64
// big-endian (lastSeenSize bytes), then, when the slave was linked at that
// time and its link's end is not saved yet, one byte 1
// (Slave.LastSeenLinked). A slave never seen has no key.

var bucketLastSeen = []byte("lastseen")

const (
	lastSeenSize = 8
	seenLinked   = 1 // the byte after the time: linked then
)

func encodeLastSeen(t time.Time, linked bool) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, lastSeenSize+1), uint64(t.UnixNano()))
	if linked {
		v = append(v, seenLinked)
	}
	return v
}

// readLastSeen fills s.LastSeen and s.LastSeenLinked from b (zero: never
// seen).
func (db *DB) readLastSeen(b *bbolt.Bucket, s *Slave) error {
	value := b.Get([]byte(s.ID))
	switch {
	case value == nil:
		s.LastSeen, s.LastSeenLinked = time.Time{}, false
		return nil
	case len(value) == lastSeenSize, len(value) == lastSeenSize+1 && value[lastSeenSize] == seenLinked:
	default:
		return db.damaged(bucketLastSeen, fmt.Sprintf("%q", s.ID), fmt.Errorf("%d bytes %x, want %d, or %d ending in %d", len(value), value, lastSeenSize, lastSeenSize+1, seenLinked))
	}
	s.LastSeen = time.Unix(0, int64(binary.BigEndian.Uint64(value))).UTC()
	s.LastSeenLinked = len(value) > lastSeenSize
	return nil
}

// putLastSeen stores t as when entry id was last seen, linked then or
// not; zero deletes it.
func putLastSeen(b *bbolt.Bucket, id []byte, t time.Time, linked bool) error {
	if t.IsZero() {
		return b.Delete(id)
	}
	return b.Put(id, encodeLastSeen(t, linked))
}

// metaRunningSize is the size of the console's running note in the meta
// bucket: when it was last running, in Unix nanoseconds, int64 big-endian.
const metaRunningSize = 8

// NoteRunning notes that the console was running at t, every little
// while, so that its next start, after it was killed or cut off from its
// power, knows until when the slaves linked to it then were there
// (Slave.LastSeenLinked).
func (db *DB) NoteRunning(t time.Time) error {
	return db.update(func(tx *bbolt.Tx) error {
		meta, err := db.bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(metaRunning, binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())))
	})
}

// LastRunning is the time of the last NoteRunning (zero: none yet).
func (db *DB) LastRunning() (time.Time, error) {
	var last time.Time
	err := db.view(func(tx *bbolt.Tx) error {
		meta, err := db.bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		switch v := meta.Get(metaRunning); {
		case v == nil:
		case len(v) != metaRunningSize:
			return db.damaged(bucketMeta, string(metaRunning), fmt.Errorf("%d bytes, want %d", len(v), metaRunningSize))
		default:
			last = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
		}
		return nil
	})
	return last, err
}

// lastSeenLinked is schema 6: a last-seen value may carry a ninth byte,
// linked then (Slave.LastSeenLinked), which an older build would read as
// damaged. Every value of schema 5 is one of 6 as it is: the bump alone
// makes an older build refuse the file rather than misread it.
func lastSeenLinked(*bbolt.Tx) error { return nil }

// lastSeenApart is schema 5: every slave entry's last_seen moves out of
// its JSON into the lastseen bucket. The entry is edited as raw JSON, so
// fields this migration does not know of are kept; an entry that does not
// decode is left as it is (reading it reports it damaged, as before).
func lastSeenApart(tx *bbolt.Tx) error {
	seen, err := tx.CreateBucketIfNotExists(bucketLastSeen)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketLastSeen, err)
	}
	slaves := tx.Bucket(bucketSlaves)
	if slaves == nil {
		return nil
	}
	return rewriteEach(slaves, func(k, v []byte) ([]byte, error) {
		var fields map[string]json.RawMessage
		if json.Unmarshal(v, &fields) != nil {
			return nil, nil
		}
		raw, ok := fields["last_seen"]
		if !ok {
			return nil, nil
		}
		var t time.Time
		if json.Unmarshal(raw, &t) == nil && !t.IsZero() {
			if err := seen.Put(k, encodeLastSeen(t, false)); err != nil {
				return nil, err
			}
		}
		delete(fields, "last_seen")
		return json.Marshal(fields)
	})
}
