// Package pdftest checks the PDFs carfin writes, for tests: strict
// validation with pdfcpu, and their text through pdftotext (poppler).
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Text validates pdf strictly with pdfcpu (failing the test when it is not
// valid) and returns its text, laid out, from pdftotext. Without pdftotext
// it returns "" and logs that the text was not checked, except under CI,
// where pdftotext is required and its absence fails the test.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	api.DisableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.Validate(bytes.NewReader(pdf), conf); err != nil {
		t.Fatalf("pdfcpu strict validation: %v", err)
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is required in CI")
		}
		t.Log("pdftotext not installed: the PDF's text is not checked")
		return ""
	}
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
