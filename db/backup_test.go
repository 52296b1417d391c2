package db_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"carfin/db"
)

// openFile opens and migrates a SQLite database in dir.
func openFile(t *testing.T, path string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Migrate(context.Background()); err != nil {
		d.Close()
		t.Fatal(err)
	}
	return d
}

// leftovers returns the temporary files a backup or restore left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestBackupRestoreSQLite: a backup of an open database is a checked copy
// with its migrations; an existing file is kept unless overwrite is set;
// a restore refuses a database in use, and a backup with a migration
// this carfin does not know; a failed backup leaves no file behind.
func TestBackupRestoreSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	live := openFile(t, src)
	defer live.Close()
	if _, err := live.SQL.ExecContext(ctx, `CREATE TABLE backup_probe (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := live.SQL.ExecContext(ctx, `INSERT INTO backup_probe VALUES (1), (2), (3)`); err != nil {
		t.Fatal(err)
	}
	cur, _, err := live.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}

	bak := filepath.Join(dir, "copy.db")
	info, err := db.BackupSQLite(ctx, src, bak, false)
	if err != nil {
		t.Fatal(err)
	}
	if info.SchemaVersion != cur || info.Migrations == 0 || info.Bytes == 0 {
		t.Errorf("backup info %+v, schema at %d", info, cur)
	}
	if st, err := os.Stat(bak); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v %v, want mode 0600", st.Mode(), err)
	}
	if _, err := db.BackupSQLite(ctx, src, bak, false); !errors.Is(err, db.ErrFileExists) {
		t.Errorf("second backup to the same file: %v, want ErrFileExists", err)
	}
	if _, err := db.BackupSQLite(ctx, src, bak, true); err != nil {
		t.Errorf("backup with overwrite: %v", err)
	}

	// Restoring over the open database is refused, even with overwrite.
	if _, err := db.RestoreSQLite(ctx, bak, src, false); !errors.Is(err, db.ErrFileExists) {
		t.Errorf("restore over an existing file: %v, want ErrFileExists", err)
	}
	if _, err := db.RestoreSQLite(ctx, bak, src, true); !errors.Is(err, db.ErrInUse) {
		t.Errorf("restore over a database in use: %v, want ErrInUse", err)
	}
	// Once closed, it is replaced, and the restored file has the rows.
	if _, err := live.SQL.ExecContext(ctx, `INSERT INTO backup_probe VALUES (4)`); err != nil {
		t.Fatal(err)
	}
	live.Close()
	if _, err := db.RestoreSQLite(ctx, bak, src, true); err != nil {
		t.Fatalf("restore: %v", err)
	}
	back := openFile(t, src)
	var n int
	if err := back.Read.QueryRowContext(ctx, `SELECT count(*) FROM backup_probe`).Scan(&n); err != nil || n != 3 {
		t.Errorf("restored database has %d probe rows (%v), want the 3 of the backup", n, err)
	}
	back.Close()

	// A backup from a newer carfin is refused.
	newer := filepath.Join(dir, "newer.db")
	if _, err := db.BackupSQLite(ctx, src, newer, false); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := db.RestoreSQLite(ctx, newer, filepath.Join(dir, "fresh.db"), false); !errors.Is(err, db.ErrNewerSchema) {
		t.Errorf("restore of a newer backup: %v, want ErrNewerSchema", err)
	}
	// A file that is not a database fails its check.
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RestoreSQLite(ctx, junk, filepath.Join(dir, "fresh.db"), false); err == nil {
		t.Error("restore of a file that is not a database succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "fresh.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore left fresh.db: %v", err)
	}

	// A target where no file can be made: a clear error, nothing left.
	// (A path under a regular file fails even for root, which a
	// read-only directory would not stop.)
	for _, to := range []string{filepath.Join(junk, "copy.db"), filepath.Join(dir, strings.Repeat("x", 300)+".db")} {
		if _, err := db.BackupSQLite(ctx, src, to, false); err == nil {
			t.Errorf("backup to %s succeeded", to)
		}
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

// copyFile copies from to to.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreOverCrashedSQLite: a database left by a crash, with
// committed transactions still in its -wal, is replaced by the backup
// alone; its WAL is not replayed onto the restored file.
func TestRestoreOverCrashedSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	live := openFile(t, src)
	defer live.Close()
	if _, err := live.SQL.ExecContext(ctx, `CREATE TABLE backup_probe (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	bak := filepath.Join(dir, "copy.db")
	if _, err := db.BackupSQLite(ctx, src, bak, false); err != nil {
		t.Fatal(err)
	}
	if _, err := live.SQL.ExecContext(ctx, `INSERT INTO backup_probe VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	// The files as a kill -9 leaves them: the rows are only in the -wal.
	crashed := filepath.Join(dir, "crashed.db")
	copyFile(t, src, crashed)
	copyFile(t, src+"-wal", crashed+"-wal")
	if st, err := os.Stat(crashed + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("no -wal to leave behind: %v", err)
	}
	if _, err := db.RestoreSQLite(ctx, bak, crashed, true); err != nil {
		t.Fatalf("restore over a crashed database: %v", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(crashed + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left beside the restored database: %v", suffix, err)
		}
	}
	back := openFile(t, crashed)
	defer back.Close()
	var n int
	if err := back.Read.QueryRowContext(ctx, `SELECT count(*) FROM backup_probe`).Scan(&n); err != nil || n != 0 {
		t.Errorf("restored database has %d probe rows (%v), want the backup's 0", n, err)
	}
	// A damaged database, which no server can be serving, is replaced.
	damaged := filepath.Join(dir, "damaged.db")
	if err := os.WriteFile(damaged, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RestoreSQLite(ctx, bak, damaged, true); err != nil {
		t.Errorf("restore over a damaged database: %v", err)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}
