package statements

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"carfin/calendar"
	"carfin/internal/pdftest"
	"carfin/money"
	"carfin/servicing"
)

var (
	rDay   = calendar.MustParse
	rCents = money.MustParse
)

// testLender is a lender with every field set.
var testLender = Lender{
	Name:           "Northwind Motor Finance",
	Address:        []string{"100 Harbor Way", "Columbus, OH 43215"},
	Phone:          "1-800-555-0199",
	Hours:          "Mon–Fri 8 am–8 pm ET",
	HoursES:        "lun–vie 8 a. m.–8 p. m. ET",
	PaymentAddress: []string{"PO Box 4400", "Columbus, OH 43216-4400"},
	DisputeAddress: []string{"Attn: Disputes", "PO Box 4410", "Columbus, OH 43216"},
	Portal:         "https://pay.northwind.example",
	Primary:        "#1b4d89",
	Accent:         "#d9e6f4",
}

// loanCurrent is a current loan paid by autopay.
func loanCurrent() Statement {
	return Statement{ContractID: 1, CustomerID: 1, Lang: "en", Kind: servicing.KindLoan, Status: servicing.StatusActive,
		StatementDate: rDay("2026-11-25"), PeriodFrom: rDay("2026-10-26"), PeriodTo: rDay("2026-11-25"), CycleDue: rDay("2026-12-15"),
		AccountNumber: "NW-0000000001",
		Customer:      Addressee{Name: "Jordan Avery", Address: []string{"42 Elm Street", "Apt 3B", "Springfield, IL 62701"}},
		Vehicle:       Vehicle{Year: 2025, Make: "Mazda", Model: "CX-5", VINLast6: "123456"},
		Due: AmountDue{DueDate: rDay("2026-12-15"), InstallmentCents: rCents("395.93"), TotalCents: rCents("395.93"),
			LateFeeCents: rCents("25"), LateFeeAfter: rDay("2026-12-25")},
		Autopay: &Autopay{AmountCents: rCents("395.93"), Date: rDay("2026-12-15"), Account: "Checking ••••6789"},
		Activity: []Line{{Date: rDay("2026-11-15"), Type: LinePayment, AmountCents: rCents("395.93"), InterestCents: rCents("104.12"),
			PrincipalCents: rCents("291.81"), Installment: 10}},
		OpeningBalanceCents: rCents("17841.20"), ClosingBalanceCents: rCents("17549.39"),
		YearToDate: Totals{PaidCents: rCents("3959.30"), InterestCents: rCents("1102.55"), PrincipalCents: rCents("2856.75")},
		Account: Account{PrincipalCents: rCents("17549.39"), APR: money.MustParseRate("6.99"), PayoffCents: rCents("17583.01"),
			PerDiemCents: rCents("3.36"), PaymentsLeft: 50, MaturityDate: rDay("2031-01-15")},
		Waterfall: servicing.DefaultLoanWaterfall,
	}
}

// loanLate is a loan 45 days past due, with late fees, a returned
// payment and its fee, a waiver and a correction.
func loanLate(lang string) Statement {
	s := loanCurrent()
	s.ContractID, s.Lang, s.Autopay, s.AccountNumber = 2, lang, nil, "NW-0000000002"
	s.Customer = Addressee{Name: "María José Núñez", Address: []string{"7 Calle Señora", "El Paso, TX 79901"}}
	s.Due = AmountDue{DueDate: rDay("2026-12-15"), InstallmentCents: rCents("395.93"), PastDueCents: rCents("791.86"), FeesCents: rCents("75"),
		TotalCents: rCents("1262.79"), LateFeeCents: rCents("25"), LateFeeAfter: rDay("2026-12-25")}
	s.Activity = []Line{
		{Date: rDay("2026-10-28"), Type: LinePayment, AmountCents: rCents("395.93"), InterestCents: rCents("110.02"), PrincipalCents: rCents("285.91"), Installment: 9},
		{Date: rDay("2026-11-02"), Type: LineReturnedPayment, AmountCents: -rCents("395.93"), InterestCents: -rCents("110.02"), PrincipalCents: -rCents("285.91")},
		{Date: rDay("2026-11-02"), Type: LineNSFFee, AmountCents: -rCents("25"), FeesCents: -rCents("25")},
		{Date: rDay("2026-11-10"), Type: LineLateFee, AmountCents: -rCents("25"), FeesCents: -rCents("25")},
		{Date: rDay("2026-11-12"), Type: LineFeeWaiver, AmountCents: rCents("25"), FeesCents: rCents("25")},
		{Date: rDay("2026-11-20"), Type: LineLateFee, AmountCents: -rCents("25"), FeesCents: -rCents("25")},
		{Date: rDay("2026-11-21"), Type: LineAdjustment, AmountCents: rCents("1.50"), FeesCents: rCents("1.50")},
		{Date: rDay("2026-11-22"), Type: LineCorrection, AmountCents: -rCents("1.50"), FeesCents: -rCents("1.50")},
		{Date: rDay("2026-11-24"), Type: LineLateFee, AmountCents: -rCents("25"), FeesCents: -rCents("25")},
	}
	s.OpeningBalanceCents, s.ClosingBalanceCents = rCents("18127.11"), rCents("18127.11")
	s.Delinquency = &Delinquency{Since: rDay("2026-10-15"), DaysPastDue: 41, ToCurrentCents: rCents("866.86")}
	return s
}

