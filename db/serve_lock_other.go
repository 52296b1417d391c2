//go:build !unix

package db

import "os"

// lockFile does not lock where flock is missing: SQLite's own locking
// still keeps the file whole.
func lockFile(*os.File) error { return nil }
