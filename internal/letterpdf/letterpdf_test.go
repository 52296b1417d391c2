package letterpdf

import (
	"bytes"
	"math"
	"sync"
	"testing"
)

// TestNew: documents started from several goroutines at once are US
// Letter pages in millimetres, and each renders.
func TestNew(t *testing.T) {
	var wg sync.WaitGroup
	out := make([][]byte, 8)
	for i := range out {
		wg.Go(func() {
			pdf := New()
			if w, h := pdf.GetPageSize(); math.Abs(w-215.9) > 0.01 || math.Abs(h-279.4) > 0.01 {
				t.Errorf("page %.2f × %.2f mm, want 215.9 × 279.4", w, h)
			}
			pdf.AddPage()
			pdf.SetFont("Helvetica", "B", 12)
			pdf.CellFormat(40, 10, "Statement", "", 1, "L", false, 0, "")
			var b bytes.Buffer
			if err := pdf.Output(&b); err != nil {
				t.Error(err)
			}
			out[i] = b.Bytes()
		})
	}
	wg.Wait()
	for i, b := range out {
		if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("/MediaBox [0 0 612.00 792.00]")) {
			t.Errorf("document %d is not a Letter PDF: %.200q", i, b)
		}
	}
}
