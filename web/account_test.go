package web

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"carfin/calendar"
	"carfin/money"
	"carfin/servicing"
	"carfin/webcore"
)

// TestAccountCatalog: every account key a template or handler uses is in
// the catalogs, including the ones built from a value (kinds, activity
// types, installment statuses, document kinds).
func TestAccountCatalog(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`"(account\.[a-z0-9_]+)"`)
	var sources []string
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(templateFS, p)
			sources = append(sources, string(b))
		}
		return nil
	})
	goFiles, _ := fs.Glob(osDir("."), "*.go")
	for _, f := range goFiles {
		b, _ := fs.ReadFile(osDir("."), f)
		sources = append(sources, string(b))
	}
	keys := map[string]bool{}
	for _, src := range sources {
		for _, m := range used.FindAllStringSubmatch(src, -1) {
			if !strings.HasSuffix(m[1], "_") { // a prefix completed below
				keys[m[1]] = true
			}
		}
	}
	for _, k := range []servicing.Kind{servicing.KindLoan, servicing.KindLease} {
		keys["account.kind_"+string(k)] = true
	}
	for _, it := range servicing.ItemTypes {
		keys["account.type_"+string(it)] = true
	}
	for _, st := range []servicing.InstallmentStatus{servicing.InstallmentPaid, servicing.InstallmentPartial, servicing.InstallmentPastDue,
		servicing.InstallmentDue, servicing.InstallmentUpcoming} {
		keys["account.row_"+string(st)] = true
	}
	for _, k := range docKinds {
		keys[k] = true
	}
	for _, k := range itemLabelKeys() {
		keys[k] = true
	}
	if len(keys) < 150 {
		t.Errorf("found only %d account keys: the scan is broken", len(keys))
	}
	for k := range keys {
		for _, lang := range webcore.Languages {
			if len(cat.Texts(lang, k)) == 0 {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[money.Cents]money.Cents{0: 100, 99: 100, 100: 100, 101: 120, 28500_00: 30000_00, 557_50: 600_00,
		12_000_00: 12_000_00, 12_000_01: 15_000_00, 81_000_00: 100_000_00} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestAmortizationCharts: the charts are well-formed SVG images with a
// title and a description, text escaped, paid and projected drawn apart.
func TestAmortizationCharts(t *testing.T) {
	start := calendar.MustParse("2025-01-15")
	var pts []servicing.AmortPoint
	balance := money.Cents(10_000_00)
	for i := range 24 {
		p := servicing.AmortPoint{Number: i + 1, Date: start.AddMonths(i + 1), InterestCents: 40_00 - money.Cents(i*150),
			PrincipalCents: 400_00 + money.Cents(i*150), Projected: i >= 10}
		balance -= p.PrincipalCents
		p.BalanceCents = max(balance, 0)
		pts = append(pts, p)
	}
	tx := chartText{lang: "es", balanceTitle: "Saldo <a>", balanceDesc: `Baja de "10" & más`, splitTitle: "Intereses", splitDesc: "Desc", today: "Hoy"}
	c := amortizationCharts("amort", start, 10_000_00, pts, tx)
	for name, svg := range map[string]string{"balance": string(c.Balance), "split": string(c.Split)} {
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			if _, err := dec.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%s chart is not well-formed: %v\n%s", name, err, svg)
				}
				break
			}
		}
		for _, want := range []string{`role="img"`, `aria-labelledby="amort-` + name + `-t amort-` + name + `-d"`, "<title id=", "<desc id="} {
			if !strings.Contains(svg, want) {
				t.Errorf("%s chart lacks %s", name, want)
			}
		}
		if strings.Contains(svg, "<a>") || strings.Contains(svg, "style=") || strings.Contains(svg, "<script") {
			t.Errorf("%s chart has unescaped text or inline style", name)
		}
	}
	if !strings.Contains(string(c.Balance), "Saldo &lt;a&gt;") || !strings.Contains(string(c.Balance), "&#34;10&#34; &amp; más") {
		t.Errorf("title and description not escaped: %s", c.Balance)
	}
	if !strings.Contains(string(c.Balance), `class="line-projected"`) || !strings.Contains(string(c.Balance), ">Hoy<") ||
		!strings.Contains(string(c.Split), `class="principal projected"`) || !strings.Contains(string(c.Balance), ">2026<") {
		t.Errorf("charts lack projections, the today mark or years:\n%s\n%s", c.Balance, c.Split)
	}
	if len(c.Balance)+len(c.Split) > 12<<10 {
		t.Errorf("charts of 24 payments take %d bytes", len(c.Balance)+len(c.Split))
	}
	if empty := amortizationCharts("x", start, 1, nil, tx); empty.Balance != "" {
		t.Error("a chart of no points")
	}
}

