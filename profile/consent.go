package profile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	texttemplate "text/template"

	"codeberg.org/go-pdf/fpdf"

	"carfin/audit"
	"carfin/db"
	"carfin/internal/cp1252"
	"carfin/internal/markdown"
)

// Paperless delivery needs the customer's consent under the E-SIGN Act,
// 15 USC 7001(c)(1): before consenting, the customer is shown (A) the right
// to paper, the right to withdraw and its conditions, consequences and fees
// (none here), the scope of the consent, how to withdraw and to update
// contact details, and how to get a paper copy and its fee (none); (B) the
// hardware and software needed; and (C) consents electronically "in a
// manner that reasonably demonstrates" access to the format: the customer
// opens a sample PDF and types the code printed in it. The consent record
// keeps the time, the disclosure's version, language and SHA-256, how it
// was given, the email address documents are announced at, and the IP and
// browser. A withdrawal is recorded the same way. Under 7001(c)(1)(D) a
// material change of the requirements needs the consent again: a new
// DisclosureVersion not in acceptedVersions does that.

// DisclosureVersion is the version of the E-SIGN disclosure shown now.
const DisclosureVersion = "2026-11"

// acceptedVersions are the disclosure versions whose consents still count
// (drop one when a change of requirements needs a new consent).
var acceptedVersions = map[string]bool{DisclosureVersion: true}

// ConsentMethod is how the portal's consent is given.
const ConsentMethod = "portal: read the disclosure, opened the sample PDF and typed its code, ticked the consent box"

//go:embed esign/*.md
var esignFS embed.FS

// DisclosureInfo is what the disclosure names: the lender and how to reach
// it for paper copies and withdrawals.
type DisclosureInfo struct {
	Lender, Phone, Hours, Address string
}

// Disclosure is the E-SIGN disclosure as shown to a customer.
type Disclosure struct {
	Version string
	Lang    string
	// Markdown is the text shown (the lender's details filled in).
	Markdown string
	// SHA256 identifies the text shown, hex.
	SHA256 string
	// HTML is Markdown rendered, headings one level down (under the page's <h1>).
	HTML template.HTML
}

// NewDisclosure returns the current disclosure in lang ("en" or "es";
// anything else gets English) with info filled in.
func NewDisclosure(lang string, info DisclosureInfo) Disclosure {
	if lang != "es" {
		lang = "en"
	}
	src, err := esignFS.ReadFile("esign/esign." + lang + ".md")
	if err != nil {
		panic(err) // embedded at build time
	}
	t := texttemplate.Must(texttemplate.New("esign").Option("missingkey=error").Parse(string(src)))
	var b strings.Builder
	if err := t.Execute(&b, map[string]string{"Version": DisclosureVersion, "Lender": info.Lender, "Phone": info.Phone,
		"Hours": info.Hours, "Address": info.Address}); err != nil {
		panic(err) // the fields above are every one the files use (TestDisclosure)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return Disclosure{Version: DisclosureVersion, Lang: lang, Markdown: b.String(), SHA256: hex.EncodeToString(sum[:]),
		HTML: markdown.HTML(markdown.Parse(b.String()), 1)}
}

// ConsentRecord is one consent given or withdrawn.
type ConsentRecord struct {
	Action  string // "given" or "withdrawn"
	At      time.Time
	Version string
	Lang    string
	SHA256  string
	Method  string
	Email   string
	IP      string
}

// ConsentState is the customer's paperless state with its history, newest
// first.
type ConsentState struct {
	// Paperless reports whether documents go electronically: the latest
	// record is a consent to an accepted disclosure version.
	Paperless bool
	// Latest is the newest record (zero when none).
	Latest  ConsentRecord
	History []ConsentRecord
}

// consentHistoryMax bounds the history shown.
const consentHistoryMax = 20

