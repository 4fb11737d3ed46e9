package backup

import "time"

// Test seams of the listing cache (listcache.go).

// FolderReads counts the folders the listings of Browse and ListFolder
// read from disk rather than from their cache.
func FolderReads() int64 { return listings.reads.Load() }

// CachedListings is how many folders' listings are cached, and how many
// names they hold.
func CachedListings() (folders, names int) {
	listings.mu.Lock()
	defer listings.mu.Unlock()
	return len(listings.entries), listings.names
}

// ForgetListings empties the listing cache.
func ForgetListings() {
	listings.mu.Lock()
	defer listings.mu.Unlock()
	for k, e := range listings.entries {
		listings.remove(k, e)
	}
}

// ExpireListingsAfter empties the listing cache and makes the listings
// cached next expire after d until the test ends; the channel it returns
// receives when one expired.
func ExpireListingsAfter(t interface{ Cleanup(func()) }, d time.Duration) <-chan struct{} {
	ForgetListings()
	expired := make(chan struct{}, 16)
	listings.mu.Lock()
	ttl := listings.ttl
	listings.ttl = d
	listings.onDrop = func() {
		select {
		case expired <- struct{}{}:
		default:
		}
	}
	listings.mu.Unlock()
	t.Cleanup(func() {
		listings.mu.Lock()
		listings.ttl, listings.onDrop = ttl, nil
		listings.mu.Unlock()
	})
	return expired
}

const ListingMinNames = listingMinNames
