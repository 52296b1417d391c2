package support_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/notify"
	"carfin/servicing"
	"carfin/support"
)

var (
	pdf  = []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
	png  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	jpeg = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
)

func customer(t *testing.T, d *db.DB, first string) int64 {
	t.Helper()
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	id, err := sv.CreateCustomer(context.Background(), servicing.NewCustomer{FirstName: first, LastName: "Quinn",
		Email: strings.ToLower(first) + "@example.com", AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701",
		BirthDate: calendar.MustParse("1980-01-01"), SSNLast4: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMessages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := support.New(d, support.Config{LenderName: "Northwind", BaseURL: "https://portal.example"})
		ann, bob := customer(t, d, "Ann"), customer(t, d, "Bob")
		id, err := identity.New(identity.Config{DB: d, Params: identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example"})
		if err != nil {
			t.Fatal(err)
		}
		staff, err := id.CreateStaff(ctx, "agent@northwind.example", "Agent", "a long staff password for tests")
		if err != nil {
			t.Fatal(err)
		}

		th, err := s.StartThread(ctx, ann, "es", "  Pregunta   sobre\tmi pago ", "Hola\r\n<script>x</script>", []support.Upload{{Name: "recibo.pdf", Data: pdf}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Thread(ctx, ann, th)
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != "Pregunta sobre mi pago" || len(got.Messages) != 1 || got.Messages[0].Body != "Hola\n<script>x</script>" || got.Unread {
			t.Fatalf("thread: %+v", got)
		}
		att := got.Messages[0].Attachments
		if len(att) != 1 || att[0].Name != "recibo.pdf" || att[0].ContentType != "application/pdf" || att[0].SizeBytes != int64(len(pdf)) {
			t.Fatalf("attachments: %+v", att)
		}

		// Another customer sees nothing of it, exactly like a missing thread.
		for _, err := range []error{
			func() error { _, err := s.Thread(ctx, bob, th); return err }(),
			func() error { _, err := s.Reply(ctx, bob, th, "mine now", nil); return err }(),
			s.MarkRead(ctx, bob, th),
			func() error { _, err := s.Attachment(ctx, bob, th, att[0].ID); return err }(),
			func() error { _, err := s.Attachment(ctx, ann, th+1, att[0].ID); return err }(),
			func() error { _, err := s.Thread(ctx, ann, th+1000); return err }(),
		} {
			if !errors.Is(err, support.ErrNotFound) {
				t.Errorf("want ErrNotFound, got %v", err)
			}
		}
		if l, _ := s.Threads(ctx, bob); len(l) != 0 {
			t.Errorf("Bob's threads: %+v", l)
		}
		a, err := s.Attachment(ctx, ann, th, att[0].ID)
		if err != nil || string(a.Data) != string(pdf) {
			t.Fatalf("attachment: %v %+v", err, a)
		}

		// A customer cannot reply as staff; staff reply notifies by email.
		if _, err := s.StaffReply(ctx, 999999, th, "x", nil); !errors.Is(err, support.ErrNotFound) {
			t.Errorf("non-staff reply: %v", err)
		}
		if _, err := s.StaffReply(ctx, staff, th+1000, "x", nil); !errors.Is(err, support.ErrNotFound) {
			t.Errorf("reply to a missing thread: %v", err)
		}
		if _, err := s.StaffReply(ctx, staff, th, "Claro, aquí tiene.", []support.Upload{{Name: "carta.png", Data: png}}); err != nil {
			t.Fatal(err)
		}
		out, _ := notify.Outbox(ctx, d, "ann@example.com", 10)
		if len(out) != 1 || out[0].Message.Kind != "support.reply" || !strings.Contains(out[0].Message.Text, "https://portal.example/messages/") ||
			strings.Contains(out[0].Message.Text, "aquí tiene") || !strings.Contains(out[0].Message.Subject, "Nueva respuesta") {
			t.Fatalf("reply notice: %+v", out)
		}
		if n, _ := s.UnreadCount(ctx, ann); n != 1 {
			t.Errorf("unread %d", n)
		}
		list, _ := s.Threads(ctx, ann)
		if len(list) != 1 || !list[0].Unread {
			t.Fatalf("threads: %+v", list)
		}
		if err := s.MarkRead(ctx, ann, th); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.UnreadCount(ctx, ann); n != 0 {
			t.Errorf("unread after reading: %d", n)
		}
		if _, err := s.Reply(ctx, ann, th, "Gracias", []support.Upload{{Name: "foto.JPG", Data: jpeg}}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Thread(ctx, ann, th)
		if len(got.Messages) != 3 || got.Messages[1].Author != support.AuthorStaff || got.Messages[2].Attachments[0].ContentType != "image/jpeg" {
			t.Fatalf("thread after replies: %+v", got)
		}

		// Staff side: the inbox lists it unread (the customer answered),
		// opening it marks it read by staff.
		inbox, err := s.Inbox(ctx)
		if err != nil || len(inbox) != 1 || !inbox[0].Unread {
			t.Fatalf("inbox: %v %+v", err, inbox)
		}
		if st, err := s.StaffThread(ctx, th); err != nil || !st.Unread || len(st.Messages) != 3 {
			t.Fatalf("staff thread: %v %+v", err, st)
		}
		inbox, _ = s.Inbox(ctx)
		if inbox[0].Unread {
			t.Error("still unread by staff after opening")
		}
		if a, err := s.StaffAttachment(ctx, th, att[0].ID); err != nil || a.Name != "recibo.pdf" {
			t.Errorf("staff attachment: %v", err)
		}
		var events int
		_ = d.Read.QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'support.staff_reply'`).Scan(&events)
		if events != 1 {
			t.Errorf("%d staff reply audit events", events)
		}
	})
}

// TestRefusals: bad input writes nothing and names the field.
func TestRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := support.New(d, support.Config{LenderName: "Northwind", BaseURL: "https://portal.example"})
		ann := customer(t, d, "Ann")
		big := append(append([]byte{}, pdf...), make([]byte, support.AttachmentBytesMax)...)
		for _, tc := range []struct {
			name, subject, body string
			files               []support.Upload
			field, reason       string
		}{
			{"empty subject", " ", "x", nil, "subject", support.Required},
			{"empty body", "s", " \n\t ", nil, "body", support.Required},
			{"long subject", strings.Repeat("s", support.SubjectRunesMax+1), "x", nil, "subject", support.TooLong},
			{"long body", "s", strings.Repeat("é", support.BodyRunesMax+1), nil, "body", support.TooLong},
			{"too large", "s", "x", []support.Upload{{Name: "a.pdf", Data: big}}, "attachments", support.TooLarge},
			{"exe", "s", "x", []support.Upload{{Name: "a.exe", Data: []byte("MZ\x90\x00")}}, "attachments", support.WrongType},
			{"html as pdf", "s", "x", []support.Upload{{Name: "a.pdf", Data: []byte("<html><script>")}}, "attachments", support.WrongType},
			{"pdf as png", "s", "x", []support.Upload{{Name: "a.png", Data: pdf}}, "attachments", support.WrongType},
			{"svg", "s", "x", []support.Upload{{Name: "a.svg", Data: []byte("<svg onload=alert(1)>")}}, "attachments", support.WrongType},
			{"empty file", "s", "x", []support.Upload{{Name: "a.pdf"}}, "attachments", support.WrongType},
			{"too many", "s", "x", []support.Upload{{"a.pdf", pdf}, {"b.pdf", pdf}, {"c.pdf", pdf}, {"d.pdf", pdf}}, "attachments", support.TooMany},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.StartThread(ctx, ann, "en", tc.subject, tc.body, tc.files)
				var fe support.FieldErrors
				if !errors.As(err, &fe) || fe[tc.field] != tc.reason {
					t.Fatalf("want %s %s, got %v", tc.field, tc.reason, err)
				}
			})
		}
		if l, _ := s.Threads(ctx, ann); len(l) != 0 {
			t.Fatalf("refused messages wrote threads: %+v", l)
		}
		// Daily limit on new threads.
		for i := range 11 {
			_, err := s.StartThread(ctx, ann, "en", fmt.Sprint("s", i), "x", nil)
			if i < 10 && err != nil || i == 10 && !errors.Is(err, support.ErrThrottled) {
				t.Fatalf("thread %d: %v", i, err)
			}
		}
	})
}

func TestCleanFileName(t *testing.T) {
	for in, want := range map[string]string{
		"receipt.pdf":                      "receipt.pdf",
		`C:\Users\ann\My "scan".PDF`:       "My _scan_.PDF",
		"../../etc/passwd.png":             "passwd.png",
		"a\u202egnp.pdf":                   "a_gnp.pdf",
		".pdf":                             "attachment.pdf",
		"x\r\nContent-Type: text/html.jpg": "html.jpg",
		"x\r\n\"evil\".jpg":                "x___evil_.jpg",
		strings.Repeat("a", 300) + ".jpeg": strings.Repeat("a", 95) + ".jpeg",
	} {
		if got := support.CleanFileName(in); got != want {
			t.Errorf("CleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFAQ(t *testing.T) {
	f, err := support.LoadFAQ("")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "es"} {
		if n := len(f.Topics(lang)); n < 3 {
			t.Errorf("%s: %d topics", lang, n)
		}
	}
	if r := f.Search("en", "PAYOFF quote"); len(r) == 0 || r[0].Title != "How do I get a payoff quote?" {
		t.Errorf("search payoff: %+v", r)
	}
	// Accents and case do not matter; every word must match.
	if r := f.Search("es", "LIQUIDACION cotizacion"); len(r) == 0 || !strings.Contains(r[0].Title, "cotización de liquidación") {
		t.Errorf("search liquidación: %+v", r)
	}
	if r := f.Search("en", "payoff zebra"); len(r) != 0 {
		t.Errorf("search with an absent word: %+v", r)
	}
	if r := f.Search("en", "  "); r != nil {
		t.Errorf("empty search: %+v", r)
	}
	// Answers are searched too, after questions.
	if r := f.Search("en", "lien"); len(r) < 2 || !strings.Contains(r[0].Title, "lien") || strings.Contains(r[1].Title, "lien") {
		t.Errorf("search lien: %+v", r)
	}
	_ = f.Search("en", strings.Repeat("pay ", 10000)) // bounded

	// A lender's file replaces one language; hostile Markdown stays text.
	dir := t.TempDir()
	src := "# Ours\n## Can I <script>alert(1)</script>?\nSee [x](javascript:alert(1)) and [contact](/contact).\n"
	if err := os.WriteFile(filepath.Join(dir, "faq.en.md"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err = support.LoadFAQ(dir)
	if err != nil {
		t.Fatal(err)
	}
	q := f.Topics("en")[0].Questions[0]
	if q.Title != "Can I <script>alert(1)</script>?" || strings.Contains(string(q.TitleHTML), "<script") ||
		strings.Contains(string(q.Answer), "javascript") || !strings.Contains(string(q.Answer), `<a href="/contact">`) {
		t.Errorf("lender question: %+v", q)
	}
	if len(f.Topics("es")) < 3 {
		t.Error("Spanish default not kept")
	}
	if _, err := support.LoadFAQ(t.TempDir()); !errors.Is(err, support.ErrFAQ) {
		t.Errorf("empty dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "faq.es.md"), []byte("no questions here"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := support.LoadFAQ(dir); !errors.Is(err, support.ErrFAQ) {
		t.Errorf("file without questions: %v", err)
	}
}

// TestFAQConcurrent: the portal searches from many requests at once.
func TestFAQConcurrent(t *testing.T) {
	f, err := support.LoadFAQ("")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for i := range 8 {
		go func() {
			ok := true
			for range 50 {
				ok = ok && len(f.Search([]string{"en", "es"}[i%2], []string{"payoff", "liquidación"}[i%2])) > 0
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("a concurrent search found nothing")
		}
	}
}
