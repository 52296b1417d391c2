// Package support is how customers reach the lender from the portal: the
// FAQ (faq.go) and secure messages. A customer starts a thread (subject,
// text, attachments), reads replies and answers in the thread; staff
// answer through StaffReply, which the staff console calls, and the
// customer is emailed that a reply is waiting (never the reply itself:
// email is not a secure channel).
//
// Rules:
//   - Every customer read and write names the customer, and SQL matches
//     the thread's customer_id: another customer's thread or attachment is
//     ErrNotFound, exactly like a missing one.
//   - Attachments are PDF, PNG or JPEG, up to AttachmentBytesMax each and
//     AttachmentsPerMessageMax per message. The type is accepted only when
//     the file's extension and its first bytes (its "magic number") agree;
//     the stored content type is the sniffed one, never the browser's.
//   - Subjects and texts are plain text, length-bounded; they are shown
//     escaped.
//   - A customer may start threadsPerDayMax threads and send
//     messagesPerDayMax messages a day (ErrThrottled), so the staff queue
//     cannot be flooded from one account.
//   - Staff work threads from a shared queue (queue.go): open threads
//     awaiting a reply, oldest wait first, assigned to an agent or not,
//     closed by staff; a customer writing to a closed thread reopens it.
//
// The package never imports net/http: the web layer reads the form and
// passes Uploads.
package support

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"carfin/audit"
	"carfin/db"
	"carfin/fields"
	"carfin/notify"
)

// Limits of messages.
const (
	SubjectRunesMax          = 120
	BodyRunesMax             = 5000
	AttachmentBytesMax       = 5 << 20
	AttachmentsPerMessageMax = 3
	fileNameRunesMax         = 100
	threadsPerDayMax         = 10
	messagesPerDayMax        = 50
	threadsListMax           = 100
	threadMessagesMax        = 500
	inboxMax                 = 200
)

// Errors callers branch on.
var (
	// ErrNotFound is a thread or attachment that does not exist or is not
	// the customer's; a staff login that is not staff.
	ErrNotFound = errors.New("not found")
	// ErrThrottled is over the daily limits.
	ErrThrottled = errors.New("too many messages")
)

// Reasons a field is refused, the values of FieldErrors (package fields).
const (
	Required  = fields.Required
	TooLong   = fields.TooLong
	TooLarge  = fields.TooLarge
	WrongType = fields.WrongType
	TooMany   = fields.TooMany
)

// FieldErrors is the error of bad input (fields.Errors): each refused
// field with why; nothing was written.
type FieldErrors = fields.Errors

// Config configures the Service.
type Config struct {
	// LenderName signs the emails; BaseURL (https://portal.example) is
	// where their links point.
	LenderName, BaseURL string
}

// Service is the support capability.
type Service struct {
	db  *db.DB
	cfg Config
}

// New returns the support capability.
func New(d *db.DB, cfg Config) *Service { return &Service{db: d, cfg: cfg} }

// Upload is an attached file as received.
type Upload struct {
	Name string
	Data []byte
}

// Attachment is a stored file. Data is set only by Attachment.
type Attachment struct {
	ID, MessageID, ThreadID int64
	Name, ContentType       string
	SizeBytes               int64
	SHA256                  string
	Data                    []byte
}

// Author of a message.
const (
	AuthorCustomer = "customer"
	AuthorStaff    = "staff"
)

// Message is one message of a thread.
type Message struct {
	ID          int64
	Author      string
	Body        string
	At          time.Time
	Attachments []Attachment
}

// ThreadSummary is a thread in a list.
type ThreadSummary struct {
	ID            int64
	CustomerID    int64
	Subject       string
	LastMessageAt time.Time
	// Unread: a staff reply the customer has not opened (for the staff
	// inbox: a customer message staff have not opened).
	Unread bool
}

// Thread is a thread with its messages, oldest first.
type Thread struct {
	ThreadSummary
	CreatedAt time.Time
	Messages  []Message
}

// allowedTypes maps an extension to its content type and magic number.
var allowedTypes = map[string]struct {
	contentType string
	magic       []byte
}{
	".pdf":  {"application/pdf", []byte("%PDF-")},
	".png":  {"image/png", []byte("\x89PNG\r\n\x1a\n")},
	".jpg":  {"image/jpeg", []byte{0xFF, 0xD8, 0xFF}},
	".jpeg": {"image/jpeg", []byte{0xFF, 0xD8, 0xFF}},
}