func lease() Statement {
	s := loanCurrent()
	s.ContractID, s.Kind, s.Autopay, s.AccountNumber = 3, servicing.KindLease, nil, "NW-0000000003"
	s.Due.PaidAheadCents = rCents("100")
	s.Due.InstallmentCents, s.Due.TotalCents = rCents("412.19"), rCents("412.19")
	s.Activity = []Line{
		{Date: rDay("2026-11-15"), Type: LineLeaseCharge, AmountCents: -rCents("512.19"), Installment: 10},
		{Date: rDay("2026-11-16"), Type: LinePayment, AmountCents: rCents("612.19"), PrincipalCents: rCents("512.19")},
	}
	s.OpeningBalanceCents, s.ClosingBalanceCents = 0, 0
	s.Account = Account{PaymentsLeft: 26, MaturityDate: rDay("2029-01-15"), PurchaseOptionCents: rCents("18975"), MileageAllowance: 36000,
		DispositionFeeCents: rCents("395")}
	s.Waterfall = servicing.DefaultLeaseWaterfall
	return s
}

func paidOff() Statement {
	s := loanCurrent()
	s.ContractID, s.Final, s.Status, s.Autopay, s.AccountNumber = 4, true, servicing.StatusPaidOff, nil, "NW-0000000004"
	s.Due = AmountDue{}
	s.Activity = []Line{{Date: rDay("2026-11-10"), Type: LinePayoff, AmountCents: rCents("17583.01"), InterestCents: rCents("33.62"),
		PrincipalCents: rCents("17549.39")}}
	s.ClosingBalanceCents = 0
	return s
}

func chargedOff() Statement {
	s := paidOff()
	s.ContractID, s.Status = 5, servicing.StatusChargedOff
	s.Activity = []Line{{Date: rDay("2026-11-10"), Type: LineChargeOff, AmountCents: rCents("9000")}}
	return s
}

