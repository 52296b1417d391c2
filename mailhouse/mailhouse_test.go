package mailhouse_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/documents"
	"carfin/mailhouse"
	"carfin/money"
	"carfin/servicing"
)

var day = calendar.MustParse

// testPDF returns a small PDF of pages pages, each saying "<name> page N".
func testPDF(t *testing.T, name string, pages int) []byte {
	t.Helper()
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetCreationDate(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	pdf.SetCatalogSort(true)
	for i := range pages {
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 14)
		pdf.Cell(100, 10, fmt.Sprintf("%s page %d", name, i+1))
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixture: two customers, Zoe Adams in ZIP 60601 with a two-page
// statement, and Carl Baker in ZIP 10001 with two one-page statements,
// each with a contract; the documents stored, not yet queued.
type fixture struct {
	docs     map[string]int64 // "A1", "B1", "B2"
	accounts map[string]string
}

func newFixture(t *testing.T, d *db.DB) fixture {
	t.Helper()
	ctx := context.Background()
	dbtest.ClockOf(d).Set(day("2026-11-25").Time().Add(15 * time.Hour))
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	f := fixture{docs: map[string]int64{}, accounts: map[string]string{}}
	seq := 0
	customer := func(first, last, zip, key string, pages ...int) {
		id, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: first, LastName: last, Email: strings.ToLower(first) + "@example.com",
			AddressLine1: "1 Main St", AddressLine2: "Unit " + key, City: "Springfield", State: "IL", ZIP: zip, BirthDate: day("1980-02-29"), SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		seq++
		account := fmt.Sprintf("NW-M%05d", seq)
		contract, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: account, CustomerID: id,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("1HGCM8263%c%07d", 'A', seq)), VehicleYear: 2025, Make: "Mazda", Model: "CX-5",
			Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("20000"), APR: money.MustParseRate("6.99"), TermMonths: 60,
			ContractDate: day("2026-01-15"), FirstDue: day("2026-02-15"), GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("25")}, NSFFeeCents: money.MustParse("25")})
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range pages {
			name := fmt.Sprintf("%s%d", key, i+1)
			err := d.InTx(ctx, func(tx *db.Tx) error {
				id, err := documents.Save(ctx, tx, documents.Document{CustomerID: id, ContractID: contract, Kind: documents.KindStatement,
					Title: "Statement " + name, FileName: name + ".pdf", ContentType: "application/pdf", Content: testPDF(t, "DOC-"+name, n),
					Ref: "test:" + name})
				f.docs[name] = id
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			f.accounts[name] = account
		}
	}
	customer("Zoe", "Adams", "60601", "A", 2)
	customer("Carl", "Baker", "10001", "B", 1, 1)
	return f
}

