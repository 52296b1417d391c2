package jobs_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/jobs"
	"carfin/mailhouse"
	"carfin/money"
	"carfin/notify"
	"carfin/profile"
	"carfin/servicing"
	"carfin/statements"
)

// inbox is an in-process SMTP server that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	msgs map[string][]string
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b  *inbox
	to []string
}

func (s *session) Reset()                                    { s.to = nil }
func (s *session) Logout() error                             { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
	if err != nil {
		body = raw
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	for _, to := range s.to {
		s.b.msgs[to] = append(s.b.msgs[to], string(body))
	}
	return nil
}

// TestStatementsByDayClose: River's day close makes each chunk's
// statements on their statement date (21 days before the due date),
// exactly once; the paperless customer's statement-ready emails reach a
// real SMTP server (no account details in them), and the paper
// customer's statements are in that day's print batch for the mail
// house, in a combined PDF and a manifest. A rerun makes nothing more.
func TestStatementsByDayClose(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := calendar.MustParse("2024-03-20")
		dbtest.ClockOf(d).Set(today.Time().Add(10 * time.Hour))
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
		sv.SetDayCloseChunkSize(3)
		newCustomer := func(first, email, zip string) int64 {
			id, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: first, LastName: "Park", Email: email,
				AddressLine1: "3 Elm St", City: "Reno", State: "NV", ZIP: zip, BirthDate: calendar.MustParse("1990-01-01"), SSNLast4: "5555"})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		ada, bo := newCustomer("Ada", "ada@example.com", "89501"), newCustomer("Bo", "bo@example.com", "89502")
		lender := statements.Lender{Name: "Northwind Motor Finance", Address: []string{"PO Box 4100", "Columbus, OH 43216"}, Phone: "1-800-555-0199",
			Hours: "Mon–Fri 8am–8pm ET", PaymentAddress: []string{"PO Box 4200", "Columbus, OH 43216"}, Primary: "#0b5394", Accent: "#e69138"}
		disc := profile.NewDisclosure("en", profile.DisclosureInfo{Lender: lender.Name, Phone: lender.Phone, Hours: lender.Hours, Address: "PO Box 4100"})
		if err := profile.New(d, lender.Name).GiveConsent(ctx, ada, disc, profile.SampleCode(ada), profile.Actor{IP: "192.0.2.1", Lang: "en"}); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			cust := ada
			if i%2 == 1 {
				cust = bo
			}
			_, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: fmt.Sprint("J-", 1000+i), CustomerID: cust,
				VIN: servicing.WithCheckDigit(fmt.Sprintf("2T1BURHE0J%07d", i)), VehicleYear: 2022, Make: "Kia", Model: "Soul",
				Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("9000"), APR: money.MustParseRate("8"), TermMonths: 36,
				ContractDate: calendar.MustParse("2024-03-01"), FirstDue: calendar.MustParse("2024-04-01"), GraceDays: 10,
				LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("15")}})
			if err != nil {
				t.Fatal(err)
			}
		}
		st, err := statements.New(d, sv, statements.Config{Lender: lender, BaseURL: "https://portal.northwind.example", Print: mailhouse.EnqueueMany})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := jobs.Migrate(ctx, d); err != nil {
			t.Fatal(err)
		}
		r, err := jobs.New(d, jobs.Config{Servicing: sv, Today: func() calendar.Date { return today }, Statements: st,
			PrintBatch: func(ctx context.Context, date calendar.Date) error {
				_, err := mailhouse.WriteBatch(ctx, d, dir, date)
				return err
			},
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := r.Stop(ctx); err != nil {
				t.Error(err)
			}
		}()
		if err := r.EnqueueDayCloseDue(ctx); err != nil {
			t.Fatal(err)
		}
		statementDate := calendar.MustParse("2024-03-11")
		pdfName, csvName := mailhouse.FileNames(statementDate)
		deadline := time.Now().Add(90 * time.Second)
		for {
			last, err := sv.LastClosedDate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(filepath.Join(dir, csvName))
			if last == today-1 && statErr == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("day close reached %s, print batch %v by the deadline", last, statErr)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var n, dates int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT statement_date) FROM statements`).Scan(&n, &dates)
		if n != 8 || dates != 1 {
			t.Fatalf("%d statements on %d dates, want 8 on 2024-03-11", n, dates)
		}
		var paper, electronic int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM statements WHERE delivery = 'paper' AND customer_id = $1`, bo).Scan(&paper)
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM statements WHERE delivery = 'electronic' AND customer_id = $1`, ada).Scan(&electronic)
		if paper != 4 || electronic != 4 {
			t.Errorf("paper %d (Bo), electronic %d (Ada), want 4 and 4", paper, electronic)
		}
		// The print batch: Bo's four statements, nothing of Ada's.
		f, err := os.Open(filepath.Join(dir, csvName))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 5 {
			t.Fatalf("manifest has %d lines, want a header and 4: %v", len(recs), recs)
		}
		for _, rec := range recs[1:] {
			if !strings.Contains(strings.Join(rec, ","), "Bo Park") {
				t.Errorf("manifest line %v is not Bo's", rec)
			}
		}
		if fi, err := os.Stat(filepath.Join(dir, pdfName)); err != nil || fi.Size() < 1000 {
			t.Errorf("combined PDF %v %v", fi, err)
		}
		// Ada's emails, through the real SMTP sender.
		box := &inbox{msgs: map[string][]string{}}
		srv := smtp.NewServer(box)
		srv.Domain = "localhost"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		mailer, err := notify.NewSMTP("smtp://"+ln.Addr().String()+"?tls=none", "Northwind Motor Finance <no-reply@northwind.example>")
		if err != nil {
			t.Fatal(err)
		}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		sender := &notify.Sender{DB: d, Mailer: mailer, SMS: notify.Log{Log: quiet}, Log: quiet}
		for {
			n, err := sender.SendDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		box.mu.Lock()
		var ready []string
		for _, m := range box.msgs["ada@example.com"] {
			if strings.Contains(m, "Subject: Your statement is ready") {
				ready = append(ready, m)
			}
		}
		bos := box.msgs["bo@example.com"]
		box.mu.Unlock()
		if len(ready) != 4 {
			t.Errorf("Ada got %d statement-ready emails, want 4", len(ready))
		}
		for _, m := range ready {
			if !strings.Contains(m, "https://portal.northwind.example/documents/") || strings.Contains(m, "J-100") || strings.Contains(m, "$") {
				t.Errorf("statement-ready email without its link or with account details:\n%s", m)
			}
		}
		for _, m := range bos {
			if strings.Contains(m, "statement is ready") {
				t.Error("the paper customer was emailed a statement")
			}
		}
		// Again, even as if a crash had lost the chunks' marks: nothing new.
		if _, err := d.SQL.ExecContext(ctx, `DELETE FROM statement_chunks`); err != nil {
			t.Fatal(err)
		}
		again, err := st.Run(ctx, statementDate)
		if err != nil || again.Statements != 0 || again.Chunks != 3 {
			t.Errorf("rerun of %d chunks made %d statements (%v)", again.Chunks, again.Statements, err)
		}
	})
}
