package casefile_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/casefile"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/servicing"
)

func today(t time.Time) calendar.Date { return calendar.Of(t) }

// book is a few customers with the shapes a search must tell apart.
type book struct {
	ann, bob, cara, quincy int64
	secrets                []string // full numbers and addresses no hit may show
}

func loadBook(t *testing.T, d *db.DB) book {
	t.Helper()
	ctx := context.Background()
	sv := servicing.New(d, today)
	cust := func(first, last, email, phone, city string) int64 {
		t.Helper()
		id, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: first, LastName: last, Email: email, Phone: phone,
			AddressLine1: "1 Main St", City: city, State: "IL", ZIP: "62701", BirthDate: calendar.MustParse("1980-01-01"), SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	contract := func(c int64, number, vin string) {
		t.Helper()
		signed := sv.Today().AddDays(-40)
		if _, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: number, CustomerID: c, VIN: servicing.WithCheckDigit(vin),
			VehicleYear: 2024, Make: "Honda", Model: "Civic", Kind: servicing.KindLoan, AmountFinancedCents: 20000_00,
			APR: money.MustParseRate("5.9"), TermMonths: 60, ContractDate: signed, FirstDue: signed.AddMonths(1), GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 25_00}, NSFFeeCents: 25_00}); err != nil {
			t.Fatal(err)
		}
	}
	var b book
	b.ann = cust("Ann", "Quinn", "ann@example.com", "(555) 201-1234", "Springfield")
	contract(b.ann, "NW-100001", "1HGCM82633AB12345")
	contract(b.ann, "NW-100002", "1HGCM82633AC67890")
	b.bob = cust("Bob", "Quinnell", "Bob@Example.COM", "+15559876543", "Peoria")
	contract(b.bob, "NW-200001", "2T1BURHE0JC777777")
	b.cara = cust("Cara", "Smith", "cara@example.org", "555.201.9999", "Chicago")
	b.quincy = cust("Quincy", "Adams", "qa@example.com", "", "Joliet")
	contract(b.quincy, "48213377", "3FADP4BJ7FM100200")
	// Bob signs in with another address than the one on his record.
	if _, err := d.SQL.ExecContext(ctx, `INSERT INTO logins (realm, customer_id, email, display_name, password_hash, password_changed_at, webauthn_handle, created_at)
		VALUES ('customer', $1, 'bob.login@example.net', 'Bob', '', $2, $3, $2)`, b.bob, d.Now(), []byte("bob-handle")); err != nil {
		t.Fatal(err)
	}
	b.secrets = []string{"NW-100001", "NW-100002", "NW-200001", "48213377", "ann@example.com", "Bob@Example.COM", "bob.login",
		"cara@example.org", "qa@example.com", "5552011234", "201-1234", "5559876543", "+15559876543", "555.201.9999", "2019999",
		"1HGCM82633", "2T1BURHE0J", "3FADP4BJ7F"}
	return b
}