func enqueue(t *testing.T, d *db.DB, date calendar.Date, ids ...int64) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		for _, id := range ids {
			if err := mailhouse.Enqueue(context.Background(), tx, id, date); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriteBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		date := day("2026-11-25")
		dir := filepath.Join(t.TempDir(), "out")
		// Queued in no particular order, twice: queued once.
		enqueue(t, d, date, f.docs["A1"], f.docs["B2"], f.docs["B1"])
		enqueue(t, d, date, f.docs["B1"], f.docs["A1"])
		enqueue(t, d, day("2026-11-26"), f.docs["A1"]) // already queued: not again
		if n := count(t, d, `SELECT count(*) FROM print_queue`); n != 3 {
			t.Fatalf("%d queue entries, want 3", n)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error { return mailhouse.Enqueue(ctx, tx, 999999, date) })
		if !errors.Is(err, mailhouse.ErrNotFound) {
			t.Errorf("enqueue of no document: %v", err)
		}

		// Nothing queued the day before: nothing written.
		empty, err := mailhouse.WriteBatch(ctx, d, dir, day("2026-11-24"))
		if err != nil || len(empty.Entries) != 0 || empty.PDFPath != "" {
			t.Errorf("empty batch: %+v %v", empty, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("an empty batch made the directory: %v", err)
		}

		b, err := mailhouse.WriteBatch(ctx, d, dir, date)
		if err != nil {
			t.Fatal(err)
		}
		// Mailing order: ZIP 10001 (Baker, his two by document id), then
		// 60601 (Adams).
		wantOrder := []string{"B1", "B2", "A1"}
		wantPages := map[string]int{"B1": 1, "B2": 1, "A1": 2}
		wantFirst := map[string]int{"B1": 1, "B2": 2, "A1": 3}
		if b.Documents != 3 || b.Pages != 4 || len(b.Entries) != 3 || b.SHA256 == "" ||
			filepath.Base(b.PDFPath) != "print-2026-11-25.pdf" || filepath.Base(b.ManifestPath) != "print-2026-11-25.csv" {
			t.Fatalf("batch %+v", b)
		}
		for i, name := range wantOrder {
			if e := b.Entries[i]; e.DocumentID != f.docs[name] || e.Pages != wantPages[name] || e.FirstPage != wantFirst[name] {
				t.Errorf("entry %d: %+v, want %s", i, e, name)
			}
		}

		// The combined PDF, read back independently.
		pdf, err := os.ReadFile(b.PDFPath)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := api.PageCount(bytes.NewReader(pdf), model.NewDefaultConfiguration()); err != nil || n != 4 {
			t.Errorf("combined PDF has %d pages (%v), want 4", n, err)
		}
		text := pdfText(t, b.PDFPath)
		order := []string{"DOC-B1 page 1", "DOC-B2 page 1", "DOC-A1 page 1", "DOC-A1 page 2"}
		pages := strings.Split(text, "\f")
		for i, w := range order {
			if i >= len(pages) || !strings.Contains(pages[i], w) {
				t.Errorf("page %d lacks %q:\n%s", i+1, w, text)
			}
		}
		qpdfCheck(t, b.PDFPath)

		// The manifest, parsed.
		raw, err := os.ReadFile(b.ManifestPath)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		wantHeader := []string{"account", "name", "address_line1", "address_line2", "city", "state", "zip", "pages", "document_id", "first_page"}
		if len(rows) != 4 || !slices.Equal(rows[0], wantHeader) {
			t.Fatalf("manifest:\n%s", raw)
		}
		names := map[byte][2]string{'A': {"Zoe Adams", "60601"}, 'B': {"Carl Baker", "10001"}}
		for i, name := range wantOrder {
			who := names[name[0]]
			want := []string{f.accounts[name], who[0], "1 Main St", "Unit " + name[:1], "Springfield", "IL", who[1],
				fmt.Sprint(wantPages[name]), fmt.Sprint(f.docs[name]), fmt.Sprint(wantFirst[name])}
			if !slices.Equal(rows[i+1], want) {
				t.Errorf("manifest row %d: %q, want %q", i+1, rows[i+1], want)
			}
		}

		// Rerun: the same files, nothing queued twice, one batch.
		again, err := mailhouse.WriteBatch(ctx, d, dir, date)
		if err != nil || again.SHA256 != b.SHA256 || again.PDFPath != b.PDFPath || len(again.Entries) != 3 {
			t.Errorf("rerun: %+v %v", again, err)
		}
		if pdf2, _ := os.ReadFile(b.PDFPath); !bytes.Equal(pdf, pdf2) {
			t.Error("the rerun changed the PDF")
		}
		if n := count(t, d, `SELECT count(*) FROM print_batches`); n != 1 {
			t.Errorf("%d batches recorded", n)
		}
		if n := count(t, d, `SELECT count(*) FROM print_queue WHERE batch_date = $1`, date); n != 3 {
			t.Errorf("%d entries marked sent", n)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Errorf("%d files in the directory, want 2", len(entries))
		}
		// The next day has nothing left.
		if next, err := mailhouse.WriteBatch(ctx, d, dir, day("2026-11-26")); err != nil || len(next.Entries) != 0 {
			t.Errorf("next day: %+v %v", next, err)
		}

		// Reprint: A1 again on a later date, alone in that batch.
		reprint := day("2026-11-30")
		for range 2 { // asked twice: queued once
			if err := mailhouse.Reprint(ctx, d, f.docs["A1"], reprint); err != nil {
				t.Fatal(err)
			}
		}
		if err := mailhouse.Reprint(ctx, d, 999999, reprint); !errors.Is(err, mailhouse.ErrNotFound) {
			t.Errorf("reprint of no document: %v", err)
		}
		if err := mailhouse.Reprint(ctx, d, f.docs["B1"], date); !errors.Is(err, mailhouse.ErrPrinted) {
			t.Errorf("reprint in a written batch: %v", err)
		}
		if n := count(t, d, `SELECT count(*) FROM print_queue WHERE reprint_of IS NOT NULL`); n != 1 {
			t.Errorf("%d reprints queued", n)
		}
		rb, err := mailhouse.WriteBatch(ctx, d, dir, reprint)
		if err != nil || rb.Documents != 1 || rb.Pages != 2 || rb.Entries[0].DocumentID != f.docs["A1"] || rb.Entries[0].FirstPage != 1 {
			t.Errorf("reprint batch: %+v %v", rb, err)
		}
	})
}

