package payments_test

import (
	"bytes"
	"strings"
	"testing"

	moov "github.com/moov-io/ach"
)

// checkWithMoov reads a NACHA file carfin wrote with moov-io/ach, which
// must find it valid (File.Validate) and write it back byte for byte:
// ach.Write's fast path writes what moov-io/ach would.
func checkWithMoov(t testing.TB, path, data string) {
	t.Helper()
	f, err := moov.NewReader(strings.NewReader(data)).Read()
	if err != nil {
		t.Fatalf("%s: moov-io/ach cannot read it: %v", path, err)
	}
	if err := f.Validate(); err != nil {
		t.Fatalf("%s: moov-io/ach finds it invalid: %v", path, err)
	}
	var b bytes.Buffer
	if err := moov.NewWriter(&b).Write(&f); err != nil {
		t.Fatalf("%s: moov-io/ach cannot write it back: %v", path, err)
	}
	if b.String() != data {
		t.Fatalf("%s: moov-io/ach writes it otherwise:\ncarfin:\n%s\nmoov-io/ach:\n%s", path, data, b.String())
	}
}
