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
// big-endian (lastSeenSize bytes). A slave never seen has no key.

var bucketLastSeen = []byte("lastseen")

const lastSeenSize = 8

func encodeLastSeen(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, lastSeenSize), uint64(t.UnixNano()))
}

func (db *DB) decodeLastSeen(key, value []byte) (time.Time, error) {
	if len(value) != lastSeenSize {
		return time.Time{}, db.damaged(bucketLastSeen, fmt.Sprintf("%q", key), fmt.Errorf("%d bytes, want %d", len(value), lastSeenSize))
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(value))).UTC(), nil
}

// lastSeenOf reads when entry id was last seen (zero: never).
func (db *DB) lastSeenOf(b *bbolt.Bucket, id []byte) (time.Time, error) {
	value := b.Get(id)
	if value == nil {
		return time.Time{}, nil
	}
	return db.decodeLastSeen(id, value)
}

// putLastSeen stores t as when entry id was last seen; zero deletes it.
func putLastSeen(b *bbolt.Bucket, id []byte, t time.Time) error {
	if t.IsZero() {
		return b.Delete(id)
	}
	return b.Put(id, encodeLastSeen(t))
}

// Running is what a running console notes of itself every little while,
// so that its next start, after it was killed or cut off from its power,
// knows how long the slaves linked to it were there: to within the note's
// period, not the longer one of saving every linked slave's last-seen
// time.
type Running struct {
	// Alive is when it last noted itself running.
	Alive time.Time
	// Refreshed is when it last saved every linked slave as seen: the
	// last-seen time those slaves were given then (zero: not since it
	// started).
	Refreshed time.Time
}

// runningSize is Running's size in the meta bucket: its two times in Unix
// nanoseconds (zero: 0), int64 big-endian.
const runningSize = 2 * lastSeenSize

// SaveRunning writes r over the last note.
func (db *DB) SaveRunning(r Running) error {
	v := make([]byte, 0, runningSize)
	for _, t := range []time.Time{r.Alive, r.Refreshed} {
		var n int64
		if !t.IsZero() {
			n = t.UnixNano()
		}
		v = binary.BigEndian.AppendUint64(v, uint64(n))
	}
	return db.update(func(tx *bbolt.Tx) error {
		meta, err := db.bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(metaRunning, v)
	})
}

// Running reads the last note (zero: none yet).
func (db *DB) Running() (Running, error) {
	var r Running
	err := db.view(func(tx *bbolt.Tx) error {
		meta, err := db.bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		v := meta.Get(metaRunning)
		switch {
		case v == nil:
			return nil
		case len(v) != runningSize:
			return db.damaged(bucketMeta, string(metaRunning), fmt.Errorf("%d bytes, want %d", len(v), runningSize))
		}
		for i, t := range []*time.Time{&r.Alive, &r.Refreshed} {
			if n := int64(binary.BigEndian.Uint64(v[i*lastSeenSize:])); n != 0 {
				*t = time.Unix(0, n).UTC()
			}
		}
		return nil
	})
	return r, err
}

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
			if err := seen.Put(k, encodeLastSeen(t)); err != nil {
				return nil, err
			}
		}
		delete(fields, "last_seen")
		return json.Marshal(fields)
	})
}
