//go:build unix

package db

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on f without waiting; it is released
// when f is closed or the process ends.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
