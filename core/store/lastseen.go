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