// SniffType returns the content type of a file whose extension and first
// bytes agree on an allowed type, or "".
func SniffType(name string, data []byte) string {
	t, ok := allowedTypes[strings.ToLower(path.Ext(name))]
	if !ok || !bytes.HasPrefix(data, t.magic) {
		return ""
	}
	return t.contentType
}

// CleanFileName returns the base name of a browser-sent file name, without
// control characters, quotes, slashes or backslashes, at most
// fileNameRunesMax runes with its extension kept.
func CleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '\'' || r == '<' || r == '>' || r == ':' || r == '*' || r == '?' || r == '|' ||
			unicode.Is(unicode.Cf, r) { // bidi overrides and other format characters
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	ext := path.Ext(name)
	if r := []rune(name); len(r) > fileNameRunesMax {
		keep := fileNameRunesMax - utf8.RuneCountInString(ext)
		name = string(r[:max(keep, 1)]) + ext
	}
	if strings.TrimSuffix(name, ext) == "" || strings.HasPrefix(name, ".") {
		name = "attachment" + ext
	}
	return name
}

type checked struct {
	name, contentType, sha string
	data                   []byte
}

// validate checks a message's fields; subject only when starting a thread.
func validate(subject *string, body string, files []Upload) ([]checked, FieldErrors) {
	e := FieldErrors{}
	text := func(field, v string, maxRunes int) {
		switch {
		case strings.TrimSpace(v) == "":
			e[field] = Required
		case utf8.RuneCountInString(v) > maxRunes || !utf8.ValidString(v):
			e[field] = TooLong
		}
	}
	if subject != nil {
		text("subject", *subject, SubjectRunesMax)
	}
	text("body", body, BodyRunesMax)
	var out []checked
	if len(files) > AttachmentsPerMessageMax {
		e["attachments"] = TooMany
		return nil, e
	}
	for _, f := range files {
		switch {
		case len(f.Data) > AttachmentBytesMax:
			e["attachments"] = TooLarge
		case len(f.Data) == 0 || SniffType(f.Name, f.Data) == "":
			e["attachments"] = WrongType
		default:
			sum := sha256.Sum256(f.Data)
			out = append(out, checked{name: CleanFileName(f.Name), contentType: SniffType(f.Name, f.Data), sha: hex.EncodeToString(sum[:]), data: f.Data})
		}
	}
	if len(e) > 0 {
		return nil, e
	}
	return out, nil
}

// cleanText trims a subject or body and normalizes its line ends.
func cleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
}

// StartThread starts a thread for the customer with its first message;
// lang ("en", "es") is the language staff replies are announced in.
// Returns the thread's id, or FieldErrors (nothing written), ErrThrottled.
func (s *Service) StartThread(ctx context.Context, customerID int64, lang, subject, body string, files []Upload) (int64, error) {
	subject, body = strings.Join(strings.Fields(subject), " "), cleanText(body)
	up, errs := validate(&subject, body, files)
	if errs != nil {
		return 0, errs
	}
	if lang != "es" {
		lang = "en"
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var started int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM support_threads WHERE customer_id = $1 AND created_at > $2`,
			customerID, tx.Now().Add(-24*time.Hour)).Scan(&started); err != nil {
			return fmt.Errorf("count threads: %w", err)
		}
		if started >= threadsPerDayMax {
			return ErrThrottled
		}
		if err := s.checkMessageRate(ctx, tx, customerID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO support_threads (customer_id, subject, lang, unread_by_customer, unread_by_staff, created_at, last_message_at, awaiting_since)
			VALUES ($1, $2, $3, 0, 1, $4, $4, $4) RETURNING id`, customerID, subject, lang, tx.Now()).Scan(&id); err != nil {
			return fmt.Errorf("start thread: %w", err)
		}
		_, err := s.addMessage(ctx, tx, id, AuthorCustomer, 0, body, up)
		return err
	})
	return id, err
}