func TestSearch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := loadBook(t, d)
		s := casefile.New(d, casefile.Config{AccountDigits: 8})
		for _, tc := range []struct {
			name, query string
			kind        casefile.Kind
			want        []int64
		}{
			{"last name prefix, any case", "QUINN", casefile.KindName, []int64{b.ann, b.bob}},
			{"last or first name prefix", "quin", casefile.KindName, []int64{b.quincy, b.ann, b.bob}},
			{"first and last", "ann qu", casefile.KindName, []int64{b.ann}},
			{"last, first", "Quinnell, B", casefile.KindName, []int64{b.bob}},
			{"first name", "Cara", casefile.KindName, []int64{b.cara}},
			{"no such name", "Zz", casefile.KindName, nil},
			{"prefix only, not inside", "uinn", casefile.KindName, nil},
			{"account", "NW-100002", casefile.KindAccount, []int64{b.ann}},
			{"account typed lower-case", "nw-200001", casefile.KindAccount, []int64{b.bob}},
			{"account prefix is not enough", "NW-10000", casefile.KindAccount, nil},
			{"account of digits", "48213377", casefile.KindAccount, []int64{b.quincy}},
			{"email on record, any case", "ANN@example.com", casefile.KindEmail, []int64{b.ann}},
			{"email stored mixed case", "bob@example.com", casefile.KindEmail, []int64{b.bob}},
			{"login email", "Bob.Login@example.net", casefile.KindEmail, []int64{b.bob}},
			{"email is exact", "ann@example", casefile.KindEmail, nil},
			{"phone as stored", "(555) 201-1234", casefile.KindPhone, []int64{b.ann}},
			{"phone digits", "5552011234", casefile.KindPhone, []int64{b.ann}},
			{"phone against E.164", "555-987-6543", casefile.KindPhone, []int64{b.bob}},
			{"phone with country code", "+1 555 201 9999", casefile.KindPhone, []int64{b.cara}},
			{"no such phone", "555-000-0000", casefile.KindPhone, nil},
			{"VIN end", "B12345", casefile.KindVIN6, []int64{b.ann}},
			{"VIN end, lower-case", "c67890", casefile.KindVIN6, []int64{b.ann}},
			{"VIN end of digits", "777777", casefile.KindVIN6, []int64{b.bob}},
			{"no such VIN", "X00000", casefile.KindVIN6, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if k := casefile.Classify(tc.query, 8); k != tc.kind {
					t.Fatalf("Classify(%q) = %s, want %s", tc.query, k, tc.kind)
				}
				hits, err := s.Search(ctx, tc.query, 10)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, h := range hits {
					got = append(got, h.CustomerID)
					if h.MatchedBy != tc.kind {
						t.Errorf("MatchedBy %s", h.MatchedBy)
					}
					// Masked data only.
					shown := fmt.Sprintf("%+v", h)
					for _, secret := range b.secrets {
						if strings.Contains(shown, secret) {
							t.Errorf("hit shows %q: %s", secret, shown)
						}
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("%q found %v, want %v", tc.query, got, tc.want)
				}
			})
		}

		// What a hit shows.
		hits, err := s.Search(ctx, "ann quinn", 0)
		if err != nil || len(hits) != 1 {
			t.Fatalf("Ann: %+v %v", hits, err)
		}
		h := hits[0]
		want := casefile.Hit{CustomerID: b.ann, Name: "Ann Quinn", City: "Springfield", State: "IL", Email: "a•••@example.com", PhoneLast4: "1234",
			MatchedBy: casefile.KindName}
		if a := h.Accounts; len(a) != 2 || a[0].Number != "••••0001" || a[1].Number != "••••0002" || a[0].Kind != "loan" || a[0].Status != "active" ||
			a[0].VehicleYear != 2024 || a[0].VehicleMake != "Honda" || a[0].VehicleModel != "Civic" || a[0].ContractID == 0 {
			t.Errorf("accounts: %+v", a)
		}
		h.Accounts = nil
		if fmt.Sprint(h) != fmt.Sprint(want) {
			t.Errorf("hit\n got %+v\nwant %+v", h, want)
		}
		if hits, _ := s.Search(ctx, "qa@example.com", 0); len(hits) != 1 || hits[0].PhoneLast4 != "" || len(hits[0].Accounts) != 1 {
			t.Errorf("Quincy: %+v", hits)
		}
		if hits, _ := s.Search(ctx, "cara", 0); len(hits) != 1 || hits[0].Accounts != nil {
			t.Errorf("a customer without contracts: %+v", hits)
		}
		// The limit counts customers, not contracts.
		if hits, _ := s.Search(ctx, "quin", 2); len(hits) != 2 || hits[1].CustomerID != b.ann || len(hits[1].Accounts) != 2 {
			t.Errorf("limit 2: %+v", hits)
		}

		// Bad queries search nothing.
		for _, tc := range []struct {
			name, query string
			want        error
		}{
			{"empty", "", casefile.ErrQueryEmpty},
			{"blank", " \t\n", casefile.ErrQueryEmpty},
			{"one character", " a ", casefile.ErrQueryShort},
			{"one accented character", "é", casefile.ErrQueryShort},
			{"no name, only commas", ", ,", casefile.ErrQueryShort},
			{"too long", strings.Repeat("a", casefile.QueryRunesMax+1), casefile.ErrQueryLong},
			{"too long in runes", strings.Repeat("é", casefile.QueryRunesMax+1), casefile.ErrQueryLong},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if hits, err := s.Search(ctx, tc.query, 10); !errors.Is(err, tc.want) || hits != nil {
					t.Fatalf("got %v %v, want %v", hits, err, tc.want)
				}
			})
		}
		if _, err := s.Search(ctx, strings.Repeat("é", casefile.QueryRunesMax), 10); err != nil {
			t.Errorf("a query of the longest length: %v", err)
		}
		// Characters that mean something to LIKE or SQL are plain text.
		for _, q := range []string{"%%", "__", "q%", "'; DROP TABLE customers; --", `\\`} {
			if hits, err := s.Search(ctx, q, 10); err != nil || len(hits) != 0 {
				t.Errorf("%q: %+v %v", q, hits, err)
			}
		}
	})
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		query         string
		accountDigits int
		want          casefile.Kind
	}{
		{"smith", 0, casefile.KindName},
		{"Mary Ann", 0, casefile.KindName},
		{"O'Brien", 0, casefile.KindName},
		{"Núñez", 0, casefile.KindName},
		{"a@b.c", 0, casefile.KindEmail},
		{"1234567890", 0, casefile.KindPhone},
		{"1234567890", 10, casefile.KindAccount},
		{"12345678", 8, casefile.KindAccount},
		{"12345678", 0, casefile.KindAccount},
		{"(555) 201-1234", 0, casefile.KindPhone},
		{"+1 555.201.1234", 0, casefile.KindPhone},
		{"555-201-123", 0, casefile.KindAccount},
		{"123456", 0, casefile.KindVIN6},
		{"123456", 6, casefile.KindAccount},
		{"a1b2c3", 0, casefile.KindVIN6},
		{"abcdef", 0, casefile.KindName},
		{"NW-100001", 0, casefile.KindAccount},
		{"room 101", 0, casefile.KindName},
	} {
		if got := casefile.Classify(tc.query, tc.accountDigits); got != tc.want {
			t.Errorf("Classify(%q, %d) = %s, want %s", tc.query, tc.accountDigits, got, tc.want)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{"ann@example.com": "a•••@example.com", "Élodie@x.fr": "É•••@x.fr", "@x.com": "", "nobody": "", "": ""} {
		if got := casefile.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
