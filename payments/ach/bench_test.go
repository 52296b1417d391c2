package ach_test

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/payments/ach"
)

// benchFile is a file of n WEB debits, as an autopay day writes one.
func benchFile(n int) *ach.File {
	routings := []string{"112601818", "129083018", "226131863", "029139091", "210308246", "222819480", "061993512", "039093787"}
	es := make([]ach.Entry, n)
	for i := range es {
		es[i] = ach.Entry{TransactionCode: ach.CheckingDebit, Routing: routings[i%len(routings)], Account: fmt.Sprintf("%09d", 100000000+i),
			AmountCents: int64(40000 + i%5000), IndividualID: fmt.Sprintf("P%08d", i), IndividualName: "Bench Customer" + strconv.Itoa(i),
			Discretionary: "R", TraceNumber: ach.Trace("06199351", int64(i+1))}
	}
	return &ach.File{
		Header: ach.FileHeader{ImmediateDestination: "061993512", ImmediateOrigin: " 061993512", DestinationName: "Peachtree Meadow Bank",
			OriginName: "Bench Finance", Created: time.Date(2026, 11, 16, 17, 30, 0, 0, time.UTC), IDModifier: 'A'},
		Batches: []ach.Batch{{CompanyName: "Bench Finance", CompanyID: "1987654321", SEC: "WEB", EntryDescription: "AUTO PYMT",
			EffectiveDate: calendar.MustParse("2026-11-17"), ODFI: "06199351", Entries: es}},
	}
}

// BenchmarkWrite times writing a file of CARFIN_BENCH_DEBITS (default
// 150,000) debits to memory.
func BenchmarkWrite(b *testing.B) {
	n := 150_000
	if s := os.Getenv("CARFIN_BENCH_DEBITS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	f := benchFile(n)
	b.ResetTimer()
	for range b.N {
		if _, err := ach.Write(io.Discard, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkWriteMoov is BenchmarkWrite with moov-io/ach's writer, for
// the comparison in the package comment.
func BenchmarkWriteMoov(b *testing.B) {
	n := 150_000
	if s := os.Getenv("CARFIN_BENCH_DEBITS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	f := benchFile(n)
	b.ResetTimer()
	for range b.N {
		if err := writeMoov(io.Discard, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
