package demo_test

import (
	"context"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/identity"
	"carfin/servicing"
	"carfin/support"
)

func TestSupportConversation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
		cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Riley", LastName: "Okafor", Email: "demo@northwind.example",
			AddressLine1: "1 Main St", City: "Raleigh", State: "NC", ZIP: "27601", BirthDate: calendar.MustParse("1985-05-05"), SSNLast4: "4321"})
		if err != nil {
			t.Fatal(err)
		}
		id, err := identity.New(identity.Config{DB: d, Params: identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "http://localhost"})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second run adds nothing
			if err := demo.SupportConversation(ctx, d, id, cust, "http://localhost:8080"); err != nil {
				t.Fatal(err)
			}
		}
		sup := support.New(d, support.Config{})
		threads, err := sup.Threads(ctx, cust)
		if err != nil || len(threads) != 1 || !threads[0].Unread {
			t.Fatalf("threads: %v %+v", err, threads)
		}
		th, err := sup.Thread(ctx, cust, threads[0].ID)
		if err != nil || len(th.Messages) != 2 || th.Messages[1].Author != support.AuthorStaff {
			t.Fatalf("thread: %v %+v", err, th)
		}
	})
}