// longActivity is a statement with 40 activity lines.
func longActivity() Statement {
	s := loanLate("en")
	s.Delinquency = nil
	var lines []Line
	for i := range 40 {
		lines = append(lines, Line{Date: rDay("2026-10-26").AddDays(i % 30), Type: []LineType{LinePayment, LineLateFee, LineFeeWaiver, LineAdjustment}[i%4],
			AmountCents: rCents("10") + money.Cents(i), FeesCents: rCents("10") + money.Cents(i)})
	}
	s.Activity = lines
	return s
}

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     Statement
		pages int
		// want in the text (spaces collapsed); not: must not appear.
		want, not []string
	}{
		{"loan current with autopay", loanCurrent(), 1,
			[]string{"Monthly statement", "Northwind Motor Finance", "••••0001", "JORDAN AVERY", "2025 Mazda CX-5 · VIN ending 123456",
				"Total amount due $395.93", "If $395.93 is not received by December 25, 2026, a late charge of $25.00 will be assessed.",
				"Autopay will debit $395.93 on December 15, 2026 from Checking ••••6789", "paying this amount yourself as well would pay it twice",
				"Payment, installment 10", "$104.12", "$291.81", "Principal balance on Oct 25, 2026 $17,841.20",
				"Principal balance on Nov 25, 2026 $17,549.39", "Year to date (2026)", "$3,959.30", "6.99%", "$17,583.01", "$3.36",
				"Jan 15, 2031", "Detach and return with your payment", "Amount enclosed", "PO Box 4400", "Pay online: https://pay.northwind.example",
				"How we apply your payments, in this order: (1) interest accrued and unpaid; (2) principal of installments due; (3) late and returned-payment fees; (4) remaining principal.",
				"We may report information about your account to credit bureaus. Late payments, missed payments, or other defaults on your account may be reflected in your credit report.",
				"Attn: Disputes", "Page 1 of 1", "Amount due", "Mon–Fri 8 am–8 pm ET"},
			[]string{"Delinquency", "paid ahead,"}},
		{"loan 45 days past due", loanLate("en"), 2,
			[]string{"Past-due amount $791.86", "Unpaid fees $75.00", "Total amount due $1,262.79", "Returned payment", "-$395.93",
				"Returned-payment fee", "Fee waived (credit)", "Adjustment to your account", "Correction (reversal of an entry)", "Late charge",
				"DELINQUENCY NOTICE", "past due since October 15, 2026 (41 days)", "To bring your account current, pay $866.86.",
				"further late charges", "credit bureaus", "repossessed as your contract and the law allow", "call us at 1-800-555-0199",
				"extension", "Page 2 of 2"},
			[]string{"Autopay"}},
		{"lease", lease(), 1,
			[]string{"Billed and unpaid on Nov 25, 2026", "Payments", "Lease payment 10 billed", "Purchase-option price", "$18,975.00",
				"36,000 miles", "Disposition fee", "$395.00", "Lease ends", "Jan 15, 2029", "You have paid $100.00 ahead",
				"(1) billed lease payments; (2) late and returned-payment fees; (3) credit toward future lease payments"},
			[]string{"Principal balance", "Annual percentage rate"}},
		{"paid off, final", paidOff(), 1,
			[]string{"This account is closed. Balance: $0.00", "Payoff payment", "$17,583.01"},
			[]string{"Detach and return", "Amount enclosed", "Total amount due", "late charge of", "NW-0000000004"}},
		{"charged off, final", chargedOff(), 1,
			[]string{"charged off", "the balance is still owed", "Balance charged off"},
			[]string{"Balance: $0.00", "Detach and return", "Total amount due"}},
		{"Spanish, delinquent", loanLate("es"), 2,
			[]string{"Estado de cuenta mensual", "MARÍA JOSÉ NÚÑEZ", "7 CALLE SEÑORA", "Fecha del estado de cuenta: 25 de noviembre de 2026",
				"Monto total a pagar $1,262.79", "Si no recibimos $1,262.79 a más tardar el 25 de diciembre de 2026, se cobrará un cargo por pago tardío de $25.00.",
				"Pago devuelto", "Cargo condonado (crédito)", "Corrección (reversión de un movimiento)", "Ajuste a su cuenta",
				"AVISO DE MOROSIDAD", "vencidos desde el 15 de octubre de 2026 (41 días)", "Para poner su cuenta al día, pague $866.86.",
				"agencias de informes de crédito", "recuperado (embargado)", "prórroga", "lun–vie 8 a. m.–8 p. m. ET",
				"Podemos reportar información sobre su cuenta a las agencias de informes de crédito.",
				"Desprenda esta parte", "Monto adjunto", "Página 1 de 2", "6.99 %", "En lo que va del año (2026)", "VIN que termina en 123456"},
			[]string{"Monthly statement", "Total amount due", "Page 1"}},
		{"40 activity lines", longActivity(), 2,
			[]string{"Activity since your last statement (continued)", "Page 2 of 2"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf, err := Render(testLender, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			text := pdftest.Text(t, pdf) // validates strictly with pdfcpu
			qpdfCheck(t, pdf)
			if n, err := api.PageCount(bytes.NewReader(pdf), model.NewDefaultConfiguration()); err != nil || n != tc.pages {
				t.Errorf("%d pages (%v), want %d", n, err, tc.pages)
			}
			if tc.pages == 1 && len(pdf) >= 12<<10 {
				t.Errorf("a one-page statement is %d bytes", len(pdf))
			}
			t.Logf("%d pages, %d bytes", tc.pages, len(pdf))
			if text == "" {
				t.Fatal("pdftotext is required") // Text logged why
			}
			flat := strings.Join(strings.Fields(text), " ")
			for _, w := range tc.want {
				if !strings.Contains(flat, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(flat, w) {
					t.Errorf("has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("text:\n%s", text)
			}
			// The full account number appears once, on the coupon; the
			// rest of the statement shows it masked.
			wantFull := 1
			if tc.s.Final {
				wantFull = 0
			}
			if n := strings.Count(flat, tc.s.AccountNumber); n != wantFull {
				t.Errorf("full account number appears %d times, want %d", n, wantFull)
			}
			if !tc.s.Final {
				coupon := flat[strings.LastIndex(flat, word(tc.s.Lang, "coupon.detach")):]
				if !strings.Contains(coupon, tc.s.AccountNumber) {
					t.Errorf("the coupon lacks the account number:\n%s", coupon)
				}
			}
			again, err := Render(testLender, tc.s)
			if err != nil || !bytes.Equal(pdf, again) {
				t.Errorf("the same statement renders different bytes (%v)", err)
			}
			if dir := os.Getenv("STATEMENTS_PNG_DIR"); dir != "" {
				toPNG(t, pdf, filepath.Join(dir, strings.NewReplacer(" ", "-", ",", "").Replace(tc.name)))
			}
		})
	}
}

// qpdfCheck runs `qpdf --check` on pdf: a second, independent reader.
// qpdf is required: a test that skipped it would prove nothing.
func qpdfCheck(t *testing.T, pdf []byte) {
	t.Helper()
	bin, err := exec.LookPath("qpdf")
	if err != nil {
		t.Fatal("qpdf is required (apt-get install qpdf)")
	}
	p := filepath.Join(t.TempDir(), "statement.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--check", p).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
}

// toPNG renders pdf's pages to prefix-N.png at 100 dpi, for a person to
// look at (STATEMENTS_PNG_DIR=/tmp/st go test -run TestRender).
func toPNG(t *testing.T, pdf []byte, prefix string) {
	p := prefix + ".pdf"
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "100", "-png", p, prefix).CombinedOutput(); err != nil {
		t.Errorf("pdftoppm: %v\n%s", err, out)
	}
}

// TestWords: both languages have the same words, and every activity line
// type and waterfall bucket has its words.
func TestWords(t *testing.T) {
	en, es := slices.Sorted(maps.Keys(words["en"])), slices.Sorted(maps.Keys(words["es"]))
	if !slices.Equal(en, es) {
		t.Errorf("English and Spanish words differ in keys:\n%v\n%v", en, es)
	}
	for _, lt := range []LineType{LinePayment, LinePayoff, LineReturnedPayment, LineLateFee, LineNSFFee, LineFeeWaiver, LineAdjustment,
		LineLeaseCharge, LineChargeOff, LineTurnIn, LineCorrection, LineFunded} {
		if _, ok := words["en"][lineKeys[lt]]; !ok {
			t.Errorf("no words for line type %s", lt)
		}
	}
	for _, b := range append(slices.Clone(servicing.DefaultLoanWaterfall), servicing.DefaultLeaseWaterfall...) {
		if _, ok := words["en"][bucketKeys[b]]; !ok {
			t.Errorf("no words for bucket %s", b)
		}
	}
	for _, lang := range []string{"en", "es"} {
		for k, v := range words[lang] {
			if got := cp1252Safe(v); got != "" {
				t.Errorf("%s %s: %q is not in cp1252", lang, k, got)
			}
		}
	}
}

// cp1252Safe returns the first rune of s the core fonts cannot print, or "".
func cp1252Safe(s string) string {
	for _, r := range s {
		if r >= 0x80 && !strings.ContainsRune("áéíóúñÁÉÍÓÚÑüÜ¿¡–—•·’“”", r) {
			return string(r)
		}
	}
	return ""
}

// TestMask: only the last four characters show.
func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"NW-0000000001", "••••0001"}, {"1234", "••••1234"}, {"12", "••••12"}, {"", "••••"},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRenderConcurrent: renderers share nothing (run with -race).
func TestRenderConcurrent(t *testing.T) {
	want, err := Render(testLender, loanLate("es"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got, err := Render(testLender, loanLate("es")); err != nil || !bytes.Equal(got, want) {
					t.Errorf("concurrent render differs (%v)", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkRender renders a typical one-page statement (a current loan
// on autopay). go test -run '^$' -bench Render -cpu 1 ./statements
func BenchmarkRender(b *testing.B) {
	s := loanCurrent()
	var size int
	for b.Loop() {
		pdf, err := Render(testLender, s)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
	}
	b.ReportMetric(float64(size), "bytes/statement")
}

// TestBandContrast: the text of the section bands reads on their shading
// (WCAG AA, 4.5:1) whatever colours the lender chose.
func TestBandContrast(t *testing.T) {
	for _, tc := range []struct{ name, primary, accent string }{
		{"defaults", "#0b5394", "#e69138"},
		{"dark accent", "#0b5394", "#1d3557"},
		{"yellow accent", "#7a1f1f", "#ffd400"},
		{"mid grey accent", "#0b5394", "#777777"},
		{"light primary and grey", "#9fc5e8", "#808080"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRenderer(Lender{Name: "L", Primary: tc.primary, Accent: tc.accent}, Statement{Lang: "en"})
			if c := contrast(r.accentText, r.bandFill); c < textContrastMin {
				t.Errorf("band text %v on %v: contrast %.2f", r.accentText, r.bandFill, c)
			}
		})
	}
	if c := contrast(rgb{R: 255, G: 255, B: 255}, rgb{R: 0, G: 0, B: 0}); c < 20.9 || c > 21.1 {
		t.Errorf("white on black %.2f, want 21", c)
	}
}