// Consent returns the customer's paperless state.
func (s *Service) Consent(ctx context.Context, customerID int64) (ConsentState, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT action, created_at, disclosure_version, disclosure_lang, disclosure_sha256, method, email, ip
		FROM esign_consents WHERE customer_id = $1 ORDER BY id DESC LIMIT $2`, customerID, consentHistoryMax)
	if err != nil {
		return ConsentState{}, fmt.Errorf("read consents of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var st ConsentState
	for rows.Next() {
		var r ConsentRecord
		if err := rows.Scan(&r.Action, &r.At, &r.Version, &r.Lang, &r.SHA256, &r.Method, &r.Email, &r.IP); err != nil {
			return ConsentState{}, fmt.Errorf("read consents of customer %d: %w", customerID, err)
		}
		st.History = append(st.History, r)
	}
	if err := rows.Err(); err != nil {
		return ConsentState{}, err
	}
	if len(st.History) > 0 {
		st.Latest = st.History[0]
		st.Paperless = st.Latest.Action == "given" && acceptedVersions[st.Latest.Version]
	}
	return st, nil
}

// Paperless reports whether the customer's documents go electronically
// (for statements and notices: paper otherwise), reading in q.
func Paperless(ctx context.Context, q db.Querier, customerID int64) (bool, error) {
	var action, version string
	err := q.QueryRowContext(ctx, `SELECT action, disclosure_version FROM esign_consents WHERE customer_id = $1 ORDER BY id DESC LIMIT 1`,
		customerID).Scan(&action, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read consent of customer %d: %w", customerID, err)
	}
	return action == "given" && acceptedVersions[version], nil
}

// PaperlessOf reports, for each of the customers, whether their
// documents go electronically, by the same rule as Paperless, in one
// query (the statement run reads a batch at a time). Customers absent
// from the result are on paper.
func PaperlessOf(ctx context.Context, tx *db.Tx, customerIDs []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(customerIDs))
	if len(customerIDs) == 0 {
		return out, nil
	}
	where, args := db.InList(tx, "e.customer_id", customerIDs)
	rows, err := tx.QueryContext(ctx, `SELECT e.customer_id, e.action, e.disclosure_version FROM esign_consents e
		WHERE `+where+` AND e.id = (SELECT MAX(l.id) FROM esign_consents l WHERE l.customer_id = e.customer_id)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read consents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var action, version string
		if err := rows.Scan(&id, &action, &version); err != nil {
			return nil, err
		}
		out[id] = action == "given" && acceptedVersions[version]
	}
	return out, rows.Err()
}

// Errors of consent.
var (
	// ErrSampleCode is a code that is not the sample PDF's.
	ErrSampleCode = errors.New("the code is not the one in the sample PDF")
	// ErrStaleDisclosure is a consent to a disclosure that is no longer
	// the current one (it changed while the page was open).
	ErrStaleDisclosure = errors.New("the disclosure changed")
	// ErrNotPaperless is a withdrawal without a consent in force.
	ErrNotPaperless = errors.New("paperless delivery is not on")
)

// sampleCodeLen: the code in the sample PDF.
const sampleCodeLen = 6

// SampleCode is the code printed in the customer's sample PDF. It proves
// only that the customer opened a PDF, not who they are (the session does
// that), so it is derived, not secret.
func SampleCode(customerID int64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("carfin esign sample %s %d", DisclosureVersion, customerID)))
	return base32.StdEncoding.EncodeToString(sum[:])[:sampleCodeLen]
}

// GiveConsent records the customer's consent to paperless delivery under
// d, the disclosure they were shown, when code is the sample PDF's. A
// confirmation with the disclosure's text is emailed to the address on
// file. Consenting again while paperless is on records nothing. Returns
// ErrStaleDisclosure, ErrSampleCode or ErrNotFound.
func (s *Service) GiveConsent(ctx context.Context, customerID int64, d Disclosure, code string, by Actor) error {
	if d.Version != DisclosureVersion {
		return ErrStaleDisclosure
	}
	code = strings.ToUpper(strings.Join(strings.Fields(code), ""))
	if subtle.ConstantTimeCompare([]byte(code), []byte(SampleCode(customerID))) != 1 {
		return ErrSampleCode
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		on, err := Paperless(ctx, tx, customerID)
		if err != nil || on {
			return err
		}
		if err := s.recordConsent(ctx, tx, customerID, "given", d, ConsentMethod, c.Email, by); err != nil {
			return err
		}
		return s.send(ctx, tx, c.Email, "esign_given", by.Lang, map[string]string{"Name": c.FirstName, "Version": d.Version,
			"When": by.moment(tx.Now()), "Disclosure": d.Markdown})
	})
}