func (s *Service) checkMessageRate(ctx context.Context, tx *db.Tx, customerID int64) error {
	var sent int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM support_messages m JOIN support_threads t ON t.id = m.thread_id
		WHERE t.customer_id = $1 AND m.author = 'customer' AND m.created_at > $2`, customerID, tx.Now().Add(-24*time.Hour)).Scan(&sent); err != nil {
		return fmt.Errorf("count messages: %w", err)
	}
	if sent >= messagesPerDayMax {
		return ErrThrottled
	}
	return nil
}

func (s *Service) addMessage(ctx context.Context, tx *db.Tx, threadID int64, author string, staffLoginID int64, body string, files []checked) (int64, error) {
	var staff any
	if staffLoginID != 0 {
		staff = staffLoginID
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO support_messages (thread_id, author, staff_login_id, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		threadID, author, staff, body, tx.Now()).Scan(&id); err != nil {
		return 0, fmt.Errorf("add message to thread %d: %w", threadID, err)
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO support_attachments (message_id, thread_id, file_name, content_type, size_bytes, sha256, content, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, threadID, f.name, f.contentType, len(f.data), f.sha, f.data, tx.Now()); err != nil {
			return 0, fmt.Errorf("store attachment: %w", err)
		}
	}
	return id, nil
}

// Reply adds the customer's message to one of their threads. Returns the
// message's id, or FieldErrors (nothing written), ErrNotFound for a
// thread that is not theirs, ErrThrottled.
func (s *Service) Reply(ctx context.Context, customerID, threadID int64, body string, files []Upload) (int64, error) {
	body = cleanText(body)
	up, errs := validate(nil, body, files)
	if errs != nil {
		return 0, errs
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		// A customer writing reopens a closed thread, and starts the wait
		// for a reply unless one is already running (see Queue).
		r, err := tx.ExecContext(ctx, `UPDATE support_threads SET unread_by_staff = 1, last_message_at = $1,
			awaiting_since = COALESCE(awaiting_since, $1), status = 'open', closed_at = NULL, closed_by = NULL, close_reason = ''
			WHERE id = $2 AND customer_id = $3`,
			tx.Now(), threadID, customerID)
		if err != nil {
			return fmt.Errorf("reply to thread %d: %w", threadID, err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		if err := s.checkMessageRate(ctx, tx, customerID); err != nil {
			return err
		}
		id, err = s.addMessage(ctx, tx, threadID, AuthorCustomer, 0, body, up)
		return err
	})
	return id, err
}

// StaffReply adds a staff member's reply to a thread, marks it unread for
// the customer, ends its wait in the queue (awaiting_since) and emails the customer that a reply is waiting, in the
// same transaction. The reply is audited. Returns the message's id, or
// FieldErrors (nothing written), ErrNotFound for an unknown thread or a
// login that is not staff.
func (s *Service) StaffReply(ctx context.Context, staffLoginID, threadID int64, body string, files []Upload) (int64, error) {
	body = cleanText(body)
	up, errs := validate(nil, body, files)
	if errs != nil {
		return 0, errs
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var staff int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE id = $1 AND realm = 'staff'`, staffLoginID).Scan(&staff); err != nil {
			return fmt.Errorf("read staff login: %w", err)
		}
		if staff != 1 {
			return ErrNotFound
		}
		var customerID int64
		var lang, subject, first, email string
		err := tx.QueryRowContext(ctx, `SELECT t.customer_id, t.lang, t.subject, c.first_name, COALESCE(l.email, c.email)
			FROM support_threads t JOIN customers c ON c.id = t.customer_id
			LEFT JOIN logins l ON l.customer_id = c.id AND l.realm = 'customer'
			WHERE t.id = $1`, threadID).Scan(&customerID, &lang, &subject, &first, &email)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read thread %d: %w", threadID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE support_threads SET unread_by_customer = 1, unread_by_staff = 0, last_message_at = $1, awaiting_since = NULL WHERE id = $2`,
			tx.Now(), threadID); err != nil {
			return fmt.Errorf("reply to thread %d: %w", threadID, err)
		}
		if id, err = s.addMessage(ctx, tx, threadID, AuthorStaff, staffLoginID, body, up); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: fmt.Sprintf("staff:%d", staffLoginID), Action: "support.staff_reply",
			Subject: fmt.Sprintf("customer:%d", customerID), Details: map[string]string{"thread": fmt.Sprint(threadID), "message": fmt.Sprint(id),
				"attachments": fmt.Sprint(len(up))}}); err != nil {
			return err
		}
		return s.notifyReply(ctx, tx, email, lang, first, subject, threadID)
	})
	return id, err
}

