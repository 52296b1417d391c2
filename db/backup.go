package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Backups of a SQLite database. A backup is one ordinary SQLite file,
// written while carfin serves the database: VACUUM INTO copies the
// database inside one read transaction, so the copy is the database as
// it was at one instant (WAL lets the server keep writing meanwhile),
// and every committed transaction is either wholly in it or wholly not.
// A file is only ever published whole: it is written under a temporary
// name in the target's directory, synced, checked, and then renamed (or
// linked, when an existing file must not be replaced), so a reader,
// a crash or a full disk never leaves a half-written file under the
// final name. PostgreSQL is backed up with its own tools
// (docs/backups.md).

// backupBusyTimeoutMillis bounds how long a backup waits for a lock
// (a checkpoint truncating the WAL, say) before it fails.
const backupBusyTimeoutMillis = 30_000

var (
	// ErrFileExists is returned when the target of a backup or restore
	// exists and replacing it was not asked for.
	ErrFileExists = errors.New("file exists (give --force to replace it)")
	// ErrInUse is returned by RestoreSQLite when a process has the target
	// database open.
	ErrInUse = errors.New("database is in use (stop the carfin processes that have it open)")
	// ErrNewerSchema is returned by RestoreSQLite for a backup whose
	// schema has migrations this carfin does not know.
	ErrNewerSchema = errors.New("backup was made by a newer carfin")
	// ErrBadBackup is returned when a copy fails its check.
	ErrBadBackup = errors.New("backup failed its check")
)

// BackupInfo describes a checked SQLite database file.
type BackupInfo struct {
	// SchemaVersion is the highest migration applied, Migrations how
	// many are.
	SchemaVersion int64
	Migrations    int
	// Bytes is the file's size.
	Bytes int64
}

// BackupSQLite writes a consistent copy of the SQLite database at src to
// dst, while other processes read and write src. The copy is written to a
// temporary file beside dst, synced, checked (PRAGMA integrity_check, and
// its migrations are those of src) and only then given the name dst. An
// existing dst is replaced only if overwrite is set. On failure no new
// file is left behind. Returns ErrFileExists if dst exists, ErrBadBackup
// if the copy fails its check.
func BackupSQLite(ctx context.Context, src, dst string, overwrite bool) (BackupInfo, error) {
	if st, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: source: %w", err)
	} else if !st.Mode().IsRegular() {
		return BackupInfo{}, fmt.Errorf("backup: source %s is not a file", src)
	}
	if !overwrite {
		if _, err := os.Lstat(dst); err == nil {
			return BackupInfo{}, fmt.Errorf("backup: %s: %w", dst, ErrFileExists)
		}
	}
	tmp, err := tempBeside(dst)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	info, err := backupTo(ctx, src, tmp)
	if err == nil {
		err = publish(tmp, dst, overwrite)
	}
	if err != nil {
		removeSQLiteFiles(tmp)
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	return info, nil
}

// backupTo copies src into the empty file tmp, syncs it and checks it.
func backupTo(ctx context.Context, src, tmp string) (BackupInfo, error) {
	conn, err := sql.Open("sqlite", "file:"+src+fmt.Sprintf("?_pragma=busy_timeout(%d)", backupBusyTimeoutMillis))
	if err != nil {
		return BackupInfo{}, err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	// VACUUM INTO writes into an empty file (tempBeside made it), inside
	// one read transaction on src: a snapshot.
	if _, err := conn.ExecContext(ctx, `VACUUM INTO $1`, tmp); err != nil {
		return BackupInfo{}, fmt.Errorf("copy %s: %w", src, err)
	}
	srcVersions, err := appliedVersions(ctx, conn)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("read %s: %w", src, err)
	}
	if err := syncFile(tmp); err != nil {
		return BackupInfo{}, err
	}
	info, versions, err := checkSQLiteFile(ctx, tmp)
	if err != nil {
		return BackupInfo{}, err
	}
	// A migration run between the copy and this read would show here.
	if !slices.Equal(versions, srcVersions) {
		return BackupInfo{}, fmt.Errorf("%w: the copy has %d migrations up to %d, the database %d (was it migrated during the backup? run it again)",
			ErrBadBackup, len(versions), info.SchemaVersion, len(srcVersions))
	}
	return info, nil
}

