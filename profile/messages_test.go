package profile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/notify"
	"carfin/profile"
	"carfin/servicing"
)

// TestMessagesSayWhenInLenderZone: the profile's confirmation emails say
// when in the lender's time zone and the reader's language, like every
// other message, not in UTC.
func TestMessagesSayWhenInLenderZone(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// 22:00 UTC on November 24 is 5:00 PM in New York.
		dbtest.ClockOf(d).Set(time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC))
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t.In(newYork)) })
		pr := profile.New(d, "Northwind Motor Finance")
		for _, tc := range []struct {
			lang, email, want string
		}{
			{"en", "ana@example.com", "on November 24, 2026 at 5:00 PM EST to:"},
			{"es", "bea@example.com", "el 24 de noviembre de 2026, 17:00 EST a:"},
		} {
			t.Run(tc.lang, func(t *testing.T) {
				id, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Ana", LastName: "Ruiz", Email: tc.email, Phone: "+15555550100",
					AddressLine1: "1 Main St", City: "Columbus", State: "OH", ZIP: "43215", BirthDate: calendar.MustParse("1980-01-02"), SSNLast4: "1234"})
				if err != nil {
					t.Fatal(err)
				}
				err = pr.UpdateAddress(ctx, id, profile.Address{Line1: "2 Oak Ave", City: "Columbus", State: "OH", ZIP: "43215"},
					profile.Actor{LoginID: 1, IP: "192.0.2.1", Lang: tc.lang, Zone: newYork})
				if err != nil {
					t.Fatal(err)
				}
				out, err := notify.Outbox(ctx, d, tc.email, 10)
				if err != nil || len(out) != 1 {
					t.Fatalf("outbox %v %v", out, err)
				}
				if body := out[0].Message.Text; !strings.Contains(body, tc.want) || strings.Contains(body, "UTC") {
					t.Errorf("the email says\n%s\nwant %q", body, tc.want)
				}
			})
		}
	})
}
