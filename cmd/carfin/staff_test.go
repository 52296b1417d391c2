package main

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"carfin/db/dbtest"
	"carfin/staff"
)

// TestStaffCommand: `carfin staff add` makes the first admin and prints a
// one-time link under --base-url and its expiry 72 hours on; it refuses a
// first staff member who is not an admin, any second one (the console
// adds those), bad input with exit status 2, and writes nothing then;
// `carfin staff resend` prints a new link for the pending first admin;
// `carfin staff list` prints the members.
func TestStaffCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
			if engine == "postgres" {
				dsn = dbtest.PostgresDSN(t)
			}
			getenv := func(string) string { return "" }
			carfin := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := run(ctx, append([]string{"carfin", "staff"}, append(args, "--db", dsn)...), getenv, strings.NewReader(""), &out, &out)
				return out.String(), err
			}
			for _, tc := range []struct {
				name  string
				args  []string
				usage bool
			}{
				{"no email", []string{"add", "--role", "admin"}, true},
				{"unknown role", []string{"add", "--email", "a@northwind.example", "--role", "root"}, true},
				{"bad base", []string{"add", "--email", "a@northwind.example", "--role", "admin", "--base-url", "ftp://x"}, true},
				{"bad email", []string{"add", "--email", "not an email", "--role", "admin"}, false},
				{"empty reason", []string{"add", "--email", "a@northwind.example", "--role", "admin", "--reason", " "}, false},
				{"first is an agent", []string{"add", "--email", "a@northwind.example", "--role", "agent"}, false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := carfin(tc.args...)
					var ue usageError
					if err == nil || errors.As(err, &ue) != tc.usage {
						t.Fatalf("err %v, want usage error %v", err, tc.usage)
					}
				})
			}
			if out, err := carfin("list"); err != nil || !strings.Contains(out, "0 staff member(s)") {
				t.Fatalf("refused adds wrote: %q %v", out, err)
			}

			before := time.Now().UTC()
			out, err := carfin("add", "--email", "Ada@Northwind.example", "--role", "admin", "--name", "Ada Admin", "--base-url", "https://portal.northwind.example/")
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`(?m)^enrolment link \(use once, give only to them\): (\S+)$`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no link in:\n%s", out)
			}
			u, err := url.Parse(m[1])
			if err != nil || u.Scheme != "https" || u.Host != "portal.northwind.example" || u.Path != "/staff/enrol" || len(u.Query().Get("token")) < 40 {
				t.Fatalf("link %q", m[1])
			}
			x := regexp.MustCompile(`(?m)^expires: (\S+)$`).FindStringSubmatch(out)
			if x == nil {
				t.Fatalf("no expiry in:\n%s", out)
			}
			exp, err := time.Parse(time.RFC3339, x[1])
			if err != nil || exp.Before(before.Add(staff.EnrolmentTTL-time.Minute)) || exp.After(time.Now().Add(staff.EnrolmentTTL)) {
				t.Fatalf("expiry %q (%v)", x[1], err)
			}
			out, err = carfin("resend", "--email", "ADA@northwind.example", "--base-url", "https://portal.northwind.example")
			if err != nil {
				t.Fatal(err)
			}
			if m2 := regexp.MustCompile(`enrolment link \(use once, give only to them\): (\S+)`).FindStringSubmatch(out); m2 == nil || m2[1] == m[1] ||
				!strings.HasPrefix(m2[1], "https://portal.northwind.example/staff/enrol?token=") {
				t.Fatalf("resend:\n%s", out)
			}
			if _, err := carfin("resend", "--email", "nobody@northwind.example"); !errors.Is(err, staff.ErrNotFound) {
				t.Fatalf("resend to nobody: %v", err)
			}
			if _, err := carfin("add", "--email", "bo@northwind.example", "--role", "agent"); !errors.Is(err, staff.ErrForbidden) {
				t.Fatalf("second add from the command line: %v", err)
			}
			out, err = carfin("list")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "ada@northwind.example\tadmin\tpending\tAda Admin\n") || !strings.Contains(out, "1 staff member(s)") {
				t.Fatalf("list:\n%s", out)
			}
			if _, err := carfin("remove"); err == nil {
				t.Fatal("unknown subcommand accepted")
			}
		})
	}
}
