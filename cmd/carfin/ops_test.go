package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"carfin/db/dbtest"
)

// TestDemoAndCheck: `carfin demo` builds the book, `carfin check` passes
// on it, and fails, naming the contract, once a cached balance is tampered
// with behind the engine's back. On both engines.
func TestDemoAndCheck(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
			if engine == "postgres" {
				dsn = dbtest.PostgresDSN(t)
			}
			out := runDemoUntilListening(t, "--db", dsn, "--addr", "127.0.0.1:0")
			if !strings.Contains(out, "Northwind Motor Finance: 51 customers, 52 contracts") || !strings.Contains(out, "demo login: demo@northwind.example ") {
				t.Fatalf("demo printed:\n%s", out)
			}
			out, errOut, code := carfin(t, "check", "--db", dsn)
			if code != 0 || !strings.Contains(out, "0 finding(s)") {
				t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
			}
			driver, source := "sqlite", strings.TrimPrefix(dsn, "sqlite:")
			if engine == "postgres" {
				driver, source = "pgx", dsn
			}
			raw, err := sql.Open(driver, source)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.ExecContext(context.Background(), `UPDATE contract_balances SET principal_cents = principal_cents + 1 WHERE contract_id = 3`); err != nil {
				t.Fatal(err)
			}
			out, _, code = carfin(t, "check", "--db", dsn)
			if code != 1 || !strings.Contains(out, "FINDING: contract 3:") {
				t.Fatalf("check after tampering: exit %d\n%s", code, out)
			}
		})
	}
}

// runDemoUntilListening runs `carfin demo` until it serves, signs in with
// the login it printed, then stops it and returns what it printed.
func runDemoUntilListening(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"carfin", "demo"}, args...), func(string) string { return "" }, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	var base, email, password string
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if f := strings.Fields(line); strings.HasPrefix(line, "demo login: ") && len(f) == 4 {
			email, password = f[2], f[3]
		}
		if i := strings.Index(line, " listening on "); i >= 0 {
			base = strings.Fields(line[i+len(" listening on "):])[0]
			break
		}
	}
	if base == "" {
		t.Fatalf("demo did not start: %v\n%s", <-done, out.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := client.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Errorf("demo login %s: status %d at %s\n%s", email, resp.StatusCode, resp.Request.URL, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo exited with %v", err)
	}
	return out.String()
}
