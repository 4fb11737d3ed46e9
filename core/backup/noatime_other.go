//go:build unix && !linux

package backup

// openNoATime: only Linux can read a file without changing its access
// time.
const openNoATime = 0