// replies announce a staff reply; the reply itself stays in the portal.
var replies = notify.NewCatalog(map[string]map[string]string{
	"en": {"reply": "New reply from {{.Lender}}: {{.Subject}}\n\nHello {{.Name}},\n\nWe answered your message \"{{.Subject}}\". For your security the answer is in the portal, not in this email. Sign in to read it:\n{{.Link}}\n"},
	"es": {"reply": "Nueva respuesta de {{.Lender}}: {{.Subject}}\n\nHola, {{.Name}}:\n\nRespondimos su mensaje \"{{.Subject}}\". Por su seguridad, la respuesta está en el portal, no en este correo. Inicie sesión para leerla:\n{{.Link}}\n"},
})

func (s *Service) notifyReply(ctx context.Context, tx *db.Tx, to, lang, name, subject string, threadID int64) error {
	link := strings.TrimRight(s.cfg.BaseURL, "/") + fmt.Sprintf("/messages/%d", threadID)
	m, err := replies.Email(lang, "reply", map[string]string{"Lender": s.cfg.LenderName, "Name": name, "Subject": subject, "Link": link})
	if err != nil {
		return fmt.Errorf("reply notice: %w", err)
	}
	m.Kind, m.To = "support.reply", to
	return notify.Enqueue(ctx, tx, m)
}

// Threads returns the customer's threads, the latest activity first (at
// most threadsListMax).
func (s *Service) Threads(ctx context.Context, customerID int64) ([]ThreadSummary, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, customer_id, subject, last_message_at, unread_by_customer FROM support_threads
		WHERE customer_id = $1 ORDER BY last_message_at DESC, id DESC LIMIT $2`, customerID, threadsListMax)
	if err != nil {
		return nil, fmt.Errorf("list threads: %w", err)
	}
	return scanSummaries(rows)
}

func scanSummaries(rows *sql.Rows) ([]ThreadSummary, error) {
	defer rows.Close()
	var out []ThreadSummary
	for rows.Next() {
		var t ThreadSummary
		var unread int
		if err := rows.Scan(&t.ID, &t.CustomerID, &t.Subject, &t.LastMessageAt, &unread); err != nil {
			return nil, fmt.Errorf("list threads: %w", err)
		}
		t.Unread = unread == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// UnreadCount returns how many of the customer's threads have an unread
// staff reply.
func (s *Service) UnreadCount(ctx context.Context, customerID int64) (int, error) {
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM support_threads WHERE customer_id = $1 AND unread_by_customer = 1`, customerID).Scan(&n)
	return n, err
}

// Thread returns one of the customer's threads with its messages and
// attachments' names (not their bytes). Returns ErrNotFound for a thread
// that is not theirs.
func (s *Service) Thread(ctx context.Context, customerID, threadID int64) (*Thread, error) {
	if customerID == 0 {
		return nil, ErrNotFound
	}
	return s.thread(ctx, threadID, customerID, "unread_by_customer")
}

