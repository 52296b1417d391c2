package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"carfin/db"
)

// postgresBackupHint is what backup and restore say for a PostgreSQL
// database, which is backed up with PostgreSQL's own tools.
const postgresBackupHint = "carfin backup and restore handle SQLite only; back up PostgreSQL with pg_dump -Fc (and pg_restore), " +
	"or pg_basebackup with WAL archiving for point-in-time recovery (see docs/backups.md)"

// sqlitePath returns the file of a sqlite:PATH data source, or a usage
// error naming the command.
func sqlitePath(cmd, dsn string) (string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		if p := strings.TrimPrefix(dsn, "sqlite:"); p != "" && p != ":memory:" {
			return p, nil
		}
		return "", usagef("%s: --db sqlite:PATH needs a file path", cmd)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "", usagef("%s: %s", cmd, postgresBackupHint)
	}
	return "", usagef("%s: --db must be sqlite:PATH", cmd)
}

// runBackup: carfin backup [--db sqlite:PATH] --to FILE [--force]
//
// Copies the SQLite database, while carfin serves it, to FILE: a
// snapshot of one instant, checked before it is given its name. An
// existing FILE is replaced only with --force.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	dsn := fs.String("db", envOr(getenv, "CARFIN_DB", defaultDB), "database to back up: sqlite:PATH (env CARFIN_DB)")
	to := fs.String("to", "", "backup file to write")
	force := fs.Bool("force", false, "replace FILE if it exists")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := sqlitePath("backup", *dsn)
	if err != nil {
		return err
	}
	if *to == "" {
		return usagef("backup: --to FILE is required")
	}
	info, err := db.BackupSQLite(ctx, path, *to, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s: %d bytes, schema at version %d (%d migrations), integrity ok\n",
		path, *to, info.Bytes, info.SchemaVersion, info.Migrations)
	return nil
}

// runRestore: carfin restore --from FILE [--db sqlite:PATH] [--force]
//
// Puts a backup in place as the SQLite database, then runs carfin check
// on it. It refuses a database that a process has open, and an existing
// one without --force.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	dsn := fs.String("db", envOr(getenv, "CARFIN_DB", defaultDB), "database to restore into: sqlite:PATH (env CARFIN_DB)")
	from := fs.String("from", "", "backup file made by carfin backup")
	force := fs.Bool("force", false, "replace the database if it exists (never while a process has it open)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := sqlitePath("restore", *dsn)
	if err != nil {
		return err
	}
	if *from == "" {
		return usagef("restore: --from FILE is required")
	}
	info, err := db.RestoreSQLite(ctx, *from, path, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s: schema at version %d (%d migrations), integrity ok\n",
		path, *from, info.SchemaVersion, info.Migrations)
	// A backup from an older carfin is restored as it was; migrating it
	// is a separate, deliberate step, and check needs the current schema.
	d, err := db.Open(ctx, "sqlite:"+path)
	if err != nil {
		return err
	}
	cur, newest, err := d.MigrationStatus(ctx)
	d.Close()
	if err != nil {
		return err
	}
	if cur != newest {
		fmt.Fprintf(stdout, "the backup's schema is at version %d, this carfin's at %d: run carfin migrate --db sqlite:%s, then carfin check\n", cur, newest, path)
		return nil
	}
	return runCheck(ctx, []string{"--db", "sqlite:" + path}, getenv, stdout)
}
