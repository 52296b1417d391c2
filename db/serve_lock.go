package db

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ServeLock keeps SQLite the single-process engine it is: a server on a
// SQLite database holds an exclusive lock on PATH.serve-lock for as long
// as it runs, and a second server on the same file is refused at start
// rather than left to share its limits, sessions and jobs with the first
// through a file (several instances run on PostgreSQL, which needs no
// lock: it returns a no-op). The lock is the kernel's (flock), so a
// killed process leaves none behind. Commands that are not servers
// (backup, check, jobs) do not take it. Returns ErrInUse when held.
func ServeLock(dsn string) (release func(), err error) {
	path, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok || path == "" || path == ":memory:" {
		return func() {}, nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("serve lock: %w", err)
		}
	}
	lock := path + ".serve-lock"
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("serve lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: another carfin server holds %s; SQLite is the single-process engine, run several instances on PostgreSQL: %w", path, lock, ErrInUse)
	}
	return func() { f.Close() }, nil
}
