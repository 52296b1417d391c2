package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"carfin/identity"
	"carfin/staff"
)

// defaultStaffBase is where enrolment links point without --base-url or
// CARFIN_BASE_URL: `carfin serve`'s default listener.
const defaultStaffBase = "http://localhost:8080"

// runStaff: carfin staff add --email E --role R [--name N] [--reason T]
// [--base-url URL] [--db DSN] adds the first admin (the console adds the
// rest) and prints its one-time enrolment link; carfin staff resend
// --email E prints a new link for that admin (the old one stops working)
// while no admin is active yet; carfin staff list prints every staff
// member.
func runStaff(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "resend" && args[0] != "list") {
		return usagef("staff: want add --email E --role R [--name N] [--reason T] [--base-url URL], resend --email E, or list")
	}
	fs := flag.NewFlagSet("staff "+args[0], flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	var email, role, name, reason, base string
	if args[0] != "list" {
		fs.StringVar(&email, "email", "", "the staff member's email address (their username)")
		fs.StringVar(&reason, "reason", "carfin staff "+args[0], "why, for the audit log")
		fs.StringVar(&base, "base-url", envOr(getenv, "CARFIN_BASE_URL", defaultStaffBase), "public URL the enrolment link points at (CARFIN_BASE_URL)")
	}
	if args[0] == "add" {
		fs.StringVar(&role, "role", "", "agent, supervisor, admin or auditor")
		fs.StringVar(&name, "name", "", "the staff member's name as the console shows it")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	var r staff.Role
	if args[0] == "add" {
		if email == "" || role == "" {
			return usagef("staff add: --email and --role are required")
		}
		var err error
		if r, err = staff.ParseRole(role); err != nil {
			return usagef("staff add: --role: %v", err)
		}
	}
	if args[0] != "list" {
		if email == "" {
			return usagef("staff %s: --email is required", args[0])
		}
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("staff %s: --base-url %q: want http(s)://host[:port]", args[0], base)
		}
	}
	d, err := openDB(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if args[0] == "list" {
		members, err := staff.New(d, nil).List(ctx)
		if err != nil {
			return err
		}
		for _, m := range members {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", m.Email, m.Role, m.Status, m.Name)
		}
		fmt.Fprintf(stdout, "%d staff member(s)\n", len(members))
		return nil
	}
	id, err := identity.New(identity.Config{DB: d, BaseURL: base, LenderName: envOr(getenv, "CARFIN_LENDER_NAME", "Your lender")})
	if err != nil {
		return usagef("staff %s: %v", args[0], err)
	}
	ss := staff.New(d, id)
	var e staff.Enrolment
	what := "added"
	if args[0] == "add" {
		e, err = ss.Add(ctx, staff.System, email, name, r, reason)
	} else {
		what = "new link for"
		var m staff.Member
		if m, err = ss.MemberByEmail(ctx, email); err == nil {
			r = m.Role
			e, err = ss.ResendEnrolment(ctx, staff.System, m.LoginID, reason)
		}
	}
	switch {
	case errors.Is(err, staff.ErrForbidden):
		return fmt.Errorf("%w (the command line manages only the first admin, until an admin is active; an admin manages the rest in the console)", err)
	case errors.Is(err, staff.ErrNoChange):
		return fmt.Errorf("staff resend %s: already enrolled or disabled", email)
	case err != nil:
		return err
	}
	link := strings.TrimRight(base, "/") + "/staff/enrol?" + url.Values{"token": {e.Token}}.Encode()
	fmt.Fprintf(stdout, "%s %s as %s; until they enrol (a password and an authenticator app) they cannot sign in\n", what, identity.NormalizeEmail(email), r)
	fmt.Fprintf(stdout, "enrolment link (use once, give only to them): %s\n", link)
	fmt.Fprintf(stdout, "expires: %s\n", e.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}
