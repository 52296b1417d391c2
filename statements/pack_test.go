package statements

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"carfin/internal/pdftest"
)

// newTestPDF returns an fpdf document set up as Render sets up its own:
// fixed dates, sorted catalog, pages written uncompressed.
func newTestPDF(compress bool) *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "Letter", "")
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(compress)
	pdf.SetTitle("Statement — Núñez", true)
	pdf.SetAuthor("Northwind Motor Finance", true)
	return pdf
}

func output(t testing.TB, pdf *fpdf.Fpdf) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func onePage(t testing.TB) []byte {
	pdf := newTestPDF(false)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 14)
	pdf.Cell(100, 10, "Statement for Jordan Avery")
	pdf.Ln(12)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.Cell(100, 8, "Amount due $395.93")
	return output(t, pdf)
}

// threePages has a footer "Page N of {nb}", replaced by fpdf when it
// writes the file (AliasNbPages), and accented text.
func threePages(t testing.TB) []byte {
	pdf := newTestPDF(false)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.SetFont("Helvetica", "I", 8)
		pdf.CellFormat(0, 10, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	for i := range 3 {
		pdf.AddPage()
		pdf.SetFont("Times", "", 12)
		for j := range 20 {
			pdf.Cell(0, 8, tr(fmt.Sprintf("Página %d, línea %d: señora María José Núñez", i+1, j+1)))
			pdf.Ln(8)
		}
	}
	return output(t, pdf)
}

// table draws an activity table: borders, fills, colours, lines.
func table(t testing.TB) []byte {
	pdf := newTestPDF(false)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 10)
	pdf.SetFillColor(27, 77, 137)
	pdf.SetTextColor(255, 255, 255)
	for _, h := range []string{"Date", "Description", "Amount", "Principal"} {
		pdf.CellFormat(45, 8, h, "1", 0, "C", true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(0, 0, 0)
	for i := range 30 {
		pdf.SetFillColor(217, 230, 244)
		fill := i%2 == 1
		pdf.CellFormat(45, 6, fmt.Sprintf("2026-11-%02d", i%28+1), "LR", 0, "L", fill, 0, "")
		pdf.CellFormat(45, 6, fmt.Sprintf("Payment %d", i+1), "LR", 0, "L", fill, 0, "")
		pdf.CellFormat(45, 6, fmt.Sprintf("$%d.%02d", 300+i, i), "LR", 0, "R", fill, 0, "")
		pdf.CellFormat(45, 6, fmt.Sprintf("$%d.%02d", 200+i, 2*i), "LR", 0, "R", fill, 0, "")
		pdf.Ln(-1)
	}
	pdf.SetDrawColor(27, 77, 137)
	pdf.SetLineWidth(0.5)
	pdf.Line(10, 250, 190, 250)
	pdf.Rect(10, 255, 180, 10, "D")
	return output(t, pdf)
}

// withImage has a PNG (an image XObject: a binary stream whose dictionary
// is not only its length, which packPDF must copy as it is).
func withImage(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for x := range 64 {
		for y := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), uint8((x * y) % 256), 255})
		}
	}
	var p bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	pdf := newTestPDF(false)
	pdf.AddPage()
	pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: "PNG"}, &p)
	pdf.ImageOptions("logo", 10, 10, 30, 0, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetFont("Courier", "", 12)
	pdf.Text(10, 60, "Northwind Motor Finance")
	return output(t, pdf)
}

// compressed is fpdf's own compressed output: nothing for packPDF to
// compress, and still a valid PDF after it.
func compressed(t testing.TB) []byte {
	pdf := newTestPDF(true)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 14)
	pdf.Cell(100, 10, "Already compressed")
	return output(t, pdf)
}

