// Package mailhouse sends the lender's mail house the documents carfin
// prints and posts: the statements (and year-end tax statements) of
// customers not on paperless. Each business day, whatever was queued goes
// out as one print batch: one combined PDF of that day's documents in
// mailing order and a CSV manifest saying whom each document goes to and
// where it starts in the PDF, dropped into a directory the mail house
// collects from (as the NACHA files are for the bank).
//
// The queue lives in the database, so a document is queued in the
// transaction that stores it and is printed once: a rerun of the day's
// batch writes nothing new and prints nothing twice.
package mailhouse

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"carfin/calendar"
	"carfin/db"
)

// Errors callers branch on.
var (
	// ErrNotFound: no PDF document with that id.
	ErrNotFound = errors.New("no PDF document with that id")
	// ErrPrinted: the document already went out in that date's batch; a
	// reprint takes a later date.
	ErrPrinted = errors.New("document already printed in that date's batch")
	// ErrFileExists: a batch file of that name exists with other content.
	// carfin never overwrites a file the mail house may have collected.
	ErrFileExists = errors.New("a different batch file already exists")
	// ErrTooLarge: more is queued than one batch holds.
	ErrTooLarge = errors.New("print batch too large")
)

// Limits of a batch. The combined PDF is built in memory: at a few KB a
// statement, batchDocumentsMax statements are some 100 MB at most.
const (
	batchDocumentsMax = 20_000
	batchBytesMax     = 256 << 20
	fileMode          = 0o640
	dirMode           = 0o750
)

// Batch is one business day's print batch as written.
type Batch struct {
	Date calendar.Date
	// PDFPath and ManifestPath are the files written (absolute); "" for
	// an empty batch.
	PDFPath, ManifestPath string
	Documents, Pages      int
	// SHA256 is the combined PDF's hash (hex).
	SHA256  string
	Entries []Entry
}

// Entry is one document of a batch, as the manifest lists it.
type Entry struct {
	QueueID, DocumentID, CustomerID, ContractID int64
	Account                                     string
	Name                                        string
	AddressLine1, AddressLine2                  string
	City, State, ZIP                            string
	Pages                                       int
	// FirstPage is the document's first page in the combined PDF (1-based).
	FirstPage int
	content   []byte
}

// FileNames returns the names of a date's batch files:
// print-YYYY-MM-DD.pdf and print-YYYY-MM-DD.csv.
func FileNames(date calendar.Date) (pdf, manifest string) {
	base := "print-" + date.String()
	return base + ".pdf", base + ".csv"
}

