package identity

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/keyring"
)

// TestStaffEnrolLogin: a pending staff login refuses every password
// (even the empty one); enrolment needs the begun seed's current code and
// a policy password, writes nothing when refused, and happens once; a
// customer's login is not enrolled this way.
func TestStaffEnrolLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
		dbtest.ClockOf(d).Set(now)
		s, err := New(Config{DB: d, Params: Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example",
			Keys: keyring.Dev(), Limits: Limits{GlobalFailureBurst: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		inTx := func(fn func(tx *db.Tx) error) error { return d.InTx(ctx, fn) }
		var id int64
		if err := inTx(func(tx *db.Tx) (err error) {
			id, err = s.CreatePendingStaff(ctx, tx, "New@Northwind.example", "New Hire", "system")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := inTx(func(tx *db.Tx) error {
			_, err := s.CreatePendingStaff(ctx, tx, "new@northwind.example", "Again", "system")
			return err
		}); !errors.Is(err, ErrExists) {
			t.Fatalf("same email again: %v", err)
		}
		if err := inTx(func(tx *db.Tx) error {
			_, err := s.CreatePendingStaff(ctx, tx, "new hire", "Bad", "system")
			return err
		}); !errors.Is(err, ErrInvalidEmail) {
			t.Fatalf("bad email: %v", err)
		}
		for _, pw := range []string{"", "anything at all here"} {
			if _, err := s.PasswordLogin(ctx, Staff, "new@northwind.example", pw, "", Client{IP: "192.0.2.1"}); !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("pending login with %q: %v", pw, err)
			}
		}
		complete := func(pw, code string) ([]string, error) {
			var codes []string
			err := inTx(func(tx *db.Tx) (err error) {
				codes, err = s.CompleteStaffEnrolment(ctx, tx, id, pw, code, Client{})
				return err
			})
			return codes, err
		}
		if _, err := complete("a good staff password", "123456"); !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("no seed begun: %v", err)
		}
		var setup TOTPSetup
		if err := inTx(func(tx *db.Tx) (err error) { setup, err = s.BeginStaffTOTP(ctx, tx, id); return err }); err != nil {
			t.Fatal(err)
		}
		code, err := totp.GenerateCode(setup.Secret, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := complete("short", code); err == nil {
			t.Fatal("short password accepted")
		}
		l, _ := loginByID(ctx, d.Read, id)
		if l.passwordHash != "" || l.TOTPEnabled {
			t.Fatal("a refused enrolment wrote")
		}
		codes, err := complete("a good staff password", code)
		if err != nil || len(codes) != recoveryCodesCount {
			t.Fatalf("enrol: %d codes, %v", len(codes), err)
		}
		if _, err := complete("a good staff password", code); !errors.Is(err, ErrStaffEnrolled) {
			t.Fatalf("second enrolment: %v", err)
		}
		if err := inTx(func(tx *db.Tx) error { _, err := s.BeginStaffTOTP(ctx, tx, id); return err }); !errors.Is(err, ErrStaffEnrolled) {
			t.Fatalf("new seed after enrolment: %v", err)
		}
		res, err := s.PasswordLogin(ctx, Staff, "new@northwind.example", "a good staff password", "", Client{IP: "192.0.2.1"})
		if err != nil || !res.NeedSecondFactor {
			t.Fatalf("enrolled: %+v %v", res, err)
		}
	})
}
