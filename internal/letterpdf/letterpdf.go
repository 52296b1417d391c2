// Package letterpdf starts carfin's PDFs (statements, receipts, quote
// letters, tax statements, consent records): a US Letter page measured
// in millimetres, safe to start from many goroutines at once.
package letterpdf

import (
	"sync"

	"codeberg.org/go-pdf/fpdf"
)

// warm loads a core font once, before any document is started.
//
// fpdf reads a core font's metrics with encoding/json on each document's
// first SetFont, and Go 1.27's encoding/json builds its decoder for a
// type on first use in a way the race detector reports when two
// goroutines get there together (statements render in parallel: seen as
// a data race in encoding/json/v2's makeStructArshaler under
// `go test -race`). One load before any of them makes every later one a
// cache hit. It costs a fraction of a millisecond, once per process.
var warm sync.Once

// New returns an empty portrait US Letter document in millimetres.
func New() *fpdf.Fpdf {
	warm.Do(func() {
		pdf := fpdf.New("P", "mm", "Letter", "")
		pdf.SetFont("Helvetica", "", 10)
	})
	return fpdf.New("P", "mm", "Letter", "")
}
