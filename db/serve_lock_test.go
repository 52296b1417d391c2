package db_test

import (
	"errors"
	"path/filepath"
	"testing"

	"carfin/db"
)

// TestServeLock: one server per SQLite file: a second lock on the same
// file is refused with ErrInUse until the first is released; another
// file and PostgreSQL take none.
func TestServeLock(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "sub", "carfin.db")
	release, err := db.ServeLock(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ServeLock(dsn); !errors.Is(err, db.ErrInUse) {
		t.Fatalf("second server on the same file: %v, want ErrInUse", err)
	}
	other, err := db.ServeLock("sqlite:" + filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatalf("another file: %v", err)
	}
	other()
	for range 2 {
		pg, err := db.ServeLock("postgres://postgres@127.0.0.1:5432/test")
		if err != nil {
			t.Fatalf("PostgreSQL: %v", err)
		}
		defer pg()
	}
	release()
	again, err := db.ServeLock(dsn)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
