package backup

// syncDir is a no-op: Windows makes a rename durable with the file system's
// own journal and cannot open a folder for syncing.
func syncDir(string) error { return nil }

func isUnsupportedSync(error) bool { return true }
