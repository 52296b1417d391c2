// Command carfin is the lender's customer portal, staff console, JSON API
// and servicing jobs in one program. `carfin help` lists the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // lenders name IANA zones; do not depend on the host's tzdata
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// usageError is a bad command line: exit status 2 and a one-line reason.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitCode prints err and maps it to the process exit status: 0 for
// success, 2 for a bad command line, 1 for everything else.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "carfin:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// checkFailed is returned by `carfin check` when it finds problems.
type checkFailed struct{ n int }

func (e checkFailed) Error() string { return fmt.Sprintf("check found %d problem(s)", e.n) }

const helpText = `carfin: auto-finance customer portal and servicing engine

usage: carfin <command> [flags]

commands:
  demo      build the demo lender's book in a SQLite file and serve the portal on it
  serve     serve the customer portal (and run the background jobs)
  calc      loan and lease calculator (payment, schedule, payoff, apr, lease)
  migrate   create or update the database schema
  check     verify the ledger, every contract's history and the audit chain
  backup    copy a SQLite database while it is served (backup --to FILE [--force]); PostgreSQL: see docs/backups.md
  restore   put a SQLite backup in place and check it (restore --from FILE [--force])
  import    post a file of payments (import payments --file F), each exactly once
  payments  run a day's payments (payments run --date D) or re-encrypt account numbers (payments reencrypt)
  ach       write the day's NACHA file (ach file --date D) or import returns (ach returns --file F)
  statements  make a date's statements (statements run --date D), write its print batch (statements print --date D),
            or print one again (statements reprint --document N)
  tax       write the year's Form 1098-VLI filing file (tax 1098-vli --year Y [--out DIR])
  staff     add the first admin and print its enrolment link (staff add --email E --role admin),
            print a new link for it (staff resend --email E), or list staff (staff list)
  jobs      run background jobs (jobs run), or close business days (jobs dayclose --date D)
  bench     time the servicing paths on a synthetic book (bench --db DSN --contracts N)
  version   print the version
  help      this text
`

// run is the whole program; main only wires the process to it, and tests
// call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, helpText)
		return usagef("missing command")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "calc":
		return runCalc(rest, stdout)
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout)
	case "check":
		return runCheck(ctx, rest, getenv, stdout)
	case "backup":
		return runBackup(ctx, rest, getenv, stdout)
	case "restore":
		return runRestore(ctx, rest, getenv, stdout)
	case "jobs":
		return runJobs(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout)
	case "import":
		return runImport(ctx, rest, getenv, stdout)
	case "statements":
		return runStatements(ctx, rest, getenv, stdout, stderr)
	case "payments":
		return runPayments(ctx, rest, getenv, stdout, stderr)
	case "ach":
		return runACH(ctx, rest, getenv, stdout, stderr)
	case "tax":
		return runTax(ctx, rest, getenv, stdout)
	case "staff":
		return runStaff(ctx, rest, getenv, stdout)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "carfin", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, helpText)
		return nil
	}
	_ = stdin
	return usagef("unknown command %q (try: carfin help)", cmd)
}