// TestHistoryCSV: headings in the language, ISO dates, plain amounts, a
// byte order mark, and text that a spreadsheet would run defused.
func TestHistoryCSV(t *testing.T) {
	items := []servicing.Item{
		{Date: calendar.MustParse("2026-03-15"), Type: servicing.ItemPayment, AmountCents: 395_93, InterestCents: 116_55,
			PrincipalCents: 279_38, Returned: true},
		{Date: calendar.MustParse("2026-03-01"), Type: servicing.ItemLateFee, AmountCents: -25_00, Installment: 2},
	}
	labels := map[string]string{"account.type_payment": "=HYPERLINK(\"x\")", "account.type_late_fee": "Late fee", "account.yes": "yes"}
	T := func(k string, _ ...any) string {
		if l, ok := labels[k]; ok {
			return l
		}
		return strings.TrimPrefix(k, "account.")
	}
	var b bytes.Buffer
	if err := writeHistoryCSV(&b, items, T); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\ufeff")) {
		t.Error("no byte order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"csv_date", "csv_type", "csv_amount_signed", "interest", "principal", "fees", "csv_installment", "csv_returned"},
		{"2026-03-15", `'=HYPERLINK("x")`, "395.93", "116.55", "279.38", "0.00", "", "yes"},
		{"2026-03-01", "Late fee", "-25.00", "0.00", "0.00", "0.00", "2", ""},
	}
	if len(recs) != len(want) {
		t.Fatalf("records %q", recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d: %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestHistoryFilter(t *testing.T) {
	q, _ := url.ParseQuery("from=2026-01-01&to=2026-06-30&type=payment&type=late_fee&type=payment&page=3")
	f, errs := parseHistoryFilter(q)
	if len(errs) != 0 || f.Page != 3 || len(f.F.Types) != 2 || f.F.From != calendar.MustParse("2026-01-01") {
		t.Errorf("filter %+v %v", f, errs)
	}
	if got := f.query(2); got != "?from=2026-01-01&page=2&to=2026-06-30&type=payment&type=late_fee" {
		t.Errorf("query %s", got)
	}
	q, _ = url.ParseQuery("from=2026-02-30&to=2025-01-01&type=x&page=-1")
	f, errs = parseHistoryFilter(q)
	if errs["from"] == "" || errs["types"] == "" || f.Page != 1 {
		t.Errorf("bad filter: %+v %v", f, errs)
	}
	if _, errs = parseHistoryFilter(url.Values{"from": {"2026-06-01"}, "to": {"2026-01-01"}}); errs["to"] != "account.err_date_order" {
		t.Errorf("reversed range: %v", errs)
	}
	// Interest is a type a customer can ask for (the payments that paid it).
	f, errs = parseHistoryFilter(url.Values{"type": {"interest"}})
	if len(errs) != 0 || len(f.F.Types) != 1 || f.F.Types[0] != servicing.ItemInterest || !f.Checked(servicing.ItemInterest) ||
		f.Checked(servicing.ItemPayment) || f.query(1) != "?type=interest" {
		t.Errorf("interest filter: %+v %v", f, errs)
	}
}

func TestParseInput(t *testing.T) {
	for in, want := range map[string]money.Cents{"": 0, "50": 50_00, "$1,250.50": 1250_50, " 7.5 ": 7_50} {
		if got, err := parseAmount(in); err != nil || got != want {
			t.Errorf("parseAmount(%q) = %s, %v", in, got, err)
		}
	}
	for _, bad := range []string{"abc", "1.234", "1e3"} {
		if _, err := parseAmount(bad); err == nil {
			t.Errorf("parseAmount(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int64{"41,250": 41250, "12": 12} {
		if got, ok := parseMiles(in); !ok || got != want {
			t.Errorf("parseMiles(%q) = %d %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "41.5", "-3", "1234567890", "ten"} {
		if _, ok := parseMiles(bad); ok {
			t.Errorf("parseMiles(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"NW-100001": "NW-100001", `a"b/../c`: "a-b-..-c", "": "contract"} {
		if got := safeFileName(in); got != want {
			t.Errorf("safeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPayHref: the dashboard links to a contract's payment page only
// once a route serves it.
func TestPayHref(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", http.NotFoundHandler())
	if got := payHref(mux)(7); got != "" {
		t.Errorf("without a payment page: %q", got)
	}
	mux = http.NewServeMux()
	mux.Handle("/", http.NotFoundHandler())
	mux.Handle("GET /contracts/{id}/pay", http.NotFoundHandler())
	if got := payHref(mux)(7); got != "/contracts/7/pay" {
		t.Errorf("with a payment page: %q", got)
	}
}