// RestoreSQLite puts the backup at src in place as the database dst. It
// refuses if dst exists and overwrite is not set, or if a process has dst
// open. The backup is copied beside dst, synced and checked (PRAGMA
// integrity_check; no migration newer than this carfin knows), then the
// stale -wal and -shm files of dst are removed and the copy is renamed to
// dst. On failure dst is unchanged and no temporary file is left. Returns
// ErrFileExists, ErrInUse, ErrNewerSchema or ErrBadBackup.
func RestoreSQLite(ctx context.Context, src, dst string, overwrite bool) (BackupInfo, error) {
	exists := false
	if _, err := os.Lstat(dst); err == nil {
		exists = true
		if !overwrite {
			return BackupInfo{}, fmt.Errorf("restore: %s: %w", dst, ErrFileExists)
		}
		if err := checkNotInUse(ctx, dst); err != nil {
			return BackupInfo{}, fmt.Errorf("restore: %s: %w", dst, err)
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	tmp, err := tempBeside(dst)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	info, err := restoreTo(ctx, in, tmp)
	if err == nil && exists {
		// Checked again just before the switch: a server started
		// meanwhile would otherwise keep the old file's inode and WAL.
		if err = checkNotInUse(ctx, dst); err == nil {
			err = removeWALFiles(dst)
		}
	}
	if err == nil {
		err = publish(tmp, dst, overwrite)
	}
	if err != nil {
		removeSQLiteFiles(tmp)
		return BackupInfo{}, fmt.Errorf("restore %s: %w", src, err)
	}
	return info, nil
}

// restoreTo copies in to tmp, syncs it and checks it.
func restoreTo(ctx context.Context, in io.Reader, tmp string) (BackupInfo, error) {
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, sqliteFileMode)
	if err != nil {
		return BackupInfo{}, err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupInfo{}, fmt.Errorf("copy to %s: %w", tmp, err)
	}
	info, versions, err := checkSQLiteFile(ctx, tmp)
	if err != nil {
		return BackupInfo{}, err
	}
	known, err := knownVersions()
	if err != nil {
		return BackupInfo{}, err
	}
	for _, v := range versions {
		if !slices.Contains(known, v) {
			return BackupInfo{}, fmt.Errorf("%w: it has migration %d, which this carfin does not know; restore it with that carfin", ErrNewerSchema, v)
		}
	}
	return info, nil
}

// CheckSQLiteFile checks a SQLite file that no process is writing (a
// backup): PRAGMA integrity_check, and that it has carfin's migration
// table. Returns ErrBadBackup if it fails.
func CheckSQLiteFile(ctx context.Context, path string) (BackupInfo, error) {
	info, _, err := checkSQLiteFile(ctx, path)
	return info, err
}

func checkSQLiteFile(ctx context.Context, path string) (BackupInfo, []int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, nil, err
	}
	// immutable: nobody writes the file, so SQLite takes no locks and
	// makes no -wal or -shm beside it.
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return BackupInfo{}, nil, err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return BackupInfo{}, nil, fmt.Errorf("%w: %s: %v", ErrBadBackup, path, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return BackupInfo{}, nil, err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Close(); err != nil {
		return BackupInfo{}, nil, err
	}
	if err := rows.Err(); err != nil {
		return BackupInfo{}, nil, fmt.Errorf("%w: %s: %v", ErrBadBackup, path, err)
	}
	if len(problems) > 0 {
		return BackupInfo{}, nil, fmt.Errorf("%w: %s: integrity_check: %s", ErrBadBackup, path, strings.Join(problems, "; "))
	}
	versions, err := appliedVersions(ctx, conn)
	if err != nil {
		return BackupInfo{}, nil, fmt.Errorf("%w: %s: %v", ErrBadBackup, path, err)
	}
	if len(versions) == 0 {
		return BackupInfo{}, nil, fmt.Errorf("%w: %s: no carfin migrations applied", ErrBadBackup, path)
	}
	return BackupInfo{SchemaVersion: versions[len(versions)-1], Migrations: len(versions), Bytes: st.Size()}, versions, nil
}

// appliedVersions returns the migrations applied to a database, in order.
func appliedVersions(ctx context.Context, q Querier) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT version_id FROM goose_db_version WHERE version_id > 0 AND is_applied ORDER BY version_id`)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// knownVersions returns the migrations this carfin has, in order.
func knownVersions() ([]int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// checkNotInUse returns ErrInUse if a connection has the SQLite database
// at path open. It asks SQLite for the database in exclusive locking
// mode: on a WAL database that needs an exclusive lock on the file, which
// SQLite grants only when no other connection, in this process or
// another, has it open. A file SQLite cannot read as a database (a
// damaged one being replaced, say) is one no server can be serving.
func checkNotInUse(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)&_pragma=locking_mode(EXCLUSIVE)")
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	lockErr := func(err error) error {
		switch sqliteCode(err) {
		case sqliteBusy, sqliteLocked:
			return ErrInUse
		case sqliteCorrupt, sqliteNotADB:
			return nil
		}
		return fmt.Errorf("lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		return lockErr(err)
	}
	// Read a page so that the lock is really taken on a WAL database.
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		_, _ = conn.ExecContext(ctx, `ROLLBACK`)
		return lockErr(err)
	}
	_, err = conn.ExecContext(ctx, `ROLLBACK`)
	return err
}

// SQLite's primary result codes that checkNotInUse tells apart.
const (
	sqliteCorrupt = 11
	sqliteBusy    = 5
	sqliteLocked  = 6
	sqliteNotADB  = 26
)

// sqliteCode returns the primary result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code() & 0xff
	}
	return 0
}

// tempBeside makes an empty file, readable by its owner only, in dst's
// directory (so that a rename onto dst is atomic) and returns its name.
func tempBeside(dst string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		_ = os.Remove(name)
		return "", err
	}
	return name, nil
}

// publish gives tmp the name dst and syncs the directory. Unless
// overwrite is set it links rather than renames, so that a dst made since
// it was looked for is never replaced.
func publish(tmp, dst string, overwrite bool) error {
	if overwrite {
		if err := os.Rename(tmp, dst); err != nil {
			return err
		}
	} else {
		if err := os.Link(tmp, dst); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w", dst, ErrFileExists)
			}
			return err
		}
		_ = os.Remove(tmp)
	}
	return syncDir(filepath.Dir(dst))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// removeWALFiles removes path's -wal and -shm files, which belong to the
// file being replaced: SQLite would otherwise apply that WAL to the new
// file.
func removeWALFiles(path string) error {
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// removeSQLiteFiles removes a temporary database and any files SQLite
// made beside it.
func removeSQLiteFiles(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}