// TestWriteBatchNoOverwrite: a batch file already in the directory with
// other content is never replaced; nothing half-written is left, nothing
// is recorded, and the entries wait for a run that can write.
func TestWriteBatchNoOverwrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		date := day("2026-11-25")
		dir := t.TempDir()
		enqueue(t, d, date, f.docs["A1"], f.docs["B1"])
		stale := filepath.Join(dir, "print-2026-11-25.pdf")
		if err := os.WriteFile(stale, []byte("%PDF-1.4 someone else's"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := mailhouse.WriteBatch(ctx, d, dir, date); !errors.Is(err, mailhouse.ErrFileExists) {
			t.Fatalf("write over another file: %v", err)
		}
		if got, _ := os.ReadFile(stale); string(got) != "%PDF-1.4 someone else's" {
			t.Error("the existing file was changed")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("left %d files, want only the existing one", len(entries))
		}
		if n := count(t, d, `SELECT count(*) FROM print_batches`); n != 0 {
			t.Errorf("%d batches recorded", n)
		}
		// Once the file is out of the way, the batch goes out whole.
		if err := os.Remove(stale); err != nil {
			t.Fatal(err)
		}
		b, err := mailhouse.WriteBatch(ctx, d, dir, date)
		if err != nil || b.Documents != 2 || b.Pages != 3 {
			t.Errorf("batch %+v %v", b, err)
		}

		// A crash after the files were written and before the batch was
		// recorded: the rerun recognises the PDF as this batch and keeps it.
		if _, err := d.SQL.ExecContext(ctx, `DELETE FROM print_batches`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SQL.ExecContext(ctx, `UPDATE print_queue SET batch_date = NULL`); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(b.PDFPath)
		again, err := mailhouse.WriteBatch(ctx, d, dir, date)
		if after, _ := os.ReadFile(b.PDFPath); err != nil || again.SHA256 != b.SHA256 || !bytes.Equal(before, after) {
			t.Errorf("rerun after a crash: %+v %v", again, err)
		}
		if n := count(t, d, `SELECT count(*) FROM print_batches`); n != 1 {
			t.Errorf("%d batches recorded after the rerun", n)
		}
	})
}

// pdfText validates a combined PDF with pdfcpu and returns its text from
// pdftotext, pages separated by form feeds. The validation is pdfcpu's
// relaxed one: its merge writes PDF 1.7, under whose strict rules the
// statements' standard fonts would need their widths spelled out (PDF 1.3,
// which each statement is, lets the standard 14 fonts omit them); qpdf
// --check is the second reader.
func pdfText(t *testing.T, path string) string {
	t.Helper()
	api.DisableConfigDir()
	if err := api.ValidateFile(path, model.NewDefaultConfiguration()); err != nil {
		t.Fatalf("pdfcpu validation: %v", err)
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext (poppler-utils) is required")
	}
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// qpdfCheck runs `qpdf --check` on a file; qpdf is required.
func qpdfCheck(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("qpdf")
	if err != nil {
		t.Fatal("qpdf is required (apt-get install qpdf)")
	}
	if out, err := exec.Command(bin, "--check", path).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
}