// thread reads a thread of the customer, or of anyone for customerID 0
// (staff), with unreadColumn as its Unread.
func (s *Service) thread(ctx context.Context, threadID, customerID int64, unreadColumn string) (*Thread, error) {
	t := &Thread{}
	var unread int
	err := s.db.Read.QueryRowContext(ctx, `SELECT id, customer_id, subject, last_message_at, created_at, `+unreadColumn+`
		FROM support_threads WHERE id = $1 AND ($2 = 0 OR customer_id = $2)`, threadID, customerID).
		Scan(&t.ID, &t.CustomerID, &t.Subject, &t.LastMessageAt, &t.CreatedAt, &unread)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read thread %d: %w", threadID, err)
	}
	t.Unread = unread == 1
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, author, body, created_at FROM support_messages WHERE thread_id = $1 ORDER BY id LIMIT $2`,
		threadID, threadMessagesMax)
	if err != nil {
		return nil, fmt.Errorf("read messages of thread %d: %w", threadID, err)
	}
	defer rows.Close()
	index := map[int64]int{}
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.Author, &m.Body, &m.At); err != nil {
			return nil, fmt.Errorf("read messages of thread %d: %w", threadID, err)
		}
		index[m.ID] = len(t.Messages)
		t.Messages = append(t.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	arows, err := s.db.Read.QueryContext(ctx, `SELECT id, message_id, file_name, content_type, size_bytes, sha256 FROM support_attachments
		WHERE thread_id = $1 ORDER BY id`, threadID)
	if err != nil {
		return nil, fmt.Errorf("read attachments of thread %d: %w", threadID, err)
	}
	defer arows.Close()
	for arows.Next() {
		a := Attachment{ThreadID: threadID}
		if err := arows.Scan(&a.ID, &a.MessageID, &a.Name, &a.ContentType, &a.SizeBytes, &a.SHA256); err != nil {
			return nil, fmt.Errorf("read attachments of thread %d: %w", threadID, err)
		}
		if i, ok := index[a.MessageID]; ok {
			t.Messages[i].Attachments = append(t.Messages[i].Attachments, a)
		}
	}
	return t, arows.Err()
}

// MarkRead marks the customer's thread read (a staff reply was seen).
// Returns ErrNotFound for a thread that is not theirs.
func (s *Service) MarkRead(ctx context.Context, customerID, threadID int64) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var unread int
		err := tx.QueryRowContext(ctx, `SELECT unread_by_customer FROM support_threads WHERE id = $1 AND customer_id = $2`, threadID, customerID).Scan(&unread)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil || unread == 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE support_threads SET unread_by_customer = 0 WHERE id = $1 AND customer_id = $2`, threadID, customerID)
		return err
	})
}

// Attachment returns an attachment of one of the customer's threads with
// its bytes. Returns ErrNotFound unless the attachment belongs to
// threadID and the thread to the customer.
func (s *Service) Attachment(ctx context.Context, customerID, threadID, attachmentID int64) (*Attachment, error) {
	a := &Attachment{}
	err := s.db.Read.QueryRowContext(ctx, `SELECT a.id, a.message_id, a.thread_id, a.file_name, a.content_type, a.size_bytes, a.sha256, a.content
		FROM support_attachments a JOIN support_threads t ON t.id = a.thread_id
		WHERE a.id = $1 AND a.thread_id = $2 AND t.customer_id = $3`, attachmentID, threadID, customerID).
		Scan(&a.ID, &a.MessageID, &a.ThreadID, &a.Name, &a.ContentType, &a.SizeBytes, &a.SHA256, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read attachment %d: %w", attachmentID, err)
	}
	return a, nil
}

// Inbox returns the threads for staff, those with an unread customer
// message first, then by latest activity (at most inboxMax).
func (s *Service) Inbox(ctx context.Context) ([]ThreadSummary, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, customer_id, subject, last_message_at, unread_by_staff FROM support_threads
		ORDER BY unread_by_staff DESC, last_message_at DESC, id DESC LIMIT $1`, inboxMax)
	if err != nil {
		return nil, fmt.Errorf("staff inbox: %w", err)
	}
	return scanSummaries(rows)
}

// StaffThread returns any thread for staff (Unread: a customer message
// staff have not answered or opened) and marks it read by staff. Returns
// ErrNotFound.
func (s *Service) StaffThread(ctx context.Context, threadID int64) (*Thread, error) {
	t, err := s.thread(ctx, threadID, 0, "unread_by_staff")
	if err != nil {
		return nil, err
	}
	if t.Unread {
		if _, err := s.db.SQL.ExecContext(ctx, `UPDATE support_threads SET unread_by_staff = 0 WHERE id = $1`, threadID); err != nil {
			return nil, fmt.Errorf("mark thread %d read by staff: %w", threadID, err)
		}
	}
	return t, nil
}

// StaffAttachment returns any attachment with its bytes, for staff.
// Returns ErrNotFound.
func (s *Service) StaffAttachment(ctx context.Context, threadID, attachmentID int64) (*Attachment, error) {
	var customerID int64
	if err := s.db.Read.QueryRowContext(ctx, `SELECT customer_id FROM support_threads WHERE id = $1`, threadID).Scan(&customerID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("read thread %d: %w", threadID, err)
	}
	return s.Attachment(ctx, customerID, threadID, attachmentID)
}