// TestPackPDF: the packed PDF is valid to pdfcpu (strict) and qpdf, every
// object is where its new cross-reference entry says, the content
// streams are compressed and inflate to the originals, the text reads
// the same, and the file is smaller.
func TestPackPDF(t *testing.T) {
	for _, tc := range []struct {
		name    string
		make    func(testing.TB) []byte
		text    []string // words the text must have
		smaller bool
	}{
		{"one page", onePage, []string{"Jordan Avery", "$395.93"}, true},
		{"three pages with AliasNbPages", threePages, []string{"Page 1 of 3", "Page 3 of 3", "María José Núñez"}, true},
		{"a table", table, []string{"Description", "Payment 30", "$329.29"}, true},
		{"an image", withImage, []string{"Northwind Motor Finance"}, true},
		{"compressed already", compressed, []string{"Already compressed"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.make(t)
			inCopy := bytes.Clone(in)
			out, err := packPDF(in)
			if err != nil {
				t.Fatalf("packPDF: %v", err)
			}
			if !bytes.Equal(in, inCopy) {
				t.Error("packPDF changed its input")
			}
			t.Logf("%d → %d bytes", len(in), len(out))
			if tc.smaller && len(out) >= len(in) {
				t.Errorf("packed is %d bytes, not smaller than %d", len(out), len(in))
			}
			checkXref(t, out)
			if plain := plainStreams(in); tc.smaller && len(plain) == 0 {
				t.Fatal("the input has no plain content stream: the test proves nothing")
			}
			if n := len(plainStreams(out)); n != 0 {
				t.Errorf("%d content streams left uncompressed", n)
			}
			if !tc.smaller { // nothing to compress: the streams are as they were
				got, want := flateStreams(t, out), flateStreams(t, in)
				if len(want) == 0 || !equalAll(got, want) {
					t.Errorf("compressed streams changed: %d, want %d", len(got), len(want))
				}
			} else if got, want := flateStreams(t, out), plainStreams(in); !equalAll(got, want) {
				// (An image's dictionary is more than a filter and a
				// length: flateStreams does not read it.)
				t.Errorf("inflated streams differ from the originals (%d, want %d)", len(got), len(want))
			}
			wantText := pdftest.Text(t, in) // both strictly validated
			gotText := pdftest.Text(t, out)
			if wantText == "" {
				t.Fatal("pdftotext is required")
			}
			if gotText != wantText {
				t.Errorf("text differs:\npacked:\n%s\nunpacked:\n%s", gotText, wantText)
			}
			for _, w := range tc.text {
				if !strings.Contains(gotText, w) {
					t.Errorf("text lacks %q:\n%s", w, gotText)
				}
			}
			qpdfCheck(t, out)
		})
	}
}

var (
	plainStream = regexp.MustCompile(`(?m)^<</Length (\d+)>>\nstream\n`)
	flateStream = regexp.MustCompile(`<</Filter /FlateDecode /Length (\d+)>>\nstream\n`)
)

// plainStreams returns the data of the streams whose dictionary is only
// their length, in order.
func plainStreams(pdf []byte) [][]byte {
	var out [][]byte
	for _, m := range plainStream.FindAllSubmatchIndex(pdf, -1) {
		n, _ := strconv.Atoi(string(pdf[m[2]:m[3]]))
		out = append(out, pdf[m[1]:min(m[1]+n, len(pdf))])
	}
	return out
}

// flateStreams returns the inflated data of the streams whose dictionary
// is exactly "<</Filter /FlateDecode /Length N>>", in order.
func flateStreams(t *testing.T, pdf []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, m := range flateStream.FindAllSubmatchIndex(pdf, -1) {
		n, _ := strconv.Atoi(string(pdf[m[2]:m[3]]))
		if m[1]+n > len(pdf) || !bytes.HasPrefix(pdf[m[1]+n:], []byte("\nendstream")) {
			t.Errorf("stream at %d: /Length %d does not end at endstream", m[0], n)
			continue
		}
		r, err := zlib.NewReader(bytes.NewReader(pdf[m[1] : m[1]+n]))
		if err != nil {
			t.Errorf("stream at %d: %v", m[0], err)
			continue
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Errorf("stream at %d: %v", m[0], err)
		}
		out = append(out, data)
	}
	return out
}

func equalAll(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// checkXref reads pdf's cross-reference table from its startxref, as a
// reader does, and checks that every in-use entry points at its object,
// that the table covers /Size objects, and that nothing follows %%EOF.
func checkXref(t *testing.T, pdf []byte) {
	t.Helper()
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatalf("no startxref at the end:\n%q", pdf[max(0, len(pdf)-80):])
	}
	at, _ := strconv.Atoi(string(m[1]))
	if at >= len(pdf) || !bytes.HasPrefix(pdf[at:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at a cross-reference table", at)
	}
	lines := strings.Split(string(pdf[at:]), "\n")
	var first, count int
	if _, err := fmt.Sscanf(lines[1], "%d %d", &first, &count); err != nil || first != 0 {
		t.Fatalf("xref subsection %q: %v", lines[1], err)
	}
	if m := regexp.MustCompile(`/Size (\d+)`).FindSubmatch(pdf[at:]); m == nil || string(m[1]) != strconv.Itoa(count) {
		t.Errorf("trailer /Size %q, the table has %d entries", m, count)
	}
	for n := range count {
		e := lines[2+n]
		if len(e) != 19 {
			t.Errorf("xref entry %d %q is not 20 bytes", n, e)
			continue
		}
		if n == 0 {
			if e != "0000000000 65535 f " {
				t.Errorf("xref entry 0 %q", e)
			}
			continue
		}
		off, err := strconv.Atoi(e[:10])
		if err != nil || e[17] != 'n' {
			t.Errorf("xref entry %d %q", n, e)
			continue
		}
		if want := fmt.Sprintf("%d 0 obj\n", n); off >= len(pdf) || !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Errorf("xref entry %d points at offset %d, not at %q", n, off, want)
		}
	}
	if lines[2+count] != "trailer" {
		t.Errorf("after %d entries: %q, want trailer", count, lines[2+count])
	}
}