// WithdrawConsent records the customer's withdrawal: documents go on
// paper again, at no charge. The customer gets a confirmation by email.
// Returns ErrNotPaperless when paperless delivery is not on, or ErrNotFound.
func (s *Service) WithdrawConsent(ctx context.Context, customerID int64, d Disclosure, by Actor) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		on, err := Paperless(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if !on {
			return ErrNotPaperless
		}
		if err := s.recordConsent(ctx, tx, customerID, "withdrawn", d, "portal: chose to go back to paper", c.Email, by); err != nil {
			return err
		}
		return s.send(ctx, tx, c.Email, "esign_withdrawn", by.Lang, map[string]string{"Name": c.FirstName, "When": by.moment(tx.Now())})
	})
}

// userAgentBytesMax: browsers' User-Agents are shortened to this.
const userAgentBytesMax = 200

func (s *Service) recordConsent(ctx context.Context, tx *db.Tx, customerID int64, action string, d Disclosure, method, email string, by Actor) error {
	ua := by.UserAgent
	if len(ua) > userAgentBytesMax {
		ua = ua[:userAgentBytesMax]
	}
	ua = strings.ToValidUTF8(ua, "")
	var login any
	if by.LoginID != 0 {
		login = by.LoginID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO esign_consents (customer_id, login_id, action, disclosure_version, disclosure_lang, disclosure_sha256,
		method, email, ip, user_agent, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		customerID, login, action, d.Version, d.Lang, d.SHA256, method, email, by.IP, ua, tx.Now()); err != nil {
		return fmt.Errorf("record consent of customer %d: %w", customerID, err)
	}
	return audit.Record(ctx, tx, audit.Event{Actor: by.subject(), Action: "esign." + action, Subject: fmt.Sprintf("customer:%d", customerID), IP: by.IP,
		Details: map[string]string{"version": d.Version, "lang": d.Lang, "sha256": d.SHA256, "method": method}})
}

// sampleTexts are the sample PDF's words per language.
var sampleTexts = map[string][3]string{
	"en": {"Sample document", "If you can read this, you can open the PDF documents we would send you electronically.",
		"Your code: "},
	"es": {"Documento de muestra", "Si puede leer esto, puede abrir los documentos PDF que le enviaríamos electrónicamente.",
		"Su código: "},
}

// SamplePDF returns the one-page sample PDF with the customer's code
// (SampleCode), in lang.
func SamplePDF(lang, lender, code string) ([]byte, error) {
	t, ok := sampleTexts[lang]
	if !ok {
		t = sampleTexts["en"]
	}
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetTitle(t[0], true)
	pdf.SetAuthor(lender, true)
	pdf.SetProducer("carfin", false)
	pdf.SetCreationDate(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetCompression(false) // a few hundred bytes; tests read the code
	pdf.SetMargins(20, 20, 20)
	pdf.AddPage()
	tr := cp1252.Text // the core fonts' code page: accents, ñ, ¿
	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 10, tr(lender), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 14)
	pdf.CellFormat(0, 9, tr(t[0]), "B", 1, "L", false, 0, "")
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 12)
	pdf.MultiCell(0, 6, tr(t[1]), "", "L", false)
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "B", 20)
	pdf.CellFormat(0, 12, tr(t[2])+code, "", 1, "L", false, 0, "")
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("sample PDF: %w", err)
	}
	return b.Bytes(), nil
}