// Enqueue queues a stored PDF document for the businessDate's print
// batch, in the caller's transaction (the one that stores the document,
// so that a document is never stored without being queued, nor queued
// twice). It is idempotent: a document queued before (for any date) is
// not queued again; use Reprint to print it again. It returns ErrNotFound
// when no PDF document has that id.
func Enqueue(ctx context.Context, tx *db.Tx, documentID int64, businessDate calendar.Date) error {
	// ON CONFLICT without a target covers both unique indexes: the same
	// document and date, and a document's first print.
	res, err := tx.ExecContext(ctx, `INSERT INTO print_queue (document_id, customer_id, contract_id, business_date, queued_at)
		SELECT id, customer_id, contract_id, $2, $3 FROM documents WHERE id = $1 AND content_type = 'application/pdf'
		ON CONFLICT DO NOTHING`, documentID, businessDate, tx.Now())
	if err != nil {
		return fmt.Errorf("queue document %d for printing: %w", documentID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var queued int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM print_queue WHERE document_id = $1`, documentID).Scan(&queued); err != nil {
		return fmt.Errorf("queue document %d for printing: %w", documentID, err)
	}
	if queued == 0 {
		return fmt.Errorf("queue document %d for printing: %w", documentID, ErrNotFound)
	}
	return nil
}

// EnqueueMany queues stored PDF documents for the businessDate's print
// batch as Enqueue does, in one statement (a day's paper statements are
// queued a batch at a time). Documents queued before are left as they
// are; ids that are not PDF documents are not queued.
func EnqueueMany(ctx context.Context, tx *db.Tx, documentIDs []int64, businessDate calendar.Date) error {
	if len(documentIDs) == 0 {
		return nil
	}
	// The ids are integers written into the text: no parameter limit,
	// and nothing a caller could inject.
	list := make([]string, len(documentIDs))
	for i, id := range documentIDs {
		list[i] = strconv.FormatInt(id, 10)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO print_queue (document_id, customer_id, contract_id, business_date, queued_at)
		SELECT id, customer_id, contract_id, $1, $2 FROM documents WHERE id IN (`+strings.Join(list, ", ")+`) AND content_type = 'application/pdf'
		ON CONFLICT DO NOTHING`, businessDate, tx.Now())
	if err != nil {
		return fmt.Errorf("queue %d documents for printing: %w", len(documentIDs), err)
	}
	return nil
}

// Reprint queues a stored document to be printed again in the
// businessDate's batch (`carfin statements reprint`): a statement lost in
// the post, or a paper copy asked for. A document never printed is
// simply queued. Asking twice for the same date queues it once. It
// returns ErrNotFound when no PDF document has that id, and ErrPrinted
// when the document already went out in that date's batch.
func Reprint(ctx context.Context, d *db.DB, documentID int64, businessDate calendar.Date) error {
	err := d.InTx(ctx, func(tx *db.Tx) error {
		var batched sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT batch_date FROM print_queue WHERE document_id = $1 AND business_date = $2`,
			documentID, businessDate).Scan(&batched)
		switch {
		case err == nil && batched.Valid:
			return ErrPrinted
		case err == nil:
			return nil // already waiting for that date's batch
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var prior sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM print_queue WHERE document_id = $1`, documentID).Scan(&prior); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO print_queue (document_id, customer_id, contract_id, business_date, reprint_of, queued_at)
			SELECT id, customer_id, contract_id, $2, $3, $4 FROM documents WHERE id = $1 AND content_type = 'application/pdf'`,
			documentID, businessDate, prior, tx.Now())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reprint document %d on %s: %w", documentID, businessDate, err)
	}
	return nil
}

// WriteBatch writes the print batch of date into dir: print-DATE.pdf,
// every document queued for date (or for an earlier date after that
// date's batch was written) combined in mailing order, and
// print-DATE.csv, the manifest: account, name, address, pages, document
// id and first page of each. Mailing order is ZIP code, then name, then
// document id: the mail house presorts by ZIP for the USPS's presort
// discount, and mail already in that order costs it (and so the lender)
// less to sort. It records the batch and marks the queue entries sent.
//
// Each file is written to a temporary file in dir, synced and linked into
// place, so that a crash never leaves half a file for the mail house to
// collect; the PDF is written before the manifest, so a manifest never
// names a PDF that is not there. A file is never overwritten with other
// content (ErrFileExists). The combined PDF carries the manifest's hash
// (property BatchProperty), so that after a crash between writing the
// files and recording the batch, the PDF already written is recognised
// as this batch and kept (pdfcpu's merge does not write the same bytes
// twice). Running it again for a recorded date writes nothing and
// returns the recorded batch, after checking that a PDF still in dir is
// the one recorded. A date with nothing queued writes nothing and returns
// a Batch with no entries. It returns ErrTooLarge when more is queued than
// batchDocumentsMax or batchBytesMax allow.
func WriteBatch(ctx context.Context, d *db.DB, dir string, date calendar.Date) (Batch, error) {
	b := Batch{Date: date}
	var recordedSum string
	err := d.Read.QueryRowContext(ctx, `SELECT sha256 FROM print_batches WHERE business_date = $1`, date).Scan(&recordedSum)
	recorded := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("print batch %s: %w", date, err)
	}
	entries, err := queued(ctx, d, date, recorded)
	if err != nil || len(entries) == 0 {
		return b, err
	}
	if err := countPages(entries); err != nil {
		return b, fmt.Errorf("print batch %s: %w", date, err)
	}
	manifest, err := manifestOf(entries)
	if err != nil {
		return b, fmt.Errorf("print batch %s: manifest: %w", date, err)
	}
	msum := sha256.Sum256(manifest)
	fingerprint := hex.EncodeToString(msum[:])
	contents := make([][]byte, len(entries))
	for i := range entries {
		contents[i], entries[i].content = entries[i].content, nil
		b.Pages += entries[i].Pages
	}
	b.Entries, b.Documents = entries, len(entries)
	pdfName, csvName := FileNames(date)
	b.PDFPath, b.ManifestPath = absPath(dir, pdfName), absPath(dir, csvName)

	if recorded {
		b.SHA256 = recordedSum
		switch old, err := os.ReadFile(b.PDFPath); {
		case errors.Is(err, os.ErrNotExist): // collected by the mail house
		case err != nil:
			return b, fmt.Errorf("print batch %s: %w", date, err)
		case sha256Hex(old) != recordedSum:
			return b, fmt.Errorf("print batch %s: %s is not the PDF recorded: %w", date, b.PDFPath, ErrFileExists)
		}
		return b, nil
	}

	pdf, err := existingBatch(b.PDFPath, fingerprint)
	if err != nil {
		return b, fmt.Errorf("print batch %s: %w", date, err)
	}
	if pdf == nil {
		if pdf, err = combine(contents, fingerprint); err != nil {
			return b, fmt.Errorf("print batch %s: %w", date, err)
		}
		if err := writeOnce(b.PDFPath, pdf); err != nil {
			return b, fmt.Errorf("print batch %s: %w", date, err)
		}
	}
	b.SHA256 = sha256Hex(pdf)
	if err := writeOnce(b.ManifestPath, manifest); err != nil {
		return b, fmt.Errorf("print batch %s: %w", date, err)
	}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO print_batches (business_date, file_name, manifest_name, documents, pages, sha256, manifest_sha256, written_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, date, pdfName, csvName, b.Documents, b.Pages, b.SHA256, fingerprint, tx.Now()); err != nil {
			return err
		}
		for _, e := range entries {
			res, err := tx.ExecContext(ctx, `UPDATE print_queue SET batch_date = $1 WHERE id = $2 AND batch_date IS NULL`, date, e.QueueID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				// Another run took the entry: roll back and let the
				// caller run again.
				return cmp.Or(err, fmt.Errorf("queue entry %d already in a batch", e.QueueID))
			}
		}
		return nil
	})
	if err != nil {
		return b, fmt.Errorf("record print batch %s: %w", date, err)
	}
	return b, nil
}

// BatchProperty is the combined PDF's document property holding the
// SHA-256 of its manifest: which documents, in which order, it holds.
const BatchProperty = "CarfinPrintBatch"

// existingBatch returns the PDF at path when it is the batch whose
// manifest hashes to fingerprint (left by a run that crashed before
// recording it), nil when there is no file, and ErrFileExists when the
// file is another.
func existingBatch(path, fingerprint string) ([]byte, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	props, err := api.Properties(bytes.NewReader(old), pdfcpuConfig())
	if err != nil || props[BatchProperty] != fingerprint {
		return nil, fmt.Errorf("%s: %w", path, ErrFileExists)
	}
	return old, nil
}

// queued reads a batch's entries in mailing order, with the documents'
// bytes: the entries recorded in date's batch, or, when none is recorded,
// those waiting for date or an earlier date.
func queued(ctx context.Context, d *db.DB, date calendar.Date, recorded bool) ([]Entry, error) {
	where := `q.batch_date IS NULL AND q.business_date <= $1`
	if recorded {
		where = `q.batch_date = $1`
	}
	rows, err := d.Read.QueryContext(ctx, `SELECT q.id, q.document_id, q.customer_id, COALESCE(q.contract_id, 0), COALESCE(k.account_number, ''),
		c.first_name, c.last_name, c.address_line1, c.address_line2, c.city, c.state, c.zip, doc.content
		FROM print_queue q JOIN customers c ON c.id = q.customer_id JOIN documents doc ON doc.id = q.document_id
		LEFT JOIN contracts k ON k.id = q.contract_id
		WHERE `+where+` ORDER BY c.zip, q.document_id, q.id LIMIT $2`, date, batchDocumentsMax+1)
	if err != nil {
		return nil, fmt.Errorf("print queue of %s: %w", date, err)
	}
	defer rows.Close()
	var out []Entry
	total := 0
	for rows.Next() {
		var e Entry
		var first, last string
		if err := rows.Scan(&e.QueueID, &e.DocumentID, &e.CustomerID, &e.ContractID, &e.Account, &first, &last,
			&e.AddressLine1, &e.AddressLine2, &e.City, &e.State, &e.ZIP, &e.content); err != nil {
			return nil, fmt.Errorf("print queue of %s: %w", date, err)
		}
		e.Name = strings.TrimSpace(first + " " + last)
		total += len(e.content)
		if len(out) == batchDocumentsMax || total > batchBytesMax {
			return nil, fmt.Errorf("print queue of %s: more than %d documents or %d bytes: %w", date, batchDocumentsMax, batchBytesMax, ErrTooLarge)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("print queue of %s: %w", date, err)
	}
	// Names are ordered in Go, by bytes of the upper-cased name, not by
	// the engine's collation: the batch must not depend on the engine.
	slices.SortStableFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.ZIP, b.ZIP), cmp.Compare(strings.ToUpper(a.Name), strings.ToUpper(b.Name)),
			cmp.Compare(a.DocumentID, b.DocumentID), cmp.Compare(a.QueueID, b.QueueID))
	})
	return out, nil
}

// pdfcpuConfig returns pdfcpu's configuration, without a user
// configuration directory (a server reads none).
func pdfcpuConfig() *model.Configuration {
	disableConfigDir()
	return model.NewDefaultConfiguration()
}

var disableConfigDir = sync.OnceFunc(api.DisableConfigDir)

// countPages sets each entry's page count and first page in the
// combined PDF.
func countPages(entries []Entry) error {
	page := 1
	for i := range entries {
		e := &entries[i]
		n, err := api.PageCount(bytes.NewReader(e.content), pdfcpuConfig())
		if err != nil {
			return fmt.Errorf("document %d: %w", e.DocumentID, err)
		}
		e.Pages, e.FirstPage = n, page
		page += n
	}
	return nil
}

// combine merges the documents, in order, into one PDF marked with the
// batch's fingerprint (BatchProperty).
func combine(docs [][]byte, fingerprint string) ([]byte, error) {
	readers := make([]io.ReadSeeker, len(docs))
	for i, c := range docs {
		readers[i] = bytes.NewReader(c)
	}
	var merged, out bytes.Buffer
	if err := api.MergeRaw(readers, &merged, false, pdfcpuConfig()); err != nil {
		return nil, fmt.Errorf("combine %d documents: %w", len(docs), err)
	}
	if err := api.AddProperties(bytes.NewReader(merged.Bytes()), &out, map[string]string{BatchProperty: fingerprint}, pdfcpuConfig()); err != nil {
		return nil, fmt.Errorf("mark combined PDF: %w", err)
	}
	return out.Bytes(), nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func absPath(dir, name string) string {
	p := filepath.Join(dir, name)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// manifestHeader is the manifest's first row.
var manifestHeader = []string{"account", "name", "address_line1", "address_line2", "city", "state", "zip", "pages", "document_id", "first_page"}

// manifestOf returns the CSV manifest of entries, a row each in mailing
// order after the header.
func manifestOf(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(manifestHeader); err != nil {
		return nil, err
	}
	for _, e := range entries {
		row := []string{e.Account, e.Name, e.AddressLine1, e.AddressLine2, e.City, e.State, e.ZIP,
			strconv.Itoa(e.Pages), strconv.FormatInt(e.DocumentID, 10), strconv.Itoa(e.FirstPage)}
		for i, v := range row {
			row[i] = defuse(v)
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// defuse keeps a spreadsheet from running a cell as a formula (CSV
// injection): a value starting with =, + or @ gets a leading apostrophe.
// Names and addresses are typed by customers.
func defuse(v string) string {
	if v != "" && strings.ContainsRune("=+@", rune(v[0])) {
		return "'" + v
	}
	return v
}

// writeOnce writes data to path through a synced temporary file in the
// same directory linked into place. A file already there with the same
// bytes is left as it is; one with other bytes is not overwritten
// (ErrFileExists).
func writeOnce(path string, data []byte) error {
	switch old, err := os.ReadFile(path); {
	case err == nil && bytes.Equal(old, data):
		return nil
	case err == nil:
		return fmt.Errorf("%s: %w", path, ErrFileExists)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	dir, name := filepath.Split(path)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // the temporary name goes; cleans up a failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(fileMode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link rather than rename: a link fails when the name was taken
	// meanwhile, so a file written by another run is never replaced.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return writeOnce(path, data) // compare with what is there now
		}
		return err
	}
	if dh, err := os.Open(dir); err == nil {
		_ = dh.Sync() // make the new name durable; not every file system supports it
		dh.Close()
	}
	return nil
}