// TestPackPDFMalformed: input not shaped as fpdf writes it returns an
// error, never a panic and never a PDF.
func TestPackPDFMalformed(t *testing.T) {
	base := onePage(t)
	m := plainStream.FindSubmatchIndex(base)
	if m == nil {
		t.Fatal("no plain stream in fpdf's output")
	}
	length, _ := strconv.Atoi(string(base[m[2]:m[3]]))
	streamAt := m[1] // first byte of the stream's data
	withLength := func(l string) []byte {
		return bytes.Replace(base, []byte(fmt.Sprintf("<</Length %d>>", length)), []byte("<</Length "+l+">>"), 1)
	}
	xrefAt := bytes.Index(base, []byte("\nxref\n")) + 1
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not a PDF", []byte("hello, world\n")},
		{"truncated in a stream", base[:streamAt+length/2]},
		{"truncated right after a stream's data", base[:streamAt+length]},
		{"truncated before the xref", base[:xrefAt]},
		{"no xref", bytes.Replace(base, []byte("\nxref\n"), []byte("\nxrfe\n"), 1)},
		{"no trailer", bytes.Replace(base, []byte("trailer\n"), []byte("trailor\n"), 1)},
		{"no startxref", bytes.Replace(base, []byte("startxref\n"), []byte("startxerf\n"), 1)},
		{"an object missing", bytes.Replace(base, []byte("\n5 0 obj\n"), []byte("\n5 0 ob\n"), 1)},
		{"Length past the end", withLength(strconv.Itoa(len(base)))},
		{"Length one past the end of the data", withLength(strconv.Itoa(length + 1))},
		{"Length one short", withLength(strconv.Itoa(length - 1))},
		{"Length negative", withLength("-1")},
		{"Length negative, before the file's start", withLength("-1000000")},
		{"Length overflowing an int", withLength("9223372036854775807")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, panicked, err := packSafely(tc.in)
			switch {
			case panicked != nil:
				t.Errorf("packPDF panicked: %v", panicked)
			case err == nil:
				t.Errorf("packPDF returned a PDF of %d bytes and no error", len(out))
			case out != nil:
				t.Errorf("packPDF returned %d bytes with the error %v", len(out), err)
			}
		})
	}
}

// packSafely runs packPDF, turning a panic into a value.
func packSafely(in []byte) (out []byte, panicked any, err error) {
	defer func() { panicked = recover() }()
	out, err = packPDF(in)
	return out, nil, err
}

// validPDF reports whether pdfcpu reads pdf, in its strict mode or in
// its relaxed one (as a viewer would, repairing what it can), counting a
// panic inside pdfcpu as not read.
func validPDF(pdf []byte, strict bool) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	api.DisableConfigDir()
	conf := model.NewDefaultConfiguration()
	if strict {
		conf.ValidationMode = model.ValidationStrict
	}
	return api.Validate(bytes.NewReader(pdf), conf) == nil
}

// FuzzPackPDF: packPDF never panics, and what it returns for a PDF pdfcpu
// validates strictly is a PDF pdfcpu reads. (pdfcpu's relaxed mode reads
// much that is not a PDF, rebuilding a broken cross-reference table from
// the objects it finds; packPDF only rewrites what fpdf writes, and may
// return such an input broken: the first fuzzing found one.)
func FuzzPackPDF(f *testing.F) {
	f.Add(onePage(f)) // small: each exec, and each minimization, stays quick
	f.Add([]byte("%PDF-1.3\n1 0 obj\n<</Length 3>>\nstream\nabc\nendstream\nendobj\nxref\n0 2\ntrailer\n<<>>\nstartxref\n0\n%%EOF\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, panicked, err := packSafely(in)
		if panicked != nil {
			t.Fatalf("packPDF panicked: %v", panicked)
		}
		if err != nil {
			return
		}
		if !validPDF(out, false) && validPDF(in, true) {
			t.Fatalf("packPDF turned a PDF pdfcpu reads into one it does not read:\n%q", out)
		}
	})
}
