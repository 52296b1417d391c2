package notify_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/notify"
)

// senderChildEnv carries "dsn\x1fsmtp address\x1fvictim" to
// TestSenderChild.
const senderChildEnv = "CARFIN_NOTIFY_SENDER_CHILD"

// killFrom is the sender address of the kill test's emails.
const killFrom = "Northwind Motor Finance <no-reply@northwind.example>"

// TestSenderChild is not a test: it is how TestSenderKilledAfterAccept
// runs a Sender in a child process it can SIGKILL. It does nothing unless
// the parent set senderChildEnv.
func TestSenderChild(t *testing.T) {
	args := os.Getenv(senderChildEnv)
	if args == "" {
		return
	}
	part := strings.Split(args, "\x1f")
	ctx := context.Background()
	d, err := db.Open(ctx, part[0])
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	smtpMailer, err := notify.NewSMTP("smtp://"+part[1]+"?tls=none", killFrom)
	if err != nil {
		fmt.Println("smtp:", err)
		os.Exit(2)
	}
	s := &notify.Sender{DB: d, Mailer: stallAfter{Mailer: smtpMailer, to: part[2]}, Log: slog.New(slog.DiscardHandler), From: killFrom}
	n, err := s.SendDue(ctx)
	fmt.Println("sent", n, err) // not reached when the victim is in the batch
	os.Exit(0)
}

// stallAfter delivers through Mailer and, once the server has accepted
// the message to to (250 after DATA), says so on stdout and waits to be
// killed before the Sender can record it sent.
type stallAfter struct {
	notify.Mailer
	to string
}

func (m stallAfter) Mail(ctx context.Context, msg notify.Message) error {
	err := m.Mailer.Mail(ctx, msg)
	if err == nil && msg.To == m.to {
		fmt.Println("accepted", msg.To)
		time.Sleep(time.Minute)
	}
	return err
}

// TestSenderKilledAfterAccept kills a process delivering the outbox
// (SIGKILL) after the SMTP server accepted one email's DATA and before
// the process recorded it sent: the at-least-once window. Once the claim
// has expired, a Sender in another process delivers it again, with the
// same Message-ID as the first time (mail clients show one message), and
// delivers every other email exactly once.
func TestSenderKilledAfterAccept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := dbtest.ClockOf(d)
		clock.Stop()
		box := &inbox{}
		addr := startSMTP(t, box)
		to := func(i int) string { return fmt.Sprintf("c%d@example.com", i) }
		const victim = 2
		for i := range 5 {
			if err := d.InTx(ctx, func(tx *db.Tx) error {
				return notify.Enqueue(ctx, tx, notify.Message{Channel: notify.Email, Kind: "test", To: to(i), Subject: fmt.Sprintf("Message %d", i),
					Text: fmt.Sprintf("body %d", i)})
			}); err != nil {
				t.Fatal(err)
			}
		}

		cmd := exec.Command(os.Args[0], "-test.run=^TestSenderChild$")
		cmd.Env = append(os.Environ(), senderChildEnv+"="+strings.Join([]string{d.DSN, addr, to(victim)}, "\x1f"))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		killed := false
		var said []string
		for sc.Scan() {
			said = append(said, sc.Text())
			if sc.Text() == "accepted "+to(victim) {
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killed = true
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		if !killed {
			t.Fatalf("the child sender ended before the server accepted %s: %q", to(victim), said)
		}
		received := func() map[string][]string { // Message-IDs by recipient
			box.mu.Lock()
			defer box.mu.Unlock()
			ids := map[string][]string{}
			for i, raw := range box.msgs {
				m, err := mail.ReadMessage(strings.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				ids[box.rcpt[i]] = append(ids[box.rcpt[i]], m.Header.Get("Message-Id"))
			}
			return ids
		}
		first := received()
		for i := range 5 {
			if want := map[bool]int{true: 1, false: 0}[i <= victim]; len(first[to(i)]) != want {
				t.Fatalf("before the kill: %v, want c0-c%d once", first, victim)
			}
		}
		if q, _ := notify.Outbox(ctx, d, to(victim), 1); len(q) != 1 || q[0].Sent {
			t.Fatalf("the victim's row: %+v, want not recorded sent", q)
		}

		// Another process, after the dead one's claim ran out.
		clock.Set(time.Now().Add(3 * time.Minute))
		mailer, err := notify.NewSMTP("smtp://"+addr+"?tls=none", killFrom)
		if err != nil {
			t.Fatal(err)
		}
		s := &notify.Sender{DB: d, Mailer: mailer, Log: slog.New(slog.DiscardHandler), From: killFrom}
		if n, err := s.SendDue(ctx); err != nil || n != 5-victim {
			t.Fatalf("after the restart: %d sent, %v; want %d", n, err, 5-victim)
		}
		if n, err := s.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("again: %d sent, %v; want none", n, err)
		}
		got := received()
		seen := map[string]string{}
		for i := range 5 {
			ids := got[to(i)]
			want := 1
			if i == victim {
				want = 2
			}
			if len(ids) != want {
				t.Errorf("%s received %d times, want %d", to(i), len(ids), want)
				continue
			}
			if ids[0] == "" || !strings.HasSuffix(ids[0], "@northwind.example>") {
				t.Errorf("%s: Message-ID %q, want <…@northwind.example>", to(i), ids[0])
			}
			if i == victim && ids[1] != ids[0] {
				t.Errorf("sent again with Message-ID %s, first %s: want the same", ids[1], ids[0])
			}
			if other, dup := seen[ids[0]]; dup {
				t.Errorf("%s and %s share Message-ID %s", other, to(i), ids[0])
			}
			seen[ids[0]] = to(i)
			if q, _ := notify.Outbox(ctx, d, to(i), 1); len(q) != 1 || !q[0].Sent {
				t.Errorf("%s: row %+v, want sent", to(i), q)
			}
		}
		t.Logf("sent again with the same Message-ID %s", got[to(victim)][0])
	})
}

// TestMessageID: the same row gives the same Message-ID in any Sender of
// the installation; another row, another creation time or another
// installation gives another; the domain is From's.
func TestMessageID(t *testing.T) {
	at := time.Date(2026, 12, 7, 11, 0, 0, 123456000, time.UTC)
	a := &notify.Sender{From: killFrom}
	id := a.MessageID(7, at)
	if !strings.HasSuffix(id, "@northwind.example") || strings.ContainsAny(id, "<> ") {
		t.Errorf("Message-ID %q, want …@northwind.example without brackets", id)
	}
	if again := (&notify.Sender{From: killFrom}).MessageID(7, at.In(time.FixedZone("EST", -5*3600))); again != id {
		t.Errorf("the same row: %s, then %s", id, again)
	}
	for name, other := range map[string]string{
		"another row":          a.MessageID(8, at),
		"another time":         a.MessageID(7, at.Add(time.Microsecond)),
		"another installation": (&notify.Sender{From: killFrom, Install: "test"}).MessageID(7, at),
	} {
		if other == id {
			t.Errorf("%s: the same Message-ID %s", name, id)
		}
	}
	if got := (&notify.Sender{From: "not an address"}).MessageID(7, at); !strings.HasSuffix(got, "@carfin.invalid") {
		t.Errorf("without a From domain: %s", got)
	}
}
